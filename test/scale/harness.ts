/**
 * The scale simulation: the real engine, BullMQ queue, Redis job state, local journals and
 * coordinator against the synthetic store, on one real redis-server.
 *   - this process: W fleet workers (`runWorker`, the code `ossmigrate worker` runs) sharing one
 *     synthetic source and sink (the sink must see every write for verify to find them);
 *   - a child process per pass: the coordinator (test/scale/coordinator.ts), so its CPU is its own;
 *   - a sampler: Redis `INFO memory` every 100 ms (peak), and after each pass what the pass left
 *     in Redis (keys, MEMORY USAGE, BullMQ's own job sets).
 * Used by the suite test (10⁵ objects) and `npm run bench -- --only scale` (10⁶ … 10⁷).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { FleetStore } from '../../runner/adapters/queue/fleetStore.ts';
import { BULL_PREFIX, passKeys, queueName } from '../../runner/adapters/queue/keys.ts';
import { parseRedisUrl } from '../../runner/adapters/queue/redisConnection.ts';
import { RedisJobState } from '../../runner/adapters/state/redisState.ts';
import { parseJob } from '../../runner/config/job.ts';
import type { Counters } from '../../runner/core/types.ts';
import { runWorker } from '../../runner/fleet/worker.ts';
import type { AuditLogMode } from '../../runner/ports/journal.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import type { CoordinatorInput, CoordinatorOutput } from './coordinator.ts';
import { type KeySpace, type RequestCounts, SyntheticSink, SyntheticSource } from './syntheticStore.ts';

export type ScaleOptions = {
  objects: number;
  workers: number;
  keySpace?: KeySpace;
  /** Per request on the synthetic stores. */
  latencyMs?: number;
  /** tasks.maxObjects (default 1,000, the job default). */
  taskObjects?: number;
  /** Tasks in flight per worker, transfers in flight per worker. */
  tasksPerWorker?: number;
  concurrency?: number;
  /** Run a verify pass after the copy pass (default true). */
  verify?: boolean;
  /** journal.auditLog of the job (default gzip; plain is what the journal wrote before issue #17). */
  auditLog?: AuditLogMode;
  /** Progress lines (stderr) for long runs; each pass's figures as one JSON line when it ends. */
  say?: (line: string) => void;
};

export type RedisFootprint = {
  /** Keys of the pass (its ossm:job:…:p:<pass>:* and BullMQ's ossmq:<queue>:*). */
  keys: number;
  /** MEMORY USAGE summed over those keys. */
  bytes: number;
  /** BullMQ jobs still held: completed / failed sets, and job hashes. */
  bullCompleted: number;
  bullFailed: number;
  bullJobHashes: number;
  /** Entries of the relayed-events stream, and its MEMORY USAGE (capped: not per task). */
  eventEntries: number;
  eventBytes: number;
};

export type PassFigures = {
  passId: string;
  tasks: number;
  wallMs: number;
  coordinator: CoordinatorOutput;
  requests: { src: RequestCounts; dst: RequestCounts };
  /** used_memory peak during the pass minus before it. */
  redisPeakDeltaBytes: number;
  left: RedisFootprint;
  counters: Counters;
  /** The journal directory after the pass, bytes by kind of file (journalKinds). */
  journal: Record<JournalKind, number>;
};

export type JournalKind = 'audit' | 'ledger' | 'summaries' | 'other';

/** What a journal file is: audit.log(.gz), ledger parts, summary/attention, or the rest (STATUS, error.list). */
export function journalKind(name: string): JournalKind {
  if (/^audit\.log(\.gz)?$/.test(name)) return 'audit';
  if (/^ledger(\.\d+)?\.ndjson(\.gz)?$/.test(name)) return 'ledger';
  if (name === 'summary.json' || name === 'attention.ndjson') return 'summaries';
  return 'other';
}

export type ScaleRun = {
  objects: number;
  workers: number;
  keySpace: KeySpace;
  latencyMs: number;
  copy: PassFigures;
  verify?: PassFigures;
  redisPeakBytes: number;
  redisBaselineBytes: number;
  journalBytes: number;
  auditLog: AuditLogMode;
  sink: { count: number; bytes: number; present: number };
  /** Declared (realistic) bytes of the objects, for byte-based projections. */
  declaredBytes: number;
};

const COORDINATOR = fileURLToPath(new URL('./coordinator.ts', import.meta.url));
const JOB = 'scale';

const diff = (a: RequestCounts, b: RequestCounts): RequestCounts => ({
  list: b.list - a.list,
  head: b.head - a.head,
  read: b.read - a.read,
  write: b.write - a.write,
});

function usedMemory(info: string): number {
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

async function dirBytes(dir: string): Promise<Record<JournalKind, number>> {
  const n: Record<JournalKind, number> = { audit: 0, ledger: 0, summaries: 0, other: 0 };
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (e.isFile()) n[journalKind(e.name)] += (await stat(join(e.parentPath, e.name))).size;
  }
  return n;
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, x) => a + x, 0);

/** What a pass left in Redis. */
export async function footprint(redis: Redis, job: string, passId: string): Promise<RedisFootprint> {
  const q = `${BULL_PREFIX}:${queueName(job, passId)}`;
  const patterns = [`ossm:job:${job}:p:${passId}:*`, `${q}:*`];
  let keys = 0;
  let bytes = 0;
  let bullJobHashes = 0;
  const eventsKey = passKeys(job, passId).events;
  const eventBytes = Number((await redis.memory('USAGE', eventsKey)) ?? 0);
  for (const pattern of patterns) {
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      const p = redis.pipeline();
      for (const k of found) p.memory('USAGE', k);
      const r = (await p.exec()) ?? [];
      for (const [, v] of r) bytes += Number(v ?? 0);
      keys += found.length;
      // A job's hash is <queue>:<jobId>; the queue's own keys have fixed names.
      bullJobHashes += found.filter((k) =>
        /^(scan|copy|verify|retry)-[^:]*$/.test(k.slice(q.length + 1)),
      ).length;
    } while (cursor !== '0');
  }
  return {
    keys,
    bytes,
    bullCompleted: await redis.zcard(`${q}:completed`),
    bullFailed: await redis.zcard(`${q}:failed`),
    bullJobHashes,
    eventEntries: await redis.xlen(eventsKey),
    eventBytes,
  };
}

function runCoordinator(input: CoordinatorInput): Promise<CoordinatorOutput> {
  const child = spawn(process.execPath, ['--import', 'tsx', COORDINATOR, JSON.stringify(input)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop();
      if (code !== 0 || !line) return reject(new Error(`scale coordinator exited ${code}: ${err}`));
      resolve(JSON.parse(line) as CoordinatorOutput);
    });
  });
}

export async function runScale(o: ScaleOptions): Promise<ScaleRun> {
  const keySpace = o.keySpace ?? 'flat';
  const latencyMs = o.latencyMs ?? 0;
  const say = o.say ?? (() => {});
  const synth = { objects: o.objects, keySpace, latencyMs };
  const src = new SyntheticSource('syn://src', synth);
  const dst = new SyntheticSink('syn://dst', synth);
  const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-scale-'));
  const journalDir = join(dir, 'journals');
  let server: TestRedis | undefined;
  let redis: Redis | undefined;
  const drain = new AbortController();
  const workers: Array<Promise<number>> = [];
  try {
    server = await startRedis();
    redis = new Redis(server.url, { maxRetriesPerRequest: null });
    const spec = parseJob(
      {
        name: JOB,
        source: { type: 'cos', bucket: 'src-1250000000', region: 'ap-guangzhou', prefix: '' },
        destination: { bucket: 'dst', region: 'cn-hangzhou', prefix: '' },
        transfer: { concurrency: o.concurrency ?? 16, retries: 1 },
        tasks: { maxObjects: o.taskObjects ?? 1000 },
        journal: { auditLog: o.auditLog ?? 'gzip' },
      },
      'scale job',
    );
    const state = new RedisJobState(redis, JOB);
    await state.putJob({ name: JOB, spec: JSON.stringify(spec), submittedAt: new Date().toISOString() });
    const fleet = new FleetStore(redis);
    await fleet.setJournal(JOB, { type: 'local', dir: journalDir });

    const target = parseRedisUrl(server.url);
    const log = pino({ level: 'silent' });
    for (let w = 0; w < o.workers; w++) {
      workers.push(
        runWorker({
          target,
          creds: { origin: {} },
          log,
          journal: { type: 'local', dir: journalDir },
          makeStores: () => ({ src, dst }),
          say: () => {},
          drain: drain.signal,
          tasks: o.tasksPerWorker ?? 2,
          concurrency: o.concurrency ?? 16,
          pollMs: 200,
          heartbeatMs: 2000,
          controlMs: 2000,
        }),
      );
    }

    let peak = 0;
    const baseline = usedMemory(await redis.info('memory'));
    const sampler = redis.duplicate();
    let passPeak = 0;
    const timer = setInterval(() => {
      sampler
        .info('memory')
        .then((i) => {
          const m = usedMemory(i);
          peak = Math.max(peak, m);
          passPeak = Math.max(passPeak, m);
        })
        .catch(() => {});
    }, 100);

    const t1 = new Date().toISOString();
    const runPass = async (mode: 'copy' | 'verify'): Promise<PassFigures> => {
      const before = { src: src.snapshot(), dst: dst.snapshot() };
      const mem0 = usedMemory(await redis!.info('memory'));
      passPeak = mem0;
      const t = performance.now();
      say(`scale: ${mode} pass of ${o.objects} objects with ${o.workers} workers`);
      const coordinator = await runCoordinator({
        url: server!.url,
        job: JOB,
        journalDir,
        mode,
        t1,
        objects: o.objects,
        keySpace,
      });
      const wallMs = performance.now() - t;
      passPeak = Math.max(passPeak, usedMemory(await redis!.info('memory')));
      const tc = await redis!.hgetall(passKeys(JOB, coordinator.passId).taskCounts);
      const tasks = Object.entries(tc)
        .filter(([k]) => k.endsWith(':total'))
        .reduce((a, [, v]) => a + Number(v), 0);
      const figures: PassFigures = {
        passId: coordinator.passId,
        tasks,
        wallMs,
        coordinator,
        requests: { src: diff(before.src, src.snapshot()), dst: diff(before.dst, dst.snapshot()) },
        redisPeakDeltaBytes: passPeak - mem0,
        left: await footprint(redis!, JOB, coordinator.passId),
        counters: await state.counters(coordinator.passId),
        journal: await dirBytes(journalDir),
      };
      say(`scale: ${mode} pass done in ${(wallMs / 1000).toFixed(1)} s, ${tasks} tasks`);
      // Now, not at the end of the run: a run killed in a later pass keeps this one's figures.
      say(`scale: ${mode} pass figures ${JSON.stringify(passFigures(figures, o.objects))}`);
      return figures;
    };

    const copy = await runPass('copy');
    const verify = o.verify === false ? undefined : await runPass('verify');
    clearInterval(timer);
    sampler.disconnect();
    const journal = (verify ?? copy).journal;
    return {
      objects: o.objects,
      workers: o.workers,
      keySpace,
      latencyMs,
      copy,
      ...(verify ? { verify } : {}),
      redisPeakBytes: peak,
      redisBaselineBytes: baseline,
      journalBytes: sum(journal),
      auditLog: o.auditLog ?? 'gzip',
      sink: { count: dst.written.count, bytes: dst.written.bytes, present: dst.present() },
      declaredBytes: src.objects.declaredBytes(),
    };
  } finally {
    drain.abort();
    await Promise.allSettled(workers);
    redis?.disconnect();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** One pass's per-object figures, as the harness prints them when the pass ends. */
export function passFigures(p: PassFigures, objects: number): Record<string, number> {
  const events = Object.entries(p.coordinator.events)
    .filter(([t]) => t === 'object' || t === 'verify' || t === 'task')
    .reduce((a, [, x]) => a + x, 0);
  return {
    objects,
    tasks: p.tasks,
    wall_s: p.wallMs / 1000,
    objects_per_s: objects / (p.wallMs / 1000),
    coordinator_cpu_us_per_object: p.coordinator.cpuUs / objects,
    coordinator_summary_cpu_us_per_object: p.coordinator.summaryCpuUs / objects,
    coordinator_events_per_object: events / objects,
    requests_per_object: (sum(p.requests.src) + sum(p.requests.dst)) / objects,
    redis_bytes_left_per_task: Math.round((p.left.bytes - p.left.eventBytes) / Math.max(1, p.tasks)),
    redis_peak_delta_mib: p.redisPeakDeltaBytes / 2 ** 20,
    // The journal directory so far (a verify pass adds its own tasks' files).
    journal_bytes_per_object: sum(p.journal) / objects,
    journal_audit_bytes_per_object: p.journal.audit / objects,
    journal_ledger_bytes_per_object: p.journal.ledger / objects,
    journal_summaries_bytes_per_object: p.journal.summaries / objects,
  };
}

/** Per-object and per-task figures of a run (the bench's JSON keys). */
export function scaleFigures(r: ScaleRun): Record<string, number | null> {
  const n = r.objects;
  const c = r.copy;
  const v = r.verify;
  const events = (p: PassFigures) =>
    Object.entries(p.coordinator.events)
      .filter(([t]) => t === 'object' || t === 'verify' || t === 'task')
      .reduce((a, [, x]) => a + x, 0);
  const reqs = (p: PassFigures) =>
    Object.values(p.requests.src).reduce((a, x) => a + x, 0) +
    Object.values(p.requests.dst).reduce((a, x) => a + x, 0);
  return {
    scale_objects: n,
    scale_workers: r.workers,
    // Per task: the pass's peak (tasks waiting in BullMQ) and what it keeps after (dedup, states),
    // without the relayed-events stream, which is capped and does not grow with the count.
    redis_bytes_per_task: Math.round(
      Math.max(0, c.redisPeakDeltaBytes - c.left.eventBytes) / Math.max(1, c.tasks),
    ),
    redis_bytes_left_per_task: Math.round((c.left.bytes - c.left.eventBytes) / Math.max(1, c.tasks)),
    redis_event_stream_mib: c.left.eventBytes / 2 ** 20,
    redis_peak_mib: r.redisPeakBytes / 2 ** 20,
    coordinator_cpu_us_per_object: c.coordinator.cpuUs / n,
    coordinator_events_per_object: events(c) / n,
    coordinator_summary_cpu_us_per_object: c.coordinator.summaryCpuUs / n,
    bullmq_jobs_left: c.left.bullCompleted + c.left.bullFailed + c.left.bullJobHashes,
    copy_requests_per_object: reqs(c) / n,
    copy_objects_per_s: n / (c.wallMs / 1000),
    verify_requests_per_object: v ? reqs(v) / n : null,
    verify_coordinator_cpu_us_per_object: v ? v.coordinator.cpuUs / n : null,
    verify_objects_per_s: v ? n / (v.wallMs / 1000) : null,
    journal_bytes_per_object_measured: r.journalBytes / n,
    journal_copy_bytes_per_object: sum(c.journal) / n,
    journal_copy_audit_bytes_per_object: c.journal.audit / n,
    journal_copy_ledger_bytes_per_object: c.journal.ledger / n,
    copy_tasks: c.tasks,
  };
}
