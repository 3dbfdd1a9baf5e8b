/** What every emulator offers the sandbox, the tests and the benchmarks. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type BlobStore, DiskBlobStore, MemoryBlobStore } from './blobs.ts';
import { FaultInjector, type FaultPlanInput, FaultRule } from './faults.ts';
import { drain } from './http.ts';
import type { Bucket, BucketSet, StoredObject } from './objects.ts';
import type { RequestLog } from './requestLog.ts';

export type AccessKey = { accessKeyId: string; secret: string };

export type EmulatorOptions = {
  /** Accounts allowed to call the service. */
  credentials: AccessKey[];
  /** Default region for new buckets (OSS `oss-cn-hangzhou`, COS `ap-guangzhou`). */
  region?: string;
  /** Keep object bodies in this directory instead of memory. */
  dataDir?: string;
  /** Server clock = real clock + this (to test clock-skew handling). */
  clockSkewMs?: number;
  /** How long an archive restore takes (0 = restored on the next request). */
  restoreDelayMs?: number;
  faults?: FaultPlanInput;
  host?: string;
  port?: number;
};

/** Direct seeding (no HTTP): what a test needs to set up a bucket fast. */
export type SeedObject = {
  key: string;
  body: Uint8Array | string | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  /** Expected size for streamed bodies (checked). */
  size?: number;
  lastModified?: Date;
  contentType?: string;
  /** cache-control, content-disposition, content-encoding, content-language, expires. */
  headers?: Record<string, string>;
  meta?: Record<string, string>;
  /** Vendor spelling (`Archive` for OSS, `ARCHIVE` for COS). */
  storageClass?: string;
  /** Store as a multipart object made of parts of this size (ETag `<md5>-N`, CRC by combine). */
  partSize?: number;
};

export interface Emulator {
  readonly kind: 'oss' | 'cos';
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string;
  readonly port: number;
  readonly buckets: BucketSet;
  readonly faults: FaultInjector;
  readonly log: RequestLog;
  /** Server clock offset, changeable at run time. */
  clockSkewMs: number;
  restoreDelayMs: number;
  createBucket(name: string, region?: string): Bucket;
  /** Put an object without HTTP (seeding). */
  seed(bucket: string, obj: SeedObject): Promise<StoredObject>;
  close(): Promise<void>;
}

export function blobStoreFor(opts: { dataDir?: string }): BlobStore {
  return opts.dataDir ? new DiskBlobStore(opts.dataDir) : new MemoryBlobStore();
}

export function newFaultInjector(opts: { faults?: FaultPlanInput }): FaultInjector {
  return new FaultInjector(opts.faults);
}

/** Normalise the body forms SeedObject accepts into an async iterable. */
export function seedBody(body: SeedObject['body']): AsyncIterable<Uint8Array> {
  if (typeof body === 'string') return toAsync([Buffer.from(body, 'utf8')]);
  if (body instanceof Uint8Array) return toAsync([body]);
  if (Symbol.asyncIterator in body) return body as AsyncIterable<Uint8Array>;
  return toAsync(body as Iterable<Uint8Array>);
}

async function* toAsync(it: Iterable<Uint8Array>): AsyncIterable<Uint8Array> {
  yield* it;
}

/**
 * Admin endpoint under `/__sandbox__/` (only when the Host is not a bucket host): fault plans and
 * the request log for tests and demos that run the sandbox in another process.
 *   GET    /__sandbox__/health
 *   PUT    /__sandbox__/faults   body: FaultPlan JSON (replaces)   POST: one FaultRule (adds)
 *   GET    /__sandbox__/faults   → fired counts      DELETE /__sandbox__/faults → none
 *   GET    /__sandbox__/log?since=N&op=GetObject
 *   PUT    /__sandbox__/clock    body: {"skewMs": N}
 */
export async function handleAdmin(
  emu: Emulator,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: Map<string, string>,
): Promise<void> {
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const readJson = async (): Promise<unknown> => {
    const chunks: Buffer[] = [];
    for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
    const text = Buffer.concat(chunks).toString('utf8');
    return text ? JSON.parse(text) : {};
  };
  try {
    const what = path.slice('/__sandbox__/'.length);
    if (what === 'health')
      return send(200, { ok: true, kind: emu.kind, buckets: emu.buckets.all().map((b) => b.name) });
    if (what === 'faults') {
      if (req.method === 'GET') return send(200, emu.faults.stats());
      if (req.method === 'DELETE') {
        emu.faults.clear();
        return send(200, { ok: true });
      }
      if (req.method === 'PUT') {
        emu.faults.set((await readJson()) as FaultPlanInput);
        return send(200, emu.faults.stats());
      }
      if (req.method === 'POST') {
        emu.faults.add(FaultRule.parse(await readJson()));
        return send(200, emu.faults.stats());
      }
    }
    if (what === 'log' && req.method === 'GET') {
      const since = Number(query.get('since') ?? '0');
      const op = query.get('op');
      return send(
        200,
        emu.log.since(since).filter((e) => op === undefined || e.op === op),
      );
    }
    if (what === 'clock' && req.method === 'PUT') {
      const body = (await readJson()) as { skewMs?: unknown };
      if (typeof body.skewMs !== 'number') return send(400, { error: 'body must be {"skewMs": <number>}' });
      emu.clockSkewMs = body.skewMs;
      return send(200, { skewMs: emu.clockSkewMs });
    }
    await drain(req);
    send(404, { error: `unknown admin path ${path}` });
  } catch (err) {
    send(400, { error: (err as Error).message });
  }
}
