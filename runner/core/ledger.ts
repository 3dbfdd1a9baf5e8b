/**
 * The ledger of a task as one result per object. A task can run more than once — resumed after
 * a crash, re-run by `retry`, or run twice at once when a queue lost its lease (a Redis crash) —
 * and each attempt appends lines. The object still counts once, as what happened to it: copied
 * if any attempt copied it (a later attempt then finds it identical), else the latest final
 * outcome, else the latest open one (failed, deferred). Bytes add up: they were all sent.
 * Keys keep the order of their first line. Memory is one task's objects (tasks are bounded).
 */
import type { ObjectResult } from './types.ts';

export const isFinal = (r: ObjectResult) => r.outcome === 'copied' || r.outcome === 'skipped';

export function mergeTaskResults(lines: Iterable<ObjectResult>): ObjectResult[] {
  const byKey = new Map<string, ObjectResult>();
  for (const r of lines) {
    const prev = byKey.get(r.key);
    if (!prev) {
      byKey.set(r.key, r);
      continue;
    }
    const keepPrev = (prev.outcome === 'copied' && r.outcome !== 'copied') || (isFinal(prev) && !isFinal(r));
    const chosen = keepPrev ? prev : r;
    byKey.set(r.key, { ...chosen, bytes: prev.bytes + r.bytes, attempts: prev.attempts + r.attempts });
  }
  return [...byKey.values()];
}

/**
 * A finished task's totals, written next to its ledger (summary.json) so a report reads one small
 * file per task instead of every ledger line. Same arithmetic as the engine's ledgerTotals over
 * the task's merged lines; `minKey`/`maxKey` let the pass-level fold find the few tasks whose lines
 * could settle another task's open object (retry and restore tasks redo other tasks' keys).
 */
export type TaskSummary = {
  v: 1;
  objects: number;
  minKey: string;
  maxKey: string;
  copied: number;
  copiedBytes: number;
  skipped: number;
  /** Skips by reason, benign classes (SOURCE_GONE, DEST_NEWER) by class, as the report counts them. */
  skippedBy: Record<string, number>;
  /** Transferred bytes, every attempt. */
  bytes: number;
  /** Source bytes of the task's objects. */
  sizeBytes: number;
  /** Failed or deferred in this task (detail in attention.ndjson). */
  open: number;
  /**
   * Of `open`: how many failed, deferred after the window, and by failure class (countOpen's
   * arithmetic), so a report counts them without reading attention.ndjson. Set once `open` is
   * above 0 (a task with nothing open stays as small as before); absent in summaries written
   * before these fields.
   */
  failed?: number;
  deferredAfterWindow?: number;
  failuresByClass?: Partial<Record<NonNullable<ObjectResult['failureClass']>, number>>;
  /** Objects per top-level prefix (first path segment, "" for keys without one). */
  prefixes: Record<string, { objects: number; bytes: number }>;
  /** Objects by what proved their content (ObjectResult.evidence: crc64, md5, size, …). */
  evidence?: Record<string, number>;
  /**
   * Raw ledger lines (every attempt) it was made from: grows with every line, so of two summaries
   * of a task the later one has at least as many (the pass rollup keeps the one with more).
   */
  lines?: number;
};

/** What a report lists by key: not migrated (failed, deferred) or kept (the destination is newer). */
export const needsAttention = (r: ObjectResult): boolean => !isFinal(r) || r.failureClass === 'DEST_NEWER';

export const emptySummary = (): TaskSummary => ({
  v: 1,
  objects: 0,
  minKey: '',
  maxKey: '',
  copied: 0,
  copiedBytes: 0,
  skipped: 0,
  skippedBy: {},
  bytes: 0,
  sizeBytes: 0,
  open: 0,
  prefixes: {},
  evidence: {},
});

/** Count one merged result into a summary. */
export function addToSummary(s: TaskSummary, r: ObjectResult): void {
  if (s.objects === 0 || r.key < s.minKey) s.minKey = r.key;
  if (s.objects === 0 || r.key > s.maxKey) s.maxKey = r.key;
  s.objects++;
  s.bytes += r.bytes;
  s.sizeBytes += r.size;
  const slash = r.key.indexOf('/');
  const top = slash < 0 ? '' : r.key.slice(0, slash + 1);
  const p = (s.prefixes[top] ??= { objects: 0, bytes: 0 });
  p.objects++;
  p.bytes += r.size;
  // Read defensively: the field comes with verification by evidence (ObjectResult.evidence).
  const ev = (r as { evidence?: unknown }).evidence;
  if (typeof ev === 'string' && ev) {
    const e = (s.evidence ??= {});
    e[ev] = (e[ev] ?? 0) + 1;
  }
  if (r.outcome === 'copied') {
    s.copied++;
    s.copiedBytes += r.size;
  } else if (r.outcome === 'skipped') {
    s.skipped++;
    const why = r.failureClass ?? r.skipReason ?? 'other';
    s.skippedBy[why] = (s.skippedBy[why] ?? 0) + 1;
  } else {
    s.open++;
    s.failed ??= 0;
    s.deferredAfterWindow ??= 0;
    s.failuresByClass ??= {};
    countOpen(s as OpenCounts, r);
  }
}

/** A task's merged results as its summary; `lines`: the raw lines they were merged from. */
export function summarizeTask(merged: Iterable<ObjectResult>, lines?: number): TaskSummary {
  const s = emptySummary();
  for (const r of merged) addToSummary(s, r);
  s.lines = lines ?? s.objects;
  return s;
}

/** A task's digest from its merged lines (a task without a summary file). */
export function digestOf(taskId: string, merged: ObjectResult[]): TaskDigest {
  return {
    taskId,
    fromLedger: true,
    summary: summarizeTask(merged),
    attention: merged.filter(needsAttention),
    ledger: async () => merged,
  };
}

export const isTaskSummary = (x: unknown): x is TaskSummary =>
  typeof x === 'object' && x !== null && (x as { v?: unknown }).v === 1;

/** Pass totals: the shape of the engine's LedgerTotals (engine/summary.ts), folded from task summaries. */
export type PassTotals = {
  copied: number;
  skipped: number;
  failed: number;
  deferred: number;
  deferredAfterWindow: number;
  bytes: number;
  copiedBytes: number;
  failuresByClass: Partial<Record<NonNullable<ObjectResult['failureClass']>, number>>;
  skippedBy: Record<string, number>;
  /**
   * The objects not migrated (failed or deferred, the latest line of each), each iteration a new
   * pass over what holds them: a list, or (the pass rollup) the tasks' attention files streamed.
   */
  open: OpenObjects;
};

/** Totals of nothing yet. */
export function emptyTotals(): PassTotals {
  return {
    copied: 0,
    skipped: 0,
    failed: 0,
    deferred: 0,
    deferredAfterWindow: 0,
    bytes: 0,
    copiedBytes: 0,
    failuresByClass: {},
    skippedBy: {},
    open: [],
  };
}

/** What countOpen counts (pass totals; a task summary's breakdown of its `open`, without `deferred`). */
type OpenCounts = Pick<PassTotals, 'failed' | 'deferredAfterWindow' | 'failuresByClass'> & {
  deferred?: number;
};

/** Count one object left open (the latest line of a key that no attempt settled). */
export function countOpen(t: OpenCounts, r: ObjectResult): void {
  if (r.outcome === 'failed') {
    t.failed++;
    const cls = r.failureClass ?? 'INTERNAL';
    t.failuresByClass[cls] = (t.failuresByClass[cls] ?? 0) + 1;
  } else {
    if (t.deferred !== undefined) t.deferred++;
    if (r.skipReason === 'outside-window') t.deferredAfterWindow++;
    if (r.failureClass) t.failuresByClass[r.failureClass] = (t.failuresByClass[r.failureClass] ?? 0) + 1;
  }
}

/**
 * Failures by class, most first (then by name): one order whichever way the totals were made
 * (ledger lines, task digests, the rollup's sums, whose own order is the order tasks ended in).
 */
export function byCount<T extends Record<string, number>>(by: T): T {
  return Object.fromEntries(Object.entries(by).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))) as T;
}

/** Re-iterable, sync or async: `for await (const r of open)` reads both. */
export type OpenObjects = Iterable<ObjectResult> | AsyncIterable<ObjectResult>;

/** One task as the fold sees it: its summary, its attention lines, and its ledger on demand. */
export type TaskDigest = {
  taskId: string;
  summary: TaskSummary;
  attention: ObjectResult[];
  /** Summed from its ledger here (no summary file: running, interrupted, or an old journal). */
  fromLedger?: true;
  /** The task's merged lines (read only when another task's open object may be settled here). */
  ledger(): Promise<ObjectResult[]>;
};

/**
 * Fold task digests (in ledger order) into pass totals — exactly what ledgerTotals gives over the
 * whole ledger: final outcomes add up per task; an open object stays open unless a later task
 * settles the same key. Only tasks whose key range holds an open key of an earlier task are read
 * line by line (retry and restore tasks, a handful); the rest cost one summary each.
 */
export async function foldTaskDigests(digests: TaskDigest[]): Promise<PassTotals> {
  const t = emptyTotals();
  // First task index at which each key was seen open.
  const openAt = new Map<string, number>();
  digests.forEach((d, i) => {
    for (const r of d.attention) if (!isFinal(r) && !openAt.has(r.key)) openAt.set(r.key, i);
  });
  const sorted = [...openAt.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const lowerBound = (k: string) => {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! < k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  /** An open key first seen in an earlier task lies in this task's range. */
  const mayClose = (d: TaskDigest, i: number) => {
    if (d.summary.objects === 0) return false;
    for (let x = lowerBound(d.summary.minKey); x < sorted.length && sorted[x]! <= d.summary.maxKey; x++)
      if (openAt.get(sorted[x]!)! < i) return true;
    return false;
  };
  const open = new Map<string, ObjectResult>();
  for (let i = 0; i < digests.length; i++) {
    const d = digests[i]!;
    const s = d.summary;
    t.copied += s.copied;
    t.skipped += s.skipped;
    t.bytes += s.bytes;
    t.copiedBytes += s.copiedBytes;
    for (const [k, n] of Object.entries(s.skippedBy)) t.skippedBy[k] = (t.skippedBy[k] ?? 0) + n;
    const lines = mayClose(d, i)
      ? (await d.ledger()).filter((r) => open.has(r.key) || !isFinal(r))
      : d.attention;
    for (const r of lines) {
      if (isFinal(r)) open.delete(r.key);
      else open.set(r.key, r);
    }
  }
  for (const r of open.values()) countOpen(t, r);
  t.failuresByClass = byCount(t.failuresByClass);
  t.open = [...open.values()];
  return t;
}

/** All of an OpenObjects in a list (tests, small passes: the report streams them instead). */
export async function listOpen(open: OpenObjects): Promise<ObjectResult[]> {
  const out: ObjectResult[] = [];
  for await (const r of open) out.push(r);
  return out;
}
