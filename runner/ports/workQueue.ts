/**
 * Work queue port. Standalone: a table in the job's SQLite file. Fleet: BullMQ on Redis, where
 * workers join and leave at any time and a dead worker's tasks are re-run by others. Tasks are
 * idempotent (re-running one re-checks the destination), so at-least-once delivery is enough.
 */
import type { Task } from '../core/types.ts';

export type TaskOutcome = {
  /**
   * 'failed' = the task ran but some objects failed (they are in the failure list);
   * 'interrupted' = stopped part-way (soft stop): it runs again on resume, skipping what it journaled.
   */
  status: 'done' | 'failed' | 'interrupted';
  objects: number;
  bytes: number;
};

export type QueueCounts = { pending: number; running: number; done: number; failed: number };

/**
 * A task that errored out after all its attempts (its listing or its run threw, not one of its
 * objects): nothing under its range is in the ledger, so the pass is incomplete until it reruns.
 */
export type TaskError = { id: string; kind: Task['kind']; range: string; error: string };

export type TaskHandler = (task: Task, signal: AbortSignal) => Promise<TaskOutcome>;

export interface WorkQueue {
  /** Add tasks for a pass; a task id already known to the pass is ignored. Returns the new ones. */
  enqueue(passId: string, tasks: Task[]): Promise<Task[]>;
  /**
   * Run tasks of the pass with `concurrency` in flight until none is pending or running
   * (standalone), or until `signal` aborts (then in-flight tasks are left to be re-run).
   */
  drain(
    passId: string,
    handler: TaskHandler,
    opts: { concurrency: number; signal: AbortSignal },
  ): Promise<void>;
  /** Task counts of the pass, optionally of one kind (scan / copy / verify). */
  counts(passId: string, kind?: Task['kind']): Promise<QueueCounts>;
  /** Tasks of the pass that errored out after their attempts: how many, and the first `limit`. */
  erroredTasks(passId: string, limit: number): Promise<{ count: number; sample: TaskError[] }>;
  /** Tasks whose run failed or was interrupted go back to pending (resume). */
  requeueUnfinished(passId: string): Promise<number>;
  /** Fleet queues: bytes each live worker of the pass has moved (its running total), for the report's per-worker chart. */
  workerBytes?(passId: string): Promise<Record<string, number>>;
}
