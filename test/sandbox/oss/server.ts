/**
 * The OSS emulator's HTTP front: routing (bucket from the `*.aliyuncs.com` Host or path style),
 * endpoint/region check, authentication, object-name rules, fault injection, operation dispatch
 * and the request log.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ossKeyProblem } from '../../../runner/core/keys.ts';
import type { BlobStore } from '../common/blobs.ts';
import {
  blobStoreFor,
  type Emulator,
  type EmulatorOptions,
  handleAdmin,
  newFaultInjector,
  type SeedObject,
  seedBody,
} from '../common/emulator.ts';
import type { Fault, FaultInjector } from '../common/faults.ts';
import {
  decodePath,
  drain,
  type Listening,
  listen,
  parseQuery,
  queryMap,
  splitTarget,
} from '../common/http.ts';
import { type Bucket, BucketSet, type StoredObject, type UploadPart } from '../common/objects.ts';
import { RequestLog } from '../common/requestLog.ts';
import { authenticate, SUB_RESOURCES } from './auth.ts';
import {
  bucketStorageClass,
  deleteMultiple,
  getBucketInfo,
  getBucketLocation,
  listBuckets,
  listObjects,
  listObjectsV2,
  putBucket,
} from './bucketOps.ts';
import {
  type Ctx,
  checkBufferedBody,
  type OssHost,
  readBody,
  requestIdOf,
  sendEmpty,
  sendError,
} from './context.ts';
import { Err, OssError, throttleError } from './errors.ts';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  initiateMultipartUpload,
  listMultipartUploads,
  listParts,
  uploadPart,
  uploadPartCopy,
} from './multipart.ts';
import { copyObject, deleteObject, getObject, putObject, restoreObject, rewriteObject } from './objectOps.ts';
import { storageClassOf } from './present.ts';
import { deleteBucketWebsite, getBucketWebsite, putBucketWebsite } from './website.ts';

export type OssEmulatorOptions = EmulatorOptions & {
  /**
   * Where to really connect for a mirror origin URL (the Host header keeps the original host);
   * null: the origin is out of OSS's reach (the fetch fails, 424 MirrorFailed).
   */
  mirrorResolve?: (url: URL) => URL | null | undefined;
};

/** Largest buffered (XML) request body. */
const MAX_XML_BODY = 16 * 1024 * 1024;

type Handler = (ctx: Ctx, bodyFault: Fault | undefined) => void | Promise<void>;
type Route = { op: string; handler?: Handler; streaming?: boolean };

/** Sub-resources an operation may carry without being a different (unsupported) API. */
const HARMLESS = new Set([
  'response-content-type',
  'response-content-language',
  'response-expires',
  'response-cache-control',
  'response-content-disposition',
  'response-content-encoding',
  'security-token',
  'continuation-token',
  'x-oss-request-payer',
]);

function unsupportedSubresource(q: Map<string, string>, allowed: string[]): string | undefined {
  for (const k of q.keys()) {
    if (SUB_RESOURCES.has(k) && !HARMLESS.has(k) && !allowed.includes(k)) return k;
  }
  return undefined;
}

function resolveOp(
  method: string,
  bucket: string | undefined,
  key: string | undefined,
  q: Map<string, string>,
  copy: boolean,
): Route {
  if (bucket === undefined)
    return method === 'GET' ? { op: 'ListBuckets', handler: listBuckets } : { op: 'Unsupported' };
  if (key === undefined) {
    switch (method) {
      case 'GET':
        if (q.has('website')) return { op: 'GetBucketWebsite', handler: getBucketWebsite };
        if (q.has('bucketInfo')) return { op: 'GetBucketInfo', handler: getBucketInfo };
        if (q.has('location')) return { op: 'GetBucketLocation', handler: getBucketLocation };
        if (q.has('uploads')) return { op: 'ListMultipartUploads', handler: listMultipartUploads };
        if (unsupportedSubresource(q, [])) return { op: `GetBucket?${unsupportedSubresource(q, [])}` };
        if (q.get('list-type') === '2') return { op: 'ListObjectsV2', handler: listObjectsV2 };
        return { op: 'ListObjects', handler: listObjects };
      case 'HEAD':
        return { op: 'HeadBucket', handler: (ctx) => sendEmpty(ctx, 200) };
      case 'PUT':
        if (q.has('website')) return { op: 'PutBucketWebsite', handler: putBucketWebsite };
        if (unsupportedSubresource(q, [])) return { op: `PutBucket?${unsupportedSubresource(q, [])}` };
        return { op: 'PutBucket', handler: putBucket };
      case 'DELETE':
        if (q.has('website')) return { op: 'DeleteBucketWebsite', handler: deleteBucketWebsite };
        return { op: 'DeleteBucket' };
      case 'POST':
        if (q.has('delete')) return { op: 'DeleteMultipleObjects', handler: deleteMultiple };
        return { op: 'PostBucket' };
      default:
        return { op: 'Unsupported' };
    }
  }
  switch (method) {
    case 'GET':
      if (q.has('uploadId')) return { op: 'ListParts', handler: listParts };
      if (unsupportedSubresource(q, ['versionId']))
        return { op: `GetObject?${unsupportedSubresource(q, ['versionId'])}` };
      return { op: 'GetObject', handler: getObject };
    case 'HEAD':
      if (q.has('objectMeta')) return { op: 'GetObjectMeta', handler: getObject };
      return { op: 'HeadObject', handler: getObject };
    case 'PUT':
      if (q.has('uploadId') || q.has('partNumber')) {
        return copy
          ? { op: 'UploadPartCopy', handler: uploadPartCopy }
          : { op: 'UploadPart', handler: uploadPart, streaming: true };
      }
      if (unsupportedSubresource(q, [])) return { op: `PutObject?${unsupportedSubresource(q, [])}` };
      return copy
        ? { op: 'CopyObject', handler: copyObject }
        : { op: 'PutObject', handler: putObject, streaming: true };
    case 'POST':
      if (q.has('uploads')) return { op: 'InitiateMultipartUpload', handler: initiateMultipartUpload };
      if (q.has('uploadId')) return { op: 'CompleteMultipartUpload', handler: completeMultipartUpload };
      if (q.has('restore')) return { op: 'RestoreObject', handler: restoreObject };
      if (q.has('append')) return { op: 'AppendObject' };
      return { op: 'PostObject' };
    case 'DELETE':
      if (q.has('uploadId')) return { op: 'AbortMultipartUpload', handler: abortMultipartUpload };
      return { op: 'DeleteObject', handler: deleteObject };
    default:
      return { op: 'Unsupported' };
  }
}

const ALIYUN = '.aliyuncs.com';

export class OssEmulator implements Emulator, OssHost {
  readonly kind = 'oss' as const;
  readonly endpoint: string;
  readonly port: number;
  readonly buckets: BucketSet;
  readonly blobs: BlobStore;
  readonly faults: FaultInjector;
  readonly log = new RequestLog();
  readonly defaultRegion: string;
  readonly mirrorResolve: ((url: URL) => URL | null | undefined) | undefined;
  clockSkewMs: number;
  restoreDelayMs: number;
  private readonly credentials: Map<string, string>;
  private readonly pending = new Set<Promise<unknown>>();

  private constructor(
    opts: OssEmulatorOptions,
    blobs: BlobStore,
    private readonly server: Listening,
  ) {
    this.blobs = blobs;
    this.buckets = new BucketSet(blobs);
    this.faults = newFaultInjector(opts);
    this.defaultRegion = opts.region ?? 'oss-cn-hangzhou';
    this.mirrorResolve = opts.mirrorResolve;
    this.clockSkewMs = opts.clockSkewMs ?? 0;
    this.restoreDelayMs = opts.restoreDelayMs ?? 0;
    this.credentials = new Map(opts.credentials.map((c) => [c.accessKeyId, c.secret]));
    this.port = server.port;
    this.endpoint = `http://${server.host.includes(':') ? `[${server.host}]` : server.host}:${server.port}`;
  }

  static async start(opts: OssEmulatorOptions): Promise<OssEmulator> {
    let emu: OssEmulator | undefined;
    const server = await listen(
      (req, res) => {
        if (emu) void emu.handle(req, res);
        else res.writeHead(503).end();
      },
      {
        ...(opts.host !== undefined ? { host: opts.host } : {}),
        ...(opts.port !== undefined ? { port: opts.port } : {}),
      },
    );
    emu = new OssEmulator(opts, blobStoreFor(opts), server);
    return emu;
  }

  now(): Date {
    return new Date(Date.now() + this.clockSkewMs);
  }

  readonly secretFor = (accessKeyId: string): string | undefined => this.credentials.get(accessKeyId);

  track(work: Promise<unknown>): void {
    const p = work.catch(() => {}).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  createBucket(name: string, region = this.defaultRegion): Bucket {
    const b = this.buckets.create(name, region);
    if (!b.config.has('storageClass')) b.config.set('storageClass', 'Standard');
    return b;
  }

  async seed(bucketName: string, o: SeedObject): Promise<StoredObject> {
    const bucket = this.buckets.get(bucketName);
    if (!bucket) throw new Error(`seed: no bucket ${bucketName}`);
    const storageClass =
      o.storageClass === undefined ? bucketStorageClass(bucket) : storageClassOf(o.storageClass);
    if (!storageClass) throw new Error(`seed: unknown OSS storage class ${o.storageClass}`);
    const lower = (r: Record<string, string> | undefined) =>
      Object.fromEntries(Object.entries(r ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const described = {
      contentType: o.contentType ?? 'application/octet-stream',
      headers: lower(o.headers),
      meta: lower(o.meta),
    };
    const body = seedBody(o.body);
    let obj: StoredObject;
    if (o.partSize !== undefined) {
      if (o.partSize <= 0) throw new Error('seed: partSize must be positive');
      const upload = bucket.initiate({ key: o.key, ...described, storageClass });
      const reader = new ChunkReader(body);
      const parts: UploadPart[] = [];
      try {
        for (let n = 1; ; n++) {
          const blob = await this.blobs.put(reader.take(o.partSize));
          if (blob.size === 0 && parts.length > 0) {
            this.blobs.release(blob);
            break;
          }
          parts.push(bucket.setPart(upload, n, blob));
          if (blob.size < o.partSize) break;
        }
      } catch (err) {
        bucket.abort(upload);
        throw err;
      }
      const total = parts.reduce((s, p) => s + p.size, 0);
      if (o.size !== undefined && total !== o.size) {
        bucket.abort(upload);
        throw new Error(`seed: body is ${total} bytes, expected ${o.size}`);
      }
      obj = bucket.complete(upload, parts);
    } else {
      const blob = await this.blobs.put(body, o.size !== undefined ? { expectedLength: o.size } : {});
      obj = bucket.put({
        key: o.key,
        size: blob.size,
        etag: blob.md5.toString('hex'),
        crc64: blob.crc64,
        lastModified: this.now(),
        ...described,
        storageClass,
        objectType: 'Normal',
        contentMd5: blob.md5.toString('base64'),
        segments: [{ blob, offset: 0, length: blob.size }],
      });
    }
    obj.lastModified = o.lastModified ?? this.now();
    return obj;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pending]);
    await this.server.close();
    await this.blobs.close();
  }

  // ---- request handling -----------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const { path: rawPath, query: rawQuery } = splitTarget(url);
    const hostHeader = req.headers.host ?? '';
    const hostname = hostHeader.replace(/:\d+$/, '').toLowerCase();
    const params = parseQuery(rawQuery);
    const query = queryMap(rawQuery);

    if (!hostname.endsWith(ALIYUN) && rawPath.startsWith('/__sandbox__/')) {
      await handleAdmin(this, req, res, rawPath, query);
      return;
    }

    const ctx: Ctx = {
      host: this,
      req,
      res,
      requestId: requestIdOf(randomBytes(12)),
      started: Date.now(),
      now: this.now(),
      method: (req.method ?? 'GET').toUpperCase(),
      url,
      rawQuery,
      params,
      query,
      hostHeader,
      hostRegion: undefined,
      internalEndpoint: false,
      bucketName: undefined,
      key: undefined,
      bucket: undefined,
      op: 'Unknown',
      counter: { bytesIn: 0, bytesOut: 0 },
      code: undefined,
      faults: [],
      s3: false,
      payloadSha256: undefined,
      body: Buffer.alloc(0),
    };
    let reset = false;
    res.once('close', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      this.log.add({
        time: ctx.started,
        op: ctx.op,
        method: ctx.method,
        url,
        bucket: ctx.bucketName || undefined,
        key: ctx.key,
        // A client that went away before any response (killed, timed out) is not a 200.
        status: reset || !res.headersSent ? 0 : res.statusCode,
        code: !reset && !res.headersSent ? 'ClientClosed' : ctx.code,
        bytesIn: ctx.counter.bytesIn,
        bytesOut: ctx.counter.bytesOut,
        durationMs: Date.now() - ctx.started,
        headers,
        ...(ctx.faults.length > 0 ? { faults: ctx.faults } : {}),
      });
    });

    try {
      if (this.pending.size > 0) await Promise.all([...this.pending]);
      ctx.now = this.now();

      // Routing: `<bucket>.oss-<region>[-internal].aliyuncs.com`, else path style `/bucket/key`.
      let rawKey: string | undefined;
      let badKey = false;
      if (hostname.endsWith(ALIYUN)) {
        const labels = hostname.slice(0, -ALIYUN.length).split('.');
        const endpoint = labels.pop() ?? '';
        const m = /^(oss-[a-z0-9-]+?)(-internal)?$/.exec(endpoint);
        if (m) {
          ctx.hostRegion = m[1];
          ctx.internalEndpoint = m[2] !== undefined;
        }
        if (labels.length > 0) {
          const b = labels.join('.');
          if (b !== '') {
            ctx.bucketName = b;
            rawKey = rawPath.replace(/^\//, '');
          }
        }
      }
      if (ctx.bucketName === undefined && rawPath !== '/' && rawPath !== '') {
        const rest = rawPath.replace(/^\//, '');
        const slash = rest.indexOf('/');
        const rawBucket = slash < 0 ? rest : rest.slice(0, slash);
        ctx.bucketName = decodePath(rawBucket) ?? rawBucket;
        rawKey = slash < 0 ? '' : rest.slice(slash + 1);
      }
      if (rawKey !== undefined && rawKey !== '') {
        const key = decodePath(rawKey);
        if (key === undefined) badKey = true;
        else ctx.key = key;
      }

      const copy =
        req.headers['x-oss-copy-source'] !== undefined || req.headers['x-amz-copy-source'] !== undefined;
      const route = resolveOp(ctx.method, ctx.bucketName, badKey ? '' : ctx.key, query, copy);
      ctx.op = route.op;

      if (ctx.bucketName !== undefined) {
        ctx.bucket = this.buckets.get(ctx.bucketName);
        if (!ctx.bucket && route.op !== 'PutBucket') throw Err.noSuchBucket(ctx.bucketName);
        if (
          ctx.bucket &&
          route.op !== 'PutBucket' &&
          ctx.hostRegion !== undefined &&
          ctx.hostRegion !== ctx.bucket.region
        ) {
          throw Err.wrongEndpoint(
            `${ctx.bucket.region}${ctx.internalEndpoint ? '-internal' : ''}.aliyuncs.com`,
            ctx.bucket.name,
          );
        }
      }
      if (badKey)
        throw Err.invalidObjectName(rawKey ?? '', '0016-00000002', 'the object name is not valid UTF-8');

      const auth = authenticate(ctx);
      ctx.s3 = auth.kind === 'aws';
      ctx.payloadSha256 = auth.payloadSha256;

      if (ctx.key !== undefined) {
        const problem = ossKeyProblem(ctx.key);
        if (problem) throw Err.invalidObjectName(ctx.key, problem.ec, problem.reason);
      }
      if (!route.handler) throw Err.notImplemented(route.op);

      // Faults, in the order a real failure would show them.
      const fired = this.faults.check(route.op, ctx.key);
      ctx.faults = fired.map((f) => f.index);
      let bodyFault: Fault | undefined;
      for (const f of fired) if (f.kind === 'latency') await sleep(f.latencyMs);
      for (const f of fired) {
        if (f.kind === 'throttle') throw throttleError(f.code, f.status, f.retryAfterSeconds);
        if (f.kind === 'error') {
          throw new OssError(
            f.status ?? 500,
            f.code ?? 'InternalError',
            f.code ? `Injected ${f.code}.` : 'We encountered an internal error. Please try again.',
            '0000-00000001',
          );
        }
        if (f.kind === 'corrupt') {
          if (route.op === 'GetObject') bodyFault ??= f;
          else if (route.op === 'PutObject' || route.op === 'UploadPart') ctx.corruptAt ??= f.afterBytes;
          continue;
        }
        if (f.kind === 'reset' || f.kind === 'rewrite' || f.kind === 'delete') {
          if (route.op === 'GetObject' && !(f.kind === 'reset' && f.afterBytes === 0)) {
            bodyFault ??= f;
          } else if (f.kind === 'reset') {
            reset = true;
            req.socket.destroy();
            return;
          } else if (ctx.bucket && ctx.key !== undefined) {
            const obj = ctx.bucket.get(ctx.key);
            if (obj && f.kind === 'delete') ctx.bucket.delete(ctx.key);
            if (obj && f.kind === 'rewrite') await rewriteObject(this, ctx.bucket, obj);
          }
        }
      }

      if (!route.streaming) {
        ctx.body = await readBody(ctx, MAX_XML_BODY);
        checkBufferedBody(ctx);
      }
      await route.handler(ctx, bodyFault);
    } catch (err) {
      const e = err instanceof OssError ? err : undefined;
      if (!e) {
        ctx.code = 'InternalError';
        if (process.env.SANDBOX_DEBUG) console.error('[oss emulator]', err);
        if (!res.headersSent && !req.destroyed && !req.readableAborted) {
          sendError(ctx, Err.internal());
        } else {
          res.socket?.destroy();
        }
        return;
      }
      if (!req.destroyed && !req.readableEnded) await drain(req);
      sendError(ctx, e);
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Cut an async byte stream into consecutive pieces of a given size (for multipart seeding). */
class ChunkReader {
  private readonly it: AsyncIterator<Uint8Array>;
  private rest: Uint8Array | undefined;
  constructor(body: AsyncIterable<Uint8Array>) {
    this.it = body[Symbol.asyncIterator]();
  }
  async *take(n: number): AsyncGenerator<Uint8Array> {
    let left = n;
    while (left > 0) {
      let chunk = this.rest;
      this.rest = undefined;
      if (!chunk) {
        const r = await this.it.next();
        if (r.done) return;
        chunk = r.value;
      }
      if (chunk.length > left) {
        this.rest = chunk.subarray(left);
        chunk = chunk.subarray(0, left);
      }
      left -= chunk.length;
      yield chunk;
    }
  }
}
