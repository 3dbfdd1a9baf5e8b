/**
 * The fleet's work queue: BullMQ on Redis, one BullMQ queue per pass, BullMQ jobId = task id.
 * BullMQ gives the leases (a lock per running job, renewed by its worker), stalled-job recovery
 * (a dead worker's job goes back to `wait` once its lock expires, and another worker runs it),
 * retries with backoff, and blocking fetch. On top of it, per pass:
 *   - `ids` (HASH id → kind): every task id ever enqueued. `enqueue` returns only ids it adds,
 *     so the engine's planned counters count each range once; completed jobs are removed from
 *     BullMQ (removeOnComplete), this hash keeps the dedup.
 *   - `st` (HASH id → r | q | d | f | e) and `tc` (HASH `<kind>:total|running|done|failed`):
 *     every state change is one Lua script, so per-kind counts stay exact with concurrent workers,
 *     zombies (a worker whose lease expired finishing late) and re-runs. A job whose task is
 *     already d/f when it starts (re-run after a stall) completes at once.
 * Whether a pass is finished is BullMQ's word: no job waiting, delayed, prioritized or active.
 * A scan task enqueues its copy tasks before it completes, so an empty queue means a done pass.
 */
import { DelayedError, type Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { rangeLabel } from '../../core/keys.ts';
import { mayHoldOthersKeys } from '../../core/rollup.ts';
import type { Task } from '../../core/types.ts';
import type { QueueCounts, TaskError, TaskHandler, TaskOutcome, WorkQueue } from '../../ports/workQueue.ts';
import { BULL_PREFIX, passKeys, queueName } from './keys.ts';
import { maskRedisUrls } from './redisConnection.ts';

/** Leases and retries. A SIGKILLed worker's tasks run elsewhere after ≈ lockMs + stalledMs. */
export type LeaseOptions = {
  /** A running job's lock; renewed every lockMs/2 by its worker. */
  lockMs: number;
  /** How often workers look for jobs whose lock expired. */
  stalledMs: number;
  /**
   * Times a job may be recovered from a stall before BullMQ fails it. High: a stall is a dead
   * worker or a Redis outage, not a bad task, and tasks are idempotent.
   */
  maxStalled: number;
  /** Runs of a task that throws (not object failures: those are in the task's outcome). */
  attempts: number;
  /** First retry delay; doubles each attempt. */
  backoffMs: number;
};

export const DEFAULT_LEASE: LeaseOptions = {
  lockMs: 30_000,
  stalledMs: 15_000,
  maxStalled: 20,
  attempts: 3,
  backoffMs: 5_000,
};

/** Mark new ids (HSETNX) and count them; returns 1/0 per id. KEYS: ids, tc. ARGV: id, kind, … */
const MARK_NEW = `
local out = {}
for i = 1, #ARGV, 2 do
  if redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) == 1 then
    redis.call('HINCRBY', KEYS[2], ARGV[i + 1] .. ':total', 1)
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out`;

/**
 * Move a task to a state, keeping the per-kind counts. KEYS: st, tc, errs, owner, ids. ARGV: id,
 * kind, to. Returns the previous state ('' for none). d and f are final: a late outcome never
 * counts twice, and the owner entry goes (it only guards a run in progress; 10⁶ tasks kept ~60 MB).
 * A closed pass (closePass) treats a task it no longer knows as done: a zombie finishing late.
 */
const TRANSITION = `
local id, kind, to = ARGV[1], ARGV[2], ARGV[3]
local prev = redis.call('HGET', KEYS[1], id) or ''
if prev == '' and redis.call('HGET', KEYS[2], 'closed') and redis.call('HEXISTS', KEYS[5], id) == 0 then return 'd' end
if prev == 'd' or prev == 'f' or prev == to then return prev end
if prev == 'r' then redis.call('HINCRBY', KEYS[2], kind .. ':running', -1) end
if prev == 'e' then
  redis.call('HINCRBY', KEYS[2], kind .. ':failed', -1)
  redis.call('SREM', KEYS[3], id)
end
if to == 'r' then redis.call('HINCRBY', KEYS[2], kind .. ':running', 1)
elseif to == 'd' then redis.call('HINCRBY', KEYS[2], kind .. ':done', 1)
elseif to == 'f' or to == 'e' then redis.call('HINCRBY', KEYS[2], kind .. ':failed', 1) end
if to == 'e' then redis.call('SADD', KEYS[3], id) end
if to == 'd' or to == 'f' then redis.call('HDEL', KEYS[4], id) end
redis.call('HSET', KEYS[1], id, to)
return prev`;

/**
 * Start a task: TRANSITION to r, and take ownership. KEYS: st, tc, errs, owner, ids. ARGV: id,
 * kind, worker. Returns { previous state, previous owner ("<worker> <ms>" or '') }.
 */
const START = `
local id, kind = ARGV[1], ARGV[2]
local prev = redis.call('HGET', KEYS[1], id) or ''
if prev == '' and redis.call('HGET', KEYS[2], 'closed') and redis.call('HEXISTS', KEYS[5], id) == 0 then return {'d', ''} end
local owner = redis.call('HGET', KEYS[4], id) or ''
if prev == 'd' or prev == 'f' then return {prev, owner} end
if prev == 'e' then
  redis.call('HINCRBY', KEYS[2], kind .. ':failed', -1)
  redis.call('SREM', KEYS[3], id)
end
if prev ~= 'r' then redis.call('HINCRBY', KEYS[2], kind .. ':running', 1) end
redis.call('HSET', KEYS[1], id, 'r')
local t = redis.call('TIME')
redis.call('HSET', KEYS[4], id, ARGV[3] .. ' ' .. (tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)))
return {prev, owner}`;

type TaskState = '' | 'r' | 'q' | 'd' | 'f' | 'e';

export type Consumer = {
  /** Tasks being run right now by this consumer. */
  inFlight(): number;
  /** Their ids. */
  inFlightIds(): string[];
  /** Stop fetching tasks (in-flight ones go on). */
  pause(): Promise<void>;
  resume(): void;
  /** Stop fetching and wait for in-flight tasks to end (force: do not wait). */
  close(force?: boolean): Promise<void>;
};

export type ConsumeOptions = {
  concurrency: number;
  /** Shown by BullMQ as the worker name. */
  name?: string;
  /** Aborted when the process stops hard: handlers see it, in-flight tasks are re-run elsewhere. */
  signal?: AbortSignal;
  /** Called after every task (outcome, or the error it threw). */
  onTask?: (task: Task, r: { outcome?: TaskOutcome; error?: unknown; ms: number }) => void;
  /** Called before a task's result is committed (e.g. flush relayed events and journal lines). */
  beforeCommit?: (task: Task) => Promise<void>;
  /** This consumer's worker id (task ownership). */
  owner?: string;
  /**
   * A task delivered again while its previous runner may still be at it (its lease expired during
   * a Redis outage, but the process lives on): is that runner still running it? If so, the task
   * waits a lease instead of running twice at once.
   */
  busyElsewhere?: (taskId: string, owner: string, sinceMs: number) => Promise<boolean>;
};

const KINDS: Array<Task['kind']> = ['scan', 'copy', 'verify'];

/**
 * Largest task payload (JSON) a BullMQ job carries. Range tasks are a few hundred bytes; a retry
 * task lists its keys (tasks.maxObjects of them, up to 50,000: ~2 MB per job, stored in Redis and
 * sent to a worker on every fetch), so one above this is split into several jobs.
 */
export const MAX_TASK_PAYLOAD = 64 * 1024;

/**
 * A task as jobs of at most MAX_TASK_PAYLOAD: a retry task's keys cut into parts with ids
 * `<id>.0000`, `<id>.0001`, … (deterministic, so enqueueing it again dedups; they sort right
 * after the id, before the next retry task). Counts are split so their sums are the task's.
 */
export function boundPayload(t: Task): Task[] {
  if (t.kind === 'scan' || !t.keys || Buffer.byteLength(JSON.stringify(t)) <= MAX_TASK_PAYLOAD) return [t];
  const { keys, ...rest } = t;
  const room =
    MAX_TASK_PAYLOAD - Buffer.byteLength(JSON.stringify({ ...rest, id: `${t.id}.0000`, keys: [] }));
  const parts: string[][] = [];
  let cur: string[] = [];
  let used = 0;
  for (const key of keys) {
    const n = Buffer.byteLength(JSON.stringify(key)) + 1;
    if (cur.length > 0 && used + n > room) {
      parts.push(cur);
      cur = [];
      used = 0;
    }
    cur.push(key);
    used += n;
  }
  if (cur.length > 0) parts.push(cur);
  return parts.map((part, i) => ({
    ...rest,
    id: `${t.id}.${String(i).padStart(4, '0')}`,
    keys: part,
    objects: part.length + (i === 0 ? t.objects - keys.length : 0),
    bytes: i === 0 ? t.bytes : 0,
    seenObjects: part.length + (i === 0 ? t.seenObjects - keys.length : 0),
    seenBytes: i === 0 ? t.seenBytes : 0,
  }));
}
const PENDING_TYPES = ['waiting', 'prioritized', 'delayed', 'waiting-children'] as const;

export class BullWorkQueue implements WorkQueue {
  private readonly queues = new Map<string, Queue>();
  readonly lease: LeaseOptions;

  constructor(
    readonly redis: Redis,
    readonly job: string,
    private readonly o: { lease?: Partial<LeaseOptions>; log?: Logger; pollMs?: number } = {},
  ) {
    this.lease = { ...DEFAULT_LEASE, ...o.lease };
  }

  /** The BullMQ queue of a pass. */
  queue(passId: string): Queue {
    let q = this.queues.get(passId);
    if (!q) {
      q = new Queue(queueName(this.job, passId), {
        connection: this.redis,
        prefix: BULL_PREFIX,
        streams: { events: { maxLen: 1000 } },
        defaultJobOptions: {
          attempts: this.lease.attempts,
          backoff: { type: 'exponential', delay: this.lease.backoffMs },
          // Completed jobs go (the `ids` hash keeps the dedup); failed ones stay for resume.
          removeOnComplete: true,
          removeOnFail: false,
        },
      });
      q.on('error', (err) => this.o.log?.warn({ err: maskRedisUrls(String(err)) }, 'queue error'));
      this.queues.set(passId, q);
    }
    return q;
  }

  async enqueue(passId: string, tasks: Task[]): Promise<Task[]> {
    const unique = [...new Map(tasks.flatMap(boundPayload).map((t) => [t.id, t])).values()];
    if (unique.length === 0) return [];
    const k = passKeys(this.job, passId);
    const [known, closed] = await Promise.all([
      this.redis.hmget(k.ids, ...unique.map((t) => t.id)),
      this.redis.hget(k.taskCounts, 'closed'),
    ]);
    // A closed pass forgot its range tasks: one enqueued now comes from a zombie scan that
    // finished late (every scan of the pass is done), and was enqueued once already.
    const unknown = unique.filter((t, i) => known[i] === null && !(closed && !mayHoldOthersKeys(t.id)));
    if (unknown.length === 0) return [];
    // Add first, mark second: a crash in between leaves a job the re-run scan marks (and counts)
    // when it enqueues the same range again; the jobId keeps BullMQ from holding it twice.
    await this.queue(passId).addBulk(
      unknown.map((t) => ({
        name: t.kind,
        data: t,
        // Scans first: they discover the work (and the totals the ETA needs). A scan handed back
        // by a full queue goes last, so it never takes a slot a waiting copy task needs.
        opts: { jobId: t.id, ...(t.kind !== 'scan' ? { priority: 1 } : t.resumed ? { priority: 2 } : {}) },
      })),
    );
    const flags = (await this.redis.eval(
      MARK_NEW,
      2,
      k.ids,
      k.taskCounts,
      ...unknown.flatMap((t) => [t.id, t.kind]),
    )) as number[];
    return unknown.filter((_, i) => flags[i] === 1);
  }

  async counts(passId: string, kind?: Task['kind']): Promise<QueueCounts> {
    const k = passKeys(this.job, passId);
    const tc = await this.redis.hgetall(k.taskCounts);
    const of = (kd: string) => {
      const n = (f: string) => Number(tc[`${kd}:${f}`] ?? 0);
      const total = n('total');
      const running = Math.max(0, n('running'));
      const done = n('done');
      const failed = n('failed');
      return { pending: Math.max(0, total - running - done - failed), running, done, failed };
    };
    if (kind) return of(kind);
    // Pending and running of the whole pass come from BullMQ itself (what is left to run).
    const c = await this.queue(passId).getJobCounts(...PENDING_TYPES, 'active');
    const per = KINDS.map(of);
    return {
      pending: PENDING_TYPES.reduce((a, t) => a + (c[t] ?? 0), 0),
      running: c.active ?? 0,
      done: per.reduce((a, x) => a + x.done, 0),
      failed: per.reduce((a, x) => a + x.failed, 0),
    };
  }

  /** Nothing left to run in the pass (BullMQ: no job waiting, delayed or active). */
  async idle(passId: string): Promise<boolean> {
    const c = await this.queue(passId).getJobCounts(...PENDING_TYPES, 'active');
    return Object.values(c).every((n) => n === 0);
  }

  async erroredTasks(passId: string, limit: number): Promise<{ count: number; sample: TaskError[] }> {
    const k = passKeys(this.job, passId);
    const ids = (await this.redis.smembers(k.errored)).sort();
    const q = this.queue(passId);
    const sample: TaskError[] = [];
    for (const id of ids.slice(0, limit)) {
      const job = await q.getJob(id);
      const task = job?.data as Task | undefined;
      sample.push({
        id,
        kind: task?.kind ?? ((await this.redis.hget(k.ids, id)) as Task['kind'] | null) ?? 'copy',
        range: task ? rangeLabel(task.range) : '(range not kept)',
        error: job?.failedReason || 'errored after its attempts',
      });
    }
    return { count: ids.length, sample };
  }

  /**
   * Tasks that errored out after all their attempts run again (stalled ones recover by themselves).
   * A closed pass opens again: `retry` re-enters it with new tasks (and its archive restores).
   */
  async requeueUnfinished(passId: string): Promise<number> {
    const k = passKeys(this.job, passId);
    await this.redis.hdel(k.taskCounts, 'closed');
    const q = this.queue(passId);
    let n = 0;
    for (const id of await this.redis.smembers(k.errored)) {
      const job = await q.getJob(id);
      if (job && (await job.getState()) === 'failed') {
        await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      }
      const kind = (await this.redis.hget(k.ids, id)) ?? 'copy';
      await this.transition(passId, id, kind, 'q');
      n++;
    }
    return n;
  }

  private async transition(passId: string, id: string, kind: string, to: TaskState): Promise<TaskState> {
    const k = passKeys(this.job, passId);
    return (await this.redis.eval(
      TRANSITION,
      5,
      k.state,
      k.taskCounts,
      k.errored,
      k.owner,
      k.ids,
      id,
      kind,
      to,
    )) as TaskState;
  }

  /** Run tasks of a pass in this process (a fleet worker, or a local drain). */
  consume(passId: string, handler: TaskHandler, o: ConsumeOptions): Consumer {
    const inFlight = new Set<string>();
    const requeueDelayMs = 500;
    const me = o.owner ?? `consumer-${process.pid}`;
    const k = passKeys(this.job, passId);
    const processor = async (job: Job, token?: string, jobSignal?: AbortSignal) => {
      const task = job.data as Task;
      const started = performance.now();
      const [prev, prevOwner] = (await this.redis.eval(
        START,
        5,
        k.state,
        k.taskCounts,
        k.errored,
        k.owner,
        k.ids,
        task.id,
        task.kind,
        me,
      )) as [TaskState, string];
      if (prev === 'd' || prev === 'f') return { status: 'already-done' };
      if (prev === 'r' && prevOwner && o.busyElsewhere) {
        const [owner = '', since = '0'] = prevOwner.split(' ');
        if (owner !== me && (await o.busyElsewhere(task.id, owner, Number(since)))) {
          // Running twice at once would journal its objects twice: wait for the other run.
          await this.redis.hset(k.owner, task.id, prevOwner);
          await job.moveToDelayed(Date.now() + this.lease.lockMs, token);
          throw new DelayedError();
        }
      }
      inFlight.add(task.id);
      const ac = new AbortController();
      const abort = () => ac.abort(o.signal?.reason ?? jobSignal?.reason);
      o.signal?.addEventListener('abort', abort, { once: true });
      jobSignal?.addEventListener('abort', abort, { once: true });
      try {
        let outcome: TaskOutcome;
        try {
          outcome = await handler(task, ac.signal);
        } catch (err) {
          o.onTask?.(task, { error: err, ms: performance.now() - started });
          await o.beforeCommit?.(task).catch(() => {});
          if (ac.signal.aborted) {
            // Stopping hard: not the task's fault. Back to pending without using an attempt.
            await this.transition(passId, task.id, task.kind, 'q');
            await job.moveToDelayed(Date.now() + requeueDelayMs, token);
            throw new DelayedError();
          }
          const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
          await this.transition(passId, task.id, task.kind, last ? 'e' : 'q');
          this.o.log?.warn(
            { task: task.id, err: String(err), attempt: job.attemptsMade + 1, last },
            'task failed',
          );
          throw err;
        }
        o.onTask?.(task, { outcome, ms: performance.now() - started });
        await o.beforeCommit?.(task);
        if (outcome.status === 'interrupted') {
          // A soft stop: back to pending (not a failed attempt); the re-run skips journaled objects.
          await this.transition(passId, task.id, task.kind, 'q');
          await job.moveToDelayed(Date.now() + requeueDelayMs, token);
          throw new DelayedError();
        }
        await this.transition(passId, task.id, task.kind, outcome.status === 'done' ? 'd' : 'f');
        return outcome;
      } finally {
        inFlight.delete(task.id);
        o.signal?.removeEventListener('abort', abort);
        jobSignal?.removeEventListener('abort', abort);
      }
    };
    const worker = new Worker(queueName(this.job, passId), processor, {
      connection: this.redis,
      prefix: BULL_PREFIX,
      concurrency: o.concurrency,
      lockDuration: this.lease.lockMs,
      stalledInterval: this.lease.stalledMs,
      maxStalledCount: this.lease.maxStalled,
      drainDelay: 2,
      ...(o.name ? { name: o.name } : {}),
    });
    worker.on('error', (err) => this.o.log?.warn({ err: maskRedisUrls(String(err)) }, 'worker error'));
    return {
      inFlight: () => inFlight.size,
      inFlightIds: () => [...inFlight],
      pause: () => worker.pause(true),
      resume: () => worker.resume(),
      close: (force) => worker.close(force),
    };
  }

  /** Wait until nothing is left to run in the pass (or the signal aborts). */
  async waitIdle(passId: string, signal: AbortSignal, onPoll?: () => Promise<void> | void): Promise<void> {
    const pollMs = this.o.pollMs ?? 250;
    let empties = 0;
    while (!signal.aborted) {
      // Two empty readings in a row: the pass is over (one reading is already atomic in BullMQ).
      empties = (await this.idle(passId)) ? empties + 1 : 0;
      if (empties >= 2) return;
      await onPoll?.();
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, pollMs);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(t);
            resolve();
          },
          { once: true },
        );
      });
    }
  }

  /**
   * Process the pass here until nothing is left (the WorkQueue contract; the fleet's workers call
   * `consume` instead, and the coordinator waits for them).
   */
  async drain(
    passId: string,
    handler: TaskHandler,
    opts: { concurrency: number; signal: AbortSignal },
  ): Promise<void> {
    const consumer = this.consume(passId, handler, { concurrency: opts.concurrency, signal: opts.signal });
    try {
      await this.waitIdle(passId, opts.signal);
    } finally {
      await consumer.close();
    }
  }

  /**
   * A finished pass drops what it kept per task: the dedup ids, the task states, the owners and
   * the rollup shares (≈ 600 B per task: 10⁶ tasks = 0.6 GB per pass, 6–8 passes in a plan).
   * Kept: the task counts (stat), the rollup sums and sets (report), failures (retry), and the
   * ids, states and shares of tasks that errored out (resume and retry re-queue those). Once
   * `closed`, a task the pass does not know is done (a zombie ending late changes nothing) and a
   * range task is not enqueued again; requeueUnfinished (resume, retry) opens it again.
   */
  async closePass(passId: string): Promise<void> {
    const k = passKeys(this.job, passId);
    const errored = await this.redis.smembers(k.errored);
    const [kinds, states, shares] = errored.length
      ? await Promise.all([
          this.redis.hmget(k.ids, ...errored),
          this.redis.hmget(k.state, ...errored),
          this.redis.hmget(k.rollupShare, ...errored),
        ])
      : [[], [], []];
    const m = this.redis.multi().unlink(k.ids, k.state, k.owner, k.rollupShare);
    errored.forEach((id, i) => {
      m.hset(k.ids, id, kinds[i] ?? 'copy');
      if (states[i]) m.hset(k.state, id, states[i]!);
      if (shares[i]) m.hset(k.rollupShare, id, shares[i]!);
    });
    await m.hset(k.taskCounts, 'closed', '1').exec();
  }

  /** Remove a finished pass's BullMQ keys (its ids/counts stay for stat and resume). */
  async obliterate(passId: string): Promise<void> {
    await this.queue(passId).obliterate({ force: true });
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => {})));
    this.queues.clear();
  }
}
