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
import { describeError, exitCodeFor } from '../../core/errors.ts';
import { ExitCode } from '../../core/exitCodes.ts';
import type { InfraDriver } from '../../ports/infra.ts';
import { describeDestination, describeSource } from '../report.ts';
import { cutoverModeFor } from './cutoverMode.ts';
import { type PhaseCtx, runPhase, Stopped } from './phaseSteps.ts';
import { nextPhase, PHASES, type PhaseId } from './phases.ts';
import { isComplete, newProgress, type SavedProgress } from './progressFile.ts';
import type { Answer, Ask, MigrationDeps, MigrationEvent, MigrationIO, Outcome } from './types.ts';

export type { MigrationDeps, MigrationHooks, MigrationIO } from './types.ts';

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
  const mode = cutoverModeFor(session.spec);
  emit({
    type: 'init',
    job: {
      name: session.name,
      workdir: d.workdir,
      source: describeSource(session.spec),
      destination: describeDestination(session.spec),
    },
    infra: d.infraKind,
    cutover: mode,
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
  // Said up front, before any phase: how this migration will cut over.
  if (mode.kind === 'freeze')
    emit({
      type: 'log',
      level: 'warn',
      at: now(),
      text: `${mode.line}: ${mode.why}; so at cutover the business stops writing, the final incremental copies what changed since T1, and then it switches to OSS`,
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
  const ctx: PhaseCtx = { d, io, session, progress, mode, save, now, ...(driver ? { driver } : {}) };

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
