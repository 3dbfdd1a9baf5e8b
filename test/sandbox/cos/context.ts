/** Per-request state and the response/body helpers every COS operation uses. */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Blob, type BlobStore, BodyTooLongError, BodyTooShortError } from '../common/blobs.ts';
import type { Bucket, BucketSet } from '../common/objects.ts';
import { toXml, type XmlNode } from '../common/xml.ts';
import type { Authenticated } from './auth.ts';
import { CosError, Err } from './errors.ts';

/** COS answers with this XML declaration (single quotes), errors and results alike. */
export const XML_DECL = "<?xml version='1.0' encoding='utf-8' ?>\n";

export type Ctx = {
  req: IncomingMessage;
  res: ServerResponse;
  start: number;
  requestId: string;
  traceId: string;
  method: string;
  /** Raw request target. */
  url: string;
  rawPath: string;
  rawQuery: string;
  params: Array<[string, string | undefined]>;
  query: Map<string, string>;
  /** Operation name as COS documents it (also what fault rules match). */
  op: string;
  bucketName?: string;
  bucket?: Bucket;
  /** Region named by the Host (virtual-hosted) or the bucket's (path style). */
  region?: string;
  /** Object key, decoded; '' for bucket-level requests. */
  key: string;
  auth?: Authenticated;
  bytesIn: number;
  bytesOut: number;
  code?: string;
  faults: number[];
  /** Admin requests are not logged. */
  admin?: boolean;
  logged?: boolean;
};

let requestSeq = 0;

/** COS-looking request id: base64 of `<hex time>_<hex>_<hex>_<seq>`. */
export function newRequestId(nowMs: number): string {
  requestSeq = (requestSeq + 1) % 0xfffffff;
  const raw = `${Math.floor(nowMs / 1000).toString(16)}_${randomBytes(4).toString('hex')}_${randomBytes(2).toString('hex')}_${requestSeq.toString(16)}`;
  return Buffer.from(raw).toString('base64').replace(/=+$/, '');
}

export function newTraceId(): string {
  return randomBytes(48).toString('base64').replace(/=+$/, '');
}

/** A request header as one string ('' when absent). */
export function header(ctx: Ctx, name: string): string {
  const v = ctx.req.headers[name];
  return Array.isArray(v) ? v.join(',') : (v ?? '');
}

/** A header whose empty value counts as absent (the COS SDK sends empty `Cache-Control:`/`Content-Type:`). */
export function optHeader(ctx: Ctx, name: string): string | undefined {
  const v = header(ctx, name).trim();
  return v === '' ? undefined : v;
}

/** Node only accepts latin1 header values: send UTF-8 text as its bytes, as a server would. */
export function wireValue(v: string): string {
  return /[^\x00-\xff]/.test(v) ? Buffer.from(v, 'utf8').toString('latin1') : v;
}

export function setHeaders(res: ServerResponse, headers: Record<string, string>): void {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, wireValue(v));
}

/** `bucket.cos.region.myqcloud.com/key`, as COS reports resources and locations. */
export function resourceOf(ctx: Ctx): string {
  if (!ctx.bucketName) return 'service.cos.myqcloud.com/';
  const region = ctx.region ?? ctx.bucket?.region ?? '';
  return `${ctx.bucketName}.cos.${region}.myqcloud.com/${ctx.key}`;
}

export function errorXml(ctx: Ctx, err: CosError): string {
  return toXml(
    {
      Error: {
        Code: err.code,
        Message: err.message,
        Resource: resourceOf(ctx),
        RequestId: ctx.requestId,
        TraceId: ctx.traceId,
      },
    },
    XML_DECL,
  );
}

/** Read and discard what is left of the request body (counted), so keep-alive connections stay usable. */
export async function drainBody(ctx: Ctx): Promise<void> {
  const req = ctx.req;
  if (req.readableEnded || req.destroyed) return;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) ctx.bytesIn += chunk.length;
  } catch {
    // client went away
  }
}

/**
 * Send a COS error. `in200` sends it inside a 200 response, as COS does for Copy and Complete.
 * HEAD errors carry no body (the SDK then reports `err.code = '<status>'`).
 */
export async function sendError(ctx: Ctx, err: CosError, in200 = false): Promise<void> {
  ctx.code = err.code;
  const res = ctx.res;
  await drainBody(ctx);
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string> = {
    'content-type': 'application/xml',
    'x-cos-trace-id': ctx.traceId,
    ...err.headers,
  };
  if (ctx.method === 'HEAD') {
    setHeaders(res, headers);
    res.writeHead(in200 ? 200 : err.status);
    res.end();
    return;
  }
  const body = Buffer.from(errorXml(ctx, err), 'utf8');
  setHeaders(res, { ...headers, 'content-length': String(body.length) });
  res.writeHead(in200 ? 200 : err.status);
  ctx.bytesOut += body.length;
  res.end(body);
}

export function sendXml(ctx: Ctx, doc: XmlNode, status = 200, headers: Record<string, string> = {}): void {
  const body = Buffer.from(toXml(doc, XML_DECL), 'utf8');
  setHeaders(ctx.res, {
    ...headers,
    'content-type': 'application/xml',
    'content-length': String(body.length),
  });
  ctx.res.writeHead(status);
  ctx.bytesOut += body.length;
  ctx.res.end(body);
}

export function sendEmpty(ctx: Ctx, status: number, headers: Record<string, string> = {}): void {
  setHeaders(ctx.res, { ...headers, 'content-length': '0' });
  ctx.res.writeHead(status);
  ctx.res.end();
}

/** Decoded `Content-MD5` (16 bytes) or undefined; a malformed value is InvalidDigest. */
function expectedMd5(ctx: Ctx): Buffer | undefined {
  const v = optHeader(ctx, 'content-md5');
  if (v === undefined) return undefined;
  const buf = Buffer.from(v, 'base64');
  if (buf.length !== 16 || buf.toString('base64') !== v) throw Err.invalidDigest();
  return buf;
}

function declaredLength(ctx: Ctx): number | undefined {
  const v = header(ctx, 'content-length');
  if (v === '') return undefined;
  if (!/^\d+$/.test(v)) throw Err.invalidArgument('Content-Length is not valid.');
  return Number(v);
}

function isChunked(ctx: Ctx): boolean {
  return /\bchunked\b/i.test(header(ctx, 'transfer-encoding'));
}

/** Reject what cannot be stored before reading a byte of it. */
function checkBodyHeaders(ctx: Ctx, maxLength: number): { length?: number; md5?: Buffer } {
  if (ctx.auth?.streamingPayload) {
    throw Err.notImplemented('aws-chunked uploads (x-amz-content-sha256: STREAMING-*)');
  }
  const length = declaredLength(ctx);
  if (length === undefined && !isChunked(ctx)) throw Err.missingContentLength();
  if (length !== undefined && length > maxLength) throw Err.entityTooLarge();
  const md5 = expectedMd5(ctx);
  return { ...(length !== undefined ? { length } : {}), ...(md5 ? { md5 } : {}) };
}

/** The request body as counted chunks, hashing SHA-256 on the side when SigV4 asked for it. */
function countedBody(ctx: Ctx, sha: ReturnType<typeof createHash> | undefined): AsyncIterable<Uint8Array> {
  const req = ctx.req;
  return (async function* () {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      ctx.bytesIn += chunk.length;
      sha?.update(chunk);
      yield chunk;
    }
  })();
}

/** Stream the request body into a blob, checking length, Content-MD5 and x-amz-content-sha256. */
export async function storeBody(ctx: Ctx, store: BlobStore, maxLength: number): Promise<Blob> {
  const { length, md5 } = checkBodyHeaders(ctx, maxLength);
  const sha = ctx.auth?.payloadSha256 ? createHash('sha256') : undefined;
  let blob: Blob;
  try {
    blob = await store.put(countedBody(ctx, sha), {
      ...(length !== undefined ? { expectedLength: length } : {}),
      maxLength,
    });
  } catch (err) {
    if (err instanceof BodyTooLongError) throw Err.entityTooLarge();
    if (err instanceof BodyTooShortError) throw Err.incompleteBody();
    if (err instanceof CosError) throw err;
    // The client went away mid-body.
    throw Err.incompleteBody();
  }
  if (md5 && !blob.md5.equals(md5)) {
    store.release(blob);
    throw Err.badDigest();
  }
  if (sha && sha.digest('hex') !== ctx.auth?.payloadSha256) {
    store.release(blob);
    throw Err.sha256Mismatch();
  }
  return blob;
}

/** Read a small body (XML requests) with the same checks. */
export async function readSmallBody(ctx: Ctx, maxLength = 4 * 1024 * 1024): Promise<Buffer> {
  const { length, md5 } = checkBodyHeaders(ctx, maxLength);
  const sha = ctx.auth?.payloadSha256 ? createHash('sha256') : undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of countedBody(ctx, sha)) {
      size += chunk.length;
      if (size > maxLength) throw Err.entityTooLarge();
      chunks.push(Buffer.from(chunk));
    }
  } catch (err) {
    if (err instanceof CosError) throw err;
    throw Err.incompleteBody();
  }
  if (length !== undefined && size !== length) throw Err.incompleteBody();
  const body = Buffer.concat(chunks, size);
  if (md5 && !createHash('md5').update(body).digest().equals(md5)) throw Err.badDigest();
  if (sha && sha.digest('hex') !== ctx.auth?.payloadSha256) throw Err.sha256Mismatch();
  return body;
}

/** The `x-cos-meta-*` headers of a request, names lower-cased without the prefix. */
export function metaFrom(ctx: Ctx): Record<string, string> {
  const meta: Record<string, string> = {};
  const prefixes = ctx.auth?.scheme === 'sigv4' ? ['x-cos-meta-', 'x-amz-meta-'] : ['x-cos-meta-'];
  for (const [name, value] of Object.entries(ctx.req.headers)) {
    const prefix = prefixes.find((p) => name.startsWith(p));
    if (prefix && value !== undefined) {
      meta[name.slice(prefix.length)] = Array.isArray(value) ? value.join(',') : value;
    }
  }
  return meta;
}

/** Standard headers stored with an object (empty values are absent). */
export const STORED_HEADERS = [
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'expires',
] as const;

export function storedHeadersFrom(ctx: Ctx): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    const v = optHeader(ctx, name);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** What the operations need from the emulator. */
export interface CosBackend {
  /** Server clock (real clock + skew), ms. */
  nowMs(): number;
  readonly buckets: BucketSet;
  readonly blobs: BlobStore;
  readonly restoreDelayMs: number;
  /** Owner id reported in listings (the account's APPID). */
  ownerId(bucketName?: string): string;
}

/**
 * A COS header, or its S3 spelling (`x-amz-…`) on SigV4 requests (COS's S3-compatible access
 * maps them). `name` is given without the vendor prefix, e.g. `storage-class`.
 */
export function cosHeader(ctx: Ctx, name: string): string | undefined {
  const v = optHeader(ctx, `x-cos-${name}`);
  if (v !== undefined || ctx.auth?.scheme !== 'sigv4') return v;
  return optHeader(ctx, `x-amz-${name}`);
}
