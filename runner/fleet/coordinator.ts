/**
 * The fleet coordinator's side: the same `executePass` as a standalone run, with Redis ports.
 * Its queue's `drain` does not run tasks: it points the fleet at the pass (`ossm:active`), then
 * waits until BullMQ has nothing left to run, relaying the workers' events and emitting their
 * status as `workers` events. A soft stop (Ctrl-C, `ossmigrate stop`) stops the fleet too.
 */
import type { Logger } from 'pino';
import type { BullWorkQueue, LeaseOptions } from '../adapters/queue/bullQueue.ts';
import type { FleetConnection } from '../adapters/queue/fleetConnection.ts';
import type { EventSink, WorkerStatus } from '../core/events.ts';
import type { Task } from '../core/types.ts';
import type { WorkerRecord } from '../ports/jobBackend.ts';
import type { JobState } from '../ports/jobState.ts';
import type { QueueCounts, TaskError, TaskHandler, WorkQueue } from '../ports/workQueue.ts';

/** The public part of a worker record (the `workers` event's schema). */
export function workerStatus(w: WorkerRecord): WorkerStatus {
  return {
    id: w.id,
    host: w.host,
    pid: w.pid,
    tasks: w.tasks,
    bytesPerSec: w.bytesPerSec,
    errors: w.errors,
    lastSeen: w.lastSeen,
    state: w.state,
  };
}

export type CoordinatorOptions = {
  emit: EventSink;
  log: Logger;
  /** Hard stop of the coordinator: leave at once (the fleet's stop request is already set). */
  hard: AbortSignal;
  /** How long a soft stop waits for the workers to put their tasks back. */
  stopWaitMs?: number;
  pollMs?: number;
  workersEveryMs?: number;
  /** Warn when no worker is live for this long. */
  noWorkersWarnMs?: number;
  /** Leases and retries (OSSMIGRATE_LOCK_MS …, read by the entry point; default DEFAULT_LEASE). */
  lease?: Partial<LeaseOptions>;
};

export class CoordinatorQueue implements WorkQueue {
  readonly inner: BullWorkQueue;

  constructor(
    readonly conn: FleetConnection,
    readonly job: string,
    private readonly state: JobState,
    private readonly o: CoordinatorOptions,
  ) {
    this.inner = conn.queue(job, {
      ...(o.lease ? { lease: o.lease } : {}),
      log: o.log,
      pollMs: o.pollMs ?? 250,
    });
  }

  enqueue(passId: string, tasks: Task[]): Promise<Task[]> {
    return this.inner.enqueue(passId, tasks);
  }

  counts(passId: string, kind?: Task['kind']): Promise<QueueCounts> {
    return this.inner.counts(passId, kind);
  }

  requeueUnfinished(passId: string): Promise<number> {
    return this.inner.requeueUnfinished(passId);
  }

  erroredTasks(passId: string, limit: number): Promise<{ count: number; sample: TaskError[] }> {
    return this.inner.erroredTasks(passId, limit);
  }

  async workerBytes(passId: string): Promise<Record<string, number>> {
    const all = await this.conn.fleet.workers();
    return Object.fromEntries(
      all.filter((w) => w.job === this.job && w.passId === passId).map((w) => [w.id, w.bytes]),
    );
  }

  /** Relay worker events of the pass from `after` on; returns the last id read. */
  private async relay(passId: string, after: string): Promise<string> {
    let last = after;
    for (;;) {
      // 100 entries: up to 50,000 events (a worker's flush is one entry).
      const r = await this.conn.fleet.readEvents(this.job, passId, last, 100);
      for (const e of r.events) this.o.emit(e);
      last = r.lastId;
      if (r.entries < 100) return last;
    }
  }

  private async emitWorkers(): Promise<WorkerRecord[]> {
    const all = await this.conn.fleet.workers();
    this.o.emit({ type: 'workers', workers: all.map(workerStatus) });
    return all;
  }

  /** The fleet runs the pass; this waits for it (the handler is the workers' business). */
  async drain(
    passId: string,
    _handler: TaskHandler,
    opts: { concurrency: number; signal: AbortSignal },
  ): Promise<void> {
    const fleet = this.conn.fleet;
    let lastEvent = await fleet.lastEventId(this.job, passId);
    await fleet.setActive(this.job, passId);
    this.o.log.info({ pass: passId }, 'fleet pointed at the pass');
    const workersEvery = this.o.workersEveryMs ?? 2000;
    const warnAfter = this.o.noWorkersWarnMs ?? 30_000;
    let lastWorkers = 0;
    let noWorkersSince = Date.now();
    let warned = 0;
    const notes = new Set<string>();
    const onPoll = async () => {
      lastEvent = await this.relay(passId, lastEvent);
      if (Date.now() - lastWorkers < workersEvery) return;
      lastWorkers = Date.now();
      const all = (await this.emitWorkers()).filter((w) => w.state !== 'gone');
      const live = all.length;
      // Workers that are up but cannot work (no credentials for the source, …) say why.
      for (const w of all) {
        if (w.note && !notes.has(`${w.id} ${w.note}`)) {
          notes.add(`${w.id} ${w.note}`);
          this.o.emit({
            type: 'log',
            level: 'warn',
            message: `worker ${w.id} on ${w.host} cannot work: ${w.note}`,
          });
        }
      }
      if (live > 0) noWorkersSince = Date.now();
      else if (Date.now() - noWorkersSince > warnAfter && Date.now() - warned > warnAfter) {
        warned = Date.now();
        this.o.emit({
          type: 'log',
          level: 'warn',
          message: `no live worker for ${Math.round((Date.now() - noWorkersSince) / 1000)} s: start some with \`ossmigrate worker\` (OSSMIGRATE_REDIS_URL in their environment)`,
        });
      }
    };
    await this.inner.waitIdle(passId, opts.signal, onPoll);
    if (opts.signal.aborted) {
      // The coordinator stops: so does the fleet, at object boundaries; tasks go back to the queue.
      await this.state.setControl({ stopRequested: true });
      const deadline = Date.now() + (this.o.stopWaitMs ?? 120_000);
      while (!this.o.hard.aborted && Date.now() < deadline) {
        const c = await this.inner.counts(passId);
        if (c.running === 0) break;
        lastEvent = await this.relay(passId, lastEvent);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    await this.relay(passId, lastEvent).catch(() => {});
    // Read to the end: a next coordinator of this pass starts at the newest event anyway.
    await fleet.dropEvents(this.job, passId).catch(() => {});
    await this.emitWorkers().catch(() => {});
  }

  async close(): Promise<void> {
    await this.inner.close();
  }
}
