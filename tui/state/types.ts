/**
 * The TUI's state and the actions that change it. The reducer (reducer.ts) is the only writer;
 * actions are the orchestrator's MigrationEvents (runner/app/migration/types.ts) plus the UI's
 * own (keys, dialogs, the end); components only read. No I/O, no clocks here.
 */
import type { PhaseId } from '../../runner/app/migration/phases.ts';
import type {
  Answer,
  Ask,
  InfraKind,
  JobView,
  MigrationEvent,
  Outcome,
  PhaseResult,
  PlanInfo,
  ReportView,
} from '../../runner/app/migration/types.ts';
import type { FailureClass } from '../../runner/core/errors.ts';
import type { Problem, WorkerStatus } from '../../runner/core/events.ts';
import type { Counters, VerifyStatus } from '../../runner/core/types.ts';
import type { InfraCheck, InfraOutputs } from '../../runner/ports/infra.ts';

export type {
  Answer,
  Ask,
  AskKind,
  InfraKind,
  MigrationEvent,
  Outcome,
  PhaseResult,
  PlanInfo,
  ReportView,
} from '../../runner/app/migration/types.ts';

export type PhaseStatus = 'pending' | 'running' | 'waiting' | 'done' | 'skipped' | 'failed' | 'stopped';

export type PhaseState = {
  status: PhaseStatus;
  startedAt?: number;
  endedAt?: number;
  /** One line shown next to the phase in the timeline (e.g. "138 copied", "T2 = …"). */
  detail?: string;
  error?: string;
};

export type PendingAsk = {
  ask: Ask;
  /** The dialog is shown (Esc folds a cutover/teardown dialog away; its key opens it again). */
  open: boolean;
  /** What the operator typed so far (cutover/teardown). */
  typed: string;
  /** Why the last Enter did not confirm. */
  error?: string;
};

export type ProgressView = Counters & {
  elapsedMs: number;
  bytesPerSec: number;
  etaMs?: number;
  scanDone: boolean;
  /** When it arrived (ms since epoch). */
  at: number;
};

export type FailureGroup = {
  cls: FailureClass;
  /** Objects counted as failed (need action). */
  failed: number;
  /** Objects left for a later phase (e.g. changed during the full copy). */
  deferred: number;
  /** Benign: nothing to do (deleted at the source, written by the business after T2). */
  skipped: number;
  reason: string;
  fix: string;
  samples: Array<{ key: string; reason?: string; phase?: PhaseId }>;
};

export type VerifyIssue = { count: number; samples: Array<{ key: string; detail?: string }> };

export type LogLine = { at: number; level: 'info' | 'warn' | 'error'; text: string; source?: string };

export type BusinessStats = {
  /** What it writes to before cutover ("COS", "S3", "Azure"). */
  source: string;
  /** 'freeze': no mirror (the source cannot be fetched back-to-origin), a write freeze instead. */
  cutover?: 'mirror' | 'freeze';
  sourceWrites: number;
  ossWrites: number;
  ossReads: number;
  mirrorFetches: number;
  /** What it is doing now ("writing to Azure", "reading and writing OSS"). */
  doing: string;
};

export type TuiState = {
  job?: JobView;
  infra: {
    kind: InfraKind;
    check?: InfraCheck;
    outputs?: InfraOutputs;
    /** Streamed provision / mirror / teardown output (tail). */
    log: string[];
  };
  /** The deadline the ETA is measured against (ms since epoch), from the plan's start. */
  deadline?: { startedAt: number; days: number; at: number };
  phases: Record<PhaseId, PhaseState>;
  current?: PhaseId;
  t1?: string;
  t2?: string;
  mirrorOn: boolean;
  /** Set when OSS cannot mirror from the source: the one line that says so (a write-freeze cutover). */
  noMirror?: string;
  plan?: PlanInfo;
  /** The engine pass running now. */
  pass?: { id: string; phase: 'full' | 'incremental'; mode: 'copy' | 'verify' | 'plan'; resumed: boolean };
  stage?: string;
  progress?: ProgressView;
  tasks: { started: number; done: number; failed: number };
  failures: Partial<Record<FailureClass, FailureGroup>>;
  verifyIssues: Partial<Record<VerifyStatus, VerifyIssue>>;
  /** Live verification counts of the running verify pass. */
  verifyLive: Partial<Record<VerifyStatus, number>>;
  results: Partial<Record<PhaseId, PhaseResult>>;
  workers: WorkerStatus[];
  bandwidth?: { limit: string; effectiveBytesPerSec: number | null };
  paused: boolean;
  problems: Problem[];
  log: LogLine[];
  /** How many log lines were ever appended (the tail is capped; the plain printer diffs this). */
  logSeq: number;
  pending?: PendingAsk;
  business?: BusinessStats;
  report?: ReportView;
  stopping?: 'soft' | 'hard';
  outcome?: Outcome;
  /** Unattended (--yes): answers are given automatically. */
  unattended: boolean;
};

/** The orchestrator's events, plus what the UI itself does (keys, dialogs, the end). */
export type Action =
  | MigrationEvent
  | { type: 'ask'; ask: Ask }
  | { type: 'ask-type'; text: string }
  | { type: 'ask-backspace' }
  | { type: 'ask-reject'; error: string }
  | { type: 'ask-fold' }
  | { type: 'ask-open' }
  | { type: 'answered'; answer: Answer; auto?: boolean; at: number }
  | { type: 'business'; stats: BusinessStats; line?: string; at: number }
  | { type: 'paused'; paused: boolean }
  | { type: 'stop-requested'; hard: boolean; at: number }
  | { type: 'finished'; outcome: Outcome; at: number };
