/**
 * `ossmigrate worker`: a long-running fleet service. It follows the pass the fleet works on
 * (`ossm:active`), takes its tasks from BullMQ and runs each with the engine's own `runTask`,
 * built from the job spec and pass in Redis plus this machine's credentials (never stored in
 * Redis) and endpoint (OSSMIGRATE_OSS_ENDPOINT: the region's internal one).
 *
 *   - joins at any time: a heartbeat every 2 s, then it takes tasks of the active pass;
 *   - bandwidth: the fleet-wide limit (job or `ossmigrate limit`) divided by the live workers,
 *     re-read every 2 s; pause / stop requests hold or wind down its tasks;
 *   - SIGTERM: stop taking tasks, let in-flight ones finish (up to --drain-timeout, then they stop
 *     at object boundaries and go back to the queue), flush journals, exit 0. A second signal
 *     exits at once: its tasks' leases expire and other workers re-run them (tasks are
 *     idempotent; multipart uploads resume from their checkpoints in Redis).
 *   - Redis restarts: the client reconnects and BullMQ carries on; nothing is lost (AOF).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import pkg from '../../package.json' with { type: 'json' };
import { BullWorkQueue, type Consumer, type LeaseOptions } from '../adapters/queue/bullQueue.ts';
import { FleetStore } from '../adapters/queue/fleetStore.ts';
import {
  checkEvictionPolicy,
  connectRedis,
  maskRedisUrls,
  type RedisTarget,
} from '../adapters/queue/redisConnection.ts';
import { RedisJobState } from '../adapters/state/redisState.ts';
import type { Credentials } from '../config/credentials.ts';
import { parseJob } from '../config/job.ts';
import { ConfigError } from '../core/errors.ts';
import type { EngineEvent } from '../core/events.ts';
import { ExitCode } from '../core/exitCodes.ts';
import type { EngineContext } from '../engine/context.ts';
import { TokenBucket } from '../engine/limiter.ts';
import { runTask, startControlLoop } from '../engine/pass.ts';
import { makeContext, type Ports } from '../engine/run.ts';
import type { JournalLocation, WorkerRecord } from '../ports/jobBackend.ts';
import type { Journal } from '../ports/journal.ts';
import type { StoresFactory } from '../ports/objectStore.ts';
import { closeJournal, flushTask, openJournal } from './journals.ts';

/**
 * Everything is resolved by the entry point (runner/worker/main.ts): the queue, the credentials,
 * the log and the environment's settings arrive as values.
 */
export type WorkerOptions = {
  /** The fleet's Redis (URL parsed, password from the environment applied). */
  target: RedisTarget;
  /** This machine's credentials (never stored in Redis). */
  creds: Credentials;
  /** The worker log (secrets scrubbed). */
  log: Logger;
  /** The journal location this machine's flags / environment name (the job's own wins). */
  journal?: JournalLocation;
  /** OSSMIGRATE_LOCK_MS … (default DEFAULT_LEASE). */
  lease?: Partial<LeaseOptions>;
  /** OSSMIGRATE_OSS_ENDPOINT: the region's internal endpoint, for a journal bucket. */
  ossEndpoint?: string;
  /** Object transfers in flight on this worker (default: the job's transfer.concurrency). */
  concurrency?: number;
  /** Tasks in flight on this worker. */
  tasks?: number;
  /** After SIGTERM, how long in-flight tasks may run before they stop at object boundaries. */
  drainTimeoutMs?: number;
  makeStores: StoresFactory;
  /** A line for humans (stderr). */
  say: (line: string) => void;
  /** Machine-readable lifecycle events (stdout with --json). */
  json?: (obj: Record<string, unknown>) => void;
  /** First signal: drain. Second: the caller exits at once. */
  drain: AbortSignal;
  heartbeatMs?: number;
  pollMs?: number;
  controlMs?: number;
};

/** What the worker is doing for one pass. */
type Engagement = {
  job: string;
  passId: string;
  ctx: EngineContext;
  consumer: Consumer;
  journal: Journal;
  queue: BullWorkQueue;
  stopControl: () => void;
  relay: Relay;
  held: boolean;
};

/** Batches the worker's task / object / verify events into the pass's stream in Redis. */
class Relay {
  private buf: EngineEvent[] = [];
  private chain = Promise.resolve();
  private timer: NodeJS.Timeout;

  constructor(
    private readonly fleet: FleetStore,
    private readonly job: string,
    private readonly passId: string,
    private readonly log: Logger,
  ) {
    this.timer = setInterval(() => void this.flush().catch(() => {}), 250);
    this.timer.unref();
  }

  push(e: EngineEvent): void {
    if (e.type === 'task' || e.type === 'object' || e.type === 'verify') this.buf.push(e);
  }

  flush(): Promise<void> {
    const run = this.chain.then(async () => {
      if (this.buf.length === 0) return;
      const batch = this.buf.splice(0, this.buf.length);
      try {
        await this.fleet.publish(this.job, this.passId, batch);
      } catch (err) {
        this.log.warn({ err: String(err) }, 'event relay failed');
      }
    });
    this.chain = run;
    return run;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}

/** Bytes per second over a sliding window. */
class Meter {
  private samples: Array<{ t: number; n: number }> = [];
  total = 0;

  add(n: number): void {
    this.total += n;
  }

  rate(windowMs = 5000): number {
    const now = Date.now();
    this.samples.push({ t: now, n: this.total });
    while (this.samples.length > 2 && now - this.samples[0]!.t > windowMs) this.samples.shift();
    const first = this.samples[0]!;
    return now > first.t ? Math.round(((this.total - first.n) * 1000) / (now - first.t)) : 0;
  }
}

/**
 * Wait ms, or until signal aborts. The abort listener goes when the timer fires: an idle worker
 * polls every pollMs for days, and listeners left on its drain signal (shared by every worker
 * loop of a process) made each addEventListener scan all of them (a 10⁷-object run: hours).
 */
export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const wake = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', wake);
      resolve();
    }, ms);
    signal?.addEventListener('abort', wake, { once: true });
  });

export async function runWorker(o: WorkerOptions): Promise<number> {
  const { target, creds, log } = o;
  const id = `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
  const say = (line: string) => o.say(maskRedisUrls(line));
  const ownJournal = o.journal;
  const taskSlots = o.tasks ?? 4;
  const lease = o.lease ?? {};

  let lastRetrySay = 0;
  say(`worker ${id}: connecting to ${target.display}`);
  const redis = await connectRedis(target, {
    name: `ossmigrate-worker:${id}`,
    signal: o.drain,
    onRetry: (n, err) => {
      if (Date.now() - lastRetrySay > 10_000) {
        lastRetrySay = Date.now();
        say(`waiting for Redis at ${target.display} (attempt ${n}${err ? `: ${err.message}` : ''})`);
      }
    },
  }).catch((e: unknown) => {
    if (o.drain.aborted) return undefined;
    throw e;
  });
  if (!redis) {
    say(`worker ${id} stopped before Redis was reached`);
    return ExitCode.OK;
  }
  redis.on('error', (err: Error) => log.warn({ err: maskRedisUrls(err.message) }, 'redis error'));
  let redisDown = false;
  redis.on('close', () => {
    if (!redisDown && !o.drain.aborted) say('lost the connection to Redis; reconnecting (tasks go on)');
    redisDown = true;
  });
  redis.on('ready', () => {
    if (redisDown) say('reconnected to Redis');
    redisDown = false;
  });
  try {
    await checkEvictionPolicy(redis, target.display);
  } catch (e) {
    redis.disconnect();
    throw e;
  }

  const fleet = new FleetStore(redis);
  const bucket = new TokenBucket();
  const meter = new Meter();
  const startedAt = new Date().toISOString();
  const hard = new AbortController();
  let live = 1;
  let errors = 0;
  let objects = 0;
  let note: string | undefined;
  let current: Engagement | undefined;
  let draining = false;
  let drainExpired = false;
  let stopRequested = false;
  let objectSlots: ReturnType<typeof pLimit> | undefined;

  const record = (): Omit<WorkerRecord, 'lastSeen'> => ({
    id,
    host: hostname(),
    pid: process.pid,
    tasks: current?.consumer.inFlight() ?? 0,
    taskIds: current?.consumer.inFlightIds() ?? [],
    bytesPerSec: meter.rate(),
    errors,
    state: draining ? 'draining' : (current?.consumer.inFlight() ?? 0) > 0 ? 'active' : 'idle',
    version: pkg.version,
    startedAt,
    concurrency: o.concurrency ?? 0,
    taskSlots,
    bytes: meter.total,
    objects,
    ...(current ? { job: current.job, passId: current.passId } : {}),
    ...(ownJournal ? { journal: ownJournal } : {}),
    ...(note ? { note } : {}),
  });

  const beat = async () => {
    await fleet.heartbeat(record());
    live = Math.max(1, await fleet.liveCount());
  };

  /** Is another (live) worker still running this task? Its heartbeat lists its tasks. */
  const heartbeatMs = o.heartbeatMs ?? 2000;
  const busyElsewhere = async (taskId: string, owner: string, sinceMs: number): Promise<boolean> => {
    const [recs, now] = await Promise.all([fleet.workers(), fleet.serverTimeMs()]);
    const rec = recs.find((w) => w.id === owner);
    // Silent for over two beats: dead (SIGKILL, crash), so its task is ours now.
    if (!rec || rec.state === 'gone' || now - Date.parse(rec.lastSeen) > 2 * heartbeatMs + 1000) return false;
    if (rec.taskIds?.includes(taskId)) return true;
    // Not reported since it took the task: give it the benefit of the doubt for a beat or two.
    return Date.parse(rec.lastSeen) < sinceMs + 2 * heartbeatMs;
  };

  const emit = (e: EngineEvent) => {
    if (e.type === 'object') {
      objects++;
      if (e.outcome === 'failed') errors++;
    }
    current?.relay.push(e);
  };

  const disengage = async () => {
    const c = current;
    if (!c) return;
    c.stopControl();
    await c.consumer.close();
    await c.relay.close();
    await closeJournal(c.journal).catch((err: unknown) =>
      log.warn({ err: String(err) }, 'journal flush failed'),
    );
    await c.queue.close();
    current = undefined;
  };

  const engage = async (job: string, passId: string): Promise<void> => {
    const jobState = new RedisJobState(redis, job);
    const def = await jobState.getJob();
    const pass = await jobState.pass(passId);
    if (!def || !pass) throw new ConfigError(`the active pass ${job}/${passId} is not in Redis`);
    let spec = parseJob(JSON.parse(def.spec), `job ${job} in Redis`);
    if (o.concurrency) spec = { ...spec, transfer: { ...spec.transfer, concurrency: o.concurrency } };
    const loc = (await fleet.journal(job)) ?? ownJournal;
    if (!loc) throw new ConfigError(`job ${job} has no journal location`, 'the coordinator records it');
    const { src, dst } = await o.makeStores(spec, creds);
    const journal = openJournal(loc, job, {
      spec,
      creds,
      ...(o.ossEndpoint ? { ossEndpoint: o.ossEndpoint } : {}),
      writer: id,
      log,
    });
    const queue = new BullWorkQueue(redis, job, { lease, log });
    const relay = new Relay(fleet, job, passId, log);
    objectSlots ??= pLimit(spec.transfer.concurrency);
    const ports: Ports = {
      spec,
      src,
      dst,
      state: jobState,
      queue,
      journal,
      emit,
      log,
      signal: hard.signal,
    };
    const ctx = makeContext(ports, pass, {
      // Wind down at object boundaries: a stop request, or a drain past its deadline.
      stopping: () => stopRequested || drainExpired,
      bucket,
      objectSlots,
      onBytes: (n) => meter.add(n),
    });
    const stopControl = startControlLoop(ctx, {
      intervalMs: o.controlMs ?? 2000,
      share: () => live,
    });
    const consumer = queue.consume(passId, (task) => runTask(ctx, task), {
      concurrency: taskSlots,
      name: id,
      owner: id,
      busyElsewhere,
      signal: hard.signal,
      onTask: (task, r) => {
        if (r.error) {
          errors++;
          log.warn({ task: task.id, err: String(r.error) }, 'task error');
        }
      },
      // Lines and events of the task reach Redis / the journal before the task is committed or
      // handed back, so the coordinator's report and a re-run see them.
      beforeCommit: async (task) => {
        await flushTask(journal, passId, task.id);
        await relay.flush();
      },
    });
    current = { job, passId, ctx, consumer, journal, queue, stopControl, relay, held: false };
    say(
      `working on ${job} / ${passId} (${taskSlots} tasks, ${spec.transfer.concurrency} transfers in flight)`,
    );
    o.json?.({ type: 'worker', id, state: 'working', job, passId });
  };

  /** Follow the active pass, and hold the consumer while the job is paused or stopping. */
  let retryAt = 0;
  const poll = async () => {
    const active = await fleet.active();
    const key = active ? `${active.job}/${active.passId}` : undefined;
    const mine = current ? `${current.job}/${current.passId}` : undefined;
    if (key !== mine) {
      if (current) {
        say(`leaving ${mine}`);
        await disengage();
      }
      if (active && Date.now() >= retryAt) {
        try {
          await engage(active.job, active.passId);
          note = undefined;
        } catch (e) {
          retryAt = Date.now() + 10_000;
          note = (e as Error).message;
          errors++;
          say(`cannot work on ${key}: ${note}${e instanceof ConfigError && e.fix ? ` (fix: ${e.fix})` : ''}`);
        }
      }
    }
    if (current) {
      const control = await current.ctx.state.getControl();
      stopRequested = control.stopRequested;
      const hold = control.stopRequested || control.paused;
      if (hold && !current.held) {
        current.held = true;
        await current.consumer.pause();
        say(control.stopRequested ? 'stop requested: finishing objects in flight' : 'paused');
      } else if (!hold && current.held) {
        current.held = false;
        current.consumer.resume();
        say('resumed');
      }
    }
  };

  await beat().catch((err: unknown) => log.warn({ err: String(err) }, 'heartbeat failed'));
  say(`worker ${id} ready (${pkg.version}); waiting for work`);
  o.json?.({ type: 'worker', id, state: 'ready', host: hostname(), pid: process.pid });

  const heartbeat = setInterval(() => {
    beat().catch((err: unknown) => log.warn({ err: String(err) }, 'heartbeat failed'));
  }, heartbeatMs);

  try {
    while (!o.drain.aborted) {
      await poll().catch((err: unknown) => log.warn({ err: maskRedisUrls(String(err)) }, 'poll failed'));
      await sleep(o.pollMs ?? 1000, o.drain);
    }
    // Drain: no new tasks; in-flight ones finish (or, past the deadline, stop between objects).
    draining = true;
    const inFlight = current?.consumer.inFlight() ?? 0;
    say(`draining: ${inFlight} task${inFlight === 1 ? '' : 's'} in flight; again to stop at once`);
    o.json?.({ type: 'worker', id, state: 'draining', tasks: inFlight });
    await beat().catch(() => {});
    const deadline = setTimeout(() => {
      drainExpired = true;
      say('drain deadline reached: stopping tasks at object boundaries');
    }, o.drainTimeoutMs ?? 240_000);
    deadline.unref();
    await current?.consumer.pause();
    await disengage();
    clearTimeout(deadline);
  } finally {
    clearInterval(heartbeat);
  }
  await fleet.leave(record()).catch(() => {});
  say(`worker ${id} stopped`);
  o.json?.({ type: 'worker', id, state: 'stopped' });
  log.flush();
  await redis.quit().catch(() => redis.disconnect());
  return ExitCode.OK;
}
