/**
 * Application services behind the CLI verbs and the TUI: submit, import (preflight → copy →
 * verify → report), plan, verify, retry, stat. Standalone: SQLite state and local journals in
 * the work dir. The fleet coordinator reuses the same flow with Redis ports (runner/fleet).
 */
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { LocalJournal } from '../adapters/journal/localJournal.ts';
import type { WorkerRecord } from '../adapters/queue/fleetStore.ts';
import type { RedisJobState } from '../adapters/state/redisState.ts';
import { SqliteStore } from '../adapters/state/sqliteStore.ts';
import type { Credentials } from '../config/credentials.ts';
import { type JobSpec, parseJob } from '../config/job.ts';
import { ConfigError } from '../core/errors.ts';
import type { EventSink, Problem, Summary } from '../core/events.ts';
import { ExitCode } from '../core/exitCodes.ts';
import type { Survey } from '../core/survey.ts';
import type { CopyTask, Phase } from '../core/types.ts';
import { executePass, newPass, type PassRun, type Ports, sourcePrefix } from '../engine/run.ts';
import { verifiedBy } from '../engine/summary.ts';
// Fleet code (BullMQ, ioredis) loads only for fleet jobs: standalone runs and quick commands
// (stat, limit, --help) start faster without it.
import type { CoordinatorQueue, FleetConnection } from '../fleet/coordinator.ts';
import type { JournalLocation } from '../fleet/journals.ts';
import type { FleetSettings } from '../fleet/session.ts';
import type { JobState, PassInfo } from '../ports/jobState.ts';
import type { Journal } from '../ports/journal.ts';
import type { ObjectStore } from '../ports/objectStore.ts';
import type { QueueCounts, WorkQueue } from '../ports/workQueue.ts';
import { hasCopied, identity, sameJob } from './jobIdentity.ts';
import { jobLogger, logEvent, routeConsole } from './logger.ts';
import { preflight, preflightSource } from './preflight.ts';
import { writeReport } from './report.ts';
import { type JobOrigin, LockedError, type Workspace } from './workspace.ts';

export type Stores = { src: ObjectStore; dst: ObjectStore };
export type StoresFactory = (spec: JobSpec, creds: Credentials) => Promise<Stores> | Stores;

export { sameJob };

import { PreflightError } from '../core/errors.ts';

export { PreflightError };

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

/** Where a session keeps its state: the work dir (standalone) or the fleet's Redis. */
type Backend =
  | { kind: 'standalone'; state: SqliteStore; journal: Journal }
  | {
      kind: 'fleet';
      state: RedisJobState;
      journal: Journal;
      conn: FleetConnection;
      location: JournalLocation;
      /** The Redis URL as given (it may hold a password: never print it; use conn.target.display). */
      url: string;
    };

export type { FleetSettings };

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
  /** The standalone SQLite store (queue and state), when the job is not a fleet job. */
  readonly sqlite?: SqliteStore;
  /** The fleet connection, for a fleet job (`import --queue`, a job file with queue.url). */
  readonly fleet?: Extract<Backend, { kind: 'fleet' }>;
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
    backend: Backend,
    private readonly creds: Credentials,
    private readonly makeStores: StoresFactory,
    secrets: readonly string[],
    extras: Extras = {},
  ) {
    this.state = backend.state;
    this.journal = backend.journal;
    if (backend.kind === 'standalone') this.sqlite = backend.state;
    else this.fleet = backend;
    this.secrets = [...secrets];
    if (backend.kind === 'fleet' && backend.conn.target.password)
      this.secrets.push(backend.conn.target.password);
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
   * A spec with `queue.url` (or `fleet` settings) is a fleet job: its state lives in Redis.
   */
  static async submit(
    ws: Workspace,
    spec: JobSpec,
    creds: Credentials,
    makeStores: StoresFactory,
    secrets: readonly string[] = [],
    fleet?: FleetSettings,
    opts: SubmitOptions = {},
  ): Promise<JobSession> {
    const url = fleet?.url ?? spec.queue?.url;
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
    if (url) {
      await check();
      const { submitFleetJob } = await import('../fleet/session.ts');
      const f = await submitFleetJob(ws, spec, { ...fleet, url }, identity, creds);
      await ws.ensureJobDir(spec.name);
      await ws.writeOrigin(spec.name, opts.origin);
      return new JobSession(
        ws,
        spec.name,
        { ...spec, queue: { url } },
        { kind: 'fleet', ...f, url },
        creds,
        makeStores,
        secrets,
        { ...extras, replaced: f.replaced },
      );
    }
    let state: SqliteStore | undefined;
    let existing: Awaited<ReturnType<SqliteStore['getJob']>>;
    let replaced = false;
    if (existsSync(ws.statePath(spec.name))) {
      state = new SqliteStore(ws.statePath(spec.name));
      try {
        existing = await state.getJob();
        if (existing && !sameJob(parseJob(JSON.parse(existing.spec), 'submitted job'), spec)) {
          if (await hasCopied(state)) {
            throw new ConfigError(
              `a different job named "${spec.name}" is already in ${ws.root}, and it has copied objects`,
              `finish it, or remove it with: ossmigrate clean --job ${spec.name} (or use another name / --workdir)`,
            );
          }
          const holder = ws.lockHolder(spec.name);
          if (holder) throw new LockedError(holder.pid, holder.host, ws.lockPath(spec.name));
          replaced = true;
        }
        await check();
      } catch (e) {
        await state.close();
        throw e;
      }
      if (replaced) {
        // It copied nothing: its passes and tasks describe the old definition, so start afresh.
        await state.close();
        await ws.removeJob(spec.name);
        state = undefined;
        existing = undefined;
      }
    } else {
      await check();
    }
    await ws.ensureJobDir(spec.name);
    state ??= new SqliteStore(ws.statePath(spec.name));
    await state.putJob({
      name: spec.name,
      spec: JSON.stringify(spec),
      submittedAt: existing?.submittedAt ?? new Date().toISOString(),
    });
    await ws.writeOrigin(spec.name, opts.origin);
    return new JobSession(
      ws,
      spec.name,
      spec,
      { kind: 'standalone', state, journal: new LocalJournal(ws.journalRoot(spec.name)) },
      creds,
      makeStores,
      secrets,
      { ...extras, replaced },
    );
  }

  static async open(
    ws: Workspace,
    name: string | undefined,
    creds: Credentials,
    makeStores: StoresFactory,
    secrets: readonly string[] = [],
    fleet?: FleetSettings,
  ): Promise<JobSession> {
    // A fleet job submitted from this work dir left a pointer to its Redis (without the password).
    const url = fleet?.url ?? (await ws.fleetUrl(name));
    if (url) {
      const { openFleetJob } = await import('../fleet/session.ts');
      const f = await openFleetJob(ws, name, { ...fleet, url }, creds);
      return new JobSession(
        ws,
        f.name,
        { ...f.spec, queue: { url } },
        { kind: 'fleet', ...f, url },
        creds,
        makeStores,
        secrets,
      );
    }
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
      { kind: 'standalone', state, journal: new LocalJournal(ws.journalRoot(jobName)) },
      creds,
      makeStores,
      secrets,
    );
  }

  /**
   * Take the job for a run: the work dir's lock file (standalone) or the job's lease in Redis
   * (fleet: one coordinator per job, wherever it runs). Returns the release.
   */
  private async acquire(): Promise<() => Promise<void>> {
    if (!this.fleet) {
      const release = this.ws.lock(this.name);
      return async () => release();
    }
    const { lockFleetJob } = await import('../fleet/session.ts');
    return lockFleetJob(this.fleet.conn, this.name, this.log);
  }

  /** Who runs the job now (the lock file's process, or the fleet coordinator holding the lease). */
  async runner(): Promise<{ pid: number; host: string } | undefined> {
    if (!this.fleet) return this.ws.lockHolder(this.name);
    return this.fleet.conn.fleet.lockHolder(this.name);
  }

  /** Task counts of a pass per kind (those with any task). */
  async taskCounts(passId: string): Promise<Record<string, QueueCounts>> {
    if (this.sqlite) return this.sqlite.countsByKind(passId);
    const { BullWorkQueue } = await import('../adapters/queue/bullQueue.ts');
    const q = new BullWorkQueue(this.fleet!.conn.redis, this.name);
    try {
      const out: Record<string, QueueCounts> = {};
      for (const kind of ['scan', 'copy', 'verify'] as const) {
        const c = await q.counts(passId, kind);
        if (c.pending + c.running + c.done + c.failed > 0) out[kind] = c;
      }
      return out;
    } finally {
      await q.close();
    }
  }

  /** The fleet's workers (none for a standalone job). */
  async workers(): Promise<WorkerRecord[]> {
    return this.fleet ? this.fleet.conn.fleet.workers() : [];
  }

  /** After a fleet run: the fleet stops following this job's passes. */
  private async afterRun(passIds: Array<string | undefined>): Promise<void> {
    if (!this.fleet) return;
    for (const id of passIds) if (id) await this.fleet.conn.fleet.clearActive(this.name, id).catch(() => {});
  }

  private stores?: Stores;
  async getStores(): Promise<Stores> {
    this.stores ??= await this.makeStores(this.spec, this.creds);
    return this.stores;
  }

  private readonly coordinators: CoordinatorQueue[] = [];

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
    let queue: WorkQueue;
    if (this.fleet) {
      const { CoordinatorQueue } = await import('../fleet/coordinator.ts');
      const c = new CoordinatorQueue(this.fleet.conn, this.name, this.state, {
        emit,
        log: this.log,
        hard: o.signal,
      });
      this.coordinators.push(c);
      queue = c;
    } else {
      queue = this.sqlite!;
    }
    return {
      spec: this.spec,
      src,
      dst,
      state: this.state,
      queue,
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
    return preflightSource(this.spec, (await this.getStores()).src);
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
    return await this.finish(copy, verify, problems);
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
      return await this.finish(undefined, verify, []);
    } finally {
      await this.afterRun(ran);
      await release();
    }
  }

  /** Survey the source (ossimport has none): counts, bytes, histogram, classes, bad names. */
  async runPlan(o: FlowOptions): Promise<SurveyResult> {
    // Standalone: a survey in memory, beside the job and outside its state.
    if (!this.fleet) return surveySource(this.spec, await this.getStores(), o);
    const started = Date.now();
    const pass = planPass(this.spec);
    // A fleet plan points the whole fleet at the job (its workers read the definition in Redis).
    const release = await this.acquire();
    try {
      // A fleet left stopped by `ossmigrate stop` would hold the plan's tasks.
      await this.state.setControl({ stopRequested: false });
      await executePass(await this.ports(o), pass, {
        resumed: false,
        ...(o.progressMs ? { progressMs: o.progressMs } : {}),
      });
    } finally {
      await this.afterRun([pass.id]);
      await release();
    }
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
      ...(vc ? { verifiedBy: verifiedBy(vc) } : {}),
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
      state: this.state,
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
    for (const c of this.coordinators) await c.close().catch(() => {});
    if (this.fleet) {
      const { closeJournal } = await import('../fleet/journals.ts');
      await closeJournal(this.journal).catch(() => {});
    } else {
      await (this.journal as LocalJournal).close().catch(() => {});
    }
    await this.state.close();
    await this.fleet?.conn.close();
  }
}

export type SurveyResult = { survey: Survey; pass: PassInfo; elapsedMs: number };

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
    await executePass(
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
    return { survey: await scratch.survey(pass.id), pass, elapsedMs: Date.now() - started };
  } finally {
    await scratch.close();
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
