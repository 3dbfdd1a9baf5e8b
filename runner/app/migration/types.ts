/**
 * What the migration orchestrator (orchestrator.ts) says and asks: the events it emits while it
 * walks the ten phases, the questions it puts to the operator (answered by keys in the TUI, by
 * flags in `ossmigrate migrate`), how it ended, and what it is given (MigrationDeps, MigrationIO).
 * No I/O: the TUI's reducer and the headless command's printers both consume the events.
 */
import type { FailureClass } from '../../core/errors.ts';
import type { EngineEvent, Summary } from '../../core/events.ts';
import type { MirrorSupport } from '../../core/mirrorSupport.ts';
import type { Survey } from '../../core/survey.ts';
import type { InfraCheck, InfraDriver, InfraOutputs, ProvisionOptions } from '../../ports/infra.ts';
import type { JobSession } from '../jobService.ts';
import type { CutoverMode } from './cutoverMode.ts';
import type { BusinessRecord } from './migrationReport.ts';
import type { PhaseId } from './phases.ts';
import type { ProgressFile } from './progressFile.ts';

export type InfraKind = 'pulumi' | 'sandbox' | 'none';

export type PlanInfo = {
  survey: Survey;
  sizing: { instances: number; explanation: string; warnings: string[] };
  estimate: {
    /** One machine at mbpsPerInstance. */
    oneMachineSeconds: number;
    /** The sized fleet (oneMachineSeconds / instances). */
    fleetSeconds: number;
    mbpsPerInstance: number;
    deadlineDays: number;
  };
  /** What actually runs the copy here (e.g. "sandbox: this machine is the fleet"). */
  fleetNote?: string;
  /** Can OSS mirroring serve the cutover for this source (core/mirrorSupport; as `plan` says)? */
  mirror?: MirrorSupport;
};

/** Questions the orchestrator asks the operator (auto-answered with --yes). */
export type Ask =
  | {
      kind: 'resume';
      job: string;
      workdir?: string;
      done: PhaseId[];
      next?: PhaseId;
      savedAt: string;
      complete: boolean;
      report?: string;
    }
  | { kind: 'start'; fleet: string }
  | { kind: 'retry'; phase: PhaseId; failed: number }
  | {
      kind: 'cutover';
      bucket: string;
      /** What the operator must type to confirm. */
      expect: string;
      t1?: string;
      /** Set when OSS cannot mirror from the source: confirming starts a write freeze (the line says why). */
      freeze?: string;
    }
  | { kind: 'teardown'; expect: string; removes: string[]; keeps: string[] };

export type AskKind = Ask['kind'];

/** resume: resume | new | quit · start: yes | quit · retry: retry | skip · cutover/teardown: yes | quit */
export type Answer = 'yes' | 'quit' | 'resume' | 'new' | 'retry' | 'skip';

export type Outcome = {
  status: 'done' | 'stopped' | 'failed';
  exitCode: number;
  report?: string;
  message?: string;
  fix?: string;
};

export type PhaseResult = {
  summary?: Summary;
  reportDir?: string;
  /** Verification counts (verify phases). */
  verify?: {
    verified: number;
    missing: number;
    different: number;
    extra: number;
    pending: number;
    destNewer: number;
    unverifiable: number;
    errors: number;
  };
};

export type ReportView = {
  dir: string;
  /** The report's text (report.txt). */
  text: string;
  ok: boolean;
  /** report.html (charts), when written. */
  html?: string;
};

export type LogLevel = 'info' | 'warn' | 'error';

/** The job as the orchestrator opened it. */
export type JobView = { name: string; source: string; destination: string; workdir: string };

/** Everything the orchestrator emits, in order. `at` is ms since epoch. */
export type MigrationEvent =
  | {
      type: 'init';
      job: JobView | undefined;
      infra: InfraKind;
      /** How the migration cuts over: behind the mirror rule, or with a write freeze. */
      cutover?: CutoverMode;
      unattended?: boolean;
      /** Restored from tui.json. */
      saved?: {
        done: PhaseId[];
        t1?: string;
        t2?: string;
        mirrorOn: boolean;
        plan?: PlanInfo;
        startedAt?: number;
        deadlineDays: number;
        outputs?: InfraOutputs;
      };
    }
  | { type: 'engine'; event: EngineEvent; at: number }
  | { type: 'phase-start'; phase: PhaseId; at: number }
  | { type: 'phase-done'; phase: PhaseId; at: number; detail?: string; result?: PhaseResult }
  | { type: 'phase-skip'; phase: PhaseId; reason: string }
  | { type: 'phase-failed'; phase: PhaseId; at: number; message: string; fix?: string }
  | { type: 'phase-stopped'; phase: PhaseId; at: number }
  | { type: 'plan-ready'; plan: PlanInfo; startedAt: number }
  | { type: 'window'; t1?: string; t2?: string }
  | { type: 'infra-check'; check: InfraCheck }
  | { type: 'infra-line'; line: string }
  | { type: 'infra-outputs'; outputs: InfraOutputs }
  | { type: 'failures-reset' }
  | {
      type: 'failures-settle';
      failedByClass: Partial<Record<FailureClass, number>>;
      restoresPending: number;
    }
  | { type: 'log'; level: LogLevel; text: string; at: number; source?: string }
  | { type: 'report'; report: ReportView };

/** What the demo plugs in: a simulated business reacting to the migration. */
export type MigrationHooks = {
  /** Every engine event (the demo's business starts writing when the full pass begins). */
  onEvent?(e: EngineEvent): void;
  /** Cutover confirmed, before T2 is recorded: stop writing to the source. */
  beforeT2?(): Promise<void>;
  /**
   * The business now reads and writes OSS: once T2 is recorded behind the mirror rule; with a
   * write freeze (no mirror), once the final incremental has copied everything up to T2.
   */
  afterT2?(t2: Date): Promise<void>;
  /** The migration ended (done, stopped or failed). */
  finish?(): Promise<void>;
  /** What the business did, for the report. */
  record?(): BusinessRecord;
};

export type MigrationDeps = {
  job: string;
  workdir: string;
  /** Opens (or submits) the job's session; called once the resume question is settled. */
  open(): Promise<JobSession>;
  /** Forgets the job's progress (engine state, journals, reports, tui.json); data stays. */
  reset(): Promise<void>;
  progressFile: ProgressFile;
  /** The infra driver; or made from the opened session (it needs the job); none skips infra phases. */
  driver?: InfraDriver;
  makeDriver?(session: JobSession): InfraDriver | undefined;
  infraKind: InfraKind;
  deadlineDays: number;
  mbpsPerInstance: number;
  /** Pulumi stack settings for provisioning (sizing, source, secrets). */
  provisionOptions?(plan: PlanInfo, session: JobSession): ProvisionOptions;
  hooks?: MigrationHooks;
  progressMs?: number;
  now?: () => number;
};

export type MigrationIO = {
  emit(e: MigrationEvent): void;
  ask(q: Ask): Promise<Answer>;
  /** Soft stop: finish in-flight objects, keep state. */
  soft: AbortSignal;
  /** Hard stop: abort transfers now (multipart uploads resume from their last part). */
  hard: AbortSignal;
  /** Live controls the UI may use while a phase runs. */
  controls?(c: { pause(paused: boolean): Promise<void> }): void;
};
