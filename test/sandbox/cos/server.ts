/**
 * The COS emulator: HTTP front door (Host routing, request ids, Date/Server headers), signature
 * verification, fault injection, the request log, and dispatch to the operations.
 *
 * Routing:
 *  - `Host: <bucket-appid>.cos.<region>.myqcloud.com` (what cos-nodejs-sdk-v5 sends with `Ip`):
 *    bucket = everything before `.cos.`, region from the Host. A region that is not the bucket's
 *    answers 404 NoSuchBucket, as the real service does (each region's endpoint only knows its own
 *    buckets). `cos.<region>.myqcloud.com` / `service.cos.myqcloud.com` is the service (GetService).
 *  - Any other Host (an IP): path style `/bucket/key`, `/` = GetService, `/__sandbox__/…` = admin.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BlobStore } from '../common/blobs.ts';
import {
  blobStoreFor,
  type Emulator,
  type EmulatorOptions,
  handleAdmin,
  newFaultInjector,
  type SeedObject,
} from '../common/emulator.ts';
import type { FaultInjector } from '../common/faults.ts';
import {
  decodePath,
  httpDate,
  type Listening,
  listen,
  parseQuery,
  queryMap,
  splitTarget,
} from '../common/http.ts';
import { type Bucket, BucketSet, type StoredObject } from '../common/objects.ts';
import { RequestLog } from '../common/requestLog.ts';
import { authenticate, type SignatureDebug } from './auth.ts';
import {
  getBucketLocation,
  getService,
  headBucket,
  listObjects,
  listObjectsV2,
  putBucket,
} from './bucketOps.ts';
import { type CosBackend, type Ctx, newRequestId, newTraceId, sendError } from './context.ts';
import { CosError, codeForStatus, Err, messageFor } from './errors.ts';
import { BUCKET_NAME, REGION_NAME, routeHost } from './model.ts';
import {
  abortMultipartUpload,
  completeMultipartUpload,
  initiateMultipartUpload,
  listMultipartUploads,
  listParts,
  uploadPart,
  uploadPartCopy,
} from './multipart.ts';
import {
  copyObject,
  deleteMultipleObjects,
  deleteObject,
  headOrGetObject,
  type MidBodyFault,
  putObject,
  restoreObject,
} from './objectOps.ts';
import { seedObject } from './seed.ts';

export type CosEmulatorOptions = EmulatorOptions & {
  /**
   * The account's APPID: reported as owner in listings and, when given, required as the suffix of
   * every bucket name (`name-APPID`).
   */
  appId?: string;
};

type Handler = {
  op: string;
  run?: (emu: CosEmulator, ctx: Ctx, midBody: MidBodyFault[]) => Promise<void>;
  /** Answer with this error after authentication (unsupported sub-resources and methods). */
  reject?: CosError;
};

/** Query keys that name bucket/object sub-resources the emulator does not model. */
const UNSUPPORTED_SUBRESOURCES = [
  'acl',
  'cors',
  'policy',
  'lifecycle',
  'tagging',
  'versioning',
  'versions',
  'website',
  'referer',
  'logging',
  'inventory',
  'replication',
  'encryption',
  'domain',
  'origin',
  'accelerate',
  'object-lock',
  'intelligenttiering',
  'notification',
  'append',
  'select',
  'torrent',
  'symlink',
  'requestPayment',
];

function unsupported(op: string, what: string): Handler {
  return { op, reject: Err.notImplemented(what) };
}

function classify(ctx: Ctx, service: boolean, hasCopySource: boolean): Handler {
  const q = ctx.query;
  const m = ctx.method;
  if (service) {
    if (m === 'GET') return { op: 'GetService', run: (e, c) => getService(e, c, e.serviceRegion(c)) };
    return { op: 'Unsupported', reject: Err.methodNotAllowed() };
  }
  const sub = UNSUPPORTED_SUBRESOURCES.find((s) => q.has(s));
  const bucketLevel = ctx.key === '';
  if (sub) return unsupported('Unsupported', `${m} ${bucketLevel ? 'bucket' : 'object'} ?${sub}`);
  if (q.has('versionId') && q.get('versionId') !== 'null') return unsupported('Unsupported', 'versioning');
  if (bucketLevel) {
    if (m === 'HEAD') return { op: 'HeadBucket', run: headBucket };
    if (m === 'GET') {
      if (q.has('uploads')) return { op: 'ListMultipartUploads', run: listMultipartUploads };
      if (q.has('location')) return { op: 'GetBucketLocation', run: getBucketLocation };
      if (q.get('list-type') === '2') return { op: 'ListObjectsV2', run: listObjectsV2 };
      return { op: 'ListObjects', run: listObjects };
    }
    if (m === 'PUT') return { op: 'PutBucket', run: (e, c) => putBucket(e, c, c.region ?? e.region) };
    if (m === 'POST' && q.has('delete')) return { op: 'DeleteMultipleObjects', run: deleteMultipleObjects };
    if (m === 'DELETE') return unsupported('DeleteBucket', 'DELETE Bucket');
    return { op: 'Unsupported', reject: Err.methodNotAllowed() };
  }
  switch (m) {
    case 'HEAD':
      return { op: 'HeadObject', run: headOrGetObject };
    case 'GET':
      if (q.has('uploadId')) return { op: 'ListParts', run: listParts };
      return { op: 'GetObject', run: headOrGetObject };
    case 'PUT':
      if (q.has('partNumber') || q.has('uploadId')) {
        return hasCopySource
          ? { op: 'UploadPartCopy', run: uploadPartCopy }
          : { op: 'UploadPart', run: uploadPart };
      }
      return hasCopySource ? { op: 'CopyObject', run: copyObject } : { op: 'PutObject', run: putObject };
    case 'POST':
      if (q.has('uploads')) return { op: 'InitiateMultipartUpload', run: initiateMultipartUpload };
      if (q.has('uploadId')) return { op: 'CompleteMultipartUpload', run: completeMultipartUpload };
      if (q.has('restore')) return { op: 'RestoreObject', run: restoreObject };
      return { op: 'Unsupported', reject: Err.methodNotAllowed() };
    case 'DELETE':
      if (q.has('uploadId')) return { op: 'AbortMultipartUpload', run: abortMultipartUpload };
      return { op: 'DeleteObject', run: deleteObject };
    default:
      return { op: 'Unsupported', reject: Err.methodNotAllowed() };
  }
}

export class CosEmulator implements Emulator, CosBackend {
  readonly kind = 'cos' as const;
  readonly buckets: BucketSet;
  readonly blobs: BlobStore;
  readonly faults: FaultInjector;
  readonly log = new RequestLog();
  clockSkewMs: number;
  restoreDelayMs: number;
  /** Default region for new buckets. */
  readonly region: string;
  readonly appId: string | undefined;
  /** What the server computed for the last request whose signature did not match (debugging aid). */
  lastSignatureMismatch: SignatureDebug | undefined;
  private readonly secrets = new Map<string, string>();
  private listening: Listening | undefined;

  private constructor(opts: CosEmulatorOptions) {
    this.blobs = blobStoreFor(opts);
    this.buckets = new BucketSet(this.blobs);
    this.faults = newFaultInjector(opts);
    this.clockSkewMs = opts.clockSkewMs ?? 0;
    this.restoreDelayMs = opts.restoreDelayMs ?? 0;
    this.region = opts.region ?? 'ap-guangzhou';
    if (!REGION_NAME.test(this.region)) throw new Error(`invalid COS region ${this.region}`);
    this.appId = opts.appId;
    if (this.appId !== undefined && !/^\d+$/.test(this.appId)) throw new Error(`invalid APPID ${this.appId}`);
    for (const c of opts.credentials) this.secrets.set(c.accessKeyId, c.secret);
  }

  static async start(opts: CosEmulatorOptions): Promise<CosEmulator> {
    const emu = new CosEmulator(opts);
    emu.listening = await listen((req, res) => emu.handle(req, res), {
      ...(opts.port !== undefined ? { port: opts.port } : {}),
      ...(opts.host !== undefined ? { host: opts.host } : {}),
    });
    return emu;
  }

  get port(): number {
    return this.listening?.port ?? 0;
  }

  get endpoint(): string {
    const host = this.listening?.host ?? '127.0.0.1';
    return `http://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  nowMs(): number {
    return Date.now() + this.clockSkewMs;
  }

  ownerId(bucketName?: string): string {
    if (this.appId !== undefined) return this.appId;
    const m = bucketName ? /-(\d+)$/.exec(bucketName) : null;
    return m?.[1] ?? '1250000000';
  }

  /** The region a service-level request names in its Host (`cos.<region>.myqcloud.com`), if any. */
  serviceRegion(ctx: Ctx): string | undefined {
    const r = routeHost(ctx.req.headers.host);
    return r.kind === 'service' ? r.region : undefined;
  }

  createBucket(name: string, region: string = this.region): Bucket {
    if (!BUCKET_NAME.test(name)) {
      throw new Error(`COS bucket names look like <name>-<APPID> (/^[a-z0-9-]+-\\d+$/); got "${name}"`);
    }
    if (this.appId !== undefined && !name.endsWith(`-${this.appId}`)) {
      throw new Error(`COS bucket "${name}" does not belong to APPID ${this.appId}`);
    }
    if (!REGION_NAME.test(region)) throw new Error(`invalid COS region "${region}"`);
    const existing = this.buckets.get(name);
    if (existing && existing.region !== region) {
      throw new Error(`COS bucket "${name}" already exists in ${existing.region}`);
    }
    return existing ?? this.buckets.create(name, region);
  }

  async seed(bucket: string, obj: SeedObject): Promise<StoredObject> {
    const b = this.buckets.get(bucket);
    if (!b) throw new Error(`seed: no COS bucket "${bucket}" (createBucket first)`);
    return seedObject(this.blobs, b, obj, this.nowMs());
  }

  async close(): Promise<void> {
    await this.listening?.close();
    await this.blobs.close();
  }

  // ---- HTTP -----------------------------------------------------------------------------------

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const start = Date.now();
    const url = req.url ?? '/';
    const { path, query } = splitTarget(url);
    const ctx: Ctx = {
      req,
      res,
      start,
      requestId: newRequestId(this.nowMs()),
      traceId: newTraceId(),
      method: (req.method ?? 'GET').toUpperCase(),
      url,
      rawPath: path || '/',
      rawQuery: query,
      params: parseQuery(query),
      query: queryMap(query),
      op: 'Unknown',
      key: '',
      bytesIn: 0,
      bytesOut: 0,
      faults: [],
    };
    res.setHeader('x-cos-request-id', ctx.requestId);
    res.setHeader('Date', httpDate(new Date(this.nowMs())));
    res.setHeader('Server', 'tencent-cos');
    res.once('close', () => this.record(ctx));
    this.dispatch(ctx).catch(async (err: unknown) => {
      let cosErr: CosError;
      if (err instanceof CosError) cosErr = err;
      else {
        console.error('[cos-emulator] internal error', err);
        cosErr = Err.internalError();
      }
      try {
        await sendError(ctx, cosErr);
      } catch {
        res.destroy();
      }
    });
  }

  private async dispatch(ctx: Ctx): Promise<void> {
    const route = routeHost(ctx.req.headers.host);
    let service = false;
    let rawKey = '';
    if (route.kind === 'bucket') {
      ctx.bucketName = route.bucket;
      ctx.region = route.region;
      rawKey = ctx.rawPath.slice(1);
    } else if (route.kind === 'service') {
      service = true;
    } else {
      if (ctx.rawPath.startsWith('/__sandbox__/')) {
        ctx.admin = true;
        await handleAdmin(this, ctx.req, ctx.res, decodePath(ctx.rawPath) ?? ctx.rawPath, ctx.query);
        return;
      }
      const rest = ctx.rawPath.slice(1);
      if (rest === '') service = true;
      else {
        const slash = rest.indexOf('/');
        const bucket = decodePath(slash < 0 ? rest : rest.slice(0, slash));
        if (bucket === undefined) throw Err.invalidURI();
        ctx.bucketName = bucket;
        rawKey = slash < 0 ? '' : rest.slice(slash + 1);
      }
    }
    const key = decodePath(rawKey);
    const decodedPath = decodePath(ctx.rawPath);
    if (key === undefined || decodedPath === undefined) throw Err.invalidURI();
    ctx.key = key;
    const hasCopySource =
      ctx.req.headers['x-cos-copy-source'] !== undefined ||
      ctx.req.headers['x-amz-copy-source'] !== undefined;
    const handler = classify(ctx, service, hasCopySource);
    ctx.op = handler.op;

    let signingRegion: string | undefined;
    if (!service) {
      const bucket = this.buckets.get(ctx.bucketName ?? '');
      const regionOk =
        route.kind !== 'bucket' || !bucket || route.region === bucket.region || route.region === 'accelerate';
      if (handler.op === 'PutBucket' && !bucket) {
        signingRegion = ctx.region ?? this.region;
      } else {
        if (!bucket || !regionOk) throw Err.noSuchBucket();
        ctx.bucket = bucket;
        ctx.region ??= bucket.region;
        if (ctx.region === 'accelerate') ctx.region = bucket.region;
        signingRegion = bucket.region;
      }
    } else {
      signingRegion = route.kind === 'service' ? route.region : undefined;
    }

    ctx.auth = authenticate(
      {
        method: ctx.method,
        url: ctx.url,
        decodedPath,
        params: ctx.params,
        headers: ctx.req.headers,
      },
      (id) => this.secrets.get(id),
      this.nowMs(),
      signingRegion,
      (d) => {
        this.lastSignatureMismatch = d;
      },
    );
    if (handler.reject) throw handler.reject;
    const midBody = await this.applyFaults(ctx);
    if (midBody === 'handled') return;
    await handler.run!(this, ctx, midBody);
  }

  /**
   * Act on the fault rules that fire for this request. Returns the mid-body faults for a GET, or
   * 'handled' when the fault already answered (connection reset, 200-with-Error).
   */
  private async applyFaults(ctx: Ctx): Promise<MidBodyFault[] | 'handled'> {
    const fired = this.faults.check(ctx.op, ctx.key === '' ? undefined : ctx.key);
    if (fired.length === 0) return [];
    ctx.faults = fired.map((f) => f.index);
    const latency = fired.reduce((n, f) => n + (f.kind === 'latency' ? f.latencyMs : 0), 0);
    if (latency > 0) await sleep(latency);
    const isGet = ctx.op === 'GetObject';
    const midBody: MidBodyFault[] = [];
    for (const f of fired) {
      if (f.kind === 'reset') {
        if (isGet && f.afterBytes > 0) {
          midBody.push(f);
          continue;
        }
        ctx.code = 'ConnectionReset';
        ctx.req.socket.destroy();
        return 'handled';
      }
      // Rewrite, delete and corrupt act on a GET body; other operations ignore them.
      if ((f.kind === 'rewrite' || f.kind === 'delete' || f.kind === 'corrupt') && isGet) midBody.push(f);
    }
    const throttle = fired.find((f) => f.kind === 'throttle');
    if (throttle) {
      throw new CosError(
        503,
        'SlowDown',
        messageFor('SlowDown'),
        throttle.retryAfterSeconds !== undefined ? { 'retry-after': String(throttle.retryAfterSeconds) } : {},
      );
    }
    const error = fired.find((f) => f.kind === 'error');
    if (error) {
      const status = error.status ?? 500;
      const code = error.code ?? codeForStatus(status);
      if (status === 200) {
        // COS reports some Copy/Complete failures inside a 200 response.
        await sendError(ctx, new CosError(500, code, messageFor(code)), true);
        return 'handled';
      }
      throw new CosError(status, code, messageFor(code));
    }
    return midBody;
  }

  private record(ctx: Ctx): void {
    if (ctx.admin || ctx.logged) return;
    ctx.logged = true;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(ctx.req.headers)) {
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    this.log.add({
      time: ctx.start,
      op: ctx.op,
      method: ctx.method,
      url: ctx.url,
      ...(ctx.bucketName !== undefined ? { bucket: ctx.bucketName } : {}),
      ...(ctx.key !== '' ? { key: ctx.key } : {}),
      status: ctx.res.headersSent ? ctx.res.statusCode : 0,
      ...(ctx.code !== undefined ? { code: ctx.code } : {}),
      bytesIn: ctx.bytesIn,
      bytesOut: ctx.bytesOut,
      durationMs: Date.now() - ctx.start,
      headers,
      ...(ctx.faults.length > 0 ? { faults: ctx.faults } : {}),
    });
  }
}
