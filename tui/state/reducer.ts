/**
 * The TUI's one reducer: pure (state, action) → state over engine events and the phase runner's
 * actions. Tested without Ink (test/tui/reducer.test.ts).
 */

import { ENGINE_PHASES, PHASE_INFO, PHASES, type PhaseId } from '../../runner/app/migration/phases.ts';
import { CLASS_INFO, type FailureClass } from '../../runner/core/errors.ts';
import type { EngineEvent } from '../../runner/core/events.ts';
import { zeroCounters } from '../../runner/core/types.ts';
import { formatBytes } from '../../runner/core/units.ts';
import type { Action, AskKind, FailureGroup, LogLine, PhaseState, TuiState } from './types.ts';

export const LOG_LINES = 200;
export const INFRA_LINES = 200;
export const SAMPLES = 5;
const DAY_MS = 86_400_000;

export function initialState(o: { infra?: TuiState['infra']['kind']; unattended?: boolean } = {}): TuiState {
  return {
    infra: { kind: o.infra ?? 'none', log: [] },
    phases: Object.fromEntries(PHASES.map((p) => [p, { status: 'pending' }])) as Record<PhaseId, PhaseState>,
    mirrorOn: false,
    tasks: { started: 0, done: 0, failed: 0 },
    failures: {},
    verifyIssues: {},
    verifyLive: {},
    results: {},
    workers: [],
    paused: false,
    problems: [],
    log: [],
    logSeq: 0,
    unattended: o.unattended ?? false,
  };
}

function tail<T>(list: readonly T[], item: T, max: number): T[] {
  const out = [...list, item];
  return out.length > max ? out.slice(out.length - max) : out;
}

function log(s: TuiState, line: LogLine): TuiState {
  return { ...s, log: tail(s.log, line, LOG_LINES), logSeq: s.logSeq + 1 };
}

function setPhase(s: TuiState, p: PhaseId, patch: Partial<PhaseState>): TuiState {
  return { ...s, phases: { ...s.phases, [p]: { ...s.phases[p], ...patch } } };
}

export function reducer(s: TuiState, a: Action): TuiState {
  switch (a.type) {
    case 'init': {
      let next: TuiState = {
        ...s,
        ...(a.job ? { job: a.job } : {}),
        infra: { ...s.infra, kind: a.infra },
        unattended: a.unattended ?? s.unattended,
        ...(a.cutover?.kind === 'freeze' ? { noMirror: a.cutover.line } : {}),
      };
      const saved = a.saved;
      if (saved) {
        for (const p of saved.done) next = setPhase(next, p, { status: 'done', detail: 'done earlier' });
        if (saved.plan && saved.done.includes('plan')) {
          const sv = saved.plan.survey;
          next = setPhase(next, 'plan', {
            detail: `${sv.objects} objects, ${formatBytes(sv.bytes)}; fleet ${saved.plan.sizing.instances} (earlier)`,
          });
        }
        next = {
          ...next,
          mirrorOn: saved.mirrorOn,
          ...(saved.t1 ? { t1: saved.t1 } : {}),
          ...(saved.t2 ? { t2: saved.t2 } : {}),
          ...(saved.plan ? { plan: saved.plan } : {}),
          ...(saved.outputs ? { infra: { ...next.infra, outputs: saved.outputs } } : {}),
          ...(saved.startedAt !== undefined
            ? {
                deadline: {
                  startedAt: saved.startedAt,
                  days: saved.deadlineDays,
                  at: saved.startedAt + saved.deadlineDays * DAY_MS,
                },
              }
            : {}),
        };
      }
      return next;
    }
    case 'engine':
      return engine(s, a.event, a.at);
    case 'phase-start': {
      let next = setPhase(s, a.phase, { status: 'running', startedAt: a.at });
      delete next.phases[a.phase].endedAt;
      delete next.phases[a.phase].error;
      next = { ...next, current: a.phase };
      if (ENGINE_PHASES.has(a.phase)) {
        const { progress: _p, pass: _x, stage: _s, ...rest } = next;
        next = { ...rest, tasks: { started: 0, done: 0, failed: 0 }, verifyLive: {} };
        if (a.phase === 'verify' || a.phase === 'final-verify') next = { ...next, verifyIssues: {} };
      }
      return log(next, {
        at: a.at,
        level: 'info',
        text: `▶ ${PHASE_INFO[a.phase].title}: ${PHASE_INFO[a.phase].explain}`,
      });
    }
    case 'phase-done': {
      let next = setPhase(s, a.phase, {
        status: 'done',
        endedAt: a.at,
        ...(a.detail !== undefined ? { detail: a.detail } : {}),
      });
      if (a.result) next = { ...next, results: { ...next.results, [a.phase]: a.result } };
      if (a.phase === 'mirror') next = { ...next, mirrorOn: true };
      if (a.phase === 'teardown') next = { ...next, mirrorOn: false };
      if (ENGINE_PHASES.has(a.phase)) {
        const { stage: _s, ...rest } = next;
        next = rest;
      }
      return log(next, {
        at: a.at,
        level: 'info',
        text: `✔ ${PHASE_INFO[a.phase].title}${a.detail ? `: ${a.detail}` : ''}`,
      });
    }
    case 'phase-skip':
      return setPhase(s, a.phase, { status: 'skipped', detail: a.reason });
    case 'phase-failed': {
      const text = `${a.message}${a.fix ? `\nfix: ${a.fix}` : ''}`;
      const next = setPhase(s, a.phase, { status: 'failed', endedAt: a.at, error: text });
      return log(next, { at: a.at, level: 'error', text: `✗ ${PHASE_INFO[a.phase].title}: ${a.message}` });
    }
    case 'phase-stopped': {
      const next = setPhase(s, a.phase, { status: 'stopped', endedAt: a.at });
      return log(next, {
        at: a.at,
        level: 'warn',
        text: `■ ${PHASE_INFO[a.phase].title} stopped; the job resumes here next time`,
      });
    }
    case 'plan-ready':
      return {
        ...s,
        plan: a.plan,
        deadline: {
          startedAt: a.startedAt,
          days: a.plan.estimate.deadlineDays,
          at: a.startedAt + a.plan.estimate.deadlineDays * DAY_MS,
        },
      };
    case 'window':
      return { ...s, ...(a.t1 ? { t1: a.t1 } : {}), ...(a.t2 ? { t2: a.t2 } : {}) };
    case 'infra-check':
      return { ...s, infra: { ...s.infra, check: a.check } };
    case 'infra-line':
      return { ...s, infra: { ...s.infra, log: tail(s.infra.log, a.line, INFRA_LINES) } };
    case 'infra-outputs':
      return {
        ...s,
        infra: { ...s.infra, outputs: a.outputs },
        mirrorOn: a.outputs.mirrorEnabled,
      };
    case 'ask': {
      let next: TuiState = { ...s, pending: { ask: a.ask, open: true, typed: '' } };
      // The phase at hand now waits for the operator.
      if (a.ask.kind !== 'resume' && s.current && s.phases[s.current].status === 'running')
        next = setPhase(next, s.current, { status: 'waiting' });
      return next;
    }
    case 'ask-type': {
      if (!s.pending) return s;
      const { error: _e, ...pending } = s.pending;
      return { ...s, pending: { ...pending, typed: pending.typed + a.text } };
    }
    case 'ask-backspace': {
      if (!s.pending) return s;
      const { error: _e, ...pending } = s.pending;
      return { ...s, pending: { ...pending, typed: pending.typed.slice(0, -1) } };
    }
    case 'ask-reject':
      return s.pending ? { ...s, pending: { ...s.pending, error: a.error, typed: '' } } : s;
    case 'ask-fold':
      return s.pending ? { ...s, pending: { ...s.pending, open: false, typed: '' } } : s;
    case 'ask-open':
      return s.pending ? { ...s, pending: { ...s.pending, open: true } } : s;
    case 'answered': {
      if (!s.pending) return s;
      const ask = s.pending.ask;
      const { pending: _p, ...rest } = s;
      let next: TuiState = rest;
      if (s.current && next.phases[s.current].status === 'waiting')
        next = setPhase(next, s.current, { status: 'running' });
      return log(next, {
        at: a.at,
        level: 'info',
        text: `${a.auto ? '--yes: ' : ''}${answerText(ask.kind, a.answer, ask.kind === 'cutover' && ask.freeze !== undefined)}`,
      });
    }
    case 'failures-settle': {
      // The copy phase's final word (from its ledger): failed counts per class; archived objects
      // still restoring. Replaces the live counts, which cannot see a deferral resolved later.
      const failures: TuiState['failures'] = {};
      const classes = new Set([
        ...Object.keys(s.failures),
        ...Object.keys(a.failedByClass),
      ]) as Set<FailureClass>;
      for (const cls of classes) {
        const g = s.failures[cls] ?? {
          cls,
          failed: 0,
          deferred: 0,
          skipped: 0,
          reason: CLASS_INFO[cls].reason,
          fix: CLASS_INFO[cls].fix,
          samples: [],
        };
        const settled: FailureGroup = {
          ...g,
          failed: a.failedByClass[cls] ?? 0,
          ...(cls === 'ARCHIVED' ? { deferred: a.restoresPending } : {}),
        };
        if (settled.failed + settled.deferred + settled.skipped > 0) failures[cls] = settled;
      }
      return { ...s, failures };
    }
    case 'failures-reset': {
      const failures: TuiState['failures'] = {};
      for (const [cls, g] of Object.entries(s.failures) as Array<
        [keyof TuiState['failures'], FailureGroup]
      >) {
        if (g.deferred + g.skipped > 0) failures[cls] = { ...g, failed: 0 };
      }
      return { ...s, failures };
    }
    case 'business': {
      const next = { ...s, business: a.stats };
      return a.line ? log(next, { at: a.at, level: 'info', text: a.line, source: 'business' }) : next;
    }
    case 'log':
      return log(s, {
        at: a.at,
        level: a.level,
        text: a.text,
        ...(a.source ? { source: a.source } : {}),
      });
    case 'paused':
      return { ...s, paused: a.paused };
    case 'stop-requested':
      return log(
        { ...s, stopping: a.hard ? 'hard' : 'soft' },
        {
          at: a.at,
          level: 'warn',
          text: a.hard
            ? 'stopping now; multipart uploads resume from their last part'
            : 'stopping: finishing the objects in flight (again to stop at once); the job resumes next start',
        },
      );
    case 'report':
      return { ...s, report: a.report };
    case 'finished': {
      const { pending: _p, stage: _s, ...rest } = s;
      return log(
        { ...rest, outcome: a.outcome },
        {
          at: a.at,
          level: a.outcome.status === 'done' && a.outcome.exitCode === 0 ? 'info' : 'warn',
          text:
            a.outcome.status === 'done'
              ? `migration finished (exit code ${a.outcome.exitCode})`
              : a.outcome.status === 'stopped'
                ? 'stopped; run it again to resume'
                : `failed: ${a.outcome.message ?? ''}`,
        },
      );
    }
  }
}

function answerText(kind: AskKind, answer: string, freeze = false): string {
  switch (kind) {
    case 'resume':
      return answer === 'resume'
        ? 'resuming the job in progress'
        : answer === 'new'
          ? 'starting a new migration'
          : 'quit';
    case 'start':
      return answer === 'yes' ? 'plan accepted: starting' : 'quit after the plan';
    case 'retry':
      return answer === 'retry'
        ? 'retrying the failed objects'
        : 'continuing without retrying (`ossmigrate retry` later)';
    case 'cutover':
      return answer !== 'yes'
        ? 'cutover not confirmed'
        : freeze
          ? 'cutover confirmed: writes to the source stop now (write freeze); the business switches to OSS after the final incremental'
          : 'cutover confirmed: the business reads and writes OSS from now on';
    case 'teardown':
      return answer === 'yes' ? 'teardown confirmed' : 'teardown not confirmed';
  }
}

function engine(s: TuiState, e: EngineEvent, at: number): TuiState {
  switch (e.type) {
    case 'job':
      return {
        ...s,
        job: {
          name: e.name,
          workdir: e.workdir,
          source: s.job?.source ?? '',
          destination: s.job?.destination ?? '',
        },
      };
    case 'pass': {
      const { progress: _p, ...rest } = s;
      return {
        ...rest,
        pass: { id: e.passId, phase: e.phase, mode: e.mode, resumed: e.resumed },
        ...(e.mode === 'verify' ? { verifyLive: {} } : {}),
        ...(e.mode === 'copy' && e.phase === 'full' && !s.t1 ? { t1: e.t1 } : {}),
      };
    }
    case 'stage':
      if (e.state === 'start') return { ...s, stage: e.stage };
      if (s.stage === e.stage) {
        const { stage: _s, ...rest } = s;
        return rest;
      }
      return s;
    case 'problem': {
      const p = e.problem;
      if (s.problems.some((x) => x.code === p.code && x.message === p.message)) return s;
      return log(
        { ...s, problems: [...s.problems, p] },
        {
          at,
          level: p.severity === 'error' ? 'error' : p.severity === 'warning' ? 'warn' : 'info',
          text: `${p.code}: ${p.message}`,
        },
      );
    }
    case 'task': {
      const t = { ...s.tasks };
      if (e.state === 'start') t.started++;
      else if (e.state === 'done') t.done++;
      else t.failed++;
      return { ...s, tasks: t };
    }
    case 'object': {
      const cls = e.failureClass;
      if (!cls) return s;
      const info = CLASS_INFO[cls];
      const g: FailureGroup = s.failures[cls] ?? {
        cls,
        failed: 0,
        deferred: 0,
        skipped: 0,
        reason: info.reason,
        fix: info.fix,
        samples: [],
      };
      const samples =
        g.samples.length < SAMPLES && !g.samples.some((x) => x.key === e.key)
          ? [
              ...g.samples,
              {
                key: e.key,
                ...(e.reason ? { reason: e.reason } : {}),
                ...(s.current ? { phase: s.current } : {}),
              },
            ]
          : g.samples;
      const next: FailureGroup = {
        ...g,
        samples,
        failed: g.failed + (e.outcome === 'failed' ? 1 : 0),
        deferred: g.deferred + (e.outcome === 'deferred' ? 1 : 0),
        skipped: g.skipped + (e.outcome === 'skipped' || e.outcome === 'copied' ? 1 : 0),
      };
      const updated = { ...s, failures: { ...s.failures, [cls]: next } };
      return e.outcome === 'failed'
        ? log(updated, {
            at,
            level: 'error',
            text: `✗ ${cls} ${JSON.stringify(e.key)}: ${e.reason ?? info.reason}`,
          })
        : updated;
    }
    case 'verify': {
      const live = { ...s.verifyLive, [e.status]: (s.verifyLive[e.status] ?? 0) + 1 };
      if (e.status === 'match') return { ...s, verifyLive: live };
      const issue = s.verifyIssues[e.status] ?? { count: 0, samples: [] };
      return {
        ...s,
        verifyLive: live,
        verifyIssues: {
          ...s.verifyIssues,
          [e.status]: {
            count: issue.count + 1,
            samples:
              issue.samples.length < SAMPLES
                ? [...issue.samples, { key: e.key, ...(e.detail ? { detail: e.detail } : {}) }]
                : issue.samples,
          },
        },
      };
    }
    case 'progress': {
      const { type: _t, ...rest } = e;
      return { ...s, progress: { ...zeroCounters(), ...rest, at } };
    }
    case 'workers':
      return { ...s, workers: e.workers };
    case 'bandwidth':
      return { ...s, bandwidth: { limit: e.limit, effectiveBytesPerSec: e.effectiveBytesPerSec } };
    case 'log':
      return log(s, { at, level: e.level, text: e.message });
    case 'summary': {
      if (!s.current) return s;
      const { type: _t, ...summary } = e;
      return {
        ...s,
        results: { ...s.results, [s.current]: { ...s.results[s.current], summary } },
      };
    }
  }
}
