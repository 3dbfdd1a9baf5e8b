/**
 * Journals: ossimport's familiar per-task files plus a machine-readable ledger.
 *   <root>/tasks/<taskId>/audit.log   one line per object: time, outcome, size, source ETag, CRC-64, key
 *   <root>/tasks/<taskId>/error.list  one line per failed object: class, key, reason and fix
 *   <root>/tasks/<taskId>/STATUS      Running | Completed | Failed
 *   <root>/tasks/<taskId>/ledger…     one JSON object per object outcome; gzip NDJSON once the task ends
 *   <root>/tasks/<taskId>/summary.json    the finished task's totals (TaskSummary): what reports read
 *   <root>/tasks/<taskId>/attention.ndjson  its objects that need attention (failed, deferred, kept)
 * Standalone: a directory in the work dir. Fleet: a prefix every worker can reach (a shared
 * directory in tests, an OSS prefix in the cloud).
 */
import {
  addToSummary,
  emptySummary,
  foldTaskDigests,
  needsAttention,
  type PassTotals,
  type TaskDigest,
} from '../core/ledger.ts';
import type { ObjectResult } from '../core/types.ts';

export type TaskStatus = 'Running' | 'Completed' | 'Failed';

export interface Journal {
  /** Append object outcomes of a task (audit.log, error.list, ledger). */
  append(passId: string, taskId: string, results: ObjectResult[]): Promise<void>;
  /** What an earlier attempt of this task already finished: key → source ETag (for resume). */
  finished(passId: string, taskId: string): Promise<Map<string, string>>;
  setStatus(passId: string, taskId: string, status: TaskStatus): Promise<void>;
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
  /** Where a human finds the files (a path or a URL). */
  location(passId: string): string;
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

/** Pass totals (the report's numbers) from the task summaries: O(tasks), not O(objects). */
export async function passTotals(journal: Journal, passId: string): Promise<PassTotals> {
  return foldTaskDigests(await passDigests(journal, passId));
}
