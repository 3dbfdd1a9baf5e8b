/**
 * The emulators' shared object model: buckets of objects whose bodies are blob segments, listing
 * in UTF-8 byte order with prefix / delimiter / marker / max-keys, and multipart uploads. Vendor
 * presentation (header names, ETag case, storage-class names, XML) lives in each emulator.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { crc64CombineAll } from '../../../runner/core/crc64.ts';
import { compareKeys, prefixEnd } from '../../../runner/core/keys.ts';
import { type Blob, type BlobStore, readSegments, type Segment } from './blobs.ts';

/** Restore state of an archived object. */
export type RestoreState =
  | { status: 'ongoing'; readyAt: number; days: number; tier?: string }
  | { status: 'restored'; expiresAt: number };

export type StoredObject = {
  key: string;
  size: number;
  /** Lower-case hex MD5 for simple objects, `<hex>-<parts>` for multipart; each vendor formats it. */
  etag: string;
  /** Decimal CRC-64/XZ, or undefined when the service would not have one (e.g. some copies). */
  crc64: string | undefined;
  lastModified: Date;
  contentType: string;
  /** Standard headers kept with the object: cache-control, content-disposition, content-encoding, content-language, expires. */
  headers: Record<string, string>;
  /** User metadata, names lower-cased without the vendor prefix. */
  meta: Record<string, string>;
  /** Vendor storage-class name as the vendor spells it (OSS `Standard`, COS `STANDARD`). */
  storageClass: string;
  objectType: 'Normal' | 'Multipart' | 'Appendable';
  /** MD5 (base64) when the object was a single PUT; services only return Content-MD5 for those. */
  contentMd5?: string;
  restore?: RestoreState;
  segments: Segment[];
  /** Bumped on every write of this key: lets a reader notice the object it is reading was replaced. */
  generation: number;
};

export type UploadPart = {
  partNumber: number;
  blob: Blob;
  etag: string;
  size: number;
  crc64: string;
  lastModified: Date;
};

export type MultipartUpload = {
  uploadId: string;
  key: string;
  initiated: Date;
  contentType: string;
  headers: Record<string, string>;
  meta: Record<string, string>;
  storageClass: string;
  parts: Map<number, UploadPart>;
};

export type ListParams = {
  prefix?: string;
  delimiter?: string;
  /** Return keys strictly after this (V1 marker, V2 start-after / decoded continuation token). */
  after?: string;
  maxKeys: number;
};

export type ListPage = {
  contents: StoredObject[];
  commonPrefixes: string[];
  truncated: boolean;
  /** The last key or common prefix returned, when truncated. */
  nextMarker?: string;
};

export class Bucket {
  readonly objects = new Map<string, StoredObject>();
  readonly uploads = new Map<string, MultipartUpload>();
  /** Vendor-specific bucket configuration (website/mirror rules, …) kept verbatim by the emulator. */
  readonly config = new Map<string, unknown>();
  readonly created = new Date();
  private sorted: string[] | undefined;
  private generations = 0;

  constructor(
    readonly name: string,
    readonly region: string,
    readonly blobs: BlobStore,
  ) {}

  get(key: string): StoredObject | undefined {
    return this.objects.get(key);
  }

  /** Insert or replace an object; the replaced body's blobs are released (readers keep theirs). */
  put(obj: Omit<StoredObject, 'generation'>): StoredObject {
    const stored: StoredObject = { ...obj, generation: ++this.generations };
    const old = this.objects.get(obj.key);
    this.objects.set(obj.key, stored);
    if (old) this.releaseBody(old);
    else this.sorted = undefined;
    return stored;
  }

  delete(key: string): boolean {
    const old = this.objects.get(key);
    if (!old) return false;
    this.objects.delete(key);
    this.sorted = undefined;
    this.releaseBody(old);
    return true;
  }

  private releaseBody(obj: StoredObject): void {
    for (const seg of obj.segments) this.blobs.release(seg.blob);
  }

  /** Stream bytes [start, end) of an object. */
  read(obj: StoredObject, start = 0, end = obj.size): Readable {
    return readSegments(this.blobs, obj.segments, start, end);
  }

  private keys(): string[] {
    if (!this.sorted) this.sorted = [...this.objects.keys()].sort(compareKeys);
    return this.sorted;
  }

  /** Index of the first key > `after` (or ≥ `from`). */
  private seek(keys: string[], bound: string, inclusive: boolean): number {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareKeys(keys[mid]!, bound);
      if (c < 0 || (c === 0 && !inclusive)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** One listing page with S3/OSS/COS semantics: common prefixes count toward maxKeys. */
  list(p: ListParams): ListPage {
    const keys = this.keys();
    const prefix = p.prefix ?? '';
    const delimiter = p.delimiter || undefined;
    let i = this.seek(keys, prefix, true);
    if (p.after !== undefined && compareKeys(p.after, prefix) >= 0) {
      i = Math.max(i, this.seek(keys, p.after, false));
    }
    const contents: StoredObject[] = [];
    const commonPrefixes: string[] = [];
    let last: string | undefined;
    let truncated = false;
    while (i < keys.length) {
      const key = keys[i]!;
      if (!key.startsWith(prefix)) break;
      let cp: string | undefined;
      if (delimiter) {
        const at = key.indexOf(delimiter, prefix.length);
        if (at >= 0) cp = key.slice(0, at + delimiter.length);
      }
      if (cp !== undefined && p.after !== undefined && compareKeys(cp, p.after) <= 0) {
        // Continuing after a common prefix: skip the keys it rolled up.
        const end = prefixEnd(cp);
        i = end === undefined ? keys.length : this.seek(keys, end, true);
        continue;
      }
      if (contents.length + commonPrefixes.length >= p.maxKeys) {
        truncated = true;
        break;
      }
      if (cp !== undefined) {
        commonPrefixes.push(cp);
        last = cp;
        const end = prefixEnd(cp);
        i = end === undefined ? keys.length : this.seek(keys, end, true);
      } else {
        contents.push(this.objects.get(key)!);
        last = key;
        i++;
      }
    }
    return truncated && last !== undefined
      ? { contents, commonPrefixes, truncated, nextMarker: last }
      : { contents, commonPrefixes, truncated: false };
  }

  // ---- multipart ------------------------------------------------------------------------------

  initiate(u: Omit<MultipartUpload, 'uploadId' | 'initiated' | 'parts'>): MultipartUpload {
    const upload: MultipartUpload = {
      ...u,
      uploadId: newUploadId(),
      initiated: new Date(),
      parts: new Map(),
    };
    this.uploads.set(upload.uploadId, upload);
    return upload;
  }

  /** Store a part; a re-sent part number replaces the earlier one. */
  setPart(upload: MultipartUpload, partNumber: number, blob: Blob): UploadPart {
    const part: UploadPart = {
      partNumber,
      blob,
      etag: blob.md5.toString('hex'),
      size: blob.size,
      crc64: blob.crc64,
      lastModified: new Date(),
    };
    const old = upload.parts.get(partNumber);
    upload.parts.set(partNumber, part);
    if (old) this.blobs.release(old.blob);
    return part;
  }

  abort(upload: MultipartUpload): void {
    this.uploads.delete(upload.uploadId);
    for (const part of upload.parts.values()) this.blobs.release(part.blob);
  }

  /**
   * Assemble the chosen parts (already validated by the emulator) into an object. Parts not chosen
   * are discarded, as the services do.
   */
  complete(upload: MultipartUpload, chosen: UploadPart[]): StoredObject {
    this.uploads.delete(upload.uploadId);
    const used = new Set(chosen.map((p) => p.partNumber));
    for (const part of upload.parts.values()) if (!used.has(part.partNumber)) this.blobs.release(part.blob);
    const md5s = createHash('md5');
    for (const p of chosen) md5s.update(p.blob.md5);
    return this.put({
      key: upload.key,
      size: chosen.reduce((n, p) => n + p.size, 0),
      etag: `${md5s.digest('hex')}-${chosen.length}`,
      crc64: crc64CombineAll(chosen),
      lastModified: new Date(),
      contentType: upload.contentType,
      headers: upload.headers,
      meta: upload.meta,
      storageClass: upload.storageClass,
      objectType: 'Multipart',
      segments: chosen.map((p) => ({ blob: p.blob, offset: 0, length: p.size })),
    });
  }

  /** Uploads sorted by key then upload id, after the given markers (ListMultipartUploads). */
  listUploads(p: { prefix?: string; keyMarker?: string; uploadIdMarker?: string; maxUploads: number }): {
    uploads: MultipartUpload[];
    truncated: boolean;
  } {
    const all = [...this.uploads.values()]
      .filter((u) => u.key.startsWith(p.prefix ?? ''))
      .filter((u) => {
        if (p.keyMarker === undefined || p.keyMarker === '') return true;
        const c = compareKeys(u.key, p.keyMarker);
        if (c !== 0) return c > 0;
        return p.uploadIdMarker !== undefined && p.uploadIdMarker !== '' && u.uploadId > p.uploadIdMarker;
      })
      // Upload ids sort in creation order (see newUploadId), so this is also initiation order and
      // agrees with the `uploadId > uploadIdMarker` paging filter above.
      .sort(
        (a, b) =>
          compareKeys(a.key, b.key) || (a.uploadId < b.uploadId ? -1 : a.uploadId > b.uploadId ? 1 : 0),
      );
    return { uploads: all.slice(0, p.maxUploads), truncated: all.length > p.maxUploads };
  }
}

let uploadSeq = 0;

/**
 * 32 upper-case hex digits that sort in creation order (ms time, a counter, then randomness), so
 * paging uploads of one key by `upload-id-marker` agrees with their initiation order.
 */
function newUploadId(): string {
  uploadSeq = (uploadSeq + 1) & 0xffff;
  return (
    Date.now().toString(16).padStart(12, '0') +
    uploadSeq.toString(16).padStart(4, '0') +
    randomBytes(8).toString('hex')
  ).toUpperCase();
}

/** All buckets of one emulated service, keyed by name. */
export class BucketSet {
  private readonly buckets = new Map<string, Bucket>();
  constructor(readonly blobs: BlobStore) {}

  create(name: string, region: string): Bucket {
    const existing = this.buckets.get(name);
    if (existing) return existing;
    const b = new Bucket(name, region, this.blobs);
    this.buckets.set(name, b);
    return b;
  }

  get(name: string): Bucket | undefined {
    return this.buckets.get(name);
  }

  all(): Bucket[] {
    return [...this.buckets.values()];
  }
}
