/**
 * What each of the ten phases does, for the orchestrator (orchestrator.ts), which decides which
 * phase runs next and saves the progress between them. A step emits events, asks through
 * `io.ask`, drives the engine (JobSession) and the InfraDriver, and returns one line for the
 * timeline; it throws Stopped when the operator stops or declines.
 */

import { parseJob } from '../../config/job.ts';
import { ConfigError, IncompleteError, InfraError, PreflightError } from '../../core/errors.ts';
import { sizeFleet, sizingWarnings } from '../../core/sizing.ts';
import { estimateSeconds } from '../../core/survey.ts';
import { formatBytes } from '../../core/units.ts';
import type { InfraDriver, InfraOutputs } from '../../ports/infra.ts';
import type { FlowOptions, FlowResult, JobSession } from '../jobService.ts';
import { jobMirrorSupport } from '../planMirror.ts';
import type { CutoverMode } from './cutoverMode.ts';
import { type BusinessRecord, writeMigrationReport } from './migrationReport.ts';
import type { PhaseId } from './phases.ts';
import type { SavedProgress } from './progressFile.ts';
import type { MigrationDeps, MigrationIO, PhaseResult, PlanInfo } from './types.ts';

/** The operator stopped, or declined a question: the phase is left to the next start. */
export class Stopped extends Error {
  constructor() {
    super('stopped');
  }
}

export type PhaseCtx = {
  d: MigrationDeps;
  driver?: InfraDriver;
  io: MigrationIO;
  session: JobSession;
  progress: SavedProgress;
  /** Behind the mirror rule, or with a write freeze (cutoverMode.ts). */
  mode: CutoverMode;
  save(): Promise<void>;
  now(): number;
  verdict?: { exitCode: number; ok: boolean };
  business?: BusinessRecord;
};

type PhaseOutcome = { detail?: string; result?: PhaseResult; skipped?: string };

export async function runPhase(c: PhaseCtx, phase: PhaseId): Promise<PhaseOutcome> {
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
  let planned: Awaited<ReturnType<JobSession['runPlan']>>;
  try {
    planned = await session.runPlan({ ...o, signal: stop.signal });
  } finally {
    c.io.soft.removeEventListener('abort', onStop);
    c.io.hard.removeEventListener('abort', onStop);
  }
  if (stop.signal.aborted) throw new Stopped();
  const { survey } = planned;
  // Sizing a fleet from a survey that missed whole prefixes would under-provision it.
  if (planned.erroredTasks?.erroredTasks)
    throw new IncompleteError(planned.erroredTasks.taskErrors ?? [], planned.erroredTasks.erroredTasks);
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
    mirror: await jobMirrorSupport(session.spec),
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
  if (phase === 'incremental' && c.mode.kind === 'freeze') await endFreeze(c, s.failed);
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
  // Nothing to turn on: the cutover freezes writes instead (and says so).
  if (c.mode.kind === 'freeze') return { skipped: c.mode.line };
  if (!c.driver)
    return { skipped: 'no infra driver: turn on the back-to-origin rule yourself (OSS console → Mirroring)' };
  const outputs = await c.driver.setMirror(true, infraOpts(c));
  if (c.io.soft.aborted) throw new Stopped();
  setOutputs(c, outputs);
  // A source OSS cannot mirror from (Azure, a private endpoint): the stack says why and how to cut over.
  if (!outputs.mirrorEnabled && outputs.mirrorNote) return { skipped: outputs.mirrorNote };
  if (!outputs.mirrorEnabled) throw new InfraError('the mirror rule is not on after setting it');
  return { detail: 'back-to-origin on: OSS fetches missing keys from the source' };
}

async function cutover(c: PhaseCtx): Promise<PhaseOutcome> {
  // Confirmed before a crash: the business switched then; T2 stays what it was.
  if (c.progress.t2) return { detail: `T2 = ${c.progress.t2} (confirmed earlier)` };
  const bucket = c.session.spec.destination.bucket;
  const freeze = c.mode.kind === 'freeze' ? c.mode : undefined;
  const answer = await c.io.ask({
    kind: 'cutover',
    bucket,
    expect: bucket,
    ...(c.progress.t1 ? { t1: c.progress.t1 } : {}),
    ...(freeze ? { freeze: freeze.line } : {}),
  });
  if (answer !== 'yes') throw new Stopped();
  await c.d.hooks?.beforeT2?.();
  const t2 = new Date(c.now());
  c.progress.t2 = t2.toISOString();
  await c.save();
  c.io.emit({ type: 'window', t2: c.progress.t2 });
  if (freeze) {
    // No mirror to serve what is not copied yet: the business stays frozen on the source until
    // the final incremental has copied everything up to T2 (endFreeze).
    c.io.emit({
      type: 'log',
      level: 'warn',
      at: c.now(),
      text: `write freeze from T2: no writes to the ${freeze.source} source; keep the business on it (reads only) until the final incremental has copied what changed since T1, then switch it to oss://${bucket}`,
    });
    return { detail: `T2 = ${c.progress.t2}; writes frozen (${freeze.line})` };
  }
  await c.d.hooks?.afterT2?.(t2);
  return { detail: `T2 = ${c.progress.t2}` };
}

/**
 * The write freeze's end: the final incremental is done, so every change up to T2 is in OSS (but
 * the failures): now — not before — the business switches to OSS.
 */
async function endFreeze(c: PhaseCtx, failed: number): Promise<void> {
  const bucket = c.session.spec.destination.bucket;
  c.io.emit({
    type: 'log',
    level: failed > 0 ? 'warn' : 'info',
    at: c.now(),
    text:
      failed > 0
        ? `write freeze: ${failed} object(s) changed before T2 failed to copy and are not in oss://${bucket}; switching the business now leaves them behind (the final verify lists them; ossmigrate retry copies them)`
        : `write freeze over: every change up to T2 is in oss://${bucket} — switch the business's reads and writes to it now`,
  });
  if (c.progress.t2) await c.d.hooks?.afterT2?.(new Date(c.progress.t2));
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
      : c.mode.kind === 'mirror'
        ? ['the mirror rule (back-to-origin)']
        : [];
  if (removes.length === 0) {
    // The sandbox with a write-freeze cutover: no fleet, no mirror rule — nothing to confirm.
    await driver.teardown(infraOpts(c));
    c.progress.mirrorOn = false;
    const why = `nothing to remove (no fleet; no mirror rule: ${c.mode.kind === 'freeze' ? c.mode.line : 'none set'})`;
    await report(c, `done ${new Date(c.now()).toISOString()}: ${why}; kept the buckets and their data`);
    return { detail: `${why}; buckets and data kept` };
  }
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
