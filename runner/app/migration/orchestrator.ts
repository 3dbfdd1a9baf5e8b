/**
 * The migration orchestrator: walks one migration through its ten phases (phases.ts) — plan,
 * provision, full, verify, mirror, cutover, incremental, final verify, report, teardown — over
 * the engine (a JobSession) and an InfraDriver (runner/ports/infra.ts). A state machine whose
 * state is the saved progress (progressFile.ts): each run starts at the first phase not done.
 * It emits what happens as MigrationEvents (types.ts) and puts its questions to `io.ask`: the
 * TUI answers by keys, `ossmigrate migrate` by flags. No UI here.
 *
 * Never loses the job: after every phase (and when T1/T2 are known) it saves tui.json next to
 * the job; a soft stop (q, Ctrl-C, SIGTERM, SIGHUP) lets the engine finish the objects in flight
 * and leaves the phase to be resumed by the next start.
 */
import { sizeFleet, sizingWarnings } from '../../../infra/sizing.ts';
import { parseJob } from '../../config/job.ts';
import { ConfigError, describeError, exitCodeFor, InfraError, PreflightError } from '../../core/errors.ts';
import type { EngineEvent } from '../../core/events.ts';
import { ExitCode } from '../../core/exitCodes.ts';
import { estimateSeconds } from '../../core/survey.ts';
import { formatBytes } from '../../core/units.ts';
import type { InfraDriver, InfraOutputs, ProvisionOptions } from '../../ports/infra.ts';
import type { FlowOptions, FlowResult, JobSession } from '../jobService.ts';
import { describeDestination, describeSource } from '../report.ts';
import { type BusinessRecord, writeMigrationReport } from './migrationReport.ts';
import { nextPhase, PHASES, type PhaseId } from './phases.ts';
import { isComplete, newProgress, type ProgressFile, type SavedProgress } from './progressFile.ts';
import type { Answer, Ask, InfraKind, MigrationEvent, Outcome, PhaseResult, PlanInfo } from './types.ts';

/** What the demo plugs in: a simulated business reacting to the migration. */
export type MigrationHooks = {
  /** Every engine event (the demo's business starts writing when the full pass begins). */
  onEvent?(e: EngineEvent): void;
  /** Cutover confirmed, before T2 is recorded: stop writing to the source. */
  beforeT2?(): Promise<void>;
  /** T2 recorded: the business now reads and writes OSS. */
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

class Stopped extends Error {
  constructor() {
    super('stopped');
  }
}

/** An answer for every question, for --yes: resume, go, retry once per phase, confirm. */
export function autoAnswerer(): (q: Ask) => Answer {
  const retried = new Set<string>();
  return (q) => {
    switch (q.kind) {
      case 'resume':
        return q.complete ? 'quit' : 'resume';
      case 'start':
        return 'yes';
      case 'retry':
        if (retried.has(q.phase)) return 'skip';
        retried.add(q.phase);
        return 'retry';
      case 'cutover':
      case 'teardown':
        return 'yes';
    }
  };
}

export async function runMigration(d: MigrationDeps, io: MigrationIO): Promise<Outcome> {
  const now = d.now ?? Date.now;
  const emit = (e: MigrationEvent) => io.emit(e);
  let p: SavedProgress | undefined = await d.progressFile.load();
  if (p && p.done.length > 0) {
    const complete = isComplete(p);
    const next = nextPhase(p.done);
    const answer = await io.ask({
      kind: 'resume',
      job: d.job,
      workdir: d.workdir,
      done: p.done,
      ...(next ? { next } : {}),
      savedAt: p.updatedAt,
      complete,
      ...(p.report ? { report: p.report } : {}),
    });
    if (answer === 'quit')
      return {
        status: 'stopped',
        exitCode: ExitCode.OK,
        message: complete ? 'the migration had finished; nothing to do' : 'nothing done; the job is kept',
        ...(p.report ? { report: p.report } : {}),
      };
    if (answer === 'new') {
      await d.reset();
      p = undefined;
    }
  }
  const progress: SavedProgress =
    p ?? newProgress({ job: d.job, infra: d.infraKind, deadlineDays: d.deadlineDays });
  const session = await d.open().catch((e: unknown) => {
    const err = describeError(e);
    return { error: e, ...err } as const;
  });
  if ('error' in session) {
    return {
      status: 'failed',
      exitCode: exitCodeFor(session.error),
      message: session.message,
      ...(session.fix ? { fix: session.fix } : {}),
    };
  }
  emit({
    type: 'init',
    job: {
      name: session.name,
      workdir: d.workdir,
      source: describeSource(session.spec),
      destination: describeDestination(session.spec),
    },
    infra: d.infraKind,
    saved: {
      done: progress.done,
      mirrorOn: progress.mirrorOn,
      deadlineDays: progress.deadlineDays,
      ...(progress.t1 ? { t1: progress.t1 } : {}),
      ...(progress.t2 ? { t2: progress.t2 } : {}),
      ...(progress.plan ? { plan: progress.plan } : {}),
      ...(progress.startedAt ? { startedAt: Date.parse(progress.startedAt) } : {}),
      ...(progress.outputs ? { outputs: progress.outputs } : {}),
    },
  });
  io.controls?.({ pause: async (paused) => void (await session.state.setControl({ paused })) });
  const save = () => d.progressFile.save(progress);
  let driver: InfraDriver | undefined;
  try {
    driver = d.driver ?? d.makeDriver?.(session);
  } catch (e) {
    await session.close();
    const err = describeError(e);
    return { status: 'failed', exitCode: ExitCode.USAGE, ...err };
  }
  const ctx: PhaseCtx = { d, io, session, progress, save, now, ...(driver ? { driver } : {}) };

  if (driver) {
    const check = await driver
      .check()
      .catch((e: unknown) => ({ ok: false, problem: (e as Error).message, fix: '' }) as const);
    emit({ type: 'infra-check', check });
  }

  let current: PhaseId | undefined;
  try {
    for (const phase of PHASES) {
      if (progress.done.includes(phase)) continue;
      current = phase;
      if (io.soft.aborted) throw new Stopped();
      emit({ type: 'phase-start', phase, at: now() });
      const r = await runPhase(ctx, phase);
      if (r.skipped) emit({ type: 'phase-skip', phase, reason: r.skipped });
      progress.done.push(phase);
      await save();
      if (!r.skipped)
        emit({
          type: 'phase-done',
          phase,
          at: now(),
          ...(r.detail ? { detail: r.detail } : {}),
          ...(r.result ? { result: r.result } : {}),
        });
    }
    progress.finishedAt = new Date(now()).toISOString();
    await save();
    const verdict = ctx.verdict;
    return {
      status: 'done',
      exitCode: verdict?.exitCode ?? ExitCode.OK,
      ...(progress.report ? { report: progress.report } : {}),
    };
  } catch (e) {
    await save().catch(() => {});
    if (e instanceof Stopped || io.soft.aborted || io.hard.aborted) {
      if (current) emit({ type: 'phase-stopped', phase: current, at: now() });
      return {
        status: 'stopped',
        exitCode: ExitCode.INTERRUPTED,
        message: `stopped during ${current ?? 'start'}; the job is saved in ${d.workdir}`,
        ...(progress.report ? { report: progress.report } : {}),
      };
    }
    const err = describeError(e);
    if (current) emit({ type: 'phase-failed', phase: current, at: now(), ...err });
    return { status: 'failed', exitCode: exitCodeFor(e), ...err };
  } finally {
    await d.hooks?.finish?.().catch(() => {});
    await session.close();
  }
}

type PhaseCtx = {
  d: MigrationDeps;
  driver?: InfraDriver;
  io: MigrationIO;
  session: JobSession;
  progress: SavedProgress;
  save(): Promise<void>;
  now(): number;
  verdict?: { exitCode: number; ok: boolean };
  business?: BusinessRecord;
};

type PhaseOutcome = { detail?: string; result?: PhaseResult; skipped?: string };

async function runPhase(c: PhaseCtx, phase: PhaseId): Promise<PhaseOutcome> {
  switch (phase) {
    case 'plan':
      return plan(c);
    case 'provision':
      return provision(c);
    case 'full':
      return copy(c, 'full');
    case 'verify':
      return verify(c, 'verify');
    case 'mirror':
      return mirror(c);
    case 'cutover':
      return cutover(c);
    case 'incremental':
      return copy(c, 'incremental');
    case 'final-verify':
      return verify(c, 'final-verify');
    case 'report':
      return report(c);
    case 'teardown':
      return teardown(c);
  }
}

function flow(
  c: PhaseCtx,
  extra: Partial<FlowOptions> & { verify?: boolean } = {},
): FlowOptions & { verify?: boolean } {
  return {
    emit: (e) => {
      c.d.hooks?.onEvent?.(e);
      c.io.emit({ type: 'engine', event: e, at: c.now() });
    },
    signal: c.io.hard,
    softStop: c.io.soft,
    ...(c.d.progressMs ? { progressMs: c.d.progressMs } : {}),
    ...extra,
  };
}

function infraOpts(c: PhaseCtx) {
  return { onOutput: (line: string) => c.io.emit({ type: 'infra-line', line }), signal: c.io.soft };
}

function setOutputs(c: PhaseCtx, outputs: InfraOutputs): void {
  c.progress.outputs = outputs;
  c.progress.mirrorOn = outputs.mirrorEnabled;
  c.io.emit({ type: 'infra-outputs', outputs });
}

async function plan(c: PhaseCtx): Promise<PhaseOutcome> {
  const { session, d } = c;
  const o = flow(c);
  o.emit({ type: 'stage', stage: 'preflight', state: 'start' });
  const problems = await session.preflight();
  for (const problem of problems) o.emit({ type: 'problem', problem });
  o.emit({ type: 'stage', stage: 'preflight', state: 'end' });
  if (problems.some((x) => x.severity === 'error')) throw new PreflightError(problems);
  // The survey has no soft stop of its own: quitting during it stops it at once (nothing to keep).
  const stop = new AbortController();
  const onStop = () => stop.abort();
  c.io.soft.addEventListener('abort', onStop, { once: true });
  c.io.hard.addEventListener('abort', onStop, { once: true });
  const startedAt = c.now();
  let survey: Awaited<ReturnType<JobSession['runPlan']>>['survey'];
  try {
    ({ survey } = await session.runPlan({ ...o, signal: stop.signal }));
  } finally {
    c.io.soft.removeEventListener('abort', onStop);
    c.io.hard.removeEventListener('abort', onStop);
  }
  if (stop.signal.aborted) throw new Stopped();
  const tb = survey.bytes / 1e12;
  const input = { dataTB: tb, days: d.deadlineDays, mbpsPerInstance: d.mbpsPerInstance };
  const sizing =
    tb > 0
      ? { ...sizeFleet(input), warnings: sizingWarnings(input) }
      : { instances: 0, explanation: 'nothing to move: the source is empty', warnings: [] };
  const oneMachineSeconds = estimateSeconds(survey, {
    bytesPerSecond: (d.mbpsPerInstance * 1e6) / 8,
    concurrency: session.spec.transfer.concurrency,
  });
  const fleetNote =
    d.infraKind === 'sandbox'
      ? session.spec.queue
        ? 'sandbox fleet: the workers on the queue copy (start them with ossmigrate worker)'
        : 'sandbox: the engine in this process is the fleet (one machine)'
      : d.infraKind === 'pulumi'
        ? session.spec.queue
          ? `fleet mode: ${sizing.instances} ECS workers take tasks from the queue`
          : 'standalone job (no queue: in the job file): this machine copies; the fleet size is 0'
        : 'no infra driver: this machine copies';
  const info: PlanInfo = {
    survey,
    sizing,
    estimate: {
      oneMachineSeconds,
      fleetSeconds: oneMachineSeconds / Math.max(1, sizing.instances),
      mbpsPerInstance: d.mbpsPerInstance,
      deadlineDays: d.deadlineDays,
    },
    fleetNote,
  };
  c.progress.plan = info;
  c.progress.startedAt = new Date(startedAt).toISOString();
  c.io.emit({ type: 'plan-ready', plan: info, startedAt });
  return {
    detail: `${survey.objects} objects, ${formatBytes(survey.bytes)}; fleet ${sizing.instances}`,
  };
}

async function provision(c: PhaseCtx): Promise<PhaseOutcome> {
  const { d, driver } = c;
  const fleet = c.progress.plan
    ? `${c.progress.plan.sizing.instances} instance(s) — ${c.progress.plan.fleetNote ?? ''}`
    : '';
  const go = await c.io.ask({ kind: 'start', fleet });
  if (go !== 'yes') throw new Stopped();
  if (!driver) return { skipped: 'no infra driver (--infra none): the bucket must exist already' };
  const check = await driver.check();
  c.io.emit({ type: 'infra-check', check });
  if (!check.ok)
    throw new InfraError(
      check.problem,
      driver.kind === 'pulumi'
        ? `${check.fix} — or start with --infra none and create the bucket and the mirror rule yourself`
        : check.fix,
    );
  const extra =
    c.progress.plan && d.provisionOptions
      ? d.provisionOptions(c.progress.plan, c.session)
      : { mirror: false };
  const outputs = await driver.provision({ ...extra, ...infraOpts(c) });
  if (c.io.soft.aborted) throw new Stopped();
  setOutputs(c, outputs);
  return {
    detail:
      driver.kind === 'sandbox'
        ? `bucket ${outputs.bucket} ready; ${c.session.spec.queue ? 'the workers on the queue copy' : 'no fleet (this machine copies)'}`
        : `bucket ${outputs.bucket}; ${outputs.fleetSize} worker(s)`,
  };
}

async function copy(c: PhaseCtx, phase: 'full' | 'incremental'): Promise<PhaseOutcome> {
  const { session, progress } = c;
  if (phase === 'incremental') {
    if (!progress.t1 || !progress.t2)
      throw new ConfigError(
        'the incremental phase needs T1 and T2',
        'run the full copy and the cutover first',
      );
    session.spec = parseJob(
      { ...session.spec, window: { ...session.spec.window, since: progress.t1, until: progress.t2 } },
      'tui',
    );
  }
  let r: FlowResult = await session.runImport(
    flow(c, { verify: false, skipPreflight: phase === 'incremental' }),
  );
  if (r.copy) {
    if (phase === 'full') {
      progress.t1 = r.copy.pass.t1;
      progress.passes.full = r.copy.pass.id;
      c.io.emit({ type: 'window', t1: r.copy.pass.t1 });
    } else progress.passes.incremental = r.copy.pass.id;
    await c.save();
  }
  if (r.copy?.stopped) throw new Stopped();
  while (r.summary.failed > 0 || (r.copy?.restoresPending ?? 0) > 0) {
    const failed = r.summary.failed + (r.copy?.restoresPending ?? 0);
    const answer = await c.io.ask({ kind: 'retry', phase, failed });
    if (answer !== 'retry') break;
    c.io.emit({ type: 'failures-reset' });
    r = await session.runRetry(flow(c, { verify: false }));
    if (r.copy?.stopped) throw new Stopped();
  }
  const s = r.summary;
  c.io.emit({
    type: 'failures-settle',
    failedByClass: s.failuresByClass,
    restoresPending: r.copy?.restoresPending ?? 0,
  });
  const kept = r.copy?.totals.skippedBy.DEST_NEWER ?? 0;
  const detail =
    phase === 'full'
      ? `${s.copied} copied, ${s.skipped} skipped, ${s.deferredAfterWindow ?? 0} modified after T1 (→ incremental), ${s.failed} failed · ${formatBytes(r.copy?.totals.copiedBytes ?? 0)}`
      : `${s.copied} copied, ${kept} kept (newer in OSS), ${s.unchanged ?? 0} unchanged since T1, ${s.deferredAfterWindow ?? 0} modified after T2 (next incremental), ${s.failed} failed`;
  return { detail, result: { summary: s, ...(r.reportDir ? { reportDir: r.reportDir } : {}) } };
}

async function verify(c: PhaseCtx, phase: 'verify' | 'final-verify'): Promise<PhaseOutcome> {
  const { session, progress } = c;
  if (phase === 'final-verify' && progress.t1 && progress.t2 && !session.spec.window.since) {
    session.spec = parseJob(
      { ...session.spec, window: { ...session.spec.window, since: progress.t1, until: progress.t2 } },
      'tui',
    );
  }
  const r = await session.runVerify(flow(c));
  if (!r.verify) throw new Error('verification did not run');
  if (phase === 'verify') progress.passes.verify = r.verify.pass.id;
  else progress.passes.finalVerify = r.verify.pass.id;
  await c.save();
  if (r.verify.stopped) throw new Stopped();
  const k = await session.state.counters(r.verify.pass.id);
  const v = {
    verified: k.verified,
    missing: k.missing,
    different: k.different,
    extra: k.extra,
    pending: k.pending,
    destNewer: k.destNewer,
    unverifiable: k.unverifiable,
    errors: k.verifyErrors,
  };
  const bad = v.missing + v.different + v.errors;
  if (bad > 0)
    c.io.emit({
      type: 'log',
      level: 'warn',
      at: c.now(),
      text: `${bad} object(s) missing or different: see the report's check.txt; ${
        phase === 'verify'
          ? 'the final verify checks again'
          : 'run `ossmigrate start` to re-copy, then verify'
      }`,
    });
  const detail =
    phase === 'verify'
      ? `${v.verified} match, ${v.pending} changed since T1 (→ incremental), ${v.missing} missing, ${v.different} different`
      : `${v.verified} match, ${v.destNewer} kept (newer in OSS), ${v.extra} only in OSS, ${v.missing} missing, ${v.different} different`;
  return {
    detail,
    result: { summary: r.summary, verify: v, ...(r.reportDir ? { reportDir: r.reportDir } : {}) },
  };
}

async function mirror(c: PhaseCtx): Promise<PhaseOutcome> {
  if (!c.driver)
    return { skipped: 'no infra driver: turn on the back-to-origin rule yourself (OSS console → Mirroring)' };
  const outputs = await c.driver.setMirror(true, infraOpts(c));
  if (c.io.soft.aborted) throw new Stopped();
  setOutputs(c, outputs);
  if (!outputs.mirrorEnabled) throw new InfraError('the mirror rule is not on after setting it');
  return { detail: 'back-to-origin on: OSS fetches missing keys from COS' };
}

async function cutover(c: PhaseCtx): Promise<PhaseOutcome> {
  // Confirmed before a crash: the business switched then; T2 stays what it was.
  if (c.progress.t2) return { detail: `T2 = ${c.progress.t2} (confirmed earlier)` };
  const bucket = c.session.spec.destination.bucket;
  const answer = await c.io.ask({
    kind: 'cutover',
    bucket,
    expect: bucket,
    ...(c.progress.t1 ? { t1: c.progress.t1 } : {}),
  });
  if (answer !== 'yes') throw new Stopped();
  await c.d.hooks?.beforeT2?.();
  const t2 = new Date(c.now());
  c.progress.t2 = t2.toISOString();
  await c.save();
  c.io.emit({ type: 'window', t2: c.progress.t2 });
  await c.d.hooks?.afterT2?.(t2);
  return { detail: `T2 = ${c.progress.t2}` };
}

async function report(c: PhaseCtx, teardown?: string): Promise<PhaseOutcome> {
  const business = c.d.hooks?.record?.();
  const rep = await writeMigrationReport({
    session: c.session,
    progress: c.progress,
    ...(business ? { business } : {}),
    ...(teardown ? { teardown } : {}),
  });
  c.progress.report = rep.dir;
  c.verdict = rep.verdict;
  c.io.emit({
    type: 'report',
    report: { dir: rep.dir, text: rep.text, ok: rep.verdict.ok, ...(rep.html ? { html: rep.html } : {}) },
  });
  return {
    detail: rep.verdict.ok
      ? `every object migrated and verified (${rep.verdict.verified}/${rep.verdict.sourceObjects})`
      : `${rep.verdict.problems} object(s) need attention`,
  };
}

async function teardown(c: PhaseCtx): Promise<PhaseOutcome> {
  const { driver } = c;
  if (!driver) {
    await report(c, 'skipped: no infra driver');
    return { skipped: 'no infra driver: remove the mirror rule yourself once you no longer need it' };
  }
  const removes =
    driver.kind === 'pulumi'
      ? [
          'the ECS worker fleet',
          'the Redis queue',
          'the VPC and security group',
          'the RAM user and its key',
          'the mirror rule',
        ]
      : ['the mirror rule (back-to-origin)'];
  const answer = await c.io.ask({
    kind: 'teardown',
    expect: 'teardown',
    removes,
    keeps: [
      `the bucket oss://${c.session.spec.destination.bucket} and every object in it`,
      'the source bucket',
    ],
  });
  if (answer !== 'yes') throw new Stopped();
  await driver.teardown(infraOpts(c));
  c.progress.mirrorOn = false;
  const at = new Date(c.now()).toISOString();
  await report(c, `done ${at}: removed ${removes.join(', ')}; kept the buckets and their data`);
  return { detail: `removed ${removes.join(', ')}; buckets and data kept` };
}
