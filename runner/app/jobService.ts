/**
 * Application services behind the CLI verbs and the TUI: submit, import (preflight → copy →
 * verify → report), plan, verify, retry, stat. Standalone: SQLite state and local journals in
 * the work dir. The fleet coordinator reuses the same flow with Redis ports (runner/fleet).
 */
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { LocalJournal } from '../adapters/journal/localJournal.ts';
import { SqliteStore } from '../adapters/state/sqliteStore.ts';
import type { Credentials } from '../config/credentials.ts';
import { type JobSpec, parseJob } from '../config/job.ts';
import { ConfigError } from '../core/errors.ts';
import type { EventSink, Problem, Summary } from '../core/events.ts';
import { ExitCode } from '../core/exitCodes.ts';
import type { Survey } from '../core/survey.ts';
import type { CopyTask, Phase } from '../core/types.ts';
import { executePass, newPass, type PassRun, type Ports, sourcePrefix } from '../engine/run.ts';
import { taskId } from '../engine/tasks.ts';
import type { JobState, PassInfo } from '../ports/jobState.ts';
import type { Journal } from '../ports/journal.ts';
import type { ObjectStore } from '../ports/objectStore.ts';
import type { WorkQueue } from '../ports/workQueue.ts';
import { jobLogger, routeConsole } from './logger.ts';
import { preflight } from './preflight.ts';
import { writeReport } from './report.ts';
import type { Workspace } from './workspace.ts';

export type Stores = { src: ObjectStore; dst: ObjectStore };
export type StoresFactory = (spec: JobSpec, creds: Credentials) => Promise<Stores> | Stores;

/** The spec without its window: re-running with a new --since/--until is the same job. */
function identity(spec: JobSpec): unknown {
  const { window: _w, ...rest } = spec;
  return JSON.parse(JSON.stringify(rest));
}

export class PreflightError extends Error {
  constructor(readonly problems: Problem[]) {
    super(
      problems
        .filter((p) => p.severity === 'error')
        .map((p) => `${p.code}: ${p.message}`)
        .join('; '),
    );
    this.name = 'PreflightError';
  }
}

export type FlowOptions = {
  emit: EventSink;
  /** Hard stop (second Ctrl-C): abort transfers now. */
  signal: AbortSignal;
  /** Soft stop (first Ctrl-C / `ossmigrate stop`): finish in-flight objects. */
  softStop?: AbortSignal;
  /** Skip the preflight (tests of later stages). */
  skipPreflight?: boolean;
  progressMs?: number;
};

export type FlowResult = {
  exitCode: ExitCode;
  copy?: PassRun;
  verify?: PassRun;
  summary: Summary;
  reportDir?: string;
  problems: Problem[];
};

export class JobSession {
  readonly log: Logger;
  readonly journal: Journal;
  private closed = false;

  private constructor(
    readonly ws: Workspace,
    readonly name: string,
    public spec: JobSpec,
    readonly state: SqliteStore,
    private readonly creds: Credentials,
    private readonly makeStores: StoresFactory,
    secrets: readonly string[],
  ) {
    this.journal = new LocalJournal(ws.journalRoot(name));
    this.log = jobLogger({ file: ws.logFile(name), secrets: () => secrets });
    this.restoreConsole = routeConsole(this.log);
  }
  private readonly restoreConsole: () => void;

  /**
   * Register a job (ossimport `submit`). The same name with a different definition is refused
   * until `clean` — except the window, which is how an incremental phase is asked for.
   */
  static async submit(
    ws: Workspace,
    spec: JobSpec,
    creds: Credentials,
    makeStores: StoresFactory,
    secrets: readonly string[] = [],
  ): Promise<JobSession> {
    await ws.ensureJobDir(spec.name);
    const state = new SqliteStore(ws.statePath(spec.name));
    const existing = await state.getJob();
    if (existing) {
      const old = parseJob(JSON.parse(existing.spec), 'submitted job');
      if (!isDeepStrictEqual(identity(old), identity(spec))) {
        await state.close();
        throw new ConfigError(
          `a different job named "${spec.name}" is already in ${ws.root}`,
          `finish it, or remove it with: ossmigrate clean --job ${spec.name} (or use another name / --workdir)`,
        );
      }
    }
    await state.putJob({
      name: spec.name,
      spec: JSON.stringify(spec),
      submittedAt: existing?.submittedAt ?? new Date().toISOString(),
    });
    return new JobSession(ws, spec.name, spec, state, creds, makeStores, secrets);
  }

  static async open(
    ws: Workspace,
    name: string | undefined,
    creds: Credentials,
    makeStores: StoresFactory,
    secrets: readonly string[] = [],
  ): Promise<JobSession> {
    const jobName = await ws.resolveJob(name);
    const state = new SqliteStore(ws.statePath(jobName));
    const job = await state.getJob();
    if (!job) {
      await state.close();
      throw new ConfigError(
        `job "${jobName}" has no definition`,
        `ossmigrate clean --job ${jobName}, then submit it again`,
      );
    }
    return new JobSession(
      ws,
      jobName,
      parseJob(JSON.parse(job.spec), 'submitted job'),
      state,
      creds,
      makeStores,
      secrets,
    );
  }

  private stores?: Stores;
  async getStores(): Promise<Stores> {
    this.stores ??= await this.makeStores(this.spec, this.creds);
    return this.stores;
  }

  private async ports(
    o: FlowOptions,
    state: JobState = this.state,
    queue: WorkQueue = this.state,
  ): Promise<Ports> {
    const { src, dst } = await this.getStores();
    return {
      spec: this.spec,
      src,
      dst,
      state,
      queue,
      journal: this.journal,
      emit: o.emit,
      log: this.log,
      signal: o.signal,
    };
  }

  async preflight(): Promise<Problem[]> {
    const { src, dst } = await this.getStores();
    return preflight(this.spec, src, dst, sourcePrefix(this.spec));
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
    const release = this.ws.lock(this.name);
    try {
      await this.state.setControl({ stopRequested: false });
      let problems: Problem[] = [];
      if (!o.skipPreflight) {
        o.emit({ type: 'stage', stage: 'preflight', state: 'start' });
        problems = await this.preflight();
        for (const p of problems) o.emit({ type: 'problem', problem: p });
        o.emit({ type: 'stage', stage: 'preflight', state: 'end' });
        if (problems.some((p) => p.severity === 'error')) throw new PreflightError(problems);
      }
      const planned = await this.planCopyPass();
      const ports = await this.ports(o);
      const copy = await executePass(ports, planned.pass, {
        resumed: planned.resumed,
        ...(o.softStop ? { softStop: o.softStop } : {}),
        ...(o.progressMs ? { progressMs: o.progressMs } : {}),
      });
      let verify: PassRun | undefined;
      if (!copy.stopped && (o.verify ?? this.spec.verify.afterImport))
        verify = await this.verifyPass(copy.pass, o);
      return await this.finish(copy, verify, problems);
    } finally {
      release();
    }
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
    const release = this.ws.lock(this.name);
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
      const round = (await this.state.passes()).length;
      for (let i = 0; i < keys.length; i += per) {
        const chunk = keys.slice(i, i + per);
        const range = { prefix: sourcePrefix(this.spec) };
        seed.push({
          kind: 'copy',
          id: taskId('copy', range, `retry-${round}-${i}`),
          range,
          keys: chunk,
          objects: chunk.length,
          bytes: 0,
          seenObjects: chunk.length,
          seenBytes: 0,
        });
      }
      for (const w of waits) await this.state.removeRestoreWait(copyPass.id, w.key);
      const copy = await executePass(await this.ports(o), copyPass, {
        resumed: true,
        seed,
        ...(o.softStop ? { softStop: o.softStop } : {}),
        ...(o.progressMs ? { progressMs: o.progressMs } : {}),
      });
      let verify: PassRun | undefined;
      if (!copy.stopped && (o.verify ?? this.spec.verify.afterImport))
        verify = await this.verifyPass(copy.pass, o);
      return await this.finish(copy, verify, []);
    } finally {
      release();
    }
  }

  /** Verify the latest copy pass (or the job's window when none ran). */
  async runVerify(o: FlowOptions): Promise<FlowResult> {
    const release = this.ws.lock(this.name);
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
      return await this.finish(undefined, verify, []);
    } finally {
      release();
    }
  }

  /** Survey the source (ossimport has none): counts, bytes, histogram, classes, bad names. */
  async runPlan(o: FlowOptions): Promise<{ survey: Survey; pass: PassInfo; elapsedMs: number }> {
    const started = Date.now();
    const now = new Date();
    const w = this.spec.window;
    const pass = newPass(
      'plan',
      w.since ? { phase: 'incremental', t1: w.since, t2: w.until ?? now } : { phase: 'full', t1: now },
      now,
    );
    pass.id = `${pass.id}-${now.getTime().toString(36)}`;
    await executePass(await this.ports(o), pass, {
      resumed: false,
      ...(o.progressMs ? { progressMs: o.progressMs } : {}),
    });
    return { survey: await this.state.survey(pass.id), pass, elapsedMs: Date.now() - started };
  }

  /** Summary, report files, exit code. */
  private async finish(
    copy: PassRun | undefined,
    verify: PassRun | undefined,
    problems: Problem[],
  ): Promise<FlowResult> {
    const exitCode = exitCodeOf(copy, verify);
    const base = copy?.summary ?? verify!.summary;
    const vc = verify ? await this.state.counters(verify.pass.id) : undefined;
    const summary: Summary = {
      ...base,
      verified: vc?.verified ?? 0,
      missing: vc?.missing ?? 0,
      different: vc?.different ?? 0,
      extra: vc?.extra ?? 0,
      verifyErrors: vc?.verifyErrors ?? 0,
      elapsedMs: (copy?.summary.elapsedMs ?? 0) + (verify?.summary.elapsedMs ?? 0),
      exitCode,
    };
    const reportDir = await writeReport({
      dir: this.ws.reportDir(this.name, (copy ?? verify)!.pass.id),
      job: this.name,
      spec: this.spec,
      summary,
      ...(copy ? { copy } : {}),
      ...(verify ? { verify, verifyProblems: await this.state.verifyProblems(verify.pass.id) } : {}),
      ...(copy ? { failures: await this.state.failures(copy.pass.id) } : {}),
      journal: this.journal.location((copy ?? verify)!.pass.id),
    });
    summary.report = reportDir;
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
    await this.state.close();
  }
}

/** Exit code of a flow: interrupted > failed objects > verification mismatches > success. */
export function exitCodeOf(copy: PassRun | undefined, verify: PassRun | undefined): ExitCode {
  if (copy?.stopped || verify?.stopped) return ExitCode.INTERRUPTED;
  if (copy && (copy.summary.failed > 0 || copy.restoresPending > 0)) return ExitCode.FAILED_OBJECTS;
  if (verify) {
    const v = verify.summary;
    if (v.missing + v.different + v.verifyErrors > 0) return ExitCode.VERIFY_MISMATCH;
  }
  return ExitCode.OK;
}
