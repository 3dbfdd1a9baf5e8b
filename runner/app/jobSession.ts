/**
 * JobSession: the application services behind the CLI verbs and the TUI — submit, import
 * (preflight → copy → verify → report), plan, verify, retry — over a JobBackend
 * (runner/ports/jobBackend.ts). Standalone (SQLite + local journals, the default) or fleet
 * (Redis + BullMQ, runner/fleet/backend.ts) is chosen by the composition root; nothing here asks
 * which one it has.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { SqliteStore } from '../adapters/state/sqliteStore.ts';
import type { Credentials } from '../config/credentials.ts';
import { type JobSpec, parseJob } from '../config/job.ts';
import { ConfigError, PreflightError } from '../core/errors.ts';
import type { EventSink, Problem, Summary } from '../core/events.ts';
import { ExitCode } from '../core/exitCodes.ts';
import type { Survey } from '../core/survey.ts';
import type { CopyTask, Phase } from '../core/types.ts';
import { executePass, newPass, type PassRun, type Ports, sourcePrefix } from '../engine/run.ts';
import { verifiedBy } from '../engine/summary.ts';
import type { JobBackend, JobBackendProvider, WorkerRecord } from '../ports/jobBackend.ts';
import type { JobState, PassInfo } from '../ports/jobState.ts';
import { type Journal, passProblems } from '../ports/journal.ts';
import type { Stores, StoresFactory } from '../ports/objectStore.ts';
import type { QueueCounts } from '../ports/workQueue.ts';
import { standaloneBackends } from './backends/standalone.ts';
import { hasCopied, sameJob } from './jobIdentity.ts';
import { jobLogger, logEvent, routeConsole } from './logger.ts';
import { preflight, preflightSource } from './preflight.ts';
import { writeReport } from './report.ts';
import type { JobOrigin, Workspace } from './workspace.ts';

export type { Stores, StoresFactory };
export { PreflightError, sameJob };

export type FlowOptions = {
  emit: EventSink;
  /** Hard stop (second Ctrl-C): abort transfers now. */
  signal: AbortSignal;
  /** Soft stop (first Ctrl-C / `ossmigrate stop`): finish in-flight objects. */
  softStop?: AbortSignal;
  /** Skip the preflight (tests of later stages). */
  skipPreflight?: boolean;
  progressMs?: number;
  /**
   * Write the pass's report.html too (default). The CLI's import/start/verify/retry pass false:
   * rendering its ECharts was ~0.2 CPU-s of every job (issue #16); `ossmigrate report` writes it
   * on demand, and the TUI's migrate keeps it.
   */
  html?: boolean;
};

export type FlowResult = {
  exitCode: ExitCode;
  copy?: PassRun;
  verify?: PassRun;
  summary: Summary;
  reportDir?: string;
  problems: Problem[];
};

export type SubmitOptions = {
  /**
   * Run the preflight before anything is written (`import`): a run it stops leaves no job dir,
   * no state.db and no log, and does not register the job (README: "nothing was written").
   */
  preflight?: { emit: EventSink };
  /** The ossimport cfg the job comes from (its keys are re-read from it at each run). */
  origin?: JobOrigin;
};

/** What a session starts with besides its backend. */
type Extras = {
  /** Stores built for the preflight at submit (reused, not built twice). */
  stores?: Stores;
  /** The preflight's result at submit: the run reports it instead of probing again. */
  problems?: Problem[];
  replaced?: boolean;
};

export class JobSession {
  readonly log: Logger;
  readonly journal: Journal;
  /** Job state: SQLite in the work dir, or Redis for a fleet job. */
  readonly state: JobState;
  /** The submit replaced an earlier definition of this job that had copied nothing. */
  readonly replaced: boolean;
  private closed = false;
  /** Every secret the log must never show (grows when the cfg's keys are read again). */
  private readonly secrets: string[];
  private early: Problem[] | undefined;

  private constructor(
    readonly ws: Workspace,
    readonly name: string,
    public spec: JobSpec,
    /** Where the job lives and who runs its tasks (for `stat` / `stop` / `clean` / `limit` output). */
    readonly backend: JobBackend,
    private readonly creds: Credentials,
    private readonly makeStores: StoresFactory,
    secrets: readonly string[],
    extras: Extras = {},
  ) {
    this.state = backend.state;
    this.journal = backend.journal;
    this.secrets = [...secrets, ...backend.secrets];
    if (extras.stores) this.stores = extras.stores;
    this.early = extras.problems;
    this.replaced = extras.replaced ?? false;
    this.log = jobLogger({ file: ws.logFile(name), secrets: () => this.secrets });
    this.restoreConsole = routeConsole(this.log);
  }
  private readonly restoreConsole: () => void;

  /**
   * Credentials resolved after the session opened (with the inline keys of the cfg the job was
   * submitted from); call it before any store is made.
   */
  addCredentials(creds: Credentials, secrets: readonly string[]): void {
    // In place: a fleet job's lazy journal holds this same object.
    Object.assign(this.creds, creds);
    this.secrets.push(...secrets);
  }

  /**
   * Register a job (ossimport `submit`). The same name with a different definition is refused
   * until `clean` — except the window, which is how an incremental phase is asked for.
   * `backends`: where the job lives (default: the work dir; a fleet job gets the fleet's, from
   * the composition root).
   */
  static async submit(
    ws: Workspace,
    spec: JobSpec,
    creds: Credentials,
    makeStores: StoresFactory,
    secrets: readonly string[] = [],
    backends: JobBackendProvider = standaloneBackends(ws),
    opts: SubmitOptions = {},
  ): Promise<JobSession> {
    // Read-only until the preflight passes: a refused or unreachable job leaves nothing behind.
    let extras: Extras = {};
    const check = async () => {
      if (!opts.preflight) return;
      const stores = await makeStores(spec, creds);
      const problems = await preflight(spec, stores.src, stores.dst, sourcePrefix(spec));
      if (problems.some((p) => p.severity === 'error')) {
        // Shown, not logged: there is no job (and so no log) to write it to.
        const { emit } = opts.preflight;
        emit({ type: 'stage', stage: 'preflight', state: 'start' });
        for (const problem of problems) emit({ type: 'problem', problem });
        emit({ type: 'stage', stage: 'preflight', state: 'end' });
        throw new PreflightError(problems);
      }
      extras = { stores, problems };
    };
    const job = await backends.submit(spec, creds, { check, sameJob, hasCopied });
    await ws.writeOrigin(job.name, opts.origin);
    return new JobSession(ws, job.name, job.spec, job.backend, creds, makeStores, secrets, {
      ...extras,
      replaced: job.replaced,
    });
  }

  /** Open a submitted job (`backends` as for submit). */
  static async open(
    ws: Workspace,
    name: string | undefined,
    creds: Credentials,
    makeStores: StoresFactory,
    secrets: readonly string[] = [],
    backends: JobBackendProvider = standaloneBackends(ws),
  ): Promise<JobSession> {
    const job = await backends.open(name, creds);
    return new JobSession(ws, job.name, job.spec, job.backend, creds, makeStores, secrets);
  }

  /** Take the job for a run (the work dir's lock file, or the job's lease in Redis). */
  private acquire(): Promise<() => Promise<void>> {
    return this.backend.lock(this.log);
  }

  /** Who runs the job now (the lock file's process, or the fleet coordinator holding the lease). */
  runner(): Promise<{ pid: number; host: string } | undefined> {
    return this.backend.runner();
  }

  /** Task counts of a pass per kind (those with any task). */
  taskCounts(passId: string): Promise<Record<string, QueueCounts>> {
    return this.backend.taskCounts(passId);
  }

  /** The fleet's workers (none for a standalone job). */
  workers(): Promise<WorkerRecord[]> {
    return this.backend.workers();
  }

  /** After a run: the fleet stops following this job's passes. */
  private async afterRun(passIds: Array<string | undefined>): Promise<void> {
    await this.backend.afterRun(passIds.filter((id): id is string => id !== undefined));
  }

  private stores?: Stores;
  async getStores(): Promise<Stores> {
    this.stores ??= await this.makeStores(this.spec, this.creds);
    return this.stores;
  }

  /** The caller's event sink, also feeding the job log. */
  private sink(o: FlowOptions): EventSink {
    return (e) => {
      logEvent(this.log, e);
      o.emit(e);
    };
  }

  private async ports(o: FlowOptions): Promise<Ports> {
    const { src, dst } = await this.getStores();
    const emit = this.sink(o);
    return {
      spec: this.spec,
      src,
      dst,
      state: this.state,
      queue: await this.backend.passQueue({ emit, log: this.log, hard: o.signal }),
      journal: this.journal,
      emit,
      log: this.log,
      signal: o.signal,
    };
  }

  async preflight(): Promise<Problem[]> {
    const { src, dst } = await this.getStores();
    return preflight(this.spec, src, dst, sourcePrefix(this.spec));
  }

  /** What a survey needs: the source answers (the destination may not exist yet). */
  async preflightSource(): Promise<Problem[]> {
    const { src, dst } = await this.getStores();
    return preflightSource(this.spec, src, dst);
  }

  /** The pass this run continues, or a new one, for the job's window. */
  async planCopyPass(now = new Date()): Promise<{ pass: PassInfo; resumed: boolean; done: boolean }> {
    const w = this.spec.window;
    const phase: Phase = w.since ? 'incremental' : 'full';
    const passes = (await this.state.passes()).filter((p) => p.mode === 'copy' && p.phase === phase);
    let match: PassInfo | undefined;
    if (phase === 'full') {
      // The full phase keeps the T1 it started with, however often it is resumed.
      match = passes[passes.length - 1];
    } else {
      const t1 = w.since!.toISOString();
      match = passes
        .filter((p) => p.t1 === t1 && (w.until === undefined || p.t2 === w.until.toISOString()))
        .pop();
    }
    if (match) return { pass: match, resumed: true, done: match.status === 'done' };
    const pass =
      phase === 'full'
        ? newPass('copy', { phase, t1: now }, now)
        : newPass('copy', { phase, t1: w.since!, t2: w.until ?? now }, now);
    return { pass, resumed: false, done: false };
  }

  /** One-click import: preflight → copy (or resume) → verify → report. */
  async runImport(o: FlowOptions & { verify?: boolean }): Promise<FlowResult> {
    // The preflight first: it writes nothing, and a run it stops takes no lock.
    let problems: Problem[] = [];
    if (!o.skipPreflight) {
      const emit = this.sink(o);
      emit({ type: 'stage', stage: 'preflight', state: 'start' });
      // An `import` ran it before registering the job: report that result, do not probe twice.
      problems = this.early ?? (await this.preflight());
      this.early = undefined;
      for (const p of problems) emit({ type: 'problem', problem: p });
      emit({ type: 'stage', stage: 'preflight', state: 'end' });
      if (problems.some((p) => p.severity === 'error')) throw new PreflightError(problems);
    }
    const release = await this.acquire();
    const ran: Array<string | undefined> = [];
    try {
      await this.state.setControl({ stopRequested: false });
      const planned = await this.planCopyPass();
      return await this.copyThenVerify(planned.pass, { resumed: planned.resumed }, o, ran, problems);
    } finally {
      await this.afterRun(ran);
      await release();
    }
  }

  /**
   * ossimport's isIncremental: after this run, keep running incremental passes every
   * `intervalMs`, each from where the previous one ended (its T2, or the full pass's T1) to
   * the moment it starts, until the soft stop. Returns the last run's result.
   */
  async runRepeating(
    o: FlowOptions & {
      intervalMs: number;
      onResult?: (r: FlowResult) => void;
      onWait?: (next: Date) => void;
    },
  ): Promise<FlowResult> {
    let result = await this.runImport(o);
    o.onResult?.(result);
    const base = this.spec;
    while (
      !o.softStop?.aborted &&
      !o.signal.aborted &&
      result.exitCode !== ExitCode.INTERRUPTED &&
      result.copy
    ) {
      const since = new Date(result.copy.pass.t2 ?? result.copy.pass.t1);
      o.onWait?.(new Date(Date.now() + o.intervalMs));
      try {
        await sleep(o.intervalMs, undefined, { signal: o.softStop ?? o.signal });
      } catch {
        break; // stopped while waiting: the last pass is complete
      }
      this.spec = parseJob(
        {
          ...base,
          window: {
            since,
            ...(base.window.repeatSeconds ? { repeatSeconds: base.window.repeatSeconds } : {}),
          },
        },
        'job',
      );
      result = await this.runImport({ ...o, skipPreflight: true });
      o.onResult?.(result);
    }
    return result;
  }

  /** Run a copy pass, then (unless stopped or turned off) its verify pass, then finish. */
  private async copyThenVerify(
    pass: PassInfo,
    how: { resumed: boolean; seed?: CopyTask[] },
    o: FlowOptions & { verify?: boolean },
    ran: Array<string | undefined>,
    problems: Problem[],
  ): Promise<FlowResult> {
    const copy = await executePass(await this.ports(o), pass, {
      resumed: how.resumed,
      ...(how.seed ? { seed: how.seed } : {}),
      ...(o.softStop ? { softStop: o.softStop } : {}),
      ...(o.progressMs ? { progressMs: o.progressMs } : {}),
    });
    ran.push(copy.pass.id);
    let verify: PassRun | undefined;
    if (!copy.stopped && (o.verify ?? this.spec.verify.afterImport))
      verify = await this.verifyPass(copy.pass, o);
    ran.push(verify?.pass.id);
    return await this.finish(copy, verify, problems, o.html);
  }

  /** A verify pass over the window of a copy pass (a new one each time it is asked for). */
  async verifyPass(copyPass: PassInfo, o: FlowOptions): Promise<PassRun> {
    const now = new Date();
    const existing = (await this.state.passes()).filter(
      (p) => p.mode === 'verify' && p.id.startsWith(`verify-${copyPass.id}`),
    );
    const unfinished = existing.find((p) => p.status !== 'done');
    const pass: PassInfo = unfinished ?? {
      ...newPass(
        'verify',
        {
          phase: copyPass.phase,
          t1: new Date(copyPass.t1),
          ...(copyPass.t2 ? { t2: new Date(copyPass.t2) } : {}),
        },
        now,
      ),
      id: `verify-${copyPass.id}-${existing.length + 1}`,
    };
    return executePass(await this.ports(o), pass, {
      resumed: unfinished !== undefined,
      ...(o.softStop ? { softStop: o.softStop } : {}),
      ...(o.progressMs ? { progressMs: o.progressMs } : {}),
    });
  }

  /** Re-run only the failures of the latest copy pass (keys looked up one by one), then verify. */
  async runRetry(o: FlowOptions & { verify?: boolean }): Promise<FlowResult> {
    const release = await this.acquire();
    const ran: Array<string | undefined> = [];
    try {
      await this.state.setControl({ stopRequested: false });
      const copyPass = (await this.state.passes()).filter((p) => p.mode === 'copy').pop();
      if (!copyPass)
        throw new ConfigError(`job "${this.name}" has not run yet`, 'run ossmigrate start (or import) first');
      const failures = await this.state.failures(copyPass.id);
      const waits = await this.state.restoreWaits(copyPass.id);
      const keys = [...new Set([...failures.map((f) => f.key), ...waits.map((w) => w.key)])].sort();
      const seed: CopyTask[] = [];
      const per = this.spec.tasks.maxObjects;
      // Retry task ids sort after every earlier task of the pass (copy-…, restores) and after
      // earlier retries: journals are read in task-id order and the last line of a key wins.
      const round = String(Date.now()).padStart(14, '0');
      for (let i = 0; i < keys.length; i += per) {
        const chunk = keys.slice(i, i + per);
        const range = { prefix: sourcePrefix(this.spec) };
        seed.push({
          kind: 'copy',
          id: `retry-${round}-${String(i / per).padStart(6, '0')}`,
          range,
          keys: chunk,
          objects: chunk.length,
          bytes: 0,
          seenObjects: chunk.length,
          seenBytes: 0,
        });
      }
      for (const w of waits) await this.state.removeRestoreWait(copyPass.id, w.key);
      return await this.copyThenVerify(copyPass, { resumed: true, seed }, o, ran, []);
    } finally {
      await this.afterRun(ran);
      await release();
    }
  }

  /** Verify the latest copy pass (or the job's window when none ran). */
  async runVerify(o: FlowOptions): Promise<FlowResult> {
    const release = await this.acquire();
    const ran: Array<string | undefined> = [];
    try {
      await this.state.setControl({ stopRequested: false });
      let copyPass = (await this.state.passes()).filter((p) => p.mode === 'copy').pop();
      if (!copyPass) {
        // Verify-only (ossimport jobType=audit): compare as of now, nothing copied.
        const planned = await this.planCopyPass();
        copyPass = planned.pass;
        if (!planned.resumed)
          await this.state.beginPass({ ...copyPass, status: 'done', finishedAt: new Date().toISOString() });
      }
      const verify = await this.verifyPass(copyPass, o);
      ran.push(verify.pass.id);
      return await this.finish(undefined, verify, [], o.html);
    } finally {
      await this.afterRun(ran);
      await release();
    }
  }

  /** Survey the source (ossimport has none): counts, bytes, histogram, classes, bad names. */
  async runPlan(o: FlowOptions): Promise<SurveyResult> {
    // Standalone: a survey in memory, beside the job and outside its state.
    if (!this.backend.surveysInState) return surveySource(this.spec, await this.getStores(), o);
    const started = Date.now();
    const pass = planPass(this.spec);
    // A fleet plan points the whole fleet at the job (its workers read the definition in Redis).
    const release = await this.acquire();
    let run: PassRun;
    try {
      // A fleet left stopped by `ossmigrate stop` would hold the plan's tasks.
      await this.state.setControl({ stopRequested: false });
      run = await executePass(await this.ports(o), pass, {
        resumed: false,
        ...(o.progressMs ? { progressMs: o.progressMs } : {}),
      });
    } finally {
      await this.afterRun([pass.id]);
      await release();
    }
    return {
      survey: await this.state.survey(pass.id),
      pass,
      elapsedMs: Date.now() - started,
      ...surveyGaps(run),
    };
  }

  /** Summary, report files, exit code. */
  private async finish(
    copy: PassRun | undefined,
    verify: PassRun | undefined,
    problems: Problem[],
    html = true,
  ): Promise<FlowResult> {
    const exitCode = exitCodeOf(copy, verify);
    const base = copy?.summary ?? verify!.summary;
    const vc = verify ? await this.state.counters(verify.pass.id) : undefined;
    const summary: Summary = {
      ...base,
      verified: vc?.verified ?? 0,
      ...(vc ? { verifiedBy: verifiedBy(vc) } : {}),
      missing: vc?.missing ?? 0,
      different: vc?.different ?? 0,
      extra: vc?.extra ?? 0,
      verifyErrors: vc?.verifyErrors ?? 0,
      elapsedMs: (copy?.summary.elapsedMs ?? 0) + (verify?.summary.elapsedMs ?? 0),
      exitCode,
    };
    const errored = [copy, verify].filter((r) => r?.summary.erroredTasks);
    if (errored.length) {
      summary.erroredTasks = errored.reduce((n, r) => n + (r!.summary.erroredTasks ?? 0), 0);
      summary.taskErrors = errored.flatMap((r) => r!.summary.taskErrors ?? []).slice(0, 5);
    }
    const reportDir = await writeReport({
      dir: this.ws.reportDir(this.name, (copy ?? verify)!.pass.id),
      job: this.name,
      spec: this.spec,
      summary,
      ...(copy ? { copy } : {}),
      ...(verify ? { verify, verifyProblems: passProblems(this.journal, verify.pass.id) } : {}),
      ...(copy ? { failures: await this.state.failures(copy.pass.id) } : {}),
      journal: this.journal.location((copy ?? verify)!.pass.id),
      state: this.state,
      html,
    });
    summary.report = reportDir;
    this.log.info({ ...summary }, 'summary');
    // The caller emits the one summary event: a retry round must not print two.
    return {
      exitCode,
      ...(copy ? { copy } : {}),
      ...(verify ? { verify } : {}),
      summary,
      reportDir,
      problems,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.restoreConsole();
    this.log.flush();
    await this.backend.close();
  }
}

export type SurveyResult = {
  survey: Survey;
  pass: PassInfo;
  elapsedMs: number;
  /** Listings that kept failing: the survey misses what lies under them. */
  erroredTasks?: Pick<Summary, 'erroredTasks' | 'taskErrors'>;
};

/** The survey's incomplete part, when a listing kept failing. */
function surveyGaps(run: PassRun): Pick<SurveyResult, 'erroredTasks'> {
  const { erroredTasks, taskErrors } = run.summary;
  return erroredTasks ? { erroredTasks: { erroredTasks, ...(taskErrors ? { taskErrors } : {}) } } : {};
}

function planPass(spec: JobSpec): PassInfo {
  const now = new Date();
  const w = spec.window;
  const pass = newPass(
    'plan',
    w.since ? { phase: 'incremental', t1: w.since, t2: w.until ?? now } : { phase: 'full', t1: now },
    now,
  );
  pass.id = `${pass.id}-${now.getTime().toString(36)}`;
  return pass;
}

/** A plan copies nothing, so it journals nothing. */
const noJournal: Journal = {
  append: async () => {},
  finished: async () => new Map(),
  setStatus: async () => {},
  ledger: async function* () {},
  putVerify: async () => {
    throw new Error('a plan pass verifies nothing');
  },
  verifyTasks: async function* () {},
  taskVerify: async () => [],
  location: () => '(none: a plan copies nothing)',
};

/**
 * Survey the source without a job (standalone `plan`): its tasks and counters live in an
 * in-memory SQLite, so a plan needs no job, registers none and is refused by none.
 */
export async function surveySource(spec: JobSpec, stores: Stores, o: FlowOptions): Promise<SurveyResult> {
  const started = Date.now();
  const pass = planPass(spec);
  const scratch = new SqliteStore(':memory:');
  try {
    const run = await executePass(
      {
        spec,
        src: stores.src,
        dst: stores.dst,
        state: scratch,
        queue: scratch,
        journal: noJournal,
        emit: o.emit,
        log: jobLogger({}),
        signal: o.signal,
      },
      pass,
      { resumed: false, ...(o.progressMs ? { progressMs: o.progressMs } : {}) },
    );
    return {
      survey: await scratch.survey(pass.id),
      pass,
      elapsedMs: Date.now() - started,
      ...surveyGaps(run),
    };
  } finally {
    await scratch.close();
  }
}

/** Exit code of a flow: interrupted > failed objects > verification mismatches > success. */
export function exitCodeOf(copy: PassRun | undefined, verify: PassRun | undefined): ExitCode {
  if (copy?.stopped || verify?.stopped) return ExitCode.INTERRUPTED;
  if (copy && (copy.summary.failed > 0 || copy.restoresPending > 0 || copy.summary.erroredTasks))
    return ExitCode.FAILED_OBJECTS;
  if (verify) {
    const v = verify.summary;
    if (v.missing + v.different + v.verifyErrors + (v.erroredTasks ?? 0) > 0) return ExitCode.VERIFY_MISMATCH;
  }
  return ExitCode.OK;
}
