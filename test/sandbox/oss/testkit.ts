/**
 * Helpers for the OSS emulator conformance tests: an emulator with one account and a `dst` bucket,
 * real `ali-oss` clients against it, and raw HTTP requests signed by ali-oss's own signer (for the
 * shapes the SDK refuses to send: bad part order, leading `/`, invalid UTF-8…).
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import OSS from 'ali-oss';
import { OssEmulator, type OssEmulatorOptions } from './server.ts';

export const AK = 'LTAI5tSandboxAccessKey';
export const SK = 'sandbox-secret-0123456789';
export const BUCKET = 'dst';

const require = createRequire(import.meta.url);
const signUtils = require('ali-oss/lib/common/signUtils.js') as {
  buildCanonicalString(
    method: string,
    resource: string,
    req: { headers: Record<string, string>; parameters?: unknown },
  ): string;
  authorization(ak: string, sk: string, canonical: string): string;
  authorizationV4(
    ak: string,
    sk: string,
    region: string,
    method: string,
    req: { headers: Record<string, string>; queries: Record<string, string | null> },
    bucket?: string,
    object?: string,
  ): string;
};

export async function startEmu(opts: Partial<OssEmulatorOptions> = {}): Promise<OssEmulator> {
  const emu = await OssEmulator.start({ credentials: [{ accessKeyId: AK, secret: SK }], ...opts });
  emu.createBucket(BUCKET);
  return emu;
}

export type ClientOptions = Partial<ConstructorParameters<typeof OSS>[0]> & {
  authorizationV4?: boolean;
  internal?: boolean;
};

/** The part of ali-oss 6.23 the tests drive, typed as it really behaves (@types/ali-oss is partly wrong). */
export type Res = { status: number; headers: Record<string, string> };
type R<T = unknown> = Promise<{ res: Res } & T>;
type Opts = Record<string, unknown>;
type Listed = {
  name: string;
  etag: string;
  lastModified: string;
  size: number;
  type: string;
  storageClass: string;
  owner: { id: string; displayName: string } | null;
  restoreInfo?: { ongoingRequest: boolean; expiryDate?: Date };
};
type Upload = { name: string; uploadId: string; initiated: string };
export interface AliOss {
  put(name: string, body: unknown, opts?: Opts): R<{ name: string }>;
  putStream(name: string, body: unknown, opts?: Opts): R<{ name: string }>;
  get(name: string, opts?: Opts): R<{ content: Buffer }>;
  getStream(name: string, opts?: Opts): R<{ stream: AsyncIterable<Buffer> }>;
  head(name: string, opts?: Opts): R<{ status: number; meta: Record<string, string> | null }>;
  getObjectMeta(name: string, opts?: Opts): R<{ status: number }>;
  delete(name: string, opts?: Opts): R;
  deleteMulti(names: string[], opts?: Opts): R<{ deleted: unknown }>;
  copy(
    name: string,
    source: string,
    bucketOrOpts?: string | Opts,
    opts?: Opts,
  ): R<{ data: { etag: string; lastModified: string } | null }>;
  list(
    query: Opts | null,
    opts?: Opts,
  ): R<{ objects: Listed[]; prefixes: string[] | null; nextMarker: string | null; isTruncated: boolean }>;
  listV2(
    query: Opts | null,
    opts?: Opts,
  ): R<{
    objects: Listed[];
    prefixes: string[] | null;
    isTruncated: boolean;
    keyCount: number;
    continuationToken: string | null;
    nextContinuationToken: string | null;
  }>;
  listBuckets(
    query: Opts | null,
    opts?: Opts,
  ): R<{ buckets: Array<{ name: string; region: string }> | null; isTruncated: boolean }>;
  putBucket(name: string, opts?: Opts): R;
  getBucketInfo(name: string): R<{ bucket: Record<string, unknown> }>;
  getBucketLocation(name: string): R<{ location: string }>;
  putBucketACL(name: string, acl: string): R;
  initMultipartUpload(name: string, opts?: Opts): R<{ uploadId: string; bucket: string; name: string }>;
  uploadPart(
    name: string,
    uploadId: string,
    n: number,
    file: unknown,
    start: number,
    end: number,
    opts?: Opts,
  ): R<{ etag: string }>;
  uploadPartCopy(
    name: string,
    uploadId: string,
    n: number,
    range: string,
    source: { sourceKey: string; sourceBucketName: string },
    opts?: Opts,
  ): R<{ etag: string }>;
  completeMultipartUpload(
    name: string,
    uploadId: string,
    parts: Array<{ number: number; etag: string }>,
    opts?: Opts,
  ): R<{ etag: string }>;
  multipartUpload(name: string, file: unknown, opts?: Opts): R;
  abortMultipartUpload(name: string, uploadId: string, opts?: Opts): R;
  listParts(
    name: string,
    uploadId: string,
    query?: Opts,
  ): R<{
    parts: unknown;
    isTruncated: string;
    nextPartNumberMarker: string;
    partNumberMarker: string;
    maxParts: string;
  }>;
  listUploads(
    query: Opts,
    opts?: Opts,
  ): R<{ uploads: Upload[]; nextKeyMarker: string; nextUploadIdMarker: string; isTruncated: boolean }>;
  restore(name: string, opts?: Opts): R;
  putBucketWebsite(name: string, config: Opts): R;
  getBucketWebsite(name: string): R<{ index: string; error: string | null; routingRules: unknown[] }>;
  deleteBucketWebsite(name: string): R;
  signatureUrl(name: string, opts?: Opts): string;
}

export function client(emu: OssEmulator, opts: ClientOptions = {}): AliOss {
  return new OSS({
    accessKeyId: AK,
    accessKeySecret: SK,
    bucket: BUCKET,
    endpoint: emu.endpoint,
    region: 'oss-cn-hangzhou',
    ...opts,
  } as ConstructorParameters<typeof OSS>[0]) as unknown as AliOss;
}

export type OssErr = Error & {
  status?: number;
  code?: string;
  ecCode?: string;
  requestId?: string;
  hostId?: string;
};

/** Await a rejection and check its status / code. */
export async function rejects(
  p: Promise<unknown>,
  want: { status?: number; code?: string },
): Promise<OssErr> {
  try {
    await p;
  } catch (err) {
    const e = err as OssErr;
    if (want.status !== undefined) assert.equal(e.status, want.status, `status (${e.code}: ${e.message})`);
    if (want.code !== undefined) assert.equal(e.code, want.code, `code (${e.message})`);
    return e;
  }
  assert.fail(`expected a rejection with ${JSON.stringify(want)}`);
}

/** V1 Authorization header for a request, computed by ali-oss's own signer. */
export function signV1(
  method: string,
  resource: string,
  headers: Record<string, string>,
  subres?: Record<string, string | null>,
  secret = SK,
): string {
  return signUtils.authorization(
    AK,
    secret,
    signUtils.buildCanonicalString(method, resource, { headers, parameters: subres }),
  );
}

export type RawResponse = {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
};

/**
 * A raw request to the emulator. With `sign` (default) it is V1-signed by ali-oss's signUtils:
 * `key` is the decoded object name that goes into the CanonicalizedResource, `path` the raw path.
 */
export function raw(
  emu: OssEmulator,
  o: {
    method: string;
    path: string;
    query?: string;
    key?: string;
    bucket?: string;
    subres?: Record<string, string | null>;
    headers?: Record<string, string>;
    body?: Buffer | string;
    /** true / 'v1' (default): ali-oss V1 signer; 'v4': ali-oss V4 signer; false: unsigned. */
    sign?: boolean | 'v1' | 'v4';
    secret?: string;
    host?: string;
  },
): Promise<RawResponse> {
  const bucket = o.bucket ?? BUCKET;
  const v4 = o.sign === 'v4';
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const headers: Record<string, string> = {
    ...(o.sign !== false ? { 'x-oss-date': v4 ? stamp : new Date().toUTCString() } : {}),
    ...(v4 ? { 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD' } : {}),
    host: o.host ?? `${bucket}.oss-cn-hangzhou.aliyuncs.com`,
    ...o.headers,
  };
  const body = o.body === undefined ? undefined : Buffer.from(o.body);
  if (body) headers['content-length'] = String(body.length);
  if (v4) {
    headers.authorization = signUtils.authorizationV4(
      AK,
      o.secret ?? SK,
      'cn-hangzhou',
      o.method,
      { headers, queries: o.subres ?? {} },
      bucket,
      o.key,
    );
  } else if (o.sign !== false) {
    headers.authorization = signV1(o.method, `/${bucket}/${o.key ?? ''}`, headers, o.subres, o.secret);
  }
  const url = new URL(emu.endpoint);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: o.method,
        path: o.path + (o.query ? `?${o.query}` : ''),
        headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The (entity-decoded) text of one element in an XML body, first occurrence. */
export function xmlField(body: Buffer | string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(body.toString());
  return m?.[1]?.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => ENTITIES[e]!);
}

export async function* chunksOf(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let o = 0; o < buf.length; o += size) yield buf.subarray(o, Math.min(buf.length, o + size));
}

/** Deterministic bytes. */
export function bytes(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}
