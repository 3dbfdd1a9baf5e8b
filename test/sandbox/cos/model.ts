/** COS naming: hosts, buckets, keys, storage classes, restore state, ETags and object headers. */

import { httpDate } from '../common/http.ts';
import type { RestoreState, StoredObject } from '../common/objects.ts';
import { Err } from './errors.ts';

/** `<name>-<appid>`, as COS and the SDK require. */
export const BUCKET_NAME = /^[a-z0-9-]+-\d+$/;
export const REGION_NAME = /^[a-z\d-]+$/;

/** COS allows keys of up to 850 bytes (UTF-8); doc 436/13324. */
export const MAX_KEY_BYTES = 850;
export const MAX_PUT_BYTES = 5 * 1024 ** 3;
export const MAX_PART_BYTES = 5 * 1024 ** 3;
export const MIN_PART_BYTES = 1024 * 1024;
export const MAX_PART_NUMBER = 10_000;

export const STORAGE_CLASSES = [
  'STANDARD',
  'STANDARD_IA',
  'INTELLIGENT_TIERING',
  'ARCHIVE',
  'DEEP_ARCHIVE',
  'MAZ_STANDARD',
  'MAZ_STANDARD_IA',
  'MAZ_INTELLIGENT_TIERING',
  'MAZ_ARCHIVE',
] as const;

const ARCHIVE_CLASSES = new Set(['ARCHIVE', 'DEEP_ARCHIVE', 'MAZ_ARCHIVE']);

export function isArchive(storageClass: string): boolean {
  return ARCHIVE_CLASSES.has(storageClass);
}

/** Normalise a storage class (case-insensitive, COS spelling); undefined when it is not one. */
export function normaliseStorageClass(v: string): string | undefined {
  const up = v.trim().toUpperCase();
  return (STORAGE_CLASSES as readonly string[]).includes(up) ? up : undefined;
}

/** The `x-cos-storage-class` of a write request (STANDARD when absent); InvalidStorageClass otherwise. */
export function storageClassHeader(v: string | undefined): string {
  if (v === undefined) return 'STANDARD';
  const sc = normaliseStorageClass(v);
  if (!sc) throw Err.invalidStorageClass();
  return sc;
}

export function checkKeyForWrite(key: string): void {
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw Err.keyTooLong();
}

export type HostRoute =
  | { kind: 'bucket'; bucket: string; region: string }
  | { kind: 'service'; region?: string }
  | { kind: 'other' };

const BUCKET_HOST = /^(.+)\.cos(?:v6|-internal|-cdc)?\.([a-z0-9-]+)\.(?:myqcloud\.com|tencentcos\.cn)$/;
const SERVICE_HOST =
  /^(?:service\.cos\.(?:myqcloud\.com|tencentcos\.cn)|cos\.([a-z0-9-]+)\.(?:myqcloud\.com|tencentcos\.cn))$/;

/** Route by Host: `<bucket-appid>.cos.<region>.myqcloud.com`, the service host, or anything else (path style). */
export function routeHost(rawHost: string | undefined): HostRoute {
  let host = (rawHost ?? '').trim().toLowerCase();
  if (host.startsWith('[')) return { kind: 'other' };
  host = host.replace(/:\d+$/, '');
  const svc = SERVICE_HOST.exec(host);
  if (svc) return svc[1] ? { kind: 'service', region: svc[1] } : { kind: 'service' };
  const m = BUCKET_HOST.exec(host);
  if (m) return { kind: 'bucket', bucket: m[1]!, region: m[2]! };
  return { kind: 'other' };
}

/** Parse `x-cos-copy-source` (`<bucket>.cos.<region>.myqcloud.com/<url-encoded key>`) or an S3 `/bucket/key`. */
export function parseCopySource(
  raw: string,
  style: 'cos' | 's3',
): { bucket: string; region?: string; key: string } {
  let v = raw.trim().replace(/^https?:\/\//i, '');
  const q = v.indexOf('?');
  if (q >= 0) v = v.slice(0, q);
  const bad = () => Err.invalidArgument('The x-cos-copy-source header is not valid.');
  if (style === 'cos') {
    const slash = v.indexOf('/');
    if (slash <= 0) throw bad();
    const route = routeHost(v.slice(0, slash));
    if (route.kind !== 'bucket') throw bad();
    const key = decodeKey(v.slice(slash + 1));
    if (key === undefined || key === '') throw bad();
    return { bucket: route.bucket, region: route.region, key };
  }
  const path = v.startsWith('/') ? v.slice(1) : v;
  const slash = path.indexOf('/');
  if (slash <= 0) throw bad();
  const bucket = decodeKey(path.slice(0, slash));
  const key = decodeKey(path.slice(slash + 1));
  if (!bucket || !key) throw bad();
  return { bucket, key };
}

function decodeKey(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/**
 * The restore state as of `nowMs` (ongoing → restored once ready; restored → gone once expired).
 * Mutates the object, as time passing on the service would.
 */
export function restoreState(obj: StoredObject, nowMs: number): RestoreState | undefined {
  const r = obj.restore;
  if (r?.status === 'ongoing' && nowMs >= r.readyAt) {
    obj.restore = { status: 'restored', expiresAt: r.readyAt + r.days * 86_400_000 };
  } else if (r?.status === 'restored' && nowMs >= r.expiresAt) {
    delete obj.restore;
  }
  return obj.restore;
}

/** True when the object's bytes can be read (not archived, or restored). */
export function readable(obj: StoredObject, nowMs: number): boolean {
  return !isArchive(obj.storageClass) || restoreState(obj, nowMs)?.status === 'restored';
}

export function quoteEtag(etag: string): string {
  return `"${etag}"`;
}

/** Strip quotes (and the `&quot;` the XML parser already decoded) and lower-case an ETag for comparison. */
export function bareEtag(v: string): string {
  return v.trim().replace(/^"|"$/g, '').toLowerCase();
}

/** The headers HEAD and GET return for an object. */
export function objectHeaders(obj: StoredObject, nowMs: number): Record<string, string> {
  const h: Record<string, string> = {
    'content-type': obj.contentType,
    etag: quoteEtag(obj.etag),
    'last-modified': httpDate(obj.lastModified),
    'accept-ranges': 'bytes',
  };
  for (const [k, v] of Object.entries(obj.headers)) h[k] = v;
  for (const [k, v] of Object.entries(obj.meta)) h[`x-cos-meta-${k}`] = v;
  if (obj.crc64 !== undefined) h['x-cos-hash-crc64ecma'] = obj.crc64;
  // COS omits x-cos-storage-class for STANDARD objects (doc 436/7745).
  if (obj.storageClass !== 'STANDARD') h['x-cos-storage-class'] = obj.storageClass;
  if (isArchive(obj.storageClass)) {
    const r = restoreState(obj, nowMs);
    if (r?.status === 'ongoing') h['x-cos-restore'] = 'ongoing-request="true"';
    if (r?.status === 'restored') {
      h['x-cos-restore'] = `ongoing-request="false", expiry-date="${httpDate(new Date(r.expiresAt))}"`;
    }
  }
  return h;
}

/** ISO-8601 as COS lists it (`2024-05-01T08:00:00.000Z`). */
export function isoDate(d: Date): string {
  return d.toISOString();
}
