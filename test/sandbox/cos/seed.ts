/** Direct seeding (no HTTP): simple objects, or multipart objects with `<md5>-N` ETags and a combined CRC. */
import { createHash } from 'node:crypto';
import { crc64CombineAll } from '../../../runner/core/crc64.ts';
import type { Blob, BlobStore } from '../common/blobs.ts';
import { type SeedObject, seedBody } from '../common/emulator.ts';
import type { Bucket, StoredObject } from '../common/objects.ts';
import { STORED_HEADERS } from './context.ts';
import { normaliseStorageClass } from './model.ts';

/** Split a byte stream into consecutive blobs of `partSize` bytes (the last may be shorter). */
async function storeParts(
  store: BlobStore,
  source: AsyncIterable<Uint8Array>,
  partSize: number,
): Promise<Blob[]> {
  const it = source[Symbol.asyncIterator]();
  let pending: Uint8Array | undefined;
  let ended = false;
  const next = async (): Promise<boolean> => {
    while (!pending || pending.length === 0) {
      const r = await it.next();
      if (r.done) {
        ended = true;
        return false;
      }
      pending = r.value;
    }
    return true;
  };
  const blobs: Blob[] = [];
  try {
    while (await next()) {
      let remaining = partSize;
      const part = async function* () {
        while (remaining > 0 && (await next())) {
          const chunk: Uint8Array = pending!;
          if (chunk.length <= remaining) {
            pending = undefined;
            remaining -= chunk.length;
            yield chunk;
          } else {
            pending = chunk.subarray(remaining);
            yield chunk.subarray(0, remaining);
            remaining = 0;
          }
        }
      };
      blobs.push(await store.put(part()));
      if (ended) break;
    }
    if (blobs.length === 0) blobs.push(await store.put((async function* () {})()));
  } catch (err) {
    for (const b of blobs) store.release(b);
    throw err;
  }
  return blobs;
}

function checkHeaderValue(what: string, v: string): void {
  if (/[\r\n]/.test(v)) throw new Error(`seed: ${what} must not contain CR or LF`);
}

export async function seedObject(
  store: BlobStore,
  bucket: Bucket,
  obj: SeedObject,
  nowMs: number,
): Promise<StoredObject> {
  if (obj.key === '') throw new Error('seed: the key must not be empty');
  const storageClass = normaliseStorageClass(obj.storageClass ?? 'STANDARD');
  if (!storageClass) throw new Error(`seed: unknown COS storage class ${obj.storageClass}`);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj.headers ?? {})) {
    const name = k.toLowerCase();
    if (!(STORED_HEADERS as readonly string[]).includes(name)) {
      throw new Error(`seed: header ${k} is not one COS stores (${STORED_HEADERS.join(', ')})`);
    }
    checkHeaderValue(k, v);
    headers[name] = v;
  }
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj.meta ?? {})) {
    checkHeaderValue(`meta ${k}`, v);
    meta[k.toLowerCase()] = v;
  }
  if (obj.partSize !== undefined && !(Number.isInteger(obj.partSize) && obj.partSize > 0)) {
    throw new Error('seed: partSize must be a positive integer');
  }
  const blobs =
    obj.partSize === undefined
      ? [await store.put(seedBody(obj.body), obj.size !== undefined ? { expectedLength: obj.size } : {})]
      : await storeParts(store, seedBody(obj.body), obj.partSize);
  const size = blobs.reduce((n, b) => n + b.size, 0);
  if (obj.size !== undefined && size !== obj.size) {
    for (const b of blobs) store.release(b);
    throw new Error(`seed: ${obj.key} has ${size} bytes, expected ${obj.size}`);
  }
  const multipart = obj.partSize !== undefined;
  const first = blobs[0]!;
  const etag = multipart
    ? `${blobs.reduce((h, b) => h.update(b.md5), createHash('md5')).digest('hex')}-${blobs.length}`
    : first.md5.toString('hex');
  return bucket.put({
    key: obj.key,
    size,
    etag,
    crc64: multipart ? crc64CombineAll(blobs) : first.crc64,
    lastModified: obj.lastModified ?? new Date(nowMs),
    contentType: obj.contentType ?? 'application/octet-stream',
    headers,
    meta,
    storageClass,
    objectType: multipart ? 'Multipart' : 'Normal',
    ...(multipart ? {} : { contentMd5: first.md5.toString('base64') }),
    segments: blobs.map((blob) => ({ blob, offset: 0, length: blob.size })),
  });
}
