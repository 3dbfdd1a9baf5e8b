/**
 * Journals: ossimport's familiar per-task files plus a machine-readable ledger.
 *   <root>/tasks/<taskId>/audit.log   one line per object: time, outcome, size, source ETag, CRC-64, key
 *   <root>/tasks/<taskId>/error.list  one line per failed object: class, key, reason and fix
 *   <root>/tasks/<taskId>/STATUS      Running | Completed | Failed
 *   <root>/ledger.ndjson              one JSON object per object outcome (drives reports)
 * Standalone: a directory in the work dir. Fleet: a prefix every worker can reach (a shared
 * directory in tests, an OSS prefix in the cloud).
 */
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
  /** One task's ledger, merged the same way (empty when the task has none). */
  taskLedger?(passId: string, taskId: string): Promise<ObjectResult[]>;
  /** Where a human finds the files (a path or a URL). */
  location(passId: string): string;
}
