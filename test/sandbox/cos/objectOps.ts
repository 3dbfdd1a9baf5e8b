/** Object operations: HEAD/GET (ranges, conditions, overrides, mid-body faults), PUT, Copy, DELETE, restore. */
import { type Blob, patternBytes } from '../common/blobs.ts';
import type { Fault } from '../common/faults.ts';
import { parseRange, sendBody } from '../common/http.ts';
import type { Bucket, StoredObject } from '../common/objects.ts';
import { asArray, parseXml } from '../common/xml.ts';
import {
  type CosBackend,
  type Ctx,
  cosHeader,
  drainBody,
  header,
  metaFrom,
  optHeader,
  readSmallBody,
  sendEmpty,
  sendXml,
  setHeaders,
  storeBody,
  storedHeadersFrom,
} from './context.ts';
import { Err } from './errors.ts';
import {
  bareEtag,
  checkKeyForWrite,
  isArchive,
  MAX_PUT_BYTES,
  objectHeaders,
  parseCopySource,
  quoteEtag,
  readable,
  restoreState,
  storageClassHeader,
} from './model.ts';

function etagListMatches(list: string, etag: string): boolean {
  return list.split(',').some((v) => v.trim() === '*' || bareEtag(v) === etag.toLowerCase());
}

/** HTTP dates have second precision; compare the object's time the same way. */
function lastModifiedSeconds(obj: StoredObject): number {
  return Math.floor(obj.lastModified.getTime() / 1000) * 1000;
}

/** S3/COS precondition order: If-Match, If-Unmodified-Since → 412; If-None-Match, If-Modified-Since → 304. */
function checkConditions(
  get: (name: string) => string | undefined,
  obj: StoredObject,
): 'ok' | 'not-modified' {
  const lm = lastModifiedSeconds(obj);
  const ifMatch = get('if-match');
  const ifUnmodified = get('if-unmodified-since');
  const ifNoneMatch = get('if-none-match');
  const ifModified = get('if-modified-since');
  if (ifMatch !== undefined) {
    if (!etagListMatches(ifMatch, obj.etag)) throw Err.preconditionFailed();
  } else if (ifUnmodified !== undefined) {
    const d = Date.parse(ifUnmodified);
    if (!Number.isNaN(d) && lm > d) throw Err.preconditionFailed();
  }
  if (ifNoneMatch !== undefined) {
    if (etagListMatches(ifNoneMatch, obj.etag)) return 'not-modified';
  } else if (ifModified !== undefined) {
    const d = Date.parse(ifModified);
    if (!Number.isNaN(d) && lm <= d) return 'not-modified';
  }
  return 'ok';
}

/** A single `bytes=` range; a malformed header is ignored (whole object), an unsatisfiable one is 416. */
function rangeOf(ctx: Ctx, size: number): { start: number; end: number } | undefined {
  const h = header(ctx, 'range').trim();
  if (!/^bytes=(\d+-\d*|-\d+)(,.*)?$/.test(h)) return undefined;
  const r = parseRange(h, size);
  if (r === 'invalid') throw Err.invalidRange(size);
  return r;
}

const RESPONSE_OVERRIDES: Array<[string, string]> = [
  ['response-content-type', 'content-type'],
  ['response-content-language', 'content-language'],
  ['response-expires', 'expires'],
  ['response-cache-control', 'cache-control'],
  ['response-content-disposition', 'content-disposition'],
  ['response-content-encoding', 'content-encoding'],
];

/** Mid-body faults on a GET: reset the connection, corrupt the body, or rewrite/delete the object, after `afterBytes`. */
export type MidBodyFault = Pick<Fault, 'kind' | 'afterBytes' | 'index'>;

let rewriteSeq = 0;

async function rewrittenCopy(api: CosBackend, obj: StoredObject): Promise<Omit<StoredObject, 'generation'>> {
  rewriteSeq++;
  const seed = (obj.generation * 2654435761 + rewriteSeq * 40503 + obj.size) >>> 0;
  const blob = await api.blobs.put(
    (async function* () {
      yield* patternBytes(obj.size, seed);
    })(),
  );
  const { generation: _g, ...rest } = obj;
  // A new Last-Modified even at HTTP-date (second) precision, so date conditions notice the change too.
  const lastModified = Math.max(api.nowMs(), lastModifiedSeconds(obj) + 1000);
  return {
    ...rest,
    etag: blob.md5.toString('hex'),
    crc64: blob.crc64,
    lastModified: new Date(lastModified),
    objectType: 'Normal',
    contentMd5: blob.md5.toString('base64'),
    segments: [{ blob, offset: 0, length: blob.size }],
  };
}

export async function headOrGetObject(api: CosBackend, ctx: Ctx, midBody: MidBodyFault[]): Promise<void> {
  const bucket = ctx.bucket!;
  const now = api.nowMs();
  const obj = bucket.get(ctx.key);
  if (!obj) throw Err.noSuchKey();
  const isGet = ctx.method === 'GET';
  if (isGet && !readable(obj, now)) {
    throw Err.invalidObjectState("The operation is not valid for the object's storage class.");
  }
  const headers = objectHeaders(obj, now);
  if (checkConditions((n) => optHeader(ctx, n), obj) === 'not-modified') {
    setHeaders(ctx.res, { etag: headers.etag!, 'last-modified': headers['last-modified']! });
    ctx.res.writeHead(304);
    ctx.res.end();
    return;
  }
  const range = rangeOf(ctx, obj.size);
  if (isGet) {
    for (const [param, name] of RESPONSE_OVERRIDES) {
      const v = ctx.query.get(param);
      if (v) headers[name] = v;
    }
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? obj.size;
  if (range) headers['content-range'] = `bytes ${start}-${end - 1}/${obj.size}`;
  headers['content-length'] = String(end - start);
  setHeaders(ctx.res, headers);
  if (!isGet) {
    ctx.res.writeHead(range ? 206 : 200);
    ctx.res.end();
    return;
  }
  const fault = midBody[0];
  const replacement = fault?.kind === 'rewrite' ? await rewrittenCopy(api, obj) : undefined;
  let replacementUsed = false;
  // Hold the bytes of this version before any fault replaces or deletes it.
  const body = bucket.read(obj, start, end);
  ctx.res.writeHead(range ? 206 : 200);
  await sendBody(
    ctx.res,
    body,
    ctx,
    fault && {
      afterBytes: fault.afterBytes,
      action: () => {
        if (fault.kind === 'reset' || fault.kind === 'corrupt') return fault.kind;
        if (bucket.get(ctx.key) !== obj) return 'continue';
        if (fault.kind === 'rewrite' && replacement) {
          bucket.put(replacement);
          replacementUsed = true;
        }
        if (fault.kind === 'delete') bucket.delete(ctx.key);
        return 'continue';
      },
    },
  );
  if (replacement && !replacementUsed) for (const s of replacement.segments) api.blobs.release(s.blob);
}

export async function putObject(api: CosBackend, ctx: Ctx): Promise<void> {
  checkKeyForWrite(ctx.key);
  const storageClass = storageClassHeader(cosHeader(ctx, 'storage-class'));
  const blob = await storeBody(ctx, api.blobs, MAX_PUT_BYTES);
  const obj = ctx.bucket!.put({
    key: ctx.key,
    size: blob.size,
    etag: blob.md5.toString('hex'),
    crc64: blob.crc64,
    lastModified: new Date(api.nowMs()),
    contentType: optHeader(ctx, 'content-type') ?? 'application/octet-stream',
    headers: storedHeadersFrom(ctx),
    meta: metaFrom(ctx),
    storageClass,
    objectType: 'Normal',
    contentMd5: blob.md5.toString('base64'),
    segments: [{ blob, offset: 0, length: blob.size }],
  });
  sendEmpty(ctx, 200, { etag: quoteEtag(obj.etag), 'x-cos-hash-crc64ecma': obj.crc64 ?? '' });
}

/** The source of a Copy / UploadPartCopy, checked for existence, archive state and the copy conditions. */
function copySource(api: CosBackend, ctx: Ctx): { bucket: Bucket; obj: StoredObject } {
  const cos = optHeader(ctx, 'x-cos-copy-source');
  const s3 = ctx.auth?.scheme === 'sigv4' ? optHeader(ctx, 'x-amz-copy-source') : undefined;
  if (cos === undefined && s3 === undefined) throw Err.invalidArgument('x-cos-copy-source is missing.');
  const src = cos !== undefined ? parseCopySource(cos, 'cos') : parseCopySource(s3!, 's3');
  const bucket = api.buckets.get(src.bucket);
  if (!bucket) throw Err.noSuchBucket();
  if (src.region !== undefined && src.region !== bucket.region && src.region !== 'accelerate') {
    throw Err.noSuchBucket();
  }
  const obj = bucket.get(src.key);
  if (!obj) throw Err.noSuchKey();
  if (!readable(obj, api.nowMs())) throw Err.invalidObjectState();
  const cond = checkConditions((n) => cosHeader(ctx, `copy-source-${n}`), obj);
  if (cond === 'not-modified') throw Err.preconditionFailed();
  return { bucket, obj };
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export async function copyObject(api: CosBackend, ctx: Ctx): Promise<void> {
  checkKeyForWrite(ctx.key);
  const { obj: src } = copySource(api, ctx);
  const directiveRaw = (cosHeader(ctx, 'metadata-directive') ?? 'Copy').toLowerCase();
  if (!['copy', 'replaced', 'replace'].includes(directiveRaw)) {
    throw Err.invalidArgument('x-cos-metadata-directive must be Copy or Replaced.');
  }
  const replace = directiveRaw !== 'copy';
  const storageClass = storageClassHeader(cosHeader(ctx, 'storage-class'));
  const target = ctx.bucket!;
  if (target.get(ctx.key) === src && !replace && storageClass === src.storageClass) {
    throw Err.invalidRequest(
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class.",
    );
  }
  await drainBody(ctx);
  const now = api.nowMs();
  // The copy shares the source's bytes (the blobs are reference counted).
  for (const seg of src.segments) api.blobs.retain(seg.blob);
  const obj = target.put({
    key: ctx.key,
    size: src.size,
    etag: src.etag,
    crc64: src.crc64,
    lastModified: new Date(now),
    contentType: replace ? (optHeader(ctx, 'content-type') ?? 'application/octet-stream') : src.contentType,
    headers: replace ? storedHeadersFrom(ctx) : { ...src.headers },
    meta: replace ? metaFrom(ctx) : { ...src.meta },
    storageClass,
    objectType: src.objectType,
    ...(src.contentMd5 !== undefined ? { contentMd5: src.contentMd5 } : {}),
    segments: [...src.segments],
  });
  sendXml(ctx, {
    CopyObjectResult: {
      ETag: quoteEtag(obj.etag),
      CRC64: obj.crc64,
      LastModified: isoSeconds(now),
    },
  });
}

/** Copy a byte range of a source object into a new blob (UploadPartCopy). */
export async function copyRangeToBlob(api: CosBackend, ctx: Ctx, maxLength: number): Promise<Blob> {
  const { bucket, obj } = copySource(api, ctx);
  const rangeHeader = cosHeader(ctx, 'copy-source-range');
  let start = 0;
  let end = obj.size;
  if (rangeHeader !== undefined) {
    const m = /^bytes=(\d+)-(\d+)$/.exec(rangeHeader);
    if (!m || Number(m[1]) > Number(m[2]) || Number(m[2]) >= obj.size) {
      throw Err.invalidArgument('The x-cos-copy-source-range value is not valid for the source object.');
    }
    start = Number(m[1]);
    end = Number(m[2]) + 1;
  }
  if (end - start > maxLength) throw Err.entityTooLarge();
  await drainBody(ctx);
  return api.blobs.put(bucket.read(obj, start, end));
}

export function copyPartResult(ctx: Ctx, blob: Blob, nowMs: number): void {
  sendXml(ctx, {
    CopyPartResult: { ETag: quoteEtag(blob.md5.toString('hex')), LastModified: isoSeconds(nowMs) },
  });
}

export async function deleteObject(_api: CosBackend, ctx: Ctx): Promise<void> {
  await drainBody(ctx);
  // COS answers 204 whether or not the key existed.
  ctx.bucket!.delete(ctx.key);
  sendEmpty(ctx, 204);
}

export async function deleteMultipleObjects(_api: CosBackend, ctx: Ctx): Promise<void> {
  const body = await readSmallBody(ctx);
  let doc: Record<string, unknown>;
  try {
    doc = parseXml(body.toString('utf8'));
  } catch {
    throw Err.malformedXML();
  }
  const del = doc.Delete as { Quiet?: string; Object?: unknown } | undefined;
  if (!del || typeof del !== 'object') throw Err.malformedXML();
  const objects = asArray(del.Object as { Key?: unknown } | Array<{ Key?: unknown }> | undefined);
  if (objects.length === 0 || objects.length > 1000) throw Err.malformedXML();
  const quiet = String(del.Quiet ?? 'false').toLowerCase() === 'true';
  const deleted: Array<{ Key: string }> = [];
  for (const o of objects) {
    if (typeof o?.Key !== 'string') throw Err.malformedXML();
    ctx.bucket!.delete(o.Key);
    deleted.push({ Key: o.Key });
  }
  sendXml(ctx, { DeleteResult: { Deleted: quiet ? undefined : deleted } });
}

const TIERS: Record<string, string[]> = {
  ARCHIVE: ['Expedited', 'Standard', 'Bulk'],
  MAZ_ARCHIVE: ['Expedited', 'Standard', 'Bulk'],
  DEEP_ARCHIVE: ['Standard', 'Bulk'],
};

export async function restoreObject(api: CosBackend, ctx: Ctx): Promise<void> {
  const obj = ctx.bucket!.get(ctx.key);
  if (!obj) {
    await drainBody(ctx);
    throw Err.noSuchKey();
  }
  const body = await readSmallBody(ctx);
  if (!isArchive(obj.storageClass)) {
    throw Err.invalidObjectState("Restore is not allowed for the object's current storage class.");
  }
  let req: { Days?: unknown; CASJobParameters?: { Tier?: unknown } };
  try {
    const doc = parseXml(body.toString('utf8'));
    req = doc.RestoreRequest as typeof req;
  } catch {
    throw Err.malformedXML();
  }
  if (!req || typeof req !== 'object') throw Err.malformedXML();
  const days = Number(req.Days);
  if (!Number.isInteger(days) || days < 1 || days > 365) {
    throw Err.invalidArgument('Days must be an integer between 1 and 365.');
  }
  const tier = req.CASJobParameters?.Tier === undefined ? 'Standard' : String(req.CASJobParameters.Tier);
  if (!(TIERS[obj.storageClass] ?? []).includes(tier)) {
    throw Err.invalidArgument(`Tier ${tier} is not supported for ${obj.storageClass} objects.`);
  }
  const now = api.nowMs();
  const state = restoreState(obj, now);
  if (state?.status === 'ongoing') throw Err.restoreAlreadyInProgress();
  if (state?.status === 'restored') {
    // Already restored: the new request only moves the expiry.
    obj.restore = { status: 'restored', expiresAt: now + days * 86_400_000 };
    sendEmpty(ctx, 200);
    return;
  }
  obj.restore = { status: 'ongoing', readyAt: now + api.restoreDelayMs, days, tier };
  sendEmpty(ctx, 202);
}
