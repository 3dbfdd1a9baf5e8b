/** How OSS presents stored objects: ETags, dates, storage classes, restore state, object headers. */
import { httpDate } from '../common/http.ts';
import type { StoredObject } from '../common/objects.ts';

export const STORAGE_CLASSES = ['Standard', 'IA', 'Archive', 'ColdArchive', 'DeepColdArchive'] as const;
const ARCHIVE_CLASSES = new Set(['Archive', 'ColdArchive', 'DeepColdArchive']);

export const isArchiveClass = (storageClass: string) => ARCHIVE_CLASSES.has(storageClass);

/** The storage class if `value` names one exactly as OSS spells it (`Standard`, `IA`, …), else undefined. */
export function storageClassOf(value: string): string | undefined {
  return STORAGE_CLASSES.find((c) => c === value);
}

/** Quoted upper-case ETag: `"5B3C…"` or `"A1B2…-3"`. */
export const ossEtag = (etag: string) => `"${etag.toUpperCase()}"`;

/** Normalise an ETag from a request (quotes optional, any case) for comparison. */
export const etagKey = (etag: string) => etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '').toUpperCase();

/** `2024-05-01T08:00:00.000Z` as listings carry it. */
export const isoDate = (d: Date) => d.toISOString();

/** Standard headers OSS stores with an object and returns on GET/HEAD. */
export const STORED_HEADERS = [
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'expires',
  'x-oss-server-side-encryption',
  'x-oss-server-side-encryption-key-id',
  'x-oss-server-side-data-encryption',
] as const;

/**
 * The effective restore state of an archived object at `now`: an ongoing restore whose time has
 * come becomes restored; an expired restore is forgotten (the object is frozen again).
 */
export function restoreState(obj: StoredObject, now: Date): StoredObject['restore'] {
  const r = obj.restore;
  if (!r) return undefined;
  const t = now.getTime();
  if (r.status === 'ongoing' && t >= r.readyAt) {
    obj.restore = { status: 'restored', expiresAt: r.readyAt + r.days * 86_400_000 };
  }
  if (obj.restore?.status === 'restored' && t >= obj.restore.expiresAt) obj.restore = undefined;
  return obj.restore;
}

/** The `x-oss-restore` header value / listing `RestoreInfo`. */
export function restoreInfo(obj: StoredObject, now: Date): string | undefined {
  if (!isArchiveClass(obj.storageClass)) return undefined;
  const r = restoreState(obj, now);
  if (!r) return undefined;
  if (r.status === 'ongoing') return 'ongoing-request="true"';
  return `ongoing-request="false", expiry-date="${httpDate(new Date(r.expiresAt))}"`;
}

/** True when the object's bytes can be read (not a frozen / still-restoring archive). */
export function readable(obj: StoredObject, now: Date): boolean {
  if (!isArchiveClass(obj.storageClass)) return true;
  return restoreState(obj, now)?.status === 'restored';
}

/** Headers describing an object on GET/HEAD (without Content-Length / Content-Range). */
export function objectHeaders(obj: StoredObject, now: Date, s3: boolean): Record<string, string> {
  const h: Record<string, string> = {
    'content-type': obj.contentType,
    etag: ossEtag(obj.etag),
    'last-modified': httpDate(obj.lastModified),
    'accept-ranges': 'bytes',
    'x-oss-object-type': obj.objectType,
    'x-oss-storage-class': obj.storageClass,
  };
  if (obj.crc64 !== undefined) h['x-oss-hash-crc64ecma'] = obj.crc64;
  if (obj.objectType === 'Normal' && obj.contentMd5) h['content-md5'] = obj.contentMd5;
  for (const [k, v] of Object.entries(obj.headers)) h[k] = v;
  const metaPrefix = s3 ? 'x-amz-meta-' : 'x-oss-meta-';
  for (const [k, v] of Object.entries(obj.meta)) h[metaPrefix + k] = v;
  const restore = restoreInfo(obj, now);
  if (restore) h['x-oss-restore'] = restore;
  return h;
}
