/**
 * The pass rollup (issue #17): every finished task's summary (core/ledger.ts TaskSummary) folded
 * into one bounded record in the job state as the task ends, so a report reads one record, not
 * one summary file per task (10⁶ of them at 10⁹ objects). The journals' per-task files stay the
 * source of truth: a missing rollup is rebuilt from them.
 *
 * Idempotent per task: the state keeps each task's last share; a task that ends again replaces
 * it (the summary made from more ledger lines wins, so a late-finishing stale attempt cannot undo
 * a newer one), and a task that starts again takes its share out until it ends.
 *
 * Besides the sums the state keeps three small task sets: running (started, not ended: their
 * share is read from their ledger), attention (tasks with failed / deferred / kept objects: the
 * only attention files a report opens) and settlers (tasks whose keys other tasks also hold:
 * retry rounds and archive restores; their ledgers decide which open objects a later line settled).
 */
import { emptySummary, type TaskSummary } from './ledger.ts';

/** Top-level prefixes a pass rollup keeps by name; the rest add up under OTHER_PREFIX. */
export const ROLLUP_PREFIX_CAP = 1000;
export const OTHER_PREFIX = '\u0000other';

/**
 * The sums of a pass's ended tasks (minKey / maxKey unused). `brokenDown`: how many of the open
 * objects came from summaries that break them down (failed, after the window, by class); when
 * it equals totals.open the report counts them from here, reading no attention file for it.
 */
export type RollupBody = { v: 1; tasks: number; totals: TaskSummary; brokenDown?: number };

export type PassRollup = RollupBody & {
  running: string[];
  attention: string[];
  settlers: string[];
};

export const emptyRollup = (): RollupBody => ({ v: 1, tasks: 0, totals: emptySummary() });

/**
 * Content-derived range tasks (copy-<16 hex>, verify-<16 hex>: taskRange.ts) own disjoint key
 * ranges; any other task id (retry-…, restores, a test's t1) may hold keys another task holds.
 */
export const mayHoldOthersKeys = (taskId: string): boolean =>
  !/^(copy|verify|scan)-[0-9a-f]{16}$/.test(taskId);

/** Whether a task's attention file has lines. */
export const hasAttention = (s: TaskSummary): boolean => s.open > 0 || (s.skippedBy.DEST_NEWER ?? 0) > 0;

function addMap(into: Record<string, number>, from: Record<string, number> | undefined, sign: number): void {
  for (const [k, n] of Object.entries(from ?? {})) {
    const v = (into[k] ?? 0) + sign * n;
    if (v) into[k] = v;
    else delete into[k];
  }
}

/**
 * Add (sign 1) or take out (-1) one task's share. Prefixes: a known one (or a new one while
 * fewer than ROLLUP_PREFIX_CAP are known) by name, else OTHER_PREFIX. Known prefixes are never
 * dropped, so taking a share out finds each prefix where adding put it.
 */
function apply(t: TaskSummary, s: TaskSummary, sign: number): void {
  t.objects += sign * s.objects;
  t.copied += sign * s.copied;
  t.copiedBytes += sign * s.copiedBytes;
  t.skipped += sign * s.skipped;
  t.bytes += sign * s.bytes;
  t.sizeBytes += sign * s.sizeBytes;
  t.open += sign * s.open;
  t.failed = (t.failed ?? 0) + sign * (s.failed ?? 0);
  t.deferredAfterWindow = (t.deferredAfterWindow ?? 0) + sign * (s.deferredAfterWindow ?? 0);
  addMap((t.failuresByClass ??= {}), s.failuresByClass, sign);
  t.lines = (t.lines ?? 0) + sign * (s.lines ?? s.objects);
  addMap(t.skippedBy, s.skippedBy, sign);
  addMap((t.evidence ??= {}), s.evidence, sign);
  for (const [p, v] of Object.entries(s.prefixes)) {
    const named = p in t.prefixes || Object.keys(t.prefixes).length < ROLLUP_PREFIX_CAP;
    const key = p !== OTHER_PREFIX && named ? p : OTHER_PREFIX;
    const into = (t.prefixes[key] ??= { objects: 0, bytes: 0 });
    into.objects += sign * v.objects;
    into.bytes += sign * v.bytes;
  }
}

/** The rollup after a task's share `old` is replaced by `next` (either may be absent). */
export function replaceShare(
  body: RollupBody,
  old: TaskSummary | undefined,
  next: TaskSummary | undefined,
): RollupBody {
  const out: RollupBody = structuredClone(body);
  // Nothing open needs no breakdown; an older summary with open objects has none.
  const brokenDown = (x: TaskSummary) => (x.failed === undefined ? 0 : x.open);
  if (old) {
    apply(out.totals, old, -1);
    out.tasks--;
    out.brokenDown = (out.brokenDown ?? 0) - brokenDown(old);
  }
  if (next) {
    apply(out.totals, next, 1);
    out.tasks++;
    out.brokenDown = (out.brokenDown ?? 0) + brokenDown(next);
  }
  return out;
}

/** A later summary of the same task replaces `stored` unless it was made from fewer lines. */
export const supersedes = (next: TaskSummary, stored: TaskSummary | undefined): boolean =>
  !stored || (next.lines ?? next.objects) >= (stored.lines ?? stored.objects);

/** What a state keeps of a task's summary (its key range is only needed per task). */
export const share = (s: TaskSummary): TaskSummary => ({ ...s, minKey: '', maxKey: '' });

/** The state side of the rollup, implemented by the SQLite and Redis job states. */
export interface RollupStore {
  /** The task starts (again): its share is taken out and it joins the running set. */
  rollupTaskStarted(passId: string, taskId: string): Promise<void>;
  /** The task ended with this summary: it replaces the task's share, the task leaves running. */
  rollupTaskEnded(passId: string, taskId: string, summary: TaskSummary): Promise<void>;
  /** The pass's rollup, or undefined when no task of the pass ever reported to it. */
  passRollup(passId: string): Promise<PassRollup | undefined>;
}

export const hasRollup = (s: object): s is RollupStore =>
  typeof (s as Partial<RollupStore>).passRollup === 'function' &&
  typeof (s as Partial<RollupStore>).rollupTaskEnded === 'function';
