/**
 * Job state port: what must survive a crash. Standalone: SQLite in the work dir. Fleet: Redis.
 * Per-object history lives in the journals (see journal.ts); this holds what the engine must
 * query: the job, the current pass, counters, failures (for `retry`), archive restores in
 * progress, multipart checkpoints, and the live control settings.
 */
import type { FailureClass } from '../core/errors.ts';
import type { EvidencePlan } from '../core/evidence.ts';
import type { Series, SeriesPoint } from '../core/series.ts';
import type { Survey } from '../core/survey.ts';
import type { Counters, Evidence, KeyRange, ObjectResult, Phase } from '../core/types.ts';
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
  /** '' in an intent: written just before Initiate, so a crash before its answer is saved can be traced. */
  uploadId: string;
  /** When the intent was written (ms since the epoch, this machine's clock); only in an intent. */
  initiating?: number;
  srcKey: string;
  /** The source version being copied; a different ETag means start over. */
  srcEtag: string;
  size: number;
  partSize: number;
  /** CRC-64 of the source object (from the first ranged GET). */
  srcCrc64?: string;
  /** What proves the copy (absent in checkpoints written before evidence was recorded). */
  evidence?: EvidencePlan;
  /** Per-source-part digests (base64) by source part number, for per-part evidence. */
  srcDigests?: Record<string, string>;
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

/**
 * What a copy committed for one source key, as its latest ledger line says: verify joins it with
 * both listings and needs no request per object while source and destination are unchanged.
 */
export type CommittedObject = {
  key: string;
  dstKey: string;
  size: number;
  srcEtag?: string;
  dstEtag?: string;
  dstCrc64?: string;
  evidence?: Evidence;
  passId: string;
};

/** The committed record of a copied object (the fields verify joins on), from its ledger line. */
export function committedOf(passId: string, r: ObjectResult): CommittedObject | undefined {
  // A copy, or a skip that found our own earlier copy (its evidence read back from provenance).
  const vouches = r.outcome === 'copied' || (r.skipReason === 'identical' && r.evidence !== undefined);
  if (!vouches || r.dstEtag === undefined) return undefined;
  return {
    key: r.key,
    dstKey: r.dstKey,
    size: r.size,
    ...(r.srcEtag !== undefined ? { srcEtag: r.srcEtag } : {}),
    dstEtag: r.dstEtag,
    ...(r.dstCrc64 !== undefined ? { dstCrc64: r.dstCrc64 } : {}),
    ...(r.evidence !== undefined ? { evidence: r.evidence } : {}),
    passId,
  };
}

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

  /**
   * What the job's copy passes committed for the source keys of a key range (the latest copy of
   * each key), for verify's join. Bounded by the range (a task's objects). Optional: a state that
   * keeps nothing per object (Redis) leaves it out, and verify reads the task's journal ledger.
   */
  committed?(range: KeyRange): Promise<Map<string, CommittedObject>>;
  failureCount(passId?: string): Promise<number>;

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
