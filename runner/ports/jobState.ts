/**
 * Job state port: what must survive a crash. Standalone: SQLite in the work dir. Fleet: Redis.
 * Per-object history lives in the journals (see journal.ts); this holds what the engine must
 * query: the job, the current pass, counters, failures (for `retry`), archive restores in
 * progress, multipart checkpoints, and the live control settings.
 */
import type { FailureClass } from '../core/errors.ts';
import type { Series, SeriesPoint } from '../core/series.ts';
import type { Survey } from '../core/survey.ts';
import type { Counters, ObjectResult, Phase, VerifyResult } from '../core/types.ts';
import type { PartResult } from './objectStore.ts';

/** One run of a phase over the source (full, or an incremental window). */
export type PassInfo = {
  id: string;
  phase: Phase;
  /** ISO times. Full: mtime < t1. Incremental: t1 ≤ mtime ≤ t2. */
  t1: string;
  t2?: string;
  /** 'copy' passes move data; 'verify' passes only compare. */
  mode: 'copy' | 'verify' | 'plan';
  startedAt: string;
  finishedAt?: string;
  status: 'running' | 'done' | 'stopped' | 'failed';
};

export type MultipartCheckpoint = {
  dstKey: string;
  uploadId: string;
  srcKey: string;
  /** The source version being copied; a different ETag means start over. */
  srcEtag: string;
  size: number;
  partSize: number;
  /** CRC-64 of the source object (from the first ranged GET). */
  srcCrc64?: string;
  parts: PartResult[];
};

/** Live settings every worker re-reads within seconds; changed by `ossmigrate limit`, the TUI, or stop. */
export type Control = {
  /** Overrides the job's bandwidth setting (a rate or timetable string); undefined = use the job's. */
  bandwidth?: string;
  paused: boolean;
  /** Set by `ossmigrate stop`: workers finish what is in flight and exit. */
  stopRequested: boolean;
};

export type FailureRecord = {
  key: string;
  failureClass: FailureClass;
  reason: string;
  fix: string;
  passId: string;
  attempts: number;
  at: string;
};

export interface JobState {
  /** The job definition as submitted (JSON text; the config layer parses it). */
  getJob(): Promise<{ name: string; spec: string; submittedAt: string } | undefined>;
  putJob(job: { name: string; spec: string; submittedAt: string }): Promise<void>;

  currentPass(): Promise<PassInfo | undefined>;
  passes(): Promise<PassInfo[]>;
  beginPass(pass: PassInfo): Promise<void>;
  updatePass(id: string, patch: Partial<Pick<PassInfo, 'status' | 'finishedAt'>>): Promise<void>;

  /**
   * Add to the pass's counters (atomic in every implementation). Counters are kept by name: every
   * name zeroCounters() has is stored and read back, so a new counter needs no adapter change.
   */
  addCounters(passId: string, delta: Partial<Counters>): Promise<void>;
  counters(passId: string): Promise<Counters>;

  /**
   * Record objects' outcomes (a batch, in order, applied atomically where the store can):
   * failures are kept for `retry`; a later success clears them.
   */
  recordOutcomes(passId: string, results: ObjectResult[]): Promise<void>;
  failures(passId?: string): Promise<FailureRecord[]>;
  failureCount(passId?: string): Promise<number>;

  /** Verification results that are not a match (missing / different / extra / unverifiable). */
  recordVerify(passId: string, results: VerifyResult[]): Promise<void>;
  verifyProblems(passId: string): Promise<VerifyResult[]>;

  getMultipart(dstKey: string): Promise<MultipartCheckpoint | undefined>;
  putMultipart(cp: MultipartCheckpoint): Promise<void>;
  deleteMultipart(dstKey: string): Promise<void>;
  allMultipart(): Promise<MultipartCheckpoint[]>;

  /** Archived source objects whose restore was started; copied once restored. */
  addRestoreWait(passId: string, key: string, size: number): Promise<void>;
  restoreWaits(passId: string): Promise<Array<{ key: string; size: number; since: string }>>;
  removeRestoreWait(passId: string, key: string): Promise<void>;

  /** Scan statistics (plan), merged across scan tasks; a task's survey counts once. */
  addSurvey(passId: string, taskId: string, survey: Survey): Promise<void>;
  survey(passId: string): Promise<Survey>;

  /**
   * The pass's time series (the report's charts), bounded: a point in the last point's bucket
   * replaces it, a full series doubles its interval and merges neighbours (see core/series.ts).
   * Atomic per call. `intervalMs` sets the first bucket width of a new series; returns the
   * width in force, so the sampler can write once per bucket.
   */
  addSample(
    passId: string,
    point: SeriesPoint,
    o?: { intervalMs?: number; maxPoints?: number },
  ): Promise<number>;
  series(passId: string): Promise<Series | undefined>;

  /** Live settings every worker re-reads within seconds. */
  getControl(): Promise<Control>;
  setControl(patch: Partial<Control>): Promise<Control>;

  close(): Promise<void>;
}
