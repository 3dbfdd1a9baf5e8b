/**
 * A local fleet for tests: the sandbox emulators, a real redis-server, worker processes started
 * with the real CLI (`ossmigrate worker`), and the coordinator (`ossmigrate import --queue`).
 * Leases are shortened so a killed worker's tasks come back within seconds.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { FleetStore, type WorkerRecord } from '../../runner/adapters/queue/fleetStore.ts';
import { type CliProc, events, startCli } from '../helpers/cli.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { patternBytes } from '../sandbox/common/blobs.ts';
import { type Sandbox, type SandboxOptions, startSandbox } from '../sandbox/sandbox.ts';

export const MiB = 1024 * 1024;
export const CONTROL_BUCKET = 'demo-control';

export type Proc = CliProc;

export type WorkerProc = Proc & { id: string; name: string };

export type TestFleet = {
  sb: Sandbox;
  redis: TestRedis;
  dir: string;
  /** Sandbox credentials plus the queue, as a worker's env file would hold them. */
  env: Record<string, string>;
  fleet: FleetStore;
  client: Redis;
  workers: WorkerProc[];
  startWorker(o?: { args?: string[]; env?: Record<string, string> }): Promise<WorkerProc>;
  /** Start n workers at once and wait until all are ready. */
  startWorkers(n: number, o?: { args?: string[]; env?: Record<string, string> }): Promise<WorkerProc[]>;
  jobFile(extra?: Record<string, unknown>): Promise<string>;
  cli(args: string[], o?: { env?: Record<string, string> }): Proc;
  /**
   * `ossmigrate import JOB --queue <redis> [--journal-dir <dir>/journals] --workdir <dir>/coord
   * --json --yes …args`: the coordinator of a fleet job.
   */
  coordinate(job: string, o?: { journals?: boolean; workdir?: string; args?: string[] }): Proc;
  /** Wait until the coordinator has opened the copy pass; its id. */
  copyPass(): Promise<string>;
  records(): Promise<WorkerRecord[]>;
  seedSmall(n: number, size: number, prefix?: string): Promise<void>;
  seedBig(n: number, size: number, prefix?: string): Promise<void>;
  close(): Promise<void>;
};

/** Shortened leases: a dead worker's task is re-run after ≈ 3 s + 1 s. */
export const FAST_LEASES = {
  OSSMIGRATE_LOCK_MS: '3000',
  OSSMIGRATE_STALLED_MS: '1000',
  OSSMIGRATE_TASK_BACKOFF_MS: '200',
};

export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function startFleet(
  o: { sandbox?: SandboxOptions; redisPassword?: string; leases?: Record<string, string> } = {},
): Promise<TestFleet> {
  const sb = await startSandbox(o.sandbox ?? {});
  sb.oss.createBucket(CONTROL_BUCKET, 'oss-cn-hangzhou');
  const redis = await startRedis(o.redisPassword ? { password: o.redisPassword } : {});
  const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-fleet-'));
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  client.on('error', () => {});
  const fleet = new FleetStore(client);
  const env: Record<string, string> = {
    ...sb.env(),
    OSSMIGRATE_REDIS_URL: redis.url,
    ...(o.leases ?? FAST_LEASES),
  };
  let n = 0;
  const f: TestFleet = {
    sb,
    redis,
    dir,
    env,
    fleet,
    client,
    workers: [],
    async startWorker(w = {}) {
      const name = `w${n++}`;
      const p = startCli(
        ['worker', '--workdir', join(dir, name), '--json', '--drain-timeout', '20', ...(w.args ?? [])],
        { cwd: dir, env: { ...env, ...w.env } },
      );
      const ready = await until(
        `worker ${name} ready`,
        () => {
          if (p.child.exitCode !== null) throw new Error(`worker ${name} exited: ${p.stderr()}`);
          return events(p.stdout()).find((e) => e.type === 'worker' && e.state === 'ready');
        },
        30_000,
        50,
      );
      const wp: WorkerProc = { ...p, id: String(ready.id), name };
      f.workers.push(wp);
      return wp;
    },
    startWorkers(count, w = {}) {
      return Promise.all(Array.from({ length: count }, () => f.startWorker(w)));
    },
    async jobFile(extra = {}) {
      const path = join(dir, `job-${n++}.yaml`);
      await writeFile(
        path,
        stringify({
          name: 'fleet',
          ...sb.jobSpec(),
          tasks: { maxObjects: 8 },
          scan: { depth: 1 },
          transfer: {
            concurrency: 4,
            multipartThreshold: '2MiB',
            partSize: '1MiB',
            partConcurrency: 2,
            retries: 6,
          },
          archive: { pollSeconds: 1 },
          ...extra,
        }),
      );
      return path;
    },
    cli(args, c = {}) {
      return startCli(args, { cwd: dir, env: { ...env, ...c.env } });
    },
    coordinate(job, c = {}) {
      return f.cli([
        'import',
        job,
        '--queue',
        redis.url,
        ...(c.journals ? ['--journal-dir', join(dir, 'journals')] : []),
        '--workdir',
        c.workdir ?? join(dir, 'coord'),
        '--json',
        '--yes',
        ...(c.args ?? []),
      ]);
    },
    copyPass: () => until('the copy pass', async () => (await fleet.active())?.passId),
    records: () => fleet.workers(),
    async seedSmall(count, size, prefix = 'small/') {
      for (let i = 0; i < count; i++) {
        await sb.cos.seed(sb.info.cos.bucket, {
          key: `${prefix}${String(i).padStart(4, '0')}.bin`,
          body: patternBytes(size + i, i + 1),
          size: size + i,
          lastModified: new Date(Date.now() - 3600_000),
        });
      }
    },
    async seedBig(count, size, prefix = 'big/') {
      for (let i = 0; i < count; i++) {
        await sb.cos.seed(sb.info.cos.bucket, {
          key: `${prefix}${i}.bin`,
          body: patternBytes(size + i, 1000 + i),
          size: size + i,
          partSize: 5 * MiB,
          lastModified: new Date(Date.now() - 3600_000),
        });
      }
    },
    async close() {
      for (const w of f.workers)
        if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
      await Promise.all(f.workers.map((w) => w.done));
      client.disconnect();
      await redis.close();
      await sb.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return f;
}

/** Each destination key written at most once (PutObject or CompleteMultipartUpload with 200). */
export function duplicateWrites(sb: Sandbox): string[] {
  const writes = new Map<string, number>();
  for (const r of sb.oss.log.all()) {
    if (r.bucket !== sb.info.oss.bucket || r.status !== 200 || !r.key) continue;
    if (r.op !== 'PutObject' && r.op !== 'CompleteMultipartUpload') continue;
    writes.set(r.key, (writes.get(r.key) ?? 0) + 1);
  }
  return [...writes].filter(([, n]) => n > 1).map(([k, n]) => `${k} ×${n}`);
}

/** Every source object is in the destination with the same size and CRC-64. */
export function mismatches(sb: Sandbox): string[] {
  const src = sb.cos.buckets.get(sb.info.cos.bucket)!;
  const dst = sb.oss.buckets.get(sb.info.oss.bucket)!;
  const bad: string[] = [];
  for (const [key, o] of src.objects) {
    const d = dst.get(key);
    if (!d) bad.push(`${key}: missing`);
    else if (d.size !== o.size || d.crc64 !== o.crc64)
      bad.push(`${key}: ${d.size}/${d.crc64} vs ${o.size}/${o.crc64}`);
  }
  return bad;
}

export function summaryOf(stdout: string): Record<string, unknown> {
  const s = events(stdout).filter((e) => e.type === 'summary');
  if (s.length !== 1) throw new Error(`expected one summary, got ${s.length}`);
  return s[0]!;
}
