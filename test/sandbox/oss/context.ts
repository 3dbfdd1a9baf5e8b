/** Per-request state shared by the OSS emulator's routing, auth and operations, and the response helpers. */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BlobStore } from '../common/blobs.ts';
import type { FaultInjector } from '../common/faults.ts';
import { httpDate } from '../common/http.ts';
import type { Bucket, BucketSet } from '../common/objects.ts';
import type { RequestLog } from '../common/requestLog.ts';
import { toXml, type XmlNode } from '../common/xml.ts';
import { Err, errorXml, type OssError } from './errors.ts';

/** What the operations need from the emulator. */
export interface OssHost {
  readonly buckets: BucketSet;
  readonly blobs: BlobStore;
  readonly faults: FaultInjector;
  readonly log: RequestLog;
  readonly defaultRegion: string;
  restoreDelayMs: number;
  /** Server clock (real clock + clockSkewMs). */
  now(): Date;
  secretFor(accessKeyId: string): string | undefined;
  readonly mirrorResolve: ((url: URL) => URL | null | undefined) | undefined;
  /** Register background work (a rewrite fired mid-body) that later requests must wait for. */
  track(work: Promise<unknown>): void;
}

export type Ctx = {
  host: OssHost;
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  started: number;
  now: Date;
  method: string;
  /** Raw request target. */
  url: string;
  rawQuery: string;
  /** Query as sent (bare `k` → undefined, `k=` → ''), decoded. */
  params: Array<[string, string | undefined]>;
  /** First value per name; bare keys give ''. */
  query: Map<string, string>;
  /** The Host header. */
  hostHeader: string;
  /** Region named by the Host (`oss-cn-hangzhou`), when the Host is an OSS endpoint. */
  hostRegion: string | undefined;
  internalEndpoint: boolean;
  /** undefined: service-level request (ListBuckets). */
  bucketName: string | undefined;
  /** undefined: bucket-level request. */
  key: string | undefined;
  bucket: Bucket | undefined;
  op: string;
  counter: { bytesIn: number; bytesOut: number };
  code: string | undefined;
  faults: number[];
  /** Signed with AWS SigV4 (the S3-compatible API). */
  s3: boolean;
  /** A payload hash the client declared, to check against the body. */
  payloadSha256: string | undefined;
  /** Buffered request body (every operation except PutObject / UploadPart). */
  body: Buffer;
  /** A `corrupt` fault on PutObject / UploadPart: flip a bit of the body received at this byte. */
  corruptAt?: number;
};

export const requestIdOf = (bytes: Buffer) => bytes.toString('hex').toUpperCase();

/** HostId as the service reports it: the Host the client used. */
export function hostId(ctx: Ctx): string {
  return ctx.hostHeader.replace(/:\d+$/, '') || 'oss-cn-hangzhou.aliyuncs.com';
}

export function baseHeaders(ctx: Ctx): Record<string, string> {
  return {
    server: 'AliyunOSS',
    date: httpDate(ctx.host.now()),
    'x-oss-request-id': ctx.requestId,
    'x-oss-server-time': String(Math.max(0, Date.now() - ctx.started)),
  };
}

export function sendXml(ctx: Ctx, status: number, doc: XmlNode, headers: Record<string, string> = {}): void {
  const body = Buffer.from(toXml(doc), 'utf8');
  ctx.res.writeHead(status, {
    ...baseHeaders(ctx),
    'content-type': 'application/xml',
    'content-length': String(body.length),
    ...headers,
  });
  ctx.counter.bytesOut += ctx.method === 'HEAD' ? 0 : body.length;
  ctx.res.end(body);
}

export function sendEmpty(ctx: Ctx, status: number, headers: Record<string, string> = {}): void {
  ctx.res.writeHead(status, { ...baseHeaders(ctx), 'content-length': '0', ...headers });
  ctx.res.end();
}

export function sendError(ctx: Ctx, err: OssError): void {
  ctx.code = err.code;
  if (ctx.res.headersSent) {
    ctx.res.socket?.destroy();
    return;
  }
  const xml = errorXml(err, ctx.requestId, hostId(ctx));
  const body = Buffer.from(xml, 'utf8');
  const headers: Record<string, string> = {
    ...baseHeaders(ctx),
    'content-type': 'application/xml',
    'content-length': String(body.length),
    'x-oss-ec': err.ec,
    ...err.headers,
  };
  if (ctx.method === 'HEAD') {
    // No body on HEAD: the error travels base64-encoded in x-oss-err (ali-oss decodes it).
    headers['x-oss-err'] = body.toString('base64');
    ctx.res.writeHead(err.status, headers);
    ctx.res.end();
    return;
  }
  ctx.res.writeHead(err.status, headers);
  ctx.counter.bytesOut += body.length;
  ctx.res.end(body);
}

/** Read a (small) request body, counting it. */
export async function readBody(ctx: Ctx, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    n += chunk.length;
    ctx.counter.bytesIn += chunk.length;
    if (n > limit) throw Err.entityTooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, n);
}

/** Check Content-MD5 (if sent) against the digest of what arrived. */
export function checkContentMd5(ctx: Ctx, md5: Buffer): void {
  const provided = header(ctx, 'content-md5');
  if (provided === undefined) return;
  const calculated = md5.toString('base64');
  if (provided !== calculated) throw Err.invalidDigest(calculated, provided);
}

/** Check a declared x-oss-content-sha256 / x-amz-content-sha256 against the body's hash. */
export function checkSha256(ctx: Ctx, sha256hex: string): void {
  if (ctx.payloadSha256 !== undefined && ctx.payloadSha256 !== sha256hex) {
    throw Err.sha256Mismatch(sha256hex, ctx.payloadSha256);
  }
}

export function checkBufferedBody(ctx: Ctx): void {
  if (header(ctx, 'content-md5') !== undefined) {
    checkContentMd5(ctx, createHash('md5').update(ctx.body).digest());
  }
  if (ctx.payloadSha256 !== undefined) checkSha256(ctx, createHash('sha256').update(ctx.body).digest('hex'));
}

/** A request header as one string (Node joins repeats with ', '). */
export function header(ctx: Ctx, name: string): string | undefined {
  const v = ctx.req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/**
 * An `x-oss-*` header, or through the S3-compatible API its `x-amz-*` twin (OSS honours both
 * there: S3 clients send `x-amz-copy-source-range`, never the OSS name).
 */
export function ossOrAmzHeader(ctx: Ctx, ossName: `x-oss-${string}`): string | undefined {
  return header(ctx, ossName) ?? (ctx.s3 ? header(ctx, ossName.replace(/^x-oss-/, 'x-amz-')) : undefined);
}

/** The bucket a bucket- or object-level operation works on (routing already checked it exists). */
export function bucketOf(ctx: Ctx): Bucket {
  if (!ctx.bucket) throw Err.noSuchBucket(ctx.bucketName ?? '');
  return ctx.bucket;
}

export function keyOf(ctx: Ctx): string {
  if (ctx.key === undefined) throw Err.methodNotAllowed();
  return ctx.key;
}
