/**
 * Engine events: the `--json` NDJSON schema on stdout, and what the TUI's reducer consumes.
 * One vocabulary for the standalone engine, the fleet coordinator and the TUI.
 */
import type { FailureClass } from './errors.ts';
import type { Counters, Evidence, Outcome, Phase, SkipReason, VerifyStatus } from './types.ts';

export type Stage = 'preflight' | 'scan' | 'copy' | 'restore-wait' | 'verify' | 'report';

export type Problem = {
  severity: 'error' | 'warning' | 'info';
  /** Stable code, e.g. BUCKET_NOT_FOUND, WRONG_REGION, CLOCK_SKEW, INVALID_NAMES. */
  code: string;
  message: string;
  fix?: string;
};

export type WorkerStatus = {
  id: string;
  host: string;
  pid: number;
  tasks: number;
  bytesPerSec: number;
  errors: number;
  lastSeen: string;
  state: 'active' | 'idle' | 'draining' | 'gone';
};

export type EngineEvent =
  | { type: 'job'; name: string; workdir: string; source: string; destination: string }
  | {
      type: 'pass';
      passId: string;
      phase: Phase;
      mode: 'copy' | 'verify' | 'plan';
      t1: string;
      t2?: string;
      resumed: boolean;
    }
  | { type: 'stage'; stage: Stage; state: 'start' | 'end' }
  | { type: 'problem'; problem: Problem }
  | {
      type: 'task';
      id: string;
      kind: 'scan' | 'copy' | 'verify';
      state: 'start' | 'done' | 'failed';
      objects?: number;
      bytes?: number;
    }
  | {
      type: 'object';
      key: string;
      outcome: Outcome;
      size: number;
      bytes: number;
      skipReason?: SkipReason;
      failureClass?: FailureClass;
      reason?: string;
    }
  | { type: 'verify'; key: string; status: VerifyStatus; detail?: string }
  | ({
      type: 'progress';
      elapsedMs: number;
      bytesPerSec: number;
      etaMs?: number;
      scanDone: boolean;
    } & Counters)
  | { type: 'workers'; workers: WorkerStatus[] }
  | { type: 'bandwidth'; limit: string; effectiveBytesPerSec: number | null }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; message: string }
  | ({ type: 'summary' } & Summary);

/** The last line of `--json` output, and the heart of the report. */
export type Summary = {
  passId: string;
  phase: Phase;
  copied: number;
  skipped: number;
  failed: number;
  /** Left for a later pass: modified after the window (deferredAfterWindow), or awaiting a restore. */
  deferred: number;
  /** Of `deferred`: modified after the window's end (T1 full, T2 incremental); the next phase copies them. */
  deferredAfterWindow?: number;
  /** Incremental phase: listed but unchanged since T1 (the full phase copied them); in no other count. */
  unchanged?: number;
  bytes: number;
  verified: number;
  /** Verify passes: of `verified`, how many each method proved (unverifiable ones are in none). */
  verifiedBy?: VerifiedBy;
  missing: number;
  different: number;
  extra: number;
  /** Objects whose comparison failed even after retries (not verified). */
  verifyErrors: number;
  elapsedMs: number;
  exitCode: number;
  report?: string;
  failuresByClass: Partial<Record<FailureClass, number>>;
  /** Set when the run stopped itself (transfer.stopOnInternalError): which object, and why. */
  stoppedBy?: StopReason;
  /**
   * Tasks whose listing or run errored out after every attempt: what lies under their ranges was
   * not copied (or compared), so the pass is incomplete whatever the object counts say.
   */
  erroredTasks?: number;
  /** The first few of them, with their ranges and errors. */
  taskErrors?: Array<{ kind: string; range: string; error: string }>;
};

/** Matches by what proved them: crc64, md5 and size always; the other evidence methods when counted. */
export type VerifiedBy = { crc64: number; md5: number; size: number } & Partial<Record<Evidence, number>>;

/** Why a run stopped itself before the end (transfer.stopOnInternalError). */
export type StopReason = {
  /** The job-file setting that asked for the stop. */
  setting: 'transfer.stopOnInternalError';
  key: string;
  failureClass: FailureClass;
  reason: string;
  /** One line for humans: what happened and how to resume. */
  message: string;
};

export type EventSink = (event: EngineEvent) => void;
