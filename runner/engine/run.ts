/**
 * Execute one pass with whatever ports it is given: embedded SQLite queue and state for a
 * standalone run, BullMQ and Redis for a fleet. This is the only place that wires a pass together.
 */
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { type JobSpec, sourceKeyPrefix } from '../config/job.ts';
import { keyMapper } from '../core/copyPolicy.ts';
import type { EventSink, StopReason, Summary } from '../core/events.ts';
import type { PhaseWindow, Task } from '../core/types.ts';
import type { JobState, PassInfo } from '../ports/jobState.ts';
import type { Journal } from '../ports/journal.ts';
import { withRollup } from '../ports/journal.ts';
import type { ObjectStore } from '../ports/objectStore.ts';
import type { WorkQueue } from '../ports/workQueue.ts';
import type { EngineContext } from './context.ts';
import { TokenBucket } from './limiter.ts';
import { drainRestores, rootScan, runTask, startControlLoop, startProgress } from './pass.ts';
import { type LedgerTotals, summarize } from './summary.ts';

export type Ports = {
  spec: JobSpec;
  src: ObjectStore;
  dst: ObjectStore;
  state: JobState;
  queue: WorkQueue;
  journal: Journal;
  emit: EventSink;
  log: Logger;
  /** Hard stop. */
  signal: AbortSignal;
  now?: () => Date;
};

export type PassRun = {
  pass: PassInfo;
  summary: Summary;
  totals: LedgerTotals;
  /** Archived objects still being restored when the pass ended. */
  restoresPending: number;
  stopped: boolean;
  /** The run stopped itself (transfer.stopOnInternalError). */
  stoppedBy?: StopReason;
};

export function windowOf(pass: Pick<PassInfo, 'phase' | 't1' | 't2'>): PhaseWindow {
  return { phase: pass.phase, t1: new Date(pass.t1), ...(pass.t2 ? { t2: new Date(pass.t2) } : {}) };
}

const stamp = (iso: string) => iso.replace(/[-:]/g, '').replace(/\.000Z$/, 'Z');

/** Stable, readable pass ids: full-20261122T040000Z, incremental-…-…, verify-full-…, plan-…. */
export function passId(
  mode: PassInfo['mode'],
  w: { phase: PassInfo['phase']; t1: string; t2?: string },
): string {
  const base = `${w.phase}-${stamp(w.t1)}${w.t2 ? `-${stamp(w.t2)}` : ''}`;
  return mode === 'copy' ? base : `${mode}-${base}`;
}

/**
 * T1 on a whole second: HEAD and HTTP dates have one-second resolution, so "modified before T1"
 * is then decided the same way from a listing (ms) and from a Last-Modified header (s).
 */
export function wholeSecond(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

export function newPass(
  mode: PassInfo['mode'],
  w: { phase: PassInfo['phase']; t1: Date; t2?: Date },
  now: Date,
): PassInfo {
  const t1 = wholeSecond(w.t1).toISOString();
  const t2 = w.t2?.toISOString();
  return {
    id: passId(mode, { phase: w.phase, t1, ...(t2 ? { t2 } : {}) }),
    phase: w.phase,
    t1,
    ...(t2 ? { t2 } : {}),
    mode,
    startedAt: now.toISOString(),
    status: 'running',
  };
}

export function sourcePrefix(spec: JobSpec): string {
  return sourceKeyPrefix(spec.source);
}

export function makeContext(
  p: Ports,
  pass: PassInfo,
  o: {
    stopping: () => boolean;
    requestStop?: (why: StopReason) => void;
    bucket?: TokenBucket;
    objectSlots?: EngineContext['objectSlots'];
    onBytes?: (n: number) => void;
  },
): EngineContext {
  return {
    spec: p.spec,
    pass,
    window: windowOf(pass),
    src: p.src,
    dst: p.dst,
    srcPrefix: sourcePrefix(p.spec),
    dstPrefix: p.spec.destination.prefix,
    mapKey: keyMapper({
      srcPrefix: sourcePrefix(p.spec),
      dstPrefix: p.spec.destination.prefix,
      stripLeadingSlash: p.spec.keys.stripLeadingSlash,
    }),
    state: p.state,
    // Ended tasks fold into the pass rollup the report reads (core/rollup.ts).
    journal: withRollup(p.journal, p.state),
    queue: p.queue,
    bucket: o.bucket ?? new TokenBucket(),
    objectSlots: o.objectSlots ?? pLimit(p.spec.transfer.concurrency),
    emit: p.emit,
    log: p.log,
    signal: p.signal,
    stopping: o.stopping,
    // A fleet worker stops the whole fleet the way `ossmigrate stop` does.
    requestStop:
      o.requestStop ??
      ((why) => {
        p.log.error({ ...why }, 'stopping the run');
        p.state.setControl({ stopRequested: true }).catch(() => {});
      }),
    onBytes: o.onBytes ?? (() => {}),
    now: p.now ?? (() => new Date()),
    knownEmpty: new Set(),
  };
}

/**
 * Run (or resume) a pass to its end. A soft stop (`softStop` aborted, or `ossmigrate stop`)
 * finishes the objects in flight and leaves the rest for the next run.
 */
export async function executePass(
  p: Ports,
  pass: PassInfo,
  o: {
    resumed: boolean;
    seed?: Task[];
    softStop?: AbortSignal;
    taskConcurrency?: number;
    progressMs?: number;
    controlMs?: number;
  },
): Promise<PassRun> {
  const started = Date.now();
  const soft = new AbortController();
  const onHard = () => soft.abort();
  p.signal.addEventListener('abort', onHard, { once: true });
  o.softStop?.addEventListener('abort', () => soft.abort(), { once: true });
  let stoppedBy: StopReason | undefined;
  const ctx = makeContext(p, pass, {
    stopping: () => soft.signal.aborted,
    requestStop: (why) => {
      if (!stoppedBy) {
        stoppedBy = why;
        p.log.error({ ...why }, 'stopping the run');
        p.emit({ type: 'log', level: 'error', message: why.message });
      }
      soft.abort();
    },
  });

  p.emit({
    type: 'pass',
    passId: pass.id,
    phase: pass.phase,
    mode: pass.mode,
    t1: pass.t1,
    ...(pass.t2 ? { t2: pass.t2 } : {}),
    resumed: o.resumed,
  });
  if (o.resumed) {
    await p.queue.requeueUnfinished(pass.id);
    if (o.seed) await p.queue.enqueue(pass.id, o.seed);
  } else {
    await p.state.beginPass(pass);
    await p.queue.enqueue(pass.id, o.seed ?? [rootScan(ctx.srcPrefix)]);
  }
  await p.state.updatePass(pass.id, { status: 'running' });

  const stopControl = startControlLoop(ctx, { intervalMs: o.controlMs ?? 2000, onStop: () => soft.abort() });
  const stopProgress = startProgress(ctx, { intervalMs: o.progressMs ?? 1000 });
  const stage = pass.mode === 'verify' ? 'verify' : pass.mode === 'plan' ? 'scan' : 'copy';
  p.emit({ type: 'stage', stage, state: 'start' });
  let restoresPending = 0;
  try {
    await p.queue.drain(pass.id, (task) => runTask(ctx, task), {
      concurrency: o.taskConcurrency ?? p.spec.scan.parallelism + 4,
      signal: soft.signal,
    });
    if (pass.mode === 'copy' && !soft.signal.aborted) restoresPending = await drainRestores(ctx);
  } finally {
    stopControl();
    await stopProgress();
    p.signal.removeEventListener('abort', onHard);
    p.emit({ type: 'stage', stage, state: 'end' });
  }
  const counts = await p.queue.counts(pass.id);
  // A self-stop counts as stopped even on the last object: the run did not go on to verify.
  const stopped =
    (soft.signal.aborted && (counts.pending > 0 || counts.running > 0)) || stoppedBy !== undefined;
  if (!stopped) {
    // A restart with the same work dir must see this pass as finished only if nothing is left.
    await p.state.updatePass(pass.id, { status: 'done', finishedAt: new Date().toISOString() });
  } else {
    await p.state.updatePass(pass.id, { status: 'stopped' });
  }
  const { summary, totals } = await summarize(pass, p.journal, p.state, Date.now() - started, 0);
  if (stoppedBy) summary.stoppedBy = stoppedBy;
  if (!stopped && counts.failed > 0) {
    // A listing that kept failing leaves its whole range out of every count: say so, never "complete".
    const errored = await p.queue.erroredTasks(pass.id, 5);
    if (errored.count > 0) {
      summary.erroredTasks = errored.count;
      summary.taskErrors = errored.sample.map(({ kind, range, error }) => ({ kind, range, error }));
    }
  }
  return { pass, summary, totals, restoresPending, stopped, ...(stoppedBy ? { stoppedBy } : {}) };
}
