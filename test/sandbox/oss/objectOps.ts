/** Object-level OSS operations: Put/Get/Head/GetObjectMeta/Delete/Copy/Restore. */
import { createHash } from 'node:crypto';
import { type Blob, BodyTooLongError, BodyTooShortError, patternBytes } from '../common/blobs.ts';
import { seedBody } from '../common/emulator.ts';
import type { Fault } from '../common/faults.ts';
import { countBytes, decodePath, httpDate, sendBody } from '../common/http.ts';
import type { Bucket, StoredObject } from '../common/objects.ts';
import { parseXml } from '../common/xml.ts';
import { bucketStorageClass } from './bucketOps.ts';
import {
  baseHeaders,
  bucketOf,
  type Ctx,
  checkContentMd5,
  header,
  keyOf,
  type OssHost,
  ossOrAmzHeader,
  sendEmpty,
  sendXml,
} from './context.ts';
import { Err } from './errors.ts';
import { mirrorFetch } from './mirror.ts';
import {
  etagKey,
  isArchiveClass,
  isoDate,
  objectHeaders,
  ossEtag,
  readable,
  restoreState,
  STORED_HEADERS,
  storageClassOf,
} from './present.ts';

export const MAX_PUT_SIZE = 5 * 1024 ** 3;
export const MAX_COPY_SIZE = 1024 ** 3;

/** Stream the request body into a blob, checking Content-Length, x-*-content-sha256. */
export async function storeBody(
  ctx: Ctx,
  opts: { expectedLength?: number; maxLength: number },
): Promise<Blob> {
  const sha = ctx.payloadSha256 !== undefined ? createHash('sha256') : undefined;
  const counted = countBytes(ctx.req, ctx.counter, ctx.corruptAt);
  const body = sha
    ? (async function* () {
        for await (const c of counted) {
          sha.update(c);
          yield c;
        }
      })()
    : counted;
  let blob: Blob;
  try {
    blob = await ctx.host.blobs.put(body, opts);
  } catch (err) {
    if (err instanceof BodyTooShortError) throw Err.incompleteBody();
    if (err instanceof BodyTooLongError) throw Err.entityTooLarge(err.limit);
    throw err;
  }
  if (sha) {
    const got = sha.digest('hex');
    if (got !== ctx.payloadSha256) {
      ctx.host.blobs.release(blob);
      throw Err.sha256Mismatch(got, ctx.payloadSha256!);
    }
  }
  return blob;
}

/** Content-Length / chunked check shared by PutObject and UploadPart. */
export function declaredLength(ctx: Ctx): number | undefined {
  const cl = header(ctx, 'content-length');
  const chunked = /chunked/i.test(header(ctx, 'transfer-encoding') ?? '');
  if (cl === undefined) {
    if (!chunked) throw Err.missingContentLength();
    return undefined;
  }
  if (!/^\d+$/.test(cl)) throw Err.invalidArgument('Invalid Content-Length.', 'Content-Length', cl);
  const n = Number(cl);
  if (n > MAX_PUT_SIZE) throw Err.entityTooLarge(MAX_PUT_SIZE);
  return n;
}

export const forbidOverwrite = (ctx: Ctx) =>
  (header(ctx, 'x-oss-forbid-overwrite') ?? '').toLowerCase() === 'true';

/** Content-Type, stored standard headers and user metadata taken from a request. */
export function describedBy(ctx: Ctx): {
  contentType: string;
  headers: Record<string, string>;
  meta: Record<string, string>;
} {
  const headers: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    const v = header(ctx, name);
    if (v !== undefined && v !== '') headers[name] = v;
  }
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.req.headers)) {
    const prefix = k.startsWith('x-oss-meta-')
      ? 'x-oss-meta-'
      : ctx.s3 && k.startsWith('x-amz-meta-')
        ? 'x-amz-meta-'
        : '';
    if (prefix && v !== undefined) meta[k.slice(prefix.length)] = Array.isArray(v) ? v.join(', ') : v;
  }
  const ct = header(ctx, 'content-type');
  return { contentType: ct && ct !== '' ? ct : 'application/octet-stream', headers, meta };
}

/** S3 storage-class names OSS's S3-compatible API accepts in `x-amz-storage-class`. */
const S3_CLASSES: Record<string, string> = { STANDARD: 'Standard', STANDARD_IA: 'IA', GLACIER: 'Archive' };

export function requestedStorageClass(ctx: Ctx, bucket: Bucket): string {
  const oss = header(ctx, 'x-oss-storage-class');
  const amz = ctx.s3 ? header(ctx, 'x-amz-storage-class') : undefined;
  if ((oss === undefined || oss === '') && (amz === undefined || amz === ''))
    return bucketStorageClass(bucket);
  const sc = oss !== undefined && oss !== '' ? storageClassOf(oss) : S3_CLASSES[amz!];
  if (!sc) {
    throw Err.invalidArgument(
      'Invalid storage class.',
      'x-oss-storage-class',
      oss || amz || '',
      '0016-00000303',
    );
  }
  return sc;
}

/** The headers a write operation answers with. */
function writeHeaders(obj: { etag: string; crc64: string | undefined; contentMd5?: string }, ctx: Ctx) {
  const h: Record<string, string> = { etag: ossEtag(obj.etag) };
  if (obj.crc64 !== undefined) h['x-oss-hash-crc64ecma'] = obj.crc64;
  if (obj.contentMd5) h['content-md5'] = obj.contentMd5;
  const sse = header(ctx, 'x-oss-server-side-encryption');
  if (sse) h['x-oss-server-side-encryption'] = sse;
  return h;
}

// ---- PutObject ------------------------------------------------------------------------------

export async function putObject(ctx: Ctx): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const forbid = forbidOverwrite(ctx);
  if (forbid && bucket.get(key)) throw Err.fileAlreadyExists();
  const storageClass = requestedStorageClass(ctx, bucket);
  const described = describedBy(ctx);
  const length = declaredLength(ctx);
  const blob = await storeBody(ctx, {
    ...(length !== undefined ? { expectedLength: length } : {}),
    maxLength: MAX_PUT_SIZE,
  });
  try {
    checkContentMd5(ctx, blob.md5);
    if (forbid && bucket.get(key)) throw Err.fileAlreadyExists();
  } catch (err) {
    ctx.host.blobs.release(blob);
    throw err;
  }
  const obj = bucket.put({
    key,
    size: blob.size,
    etag: blob.md5.toString('hex'),
    crc64: blob.crc64,
    lastModified: ctx.host.now(),
    ...described,
    storageClass,
    objectType: 'Normal',
    contentMd5: blob.md5.toString('base64'),
    segments: [{ blob, offset: 0, length: blob.size }],
  });
  sendEmpty(ctx, 200, writeHeaders(obj, ctx));
}

// ---- conditions -----------------------------------------------------------------------------

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

function parseDate(v: string | undefined): Date | undefined {
  if (v === undefined || v === '') return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

const etagMatches = (list: string, etag: string) =>
  list.split(',').some((t) => t.trim() === '*' || etagKey(t) === etagKey(etag));

/**
 * Evaluate conditional headers (names given per operation): 'fail' → 412, 'not-modified' → 304.
 * S3/OSS order: If-Match / If-Unmodified-Since first, then If-None-Match / If-Modified-Since.
 */
function evaluate(
  obj: StoredObject,
  v: { match?: string; noneMatch?: string; modifiedSince?: string; unmodifiedSince?: string },
): { result: 'ok' | 'fail' | 'not-modified'; condition?: string } {
  if (v.match !== undefined) {
    if (!etagMatches(v.match, obj.etag)) return { result: 'fail', condition: 'If-Match' };
  } else {
    const d = parseDate(v.unmodifiedSince);
    if (d && seconds(obj.lastModified) > seconds(d))
      return { result: 'fail', condition: 'If-Unmodified-Since' };
  }
  if (v.noneMatch !== undefined) {
    if (etagMatches(v.noneMatch, obj.etag)) return { result: 'not-modified', condition: 'If-None-Match' };
  } else {
    const d = parseDate(v.modifiedSince);
    if (d && seconds(obj.lastModified) <= seconds(d))
      return { result: 'not-modified', condition: 'If-Modified-Since' };
  }
  return { result: 'ok' };
}

// ---- GetObject / HeadObject / GetObjectMeta -------------------------------------------------

const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
};

type RangeResult = { start: number; end: number } | 'ignore' | 'unsatisfiable';

/**
 * OSS Range semantics: one range (the first of several); anything invalid or out of bounds is
 * ignored (200, whole object) unless `x-oss-range-behavior: standard`, where an end past the
 * object is clamped and a start past it is 416.
 */
function ossRange(value: string | undefined, size: number, standard: boolean): RangeResult | undefined {
  if (value === undefined || value === '') return undefined;
  const m = /^bytes=(\d*)-(\d*)(?:,.*)?$/.exec(value.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'ignore';
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return standard ? 'unsatisfiable' : 'ignore';
    if (n > size && !standard) return 'ignore';
    return size === 0 ? (standard ? 'unsatisfiable' : 'ignore') : { start: Math.max(0, size - n), end: size };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Number(m[2]);
  if (last < start) return 'ignore';
  if (start >= size) return standard ? 'unsatisfiable' : 'ignore';
  if (last >= size) return standard ? { start, end: size } : m[2] === '' ? { start, end: size } : 'ignore';
  return { start, end: last + 1 };
}

export async function getObject(ctx: Ctx, bodyFault: Fault | undefined): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const isHead = ctx.method === 'HEAD';
  const meta = ctx.op === 'GetObjectMeta';
  let obj = bucket.get(key);
  if (!obj && !meta) obj = await mirrorFetch(ctx, bucket, key, isHead);
  if (!obj) throw Err.noSuchKey(key);
  const now = ctx.host.now();
  if (!isHead && !readable(obj, now)) throw Err.invalidObjectState();

  const cond = evaluate(obj, {
    match: header(ctx, 'if-match'),
    noneMatch: header(ctx, 'if-none-match'),
    modifiedSince: header(ctx, 'if-modified-since'),
    unmodifiedSince: header(ctx, 'if-unmodified-since'),
  });
  if (cond.result === 'fail') throw Err.preconditionFailed(cond.condition!);
  if (cond.result === 'not-modified') {
    ctx.res.writeHead(304, {
      ...baseHeaders(ctx),
      etag: ossEtag(obj.etag),
      'last-modified': httpDate(obj.lastModified),
    });
    ctx.res.end();
    return;
  }

  if (meta) {
    const h: Record<string, string> = {
      etag: ossEtag(obj.etag),
      'content-length': String(obj.size),
      'last-modified': httpDate(obj.lastModified),
    };
    if (obj.crc64 !== undefined) h['x-oss-hash-crc64ecma'] = obj.crc64;
    ctx.res.writeHead(200, { ...baseHeaders(ctx), ...h });
    ctx.res.end();
    return;
  }

  const headers: Record<string, string> = { ...baseHeaders(ctx), ...objectHeaders(obj, now, ctx.s3) };
  if (!isHead) {
    for (const [param, name] of Object.entries(RESPONSE_OVERRIDES)) {
      const v = ctx.query.get(param);
      if (v !== undefined && v !== '') headers[name] = v;
    }
  }
  let start = 0;
  let end = obj.size;
  let status = 200;
  if (!isHead) {
    const standard = (header(ctx, 'x-oss-range-behavior') ?? '').toLowerCase() === 'standard';
    const range = ossRange(header(ctx, 'range'), obj.size, standard);
    if (range === 'unsatisfiable') throw Err.invalidRange(obj.size);
    if (range !== undefined && range !== 'ignore') {
      ({ start, end } = range);
      status = 206;
      headers['content-range'] = `bytes ${start}-${end - 1}/${obj.size}`;
    }
  }
  headers['content-length'] = String(end - start);
  if (isHead) {
    ctx.res.writeHead(200, headers);
    ctx.res.end();
    return;
  }
  ctx.res.writeHead(status, headers);
  const body = bucket.read(obj, start, end);
  const current = obj;
  const midBody = bodyFault
    ? {
        afterBytes: bodyFault.afterBytes,
        action: (): 'reset' | 'corrupt' | 'continue' => {
          if (bodyFault.kind === 'reset' || bodyFault.kind === 'corrupt') return bodyFault.kind;
          if (bodyFault.kind === 'delete') bucket.delete(key);
          else if (bodyFault.kind === 'rewrite') ctx.host.track(rewriteObject(ctx.host, bucket, current));
          return 'continue';
        },
      }
    : undefined;
  await sendBody(ctx.res, body, ctx.counter, midBody);
}

/** Replace an object with different bytes of the same size (the `rewrite` fault). */
export async function rewriteObject(host: OssHost, bucket: Bucket, old: StoredObject): Promise<void> {
  if (bucket.get(old.key)?.generation !== old.generation) return;
  const blob = await host.blobs.put(seedBody(patternBytes(old.size, old.generation * 7919 + 17)), {
    expectedLength: old.size,
  });
  if (blob.md5.equals(Buffer.from(old.etag, 'hex'))) {
    // Astronomically unlikely, but a rewrite must change the ETag.
    host.blobs.release(blob);
    return;
  }
  const lastModified = new Date(Math.max(host.now().getTime(), old.lastModified.getTime() + 1000));
  bucket.put({
    key: old.key,
    size: blob.size,
    etag: blob.md5.toString('hex'),
    crc64: blob.crc64,
    lastModified,
    contentType: old.contentType,
    headers: old.headers,
    meta: old.meta,
    storageClass: old.storageClass,
    objectType: 'Normal',
    contentMd5: blob.md5.toString('base64'),
    segments: [{ blob, offset: 0, length: blob.size }],
  });
}

// ---- DeleteObject ---------------------------------------------------------------------------

export function deleteObject(ctx: Ctx): void {
  bucketOf(ctx).delete(keyOf(ctx));
  sendEmpty(ctx, 204);
}

// ---- CopyObject -----------------------------------------------------------------------------

/** Parse `x-oss-copy-source: /bucket/<url-encoded key>[?versionId=…]` and find the source object. */
export function copySource(ctx: Ctx): { bucket: Bucket; obj: StoredObject } {
  const raw =
    header(ctx, 'x-oss-copy-source') ?? (ctx.s3 ? header(ctx, 'x-amz-copy-source') : undefined) ?? '';
  const noVersion = raw.replace(/\?versionId=.*$/, '');
  const m = /^\/?([^/]+)\/(.+)$/.exec(noVersion);
  const key = m ? decodePath(m[2]!) : undefined;
  if (!m || key === undefined || key === '') {
    throw Err.invalidArgument(
      'Copy Source must mention the source bucket and key: /sourcebucket/sourcekey.',
      'x-oss-copy-source',
      raw,
    );
  }
  const bucket = ctx.host.buckets.get(decodePath(m[1]!) ?? m[1]!);
  if (!bucket) throw Err.noSuchBucket(m[1]!);
  const obj = bucket.get(key);
  if (!obj) throw Err.noSuchKey(key);
  if (!readable(obj, ctx.host.now())) throw Err.invalidObjectState();
  return { bucket, obj };
}

/** x-oss-copy-source-if-* (x-amz-* through the S3 API) checks: If-Match / If-Unmodified-Since → 412, the others → 304. */
function copyConditions(ctx: Ctx, src: StoredObject): 'ok' | 'not-modified' {
  const cond = evaluate(src, {
    match: ossOrAmzHeader(ctx, 'x-oss-copy-source-if-match'),
    noneMatch: ossOrAmzHeader(ctx, 'x-oss-copy-source-if-none-match'),
    modifiedSince: ossOrAmzHeader(ctx, 'x-oss-copy-source-if-modified-since'),
    unmodifiedSince: ossOrAmzHeader(ctx, 'x-oss-copy-source-if-unmodified-since'),
  });
  if (cond.result === 'fail') throw Err.preconditionFailed(cond.condition!);
  return cond.result === 'not-modified' ? 'not-modified' : 'ok';
}

export function copyObject(ctx: Ctx): void {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const { obj: src } = copySource(ctx);
  if (copyConditions(ctx, src) === 'not-modified') {
    sendEmpty(ctx, 304, { etag: ossEtag(src.etag) });
    return;
  }
  if (src.size > MAX_COPY_SIZE) {
    throw Err.invalidArgument(
      'The source object is larger than 1 GB; copy it with UploadPartCopy.',
      'x-oss-copy-source',
      header(ctx, 'x-oss-copy-source') ?? '',
    );
  }
  if (forbidOverwrite(ctx) && bucket.get(key)) throw Err.fileAlreadyExists();
  const directive = (ossOrAmzHeader(ctx, 'x-oss-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw Err.invalidArgument('Invalid metadata directive.', 'x-oss-metadata-directive', directive);
  }
  const storageClass = requestedStorageClass(ctx, bucket);
  const described =
    directive === 'REPLACE'
      ? describedBy(ctx)
      : { contentType: src.contentType, headers: { ...src.headers }, meta: { ...src.meta } };
  for (const seg of src.segments) ctx.host.blobs.retain(seg.blob);
  const obj = bucket.put({
    key,
    size: src.size,
    etag: src.etag,
    crc64: src.crc64,
    lastModified: ctx.host.now(),
    ...described,
    storageClass,
    objectType: src.objectType,
    ...(src.contentMd5 ? { contentMd5: src.contentMd5 } : {}),
    segments: src.segments.map((s) => ({ ...s })),
  });
  const h: Record<string, string> = {};
  if (obj.crc64 !== undefined) h['x-oss-hash-crc64ecma'] = obj.crc64;
  sendXml(
    ctx,
    200,
    { CopyObjectResult: { ETag: ossEtag(obj.etag), LastModified: isoDate(obj.lastModified) } },
    h,
  );
}

// ---- RestoreObject --------------------------------------------------------------------------

export function restoreObject(ctx: Ctx): void {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const obj = bucket.get(key);
  if (!obj) throw Err.noSuchKey(key);
  if (!isArchiveClass(obj.storageClass)) throw Err.restoreNotSupported();
  let days = 1;
  let tier: string | undefined;
  if (ctx.body.length > 0) {
    let doc: Record<string, unknown>;
    try {
      doc = parseXml(ctx.body.toString('utf8'));
    } catch {
      throw Err.malformedXml();
    }
    const rr = doc.RestoreRequest as Record<string, unknown> | undefined;
    if (!rr || typeof rr !== 'object') throw Err.malformedXml();
    if (rr.Days !== undefined) {
      const d = String(rr.Days);
      if (!/^\d+$/.test(d) || Number(d) < 1 || Number(d) > 365) {
        throw Err.invalidArgument('Days must be an integer between 1 and 365.', 'Days', d);
      }
      days = Number(d);
    }
    const jp = rr.JobParameters as Record<string, unknown> | undefined;
    if (jp && typeof jp === 'object' && typeof jp.Tier === 'string') {
      if (!['Expedited', 'Standard', 'Bulk'].includes(jp.Tier)) {
        throw Err.invalidArgument('Invalid restore tier.', 'Tier', jp.Tier);
      }
      tier = jp.Tier;
    }
  }
  const now = ctx.host.now().getTime();
  const state = restoreState(obj, new Date(now));
  if (state?.status === 'ongoing') throw Err.restoreInProgress();
  if (state?.status === 'restored') {
    obj.restore = { status: 'restored', expiresAt: Math.max(state.expiresAt, now + days * 86_400_000) };
    sendEmpty(ctx, 200);
    return;
  }
  obj.restore = {
    status: 'ongoing',
    readyAt: now + Math.max(0, ctx.host.restoreDelayMs),
    days,
    ...(tier !== undefined ? { tier } : {}),
  };
  sendEmpty(ctx, 202);
}
