/**
 * Journals: ossimport's familiar per-task files plus a machine-readable ledger.
 *   <root>/tasks/<taskId>/audit.log.gz  one line per object: time, outcome, size, source ETag, CRC-64,
 *                                       reason, key; gzip members (zcat reads them), or plain audit.log,
 *                                       or none (journal.auditLog: gzip | plain | off)
 *   <root>/tasks/<taskId>/error.list  one line per failed object: class, key, reason and fix
 *   <root>/tasks/<taskId>/STATUS      Running | Completed | Failed
 *   <root>/tasks/<taskId>/ledger…     one JSON object per object outcome; gzip NDJSON once the task ends
 *   <root>/tasks/<taskId>/summary.json    the finished task's totals (TaskSummary): what reports read
 *   <root>/tasks/<taskId>/attention.ndjson  its objects that need attention (failed, deferred, kept)
 *   <root>/tasks/<taskId>/verify.ndjson     a verify task's problems (everything but a match)
 * Standalone: a directory in the work dir. Fleet: a prefix every worker can reach (a shared
 * directory in tests, an OSS prefix in the cloud).
 */

import type { JobSpec } from '../config/job.ts';
import { compareKeys } from '../core/keys.ts';
import {
  addToSummary,
  byCount,
  countOpen,
  emptySummary,
  emptyTotals,
  foldTaskDigests,
  isFinal,
  isTaskSummary,
  needsAttention,
  type PassTotals,
  type TaskDigest,
  type TaskSummary,
} from '../core/ledger.ts';
import { hasRollup, type PassRollup, type RollupStore } from '../core/rollup.ts';
import { type ObjectResult, problemKey, type VerifyResult } from '../core/types.ts';

export type TaskStatus = 'Running' | 'Completed' | 'Failed';

/** journal.auditLog: the form of the per-task audit.log (see adapters/journal/auditLog.ts). */
export type AuditLogMode = JobSpec['journal']['auditLog'];

export interface Journal {
  /** Append object outcomes of a task (ledger, audit.log, error.list). */
  append(passId: string, taskId: string, results: ObjectResult[]): Promise<void>;
  /** What an earlier attempt of this task already finished: key → source ETag (for resume). */
  finished(passId: string, taskId: string): Promise<Map<string, string>>;
  /**
   * An ended task's TaskSummary comes back from journals that keep summaries (for the pass
   * rollup); anything else (nothing) from those that do not.
   */
  setStatus(passId: string, taskId: string, status: TaskStatus): Promise<unknown>;
  /**
   * The pass's ledger, streamed task by task: one result per object (a task's lines merged by
   * mergeTaskResults, so a task that ran twice counts each object once), in first-line order.
   */
  ledger(passId: string): AsyncIterable<ObjectResult>;
  /** One task's ledger, one result per object (mergeTaskResults), every attempt's lines. */
  taskLedger?(passId: string, taskId: string): Promise<ObjectResult[]>;
  /**
   * The pass task by task, in ledger() order, as summaries and attention lines: what a report
   * needs, O(tasks). A task without a current summary (still running, interrupted, or written
   * before summaries existed) is summarised from its ledger on the way.
   */
  digests?(passId: string): AsyncIterable<TaskDigest>;
  /** An ended task's attention lines (attention.ndjson); undefined when the task has no such file. */
  taskAttention?(passId: string, taskId: string): Promise<ObjectResult[] | undefined>;
  /**
   * A verify task's problems (every result but a match), in key order, replacing what an earlier
   * attempt of the task wrote (none: the file goes or is emptied). The job state keeps nothing
   * per object of a verify: at 10⁹ objects, what the business writes after cutover alone would
   * be millions of fields in Redis.
   */
  putVerify(passId: string, taskId: string, problems: VerifyResult[]): Promise<void>;
  /** A verify pass's tasks that found problems, in task-id order, each with its problems. */
  verifyTasks(passId: string): AsyncIterable<{ taskId: string; problems: VerifyResult[] }>;
  /** One verify task's problems (read again when a pass has too many to keep). */
  taskVerify(passId: string, taskId: string): Promise<VerifyResult[]>;
  /** Where a human finds the files (a path or a URL). */
  location(passId: string): string;
}

export const byProblemKey = (a: VerifyResult, b: VerifyResult): number =>
  compareKeys(problemKey(a), problemKey(b));

/** Problems kept in memory while a pass's are read; above it they are read again, task by task. */
export const PROBLEMS_KEPT = 50_000;

/**
 * A verify pass's problems in key order, streamed from its tasks' verify.ndjson files. Tasks
 * cover disjoint key ranges, so a pass ordered by each task's first key is in key order. Up to
 * PROBLEMS_KEPT they are kept from the one read, sorted, and an object two tasks both verified
 * (a resumed pass whose cuts moved) is listed once, the later task's; above, they are read
 * again task by task. Memory: a task's problems plus one key per task that has some.
 */
export async function* passProblems(journal: Journal, passId: string): AsyncIterable<VerifyResult> {
  const firsts: Array<{ taskId: string; first: VerifyResult }> = [];
  let kept: Map<string, VerifyResult> | undefined = new Map();
  for await (const { taskId, problems } of journal.verifyTasks(passId)) {
    if (problems.length === 0) continue;
    firsts.push({ taskId, first: problems[0]! });
    if (!kept) continue;
    for (const r of problems) kept.set(`${r.status === 'extra' ? 'dst' : 'src'}:${problemKey(r)}`, r);
    if (kept.size > PROBLEMS_KEPT) kept = undefined;
  }
  if (kept) {
    yield* [...kept.values()].sort(byProblemKey);
    return;
  }
  firsts.sort((a, b) => byProblemKey(a.first, b.first));
  for (const { taskId } of firsts) yield* await journal.taskVerify(passId, taskId);
}

/**
 * The pass as task digests: the journal's own when it keeps summaries, else one digest folded
 * from streaming ledger() (journals without summaries: same totals, every line read).
 */
export async function passDigests(journal: Journal, passId: string): Promise<TaskDigest[]> {
  const out: TaskDigest[] = [];
  if (journal.digests) {
    for await (const d of journal.digests(passId)) out.push(d);
    return out;
  }
  const summary = emptySummary();
  const attention: ObjectResult[] = [];
  for await (const r of journal.ledger(passId)) {
    addToSummary(summary, r);
    if (needsAttention(r)) attention.push(r);
  }
  return [{ taskId: '*', summary, attention, ledger: async () => attention }];
}

/**
 * The journal as the engine writes it, reporting to the pass rollup (core/rollup.ts): a task that
 * starts leaves the rollup until it ends, an ended task's summary replaces its share. A task that
 * appends without a start (the archive restores) counts as running: its ledger is read.
 */
export function withRollup(journal: Journal, state: object): Journal {
  if (!hasRollup(state)) return journal;
  const started = new Set<string>();
  const id = (p: string, t: string) => `${p}\u0000${t}`;
  const wrapped: Pick<Journal, 'append' | 'finished' | 'setStatus' | 'ledger' | 'location'> = {
    append: async (p, t, rs) => {
      if (!started.has(id(p, t))) {
        await state.rollupTaskStarted(p, t);
        started.add(id(p, t));
      }
      await journal.append(p, t, rs);
    },
    finished: (p, t) => journal.finished(p, t),
    setStatus: async (p, t, st) => {
      if (st === 'Running') {
        await state.rollupTaskStarted(p, t);
        started.add(id(p, t));
        return journal.setStatus(p, t, st);
      }
      const summary = await journal.setStatus(p, t, st);
      if (isTaskSummary(summary)) await state.rollupTaskEnded(p, t, summary);
      started.delete(id(p, t));
      return summary;
    },
    ledger: (p) => journal.ledger(p),
    location: (p) => journal.location(p),
  };
  // Optional reads and the fleet's flush hooks (inner, flushTask) stay the journal's own.
  return new Proxy(journal, {
    get: (target, prop) => {
      if (prop in wrapped) return wrapped[prop as keyof typeof wrapped];
      const v: unknown = Reflect.get(target, prop);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

type Sums = Pick<PassTotals, 'copied' | 'skipped' | 'bytes' | 'copiedBytes' | 'skippedBy'>;

function addSums(t: Sums, s: TaskSummary): void {
  t.copied += s.copied;
  t.skipped += s.skipped;
  t.bytes += s.bytes;
  t.copiedBytes += s.copiedBytes;
  for (const [k, n] of Object.entries(s.skippedBy)) t.skippedBy[k] = (t.skippedBy[k] ?? 0) + n;
}

/** Tasks whose attention files are read ahead while the open objects stream (an OSS journal: GETs). */
const READ_AHEAD = 8;
/** Tasks between two turns of the event loop while the open objects stream. */
const YIELD_EVERY = 64;
/** Open objects kept in memory after the count when it had to read them (then read once). */
export const OPEN_KEPT = 50_000;

/**
 * Pass totals from the rollup: its sums, plus the running tasks' ledgers. The open objects are
 * streamed from the attention files of the tasks that have some, by whoever lists them (the
 * report: failed.ndjson and report.html in one pass). Their counts come from the sums when
 * every summary broke its open objects down and no retry round or restore may have settled one
 * (no settlers): no attention file is read for them. Otherwise they are counted from the stream
 * (a later line of a settler for the same key settles it), which keeps up to OPEN_KEPT of them
 * so that the report does not read the files again. Memory: the keys of the settler and running
 * tasks, never more than OPEN_KEPT open objects.
 */
async function rollupTotals(journal: Journal, passId: string, r: PassRollup): Promise<PassTotals> {
  const taskLedger = journal.taskLedger!.bind(journal);
  const taskAttention = journal.taskAttention!.bind(journal);
  const t = emptyTotals();
  addSums(t, r.totals);
  const running = new Set(r.running);
  const settlers = new Set(r.settlers);
  const ids = [...new Set([...r.attention, ...r.settlers, ...r.running])].sort();
  const fromSums = settlers.size === 0 && (r.brokenDown ?? 0) === r.totals.open;
  // The last of these tasks (in ledger order) holding each key of a task that may share keys.
  const lastAt = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!running.has(id) && !settlers.has(id)) continue;
    const merged = await taskLedger(passId, id);
    for (const x of merged) lastAt.set(x.key, i);
    if (running.has(id)) {
      addSums(t, summarizeOf(merged));
      // Range tasks only (no settlers): what the stream would count of this task.
      if (fromSums) for (const x of merged) if (!isFinal(x)) countOpen(t, x);
    }
  }
  const lines = (i: number): Promise<ObjectResult[]> => {
    const id = ids[i]!;
    // Running, or its attention file gone (a journal older than the rollup): its ledger.
    const ledgerOpen = async () => (await taskLedger(passId, id)).filter(needsAttention);
    return running.has(id) ? ledgerOpen() : taskAttention(passId, id).then((a) => a ?? ledgerOpen());
  };
  const open: AsyncIterable<ObjectResult> = {
    async *[Symbol.asyncIterator]() {
      const ahead: Array<Promise<ObjectResult[]>> = [];
      let next = 0;
      for (let i = 0; i < ids.length; i++) {
        while (ahead.length < READ_AHEAD && next < ids.length) {
          const p = lines(next++);
          p.catch(() => {}); // awaited in order below; a consumer that stops early drops the rest
          ahead.push(p);
        }
        for (const x of await ahead.shift()!) if (!isFinal(x) && (lastAt.get(x.key) ?? i) <= i) yield x;
        // Reads that resolve at once (a local journal) would otherwise hold timers back for the
        // whole stream: a heartbeat or progress line must still get its turn.
        if (i % YIELD_EVERY === YIELD_EVERY - 1) await new Promise((ok) => setImmediate(ok));
      }
    },
  };
  if (fromSums) {
    t.failed += r.totals.failed ?? 0;
    t.deferred += r.totals.open - (r.totals.failed ?? 0);
    t.deferredAfterWindow += r.totals.deferredAfterWindow ?? 0;
    const by = t.failuresByClass;
    for (const [k, n] of Object.entries(r.totals.failuresByClass ?? {}) as Array<[keyof typeof by, number]>)
      by[k] = (by[k] ?? 0) + n;
    t.failuresByClass = byCount(by);
    t.open = open;
    return t;
  }
  let kept: ObjectResult[] | undefined = [];
  for await (const x of open) {
    countOpen(t, x);
    if (kept && kept.push(x) > OPEN_KEPT) kept = undefined;
  }
  t.failuresByClass = byCount(t.failuresByClass);
  t.open = kept ?? open;
  return t;
}

function summarizeOf(merged: ObjectResult[]): TaskSummary {
  const s = emptySummary();
  for (const x of merged) addToSummary(s, x);
  return s;
}

/**
 * The pass rollup, rebuilt from the journal's per-task files when the state has none (a job
 * journaled before the rollup, or a state restored without it). Tasks without a summary file
 * enter it as running (their ledger is read). Undefined: no rollup possible.
 */
export async function passRollup(
  journal: Journal,
  passId: string,
  state: object | undefined,
): Promise<PassRollup | undefined> {
  if (!state || !hasRollup(state) || !journal.taskLedger || !journal.taskAttention) return undefined;
  const have = await state.passRollup(passId);
  if (have || !journal.digests) return have;
  await rebuildRollup(journal, passId, state);
  return state.passRollup(passId);
}

/** Fold every task's summary file into the state's rollup (idempotent per task). */
export async function rebuildRollup(journal: Journal, passId: string, state: RollupStore): Promise<void> {
  for await (const d of journal.digests!(passId)) {
    if (d.fromLedger) await state.rollupTaskStarted(passId, d.taskId);
    else await state.rollupTaskEnded(passId, d.taskId, d.summary);
  }
}

/**
 * Pass totals (the report's numbers): from the state's pass rollup when it keeps one (O(1) plus
 * the tasks that need attention), else from the task summaries (O(tasks)), else every line.
 */
export async function passTotals(journal: Journal, passId: string, state?: object): Promise<PassTotals> {
  const r = await passRollup(journal, passId, state);
  if (r) return rollupTotals(journal, passId, r);
  return foldTaskDigests(await passDigests(journal, passId));
}

/** Objects of a pass and those kept (DEST_NEWER skips): the rollup, else the task summaries. */
export async function passObjectCounts(
  journal: Journal,
  passId: string,
  state?: object,
): Promise<{ objects: number; kept: number }> {
  const r = await passRollup(journal, passId, state);
  if (r) {
    let objects = r.totals.objects;
    let kept = r.totals.skippedBy.DEST_NEWER ?? 0;
    for (const id of r.running) {
      const s = summarizeOf(await journal.taskLedger!(passId, id));
      objects += s.objects;
      kept += s.skippedBy.DEST_NEWER ?? 0;
    }
    return { objects, kept };
  }
  let objects = 0;
  let kept = 0;
  for (const d of await passDigests(journal, passId)) {
    objects += d.summary.objects;
    kept += d.summary.skippedBy.DEST_NEWER ?? 0;
  }
  return { objects, kept };
}
