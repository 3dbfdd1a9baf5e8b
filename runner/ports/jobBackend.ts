/**
 * Where a job lives and who runs its tasks. Two implementations, chosen once where the program
 * is composed (runner/cli/shared.ts, the TUI, the demo):
 *   - standalone (runner/app/backends/standalone.ts): SQLite state and queue in the work dir,
 *     local journals, the work dir's lock file; this process runs the tasks.
 *   - fleet (runner/fleet/backend.ts): state in Redis, BullMQ as the queue, journals where every
 *     machine reaches them, a lease in Redis; workers run the tasks, this process coordinates.
 * The app (JobSession) only speaks to this port: it never asks which one it has.
 */
import type { Logger } from 'pino';
import type { Credentials } from '../config/credentials.ts';
import type { JobSpec } from '../config/job.ts';
import type { EventSink, WorkerStatus } from '../core/events.ts';
import type { JobState } from './jobState.ts';
import type { Journal } from './journal.ts';
import type { QueueCounts, WorkQueue } from './workQueue.ts';

/** Where a fleet's journals live (a directory every machine mounts, or an OSS prefix). */
export type JournalLocation =
  | { type: 'local'; dir: string }
  /** region: the control bucket's (default: the destination's, as the infra creates it). */
  | { type: 'oss'; bucket: string; prefix: string; region?: string };

/** A fleet worker as its heartbeat describes it. */
export type WorkerRecord = WorkerStatus & {
  version: string;
  startedAt: string;
  /** Object transfers in flight allowed (--concurrency) and tasks in flight allowed. */
  concurrency: number;
  taskSlots: number;
  job?: string;
  passId?: string;
  /** Ids of the tasks in flight. */
  taskIds?: string[];
  /** Totals since the worker started. */
  bytes: number;
  objects: number;
  /** The journal location its environment names (cloud workers: the control bucket). */
  journal?: JournalLocation;
  /** Why it is idle, when it cannot work (e.g. missing credentials). */
  note?: string;
};

export type Holder = { pid: number; host: string };

/** What a pass's queue needs from the session (the fleet relays the workers' events to it). */
export type PassQueueOptions = { emit: EventSink; log: Logger; hard: AbortSignal };

export interface JobBackend {
  /** For display and JSON output only (`stat`, `stop`, `limit`): never to branch a flow on. */
  readonly kind: 'standalone' | 'fleet';
  readonly state: JobState;
  readonly journal: Journal;
  /** Values the job log must never show (the Redis password). */
  readonly secrets: readonly string[];
  /** Fleet: the queue (password masked) and the journal location, as `stat` prints them. */
  readonly where?: { queue: string; journals: string };
  /**
   * Whether a `plan` survey runs as a pass of the job (fleet: the workers scan) or in memory
   * beside it (standalone: nothing is registered).
   */
  readonly surveysInState: boolean;
  /** Take the job for a run (lock file / Redis lease). Returns the release. */
  lock(log: Logger): Promise<() => Promise<void>>;
  /** Who runs the job now. */
  runner(): Promise<Holder | undefined>;
  /** Task counts of a pass per kind (those with any task). */
  taskCounts(passId: string): Promise<Record<string, QueueCounts>>;
  /** The fleet's workers (none standalone). */
  workers(): Promise<WorkerRecord[]>;
  /** The job and pass the fleet works on (none standalone). */
  active(): Promise<{ job: string; passId: string } | undefined>;
  /** The queue one pass runs on; closed with the backend. */
  passQueue(o: PassQueueOptions): Promise<WorkQueue>;
  /** After a run: the fleet stops following these passes. */
  afterRun(passIds: readonly string[]): Promise<void>;
  /** `clean`: remove what the backend holds outside the work dir (Redis keys); returns how many. */
  forget(log: Logger): Promise<number>;
  close(): Promise<void>;
}

/** A job opened or registered on a backend. */
export type BackendJob = { name: string; spec: JobSpec; backend: JobBackend };

/** The app's rules for a submit, applied by every backend the same way. */
export type SubmitRules = {
  /** Runs before anything is written (the preflight of `import`): throwing leaves nothing. */
  check: () => Promise<void>;
  /** Whether two definitions are the same job (the window and the queue URL do not count). */
  sameJob: (a: JobSpec, b: JobSpec) => boolean;
  /** Whether the job put anything at the destination (then a different definition is refused). */
  hasCopied: (state: JobState) => Promise<boolean>;
};

/** Opens and registers jobs on one backend (bound to the work dir at the composition root). */
export interface JobBackendProvider {
  /**
   * Register a job: the same name with a different definition replaces it only if it has copied
   * nothing.
   */
  submit(spec: JobSpec, creds: Credentials, rules: SubmitRules): Promise<BackendJob & { replaced: boolean }>;
  /** Open a submitted job: the named one, else the only one (fleet: else the active one). */
  open(name: string | undefined, creds: Credentials): Promise<BackendJob>;
}
