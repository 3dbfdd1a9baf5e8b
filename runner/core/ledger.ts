/**
 * The ledger of a task as one result per object. A task can run more than once — resumed after
 * a crash, re-run by `retry`, or run twice at once when a queue lost its lease (a Redis crash) —
 * and each attempt appends lines. The object still counts once, as what happened to it: copied
 * if any attempt copied it (a later attempt then finds it identical), else the latest final
 * outcome, else the latest open one (failed, deferred). Bytes add up: they were all sent.
 * Keys keep the order of their first line. Memory is one task's objects (tasks are bounded).
 */
import type { ObjectResult } from './types.ts';

const isFinal = (r: ObjectResult) => r.outcome === 'copied' || r.outcome === 'skipped';

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
