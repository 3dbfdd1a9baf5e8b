/**
 * One pass over the source (copy, verify or plan): seed the queue with the root scan, drain it,
 * wait for archive restores, and report progress and live bandwidth settings while it runs. The
 * same function drives a standalone run (embedded queue) and a fleet coordinator (the queue is
 * drained by remote workers; see runner/fleet).
 */
import { parseTimetable, type Rate, rateAt } from '../core/bandwidth.ts';
import { isReadable } from '../core/copyPolicy.ts';
import { type SeriesPoint, sameBucket } from '../core/series.ts';
import type { Counters, Task } from '../core/types.ts';
import type { TaskOutcome } from '../ports/workQueue.ts';
import type { EngineContext } from './context.ts';
import { processObject } from './copyObject.ts';
import { runCopyTask } from './copyTask.ts';
import { runScanTask } from './scanTask.ts';
import { taskId } from './taskRange.ts';
import { runVerifyTask } from './verifyTask.ts';

/** Run one task of any kind (what a fleet worker does per queue job, too). */
export async function runTask(ctx: EngineContext, task: Task): Promise<TaskOutcome> {
  ctx.emit({ type: 'task', id: task.id, kind: task.kind, state: 'start' });
  const outcome =
    task.kind === 'scan'
      ? await runScanTask(ctx, task)
      : task.kind === 'copy'
        ? await runCopyTask(ctx, task)
        : await runVerifyTask(ctx, task);
  if (outcome.status !== 'interrupted') {
    ctx.emit({
      type: 'task',
      id: task.id,
      kind: task.kind,
      state: outcome.status === 'failed' ? 'failed' : 'done',
      objects: outcome.objects,
      bytes: outcome.bytes,
    });
  }
  return outcome;
}

/** The root scan of a pass: the whole source prefix. */
export function rootScan(srcPrefix: string): Task {
  const range = { prefix: srcPrefix };
  return { kind: 'scan', id: taskId('scan', range), range, depth: 0 };
}

/**
 * Keep the token bucket in line with the job's timetable and live overrides; pause and stop
 * requests too. `share` divides a fleet-wide limit among live workers.
 */
export function startControlLoop(
  ctx: EngineContext,
  o: { intervalMs: number; share?: () => number; onStop?: () => void },
): () => void {
  let lastLimit: string | undefined;
  let lastRate: Rate | undefined;
  const tick = async () => {
    const control = await ctx.state.getControl();
    const limit = control.bandwidth ?? ctx.spec.bandwidth.limit;
    let rate: Rate;
    try {
      rate = rateAt(parseTimetable(limit), ctx.now());
    } catch {
      rate = rateAt(parseTimetable(ctx.spec.bandwidth.limit), ctx.now());
    }
    const share = Math.max(1, o.share?.() ?? 1);
    const mine = rate === null ? null : rate / share;
    ctx.bucket.setRate(mine);
    ctx.bucket.setPaused(control.paused);
    if (limit !== lastLimit || mine !== lastRate) {
      lastLimit = limit;
      lastRate = mine;
      ctx.emit({ type: 'bandwidth', limit, effectiveBytesPerSec: mine });
    }
    if (control.stopRequested) o.onStop?.();
  };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const loop = () => {
    tick()
      .catch((err: unknown) => ctx.log.warn({ err }, 'control poll failed'))
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, o.intervalMs);
      });
  };
  loop();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}

/** One point of the pass's time series from its counters (cumulative values). */
export function seriesPoint(t: number, c: Counters, workers?: Record<string, number>): SeriesPoint {
  const problems =
    c.missing + c.different + c.extra + c.unverifiable + c.pending + c.verifyErrors + c.destNewer;
  return {
    t,
    bytes: c.bytes,
    objects: c.copied + c.skipped + c.deferred + c.failed + c.verified + problems,
    copied: c.copied,
    skipped: c.skipped,
    deferred: c.deferred,
    failed: c.failed,
    verified: c.verified,
    problems,
    ...(workers && Object.keys(workers).length ? { workers } : {}),
  };
}

/**
 * Progress events from the pass counters (works whoever moves the bytes: this process or a fleet),
 * and the pass's time series in the job state: the latest sample of each bucket is written when
 * the next bucket starts (one write per bucket, however long the pass) and at the end.
 */
export function startProgress(ctx: EngineContext, o: { intervalMs: number }): () => Promise<void> {
  const started = Date.now();
  const samples: Array<{ t: number; bytes: number }> = [];
  const record = ctx.pass.mode !== 'plan';
  let pending: SeriesPoint | undefined;
  let bucketMs = o.intervalMs;
  const flush = async () => {
    if (!pending) return;
    const p = pending;
    pending = undefined;
    bucketMs = await ctx.state.addSample(ctx.pass.id, p, { intervalMs: o.intervalMs });
  };
  const sample = async (now: number, c: Counters) => {
    if (!record) return;
    const workers = await ctx.queue.workerBytes?.(ctx.pass.id).catch(() => undefined);
    const p = seriesPoint(now, c, workers);
    if (pending && !sameBucket(pending.t, p.t, bucketMs)) await flush();
    pending = p;
  };
  const tick = async (last = false) => {
    const c = await ctx.state.counters(ctx.pass.id);
    const scans = await ctx.queue.counts(ctx.pass.id, 'scan');
    const scanDone = scans.pending + scans.running === 0;
    const now = Date.now();
    await sample(now, c).catch((err: unknown) => ctx.log.warn({ err }, 'time series sample failed'));
    if (last) await flush().catch((err: unknown) => ctx.log.warn({ err }, 'time series sample failed'));
    samples.push({ t: now, bytes: c.bytes });
    while (samples.length > 2 && now - samples[0]!.t > 10_000) samples.shift();
    const first = samples[0]!;
    const bytesPerSec = now > first.t ? ((c.bytes - first.bytes) * 1000) / (now - first.t) : 0;
    // The phase's scope only: objects modified after the window are the next phase's.
    const remaining = Math.max(0, c.plannedBytes - (c.doneBytes - c.afterWindowBytes));
    ctx.emit({
      type: 'progress',
      ...c,
      elapsedMs: now - started,
      bytesPerSec: Math.round(bytesPerSec),
      ...(bytesPerSec > 0 && scanDone ? { etaMs: Math.round((remaining / bytesPerSec) * 1000) } : {}),
      scanDone,
    });
  };
  const timer = setInterval(() => {
    tick().catch(() => {});
  }, o.intervalMs);
  return async () => {
    clearInterval(timer);
    await tick(true).catch(() => {});
  };
}

/**
 * Archived objects whose restore was started during the pass: poll them and copy each once it
 * is readable, up to archive.maxWaitMinutes. What is still frozen stays deferred for `retry`.
 */
export async function drainRestores(ctx: EngineContext): Promise<number> {
  const waits = await ctx.state.restoreWaits(ctx.pass.id);
  if (waits.length === 0) return 0;
  ctx.emit({ type: 'stage', stage: 'restore-wait', state: 'start' });
  const deadline = Date.now() + ctx.spec.archive.maxWaitMinutes * 60_000;
  const restoreTask = 'restores';
  let pending = waits;
  let round = 0;
  while (pending.length > 0 && !ctx.signal.aborted && !ctx.stopping()) {
    for (const w of pending) {
      const head = await ctx.src.head(w.key, ctx.signal).catch(() => undefined);
      if (!head) {
        await ctx.state.removeRestoreWait(ctx.pass.id, w.key);
        continue;
      }
      if (!isReadable(head)) continue;
      const r = await processObject(ctx, head, undefined, false);
      if (r.outcome === 'deferred' && r.failureClass === 'ARCHIVED') continue;
      await ctx.journal.append(ctx.pass.id, restoreTask, [r]);
      await ctx.state.recordOutcomes(ctx.pass.id, [r]);
      // It was counted as deferred when the restore started; now it has its final outcome.
      await ctx.state.addCounters(ctx.pass.id, { deferred: -1, [r.outcome]: 1, bytes: r.bytes });
      await ctx.state.removeRestoreWait(ctx.pass.id, w.key);
      ctx.emit({ type: 'object', key: r.key, outcome: r.outcome, size: r.size, bytes: r.bytes });
    }
    pending = await ctx.state.restoreWaits(ctx.pass.id);
    if (pending.length === 0 || Date.now() >= deadline) break;
    // Expedited restores take minutes, bulk ones hours: poll soon first, then every pollSeconds.
    const waitMs = Math.min(ctx.spec.archive.pollSeconds * 1000, 1000 * 2 ** round++);
    await new Promise((r) => setTimeout(r, Math.min(waitMs, Math.max(0, deadline - Date.now()))));
  }
  ctx.emit({ type: 'stage', stage: 'restore-wait', state: 'end' });
  return pending.length;
}
