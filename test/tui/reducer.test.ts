/** The TUI's reducer and selectors, without Ink: every action and engine event kind. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PHASES } from '../../runner/app/migration/phases.ts';
import { plainLines, progressLine } from '../../tui/state/plainLines.ts';
import { initialState, LOG_LINES, reducer, SAMPLES } from '../../tui/state/reducer.ts';
import {
  currentPhase,
  failedCount,
  failureGroups,
  progressNumbers,
  timeline,
  upcomingPhase,
} from '../../tui/state/selectors.ts';
import type { Ask, TuiState } from '../../tui/state/types.ts';
import { apply, at, base, DAY, engine, plan, progress, T0 } from './fixtures.ts';

describe('reducer: start and resume', () => {
  it('starts with every phase pending, nothing current', () => {
    const s = initialState();
    assert.deepEqual(
      PHASES.map((p) => s.phases[p].status),
      PHASES.map(() => 'pending'),
    );
    assert.equal(currentPhase(s), 'plan', 'the first phase to do');
    assert.equal(s.infra.kind, 'none');
    assert.equal(s.logSeq, 0);
  });

  it('init restores saved progress: done phases, T1/T2, mirror, plan, deadline', () => {
    const s = apply(initialState({ unattended: true }), {
      type: 'init',
      job: { name: 'j', workdir: '/w', source: 'cos://a-1/', destination: 'oss://b/' },
      infra: 'pulumi',
      saved: {
        done: ['plan', 'provision', 'full'],
        t1: '2026-11-22T04:00:00.000Z',
        mirrorOn: true,
        plan: plan(),
        startedAt: T0,
        deadlineDays: 7,
      },
    });
    assert.equal(s.phases.full.status, 'done');
    assert.equal(s.phases.full.detail, 'done earlier');
    assert.equal(s.phases.plan.detail, '138 objects, 45.1 MiB; fleet 1 (earlier)');
    assert.equal(s.phases.verify.status, 'pending');
    assert.equal(s.t1, '2026-11-22T04:00:00.000Z');
    assert.equal(s.mirrorOn, true);
    assert.equal(s.infra.kind, 'pulumi');
    assert.equal(s.unattended, true, 'init keeps the unattended flag it was not given');
    assert.deepEqual(s.deadline, { startedAt: T0, days: 7, at: T0 + 7 * DAY });
    assert.equal(currentPhase(s), 'verify');
    assert.equal(upcomingPhase(s), 'mirror');
  });
});

describe('reducer: phase transitions', () => {
  it('start → running and current, with a log line; done → detail and result', () => {
    let s = apply(base(), { type: 'phase-start', phase: 'plan', at: T0 });
    assert.equal(s.phases.plan.status, 'running');
    assert.equal(s.current, 'plan');
    assert.match(s.log.at(-1)!.text, /▶ plan: survey the source/);
    s = apply(s, {
      type: 'phase-done',
      phase: 'plan',
      at: T0 + 5,
      detail: '138 objects',
      result: { reportDir: '/r' },
    });
    assert.equal(s.phases.plan.status, 'done');
    assert.equal(s.phases.plan.endedAt, T0 + 5);
    assert.equal(s.phases.plan.detail, '138 objects');
    assert.deepEqual(s.results.plan, { reportDir: '/r' });
    assert.match(s.log.at(-1)!.text, /✔ plan: 138 objects/);
  });

  it('an engine phase starts with fresh progress, and verify phases with fresh verification issues', () => {
    let s = at('full');
    s = apply(
      s,
      engine(progress({ copied: 3, scannedObjects: 10 })),
      engine({ type: 'verify', key: 'k', status: 'missing' }),
    );
    assert.ok(s.progress);
    s = apply(
      s,
      { type: 'phase-done', phase: 'full', at: T0 },
      { type: 'phase-start', phase: 'verify', at: T0 },
    );
    assert.equal(s.progress, undefined);
    assert.deepEqual(s.verifyIssues, {});
    assert.deepEqual(s.tasks, { started: 0, done: 0, failed: 0 });
  });

  it('mirror done turns the mirror on; teardown done turns it off', () => {
    let s = apply(at('mirror'), { type: 'phase-done', phase: 'mirror', at: T0 });
    assert.equal(s.mirrorOn, true);
    s = apply(
      s,
      { type: 'phase-start', phase: 'teardown', at: T0 },
      { type: 'phase-done', phase: 'teardown', at: T0 },
    );
    assert.equal(s.mirrorOn, false);
  });

  it('skip, failure (with the fix) and stop', () => {
    let s = apply(base(), { type: 'phase-skip', phase: 'provision', reason: 'no infra driver' });
    assert.equal(s.phases.provision.status, 'skipped');
    assert.equal(s.phases.provision.detail, 'no infra driver');
    s = apply(s, {
      type: 'phase-failed',
      phase: 'plan',
      at: T0,
      message: 'preflight failed',
      fix: 'export X',
    });
    assert.equal(s.phases.plan.status, 'failed');
    assert.equal(s.phases.plan.error, 'preflight failed\nfix: export X');
    assert.equal(s.log.at(-1)!.level, 'error');
    s = apply(s, { type: 'phase-stopped', phase: 'full', at: T0 });
    assert.equal(s.phases.full.status, 'stopped');
    assert.match(s.log.at(-1)!.text, /resumes here/);
  });

  it('the timeline marks the current phase and the next; nothing is current when all are done', () => {
    const rows = timeline(at('verify'));
    assert.equal(rows.find((r) => r.current)?.phase, 'verify');
    assert.equal(rows.find((r) => r.next)?.phase, 'mirror');
    assert.equal(rows.filter((r) => r.status === 'done').length, 3);
    let all = at('teardown');
    all = apply(all, { type: 'phase-done', phase: 'teardown', at: T0 });
    assert.equal(currentPhase(all), undefined);
    assert.equal(upcomingPhase(all), undefined);
    assert.equal(
      timeline(all).some((r) => r.current || r.next),
      false,
    );
  });
});

describe('reducer: engine events', () => {
  it('job, pass (T1 from the full copy pass), stage', () => {
    let s = apply(
      base(),
      engine({ type: 'job', name: 'demo', workdir: '/w2', source: 'x', destination: 'y' }),
      engine({
        type: 'pass',
        passId: 'full-1',
        phase: 'full',
        mode: 'copy',
        t1: '2026-11-22T04:00:00.000Z',
        resumed: false,
      }),
      engine({ type: 'stage', stage: 'copy', state: 'start' }),
    );
    assert.equal(s.job?.workdir, '/w2');
    assert.equal(s.job?.source, 'cos://demo-src-1250000000/', 'keeps what init said');
    assert.deepEqual(s.pass, { id: 'full-1', phase: 'full', mode: 'copy', resumed: false });
    assert.equal(s.t1, '2026-11-22T04:00:00.000Z');
    assert.equal(s.stage, 'copy');
    s = apply(s, engine({ type: 'stage', stage: 'verify', state: 'end' }));
    assert.equal(s.stage, 'copy', 'the end of another stage changes nothing');
    s = apply(s, engine({ type: 'stage', stage: 'copy', state: 'end' }));
    assert.equal(s.stage, undefined);
    // An incremental pass does not move T1.
    s = apply(
      s,
      engine({
        type: 'pass',
        passId: 'inc',
        phase: 'incremental',
        mode: 'copy',
        t1: '2030-01-01T00:00:00.000Z',
        resumed: true,
      }),
    );
    assert.equal(s.t1, '2026-11-22T04:00:00.000Z');
  });

  it('problems are kept once each and logged by severity', () => {
    const p = { severity: 'error' as const, code: 'BAD_CREDENTIALS', message: 'no', fix: 'export' };
    const s = apply(base(), engine({ type: 'problem', problem: p }), engine({ type: 'problem', problem: p }));
    assert.equal(s.problems.length, 1);
    assert.equal(s.log.at(-1)!.level, 'error');
  });

  it('tasks are counted', () => {
    const s = apply(
      base(),
      engine({ type: 'task', id: 'a', kind: 'copy', state: 'start' }),
      engine({ type: 'task', id: 'b', kind: 'copy', state: 'start' }),
      engine({ type: 'task', id: 'a', kind: 'copy', state: 'done' }),
      engine({ type: 'task', id: 'b', kind: 'copy', state: 'failed' }),
    );
    assert.deepEqual(s.tasks, { started: 2, done: 1, failed: 1 });
  });

  it('objects with a failure class are grouped: reason and fix from the taxonomy, samples capped', () => {
    let s = at('full');
    const ok = apply(s, engine({ type: 'object', key: 'fine', outcome: 'copied', size: 1, bytes: 1 }));
    assert.equal(ok, s, 'an object without a class changes nothing');
    for (let i = 0; i < 8; i++)
      s = apply(
        s,
        engine({
          type: 'object',
          key: `bad/${i}`,
          outcome: 'failed',
          size: 1,
          bytes: 0,
          failureClass: 'ACCESS_DENIED',
          reason: 'denied',
        }),
      );
    s = apply(
      s,
      engine({
        type: 'object',
        key: 'c',
        outcome: 'deferred',
        size: 1,
        bytes: 0,
        failureClass: 'SOURCE_CHANGED',
      }),
      engine({ type: 'object', key: 'd', outcome: 'skipped', size: 1, bytes: 0, failureClass: 'DEST_NEWER' }),
    );
    const g = s.failures.ACCESS_DENIED!;
    assert.equal(g.failed, 8);
    assert.equal(g.samples.length, SAMPLES);
    assert.equal(g.samples[0]!.phase, 'full');
    assert.match(g.reason, /not allowed/);
    assert.match(g.fix, /RAM/);
    assert.equal(s.failures.SOURCE_CHANGED!.deferred, 1);
    assert.equal(s.failures.DEST_NEWER!.skipped, 1);
    assert.deepEqual(
      failureGroups(s).map((x) => x.cls),
      ['ACCESS_DENIED', 'SOURCE_CHANGED', 'DEST_NEWER'],
      'the ones needing action first',
    );
    assert.equal(failedCount(s), 8);
    assert.match(s.log.at(-1)!.text, /✗ ACCESS_DENIED "bad\/7": denied/, 'only failures are logged');
  });

  it('verify events: live counts; everything but a match is an issue with samples', () => {
    const s = apply(
      at('verify'),
      engine({ type: 'verify', key: 'a', status: 'match' }),
      engine({ type: 'verify', key: 'b', status: 'match' }),
      engine({ type: 'verify', key: 'c', status: 'pending', detail: 'modified after the window' }),
      engine({ type: 'verify', key: 'd', status: 'different', detail: 'CRC-64 1 vs 2' }),
    );
    assert.deepEqual(s.verifyLive, { match: 2, pending: 1, different: 1 });
    assert.equal(s.verifyIssues.match, undefined);
    assert.deepEqual(s.verifyIssues.different, {
      count: 1,
      samples: [{ key: 'd', detail: 'CRC-64 1 vs 2' }],
    });
    assert.equal(s.verifyIssues.pending!.count, 1);
  });

  it('progress, workers, bandwidth, log, summary', () => {
    const w = {
      id: 'w1',
      host: 'ecs-1',
      pid: 7,
      tasks: 3,
      bytesPerSec: 1e6,
      errors: 0,
      lastSeen: new Date(T0).toISOString(),
      state: 'active' as const,
    };
    const s = apply(
      at('full'),
      engine(
        progress({ copied: 5, plannedObjects: 10, scannedObjects: 10, doneBytes: 50, scannedBytes: 100 }),
        T0 + 7,
      ),
      engine({ type: 'workers', workers: [w] }),
      engine({ type: 'bandwidth', limit: '10M', effectiveBytesPerSec: 10_485_760 }),
      engine({ type: 'log', level: 'warn', message: 'slow' }),
      engine({
        type: 'summary',
        passId: 'p',
        phase: 'full',
        copied: 10,
        skipped: 0,
        failed: 0,
        deferred: 0,
        bytes: 100,
        verified: 0,
        missing: 0,
        different: 0,
        extra: 0,
        verifyErrors: 0,
        elapsedMs: 1,
        exitCode: 0,
        failuresByClass: {},
      }),
    );
    assert.equal(s.progress!.copied, 5);
    assert.equal(s.progress!.at, T0 + 7);
    assert.deepEqual(s.workers, [w]);
    assert.deepEqual(s.bandwidth, { limit: '10M', effectiveBytesPerSec: 10_485_760 });
    assert.equal(s.log.at(-1)!.text, 'slow');
    assert.equal(s.results.full!.summary!.copied, 10);
  });
});

describe('selectors: progress and the deadline', () => {
  it('bars go through the whole listing; the window is shown apart; ETA on track', () => {
    let s = at('full');
    s = apply(
      s,
      engine(
        progress({
          copied: 40,
          deferred: 10,
          scannedObjects: 100,
          plannedObjects: 90,
          doneBytes: 250,
          scannedBytes: 1000,
          plannedBytes: 900,
          bytesPerSec: 50,
          etaMs: 15_000,
        }),
        T0 + 1000,
      ),
    );
    const n = progressNumbers(s)!;
    assert.equal(n.objectsDone, 50);
    assert.equal(n.objectsPlanned, 100);
    assert.equal(n.objectsPct, 50);
    assert.equal(n.bytesPct, 25);
    assert.deepEqual(n.window, { objects: 90, bytes: 900 });
    assert.equal(n.deadline!.onTrack, true);
    assert.equal(n.deadline!.leftMs, 7 * DAY - 1000);
    assert.ok(n.deadline!.marginMs! < 0, 'spare time');
    assert.ok(Math.abs(n.deadline!.neededBytesPerSec! - 750 / ((7 * DAY - 1000) / 1000)) < 1e-9);
  });

  it('late: the ETA lands after the deadline', () => {
    const s = apply(
      at('full'),
      engine(progress({ scannedBytes: 1e15, doneBytes: 1e12, bytesPerSec: 1e6, etaMs: 30 * DAY }), T0 + DAY),
    );
    const n = progressNumbers(s)!;
    assert.equal(n.deadline!.onTrack, false);
    assert.equal(n.deadline!.marginMs, 30 * DAY + DAY - 7 * DAY);
  });

  it('no deadline without a plan; no progress before the first event; done never exceeds the total', () => {
    let s = apply(base(), { type: 'phase-start', phase: 'full', at: T0 });
    assert.equal(progressNumbers(s), undefined);
    s = apply(s, engine(progress({ copied: 12, scannedObjects: 10 })));
    const n = progressNumbers(s)!;
    assert.equal(n.deadline, undefined);
    assert.equal(n.objectsPlanned, 12, 'objects written after the scan are processed too');
    assert.equal(n.objectsPct, 100);
  });

  it('verify passes count checked objects', () => {
    const s = apply(
      at('verify'),
      engine({ type: 'pass', passId: 'v', phase: 'full', mode: 'verify', t1: 'x', resumed: false }),
      engine(progress({ verified: 30, pending: 5, missing: 1, scannedObjects: 40 })),
    );
    const n = progressNumbers(s)!;
    assert.equal(n.verifying, true);
    assert.equal(n.checked, 36);
    assert.equal(n.objectsPlanned, 40);
    assert.equal(n.deadline!.neededBytesPerSec, undefined);
  });
});

describe('reducer: questions', () => {
  const cutover: Ask = { kind: 'cutover', bucket: 'demo-dst', expect: 'demo-dst' };

  it('a question makes the phase wait; typing, backspace, a wrong word, fold and open', () => {
    let s = apply(at('cutover'), { type: 'ask', ask: cutover });
    assert.equal(s.phases.cutover.status, 'waiting');
    assert.deepEqual(s.pending, { ask: cutover, open: true, typed: '' });
    s = apply(
      s,
      { type: 'ask-type', text: 'demo' },
      { type: 'ask-type', text: '-dsx' },
      { type: 'ask-backspace' },
    );
    assert.equal(s.pending!.typed, 'demo-ds');
    s = apply(s, { type: 'ask-reject', error: 'not it' });
    assert.equal(s.pending!.error, 'not it');
    assert.equal(s.pending!.typed, '', 'a wrong word is cleared');
    s = apply(s, { type: 'ask-type', text: 'd' });
    assert.equal(s.pending!.error, undefined, 'typing clears the error');
    s = apply(s, { type: 'ask-fold' });
    assert.equal(s.pending!.open, false);
    assert.equal(s.pending!.typed, '');
    s = apply(s, { type: 'ask-open' });
    assert.equal(s.pending!.open, true);
  });

  it('an answer ends the question, the phase runs again, and the log says what was decided', () => {
    let s = apply(at('cutover'), { type: 'ask', ask: cutover }, { type: 'answered', answer: 'yes', at: T0 });
    assert.equal(s.pending, undefined);
    assert.equal(s.phases.cutover.status, 'running');
    assert.match(s.log.at(-1)!.text, /^cutover confirmed/);
    s = apply(
      s,
      { type: 'ask', ask: { kind: 'teardown', expect: 'teardown', removes: [], keeps: [] } },
      { type: 'answered', answer: 'yes', auto: true, at: T0 },
    );
    assert.match(s.log.at(-1)!.text, /^--yes: teardown confirmed/);
  });

  it('the resume question does not touch phases; questions without a pending one are ignored', () => {
    const ask: Ask = {
      kind: 'resume',
      job: 'demo',
      done: ['plan'],
      next: 'provision',
      savedAt: 'x',
      complete: false,
    };
    let s = apply(base(), { type: 'ask', ask });
    assert.equal(s.phases.plan.status, 'pending');
    s = apply(s, { type: 'answered', answer: 'new', at: T0 });
    assert.match(s.log.at(-1)!.text, /new migration/);
    const same = apply(
      s,
      { type: 'ask-type', text: 'x' },
      { type: 'ask-backspace' },
      { type: 'ask-fold' },
      { type: 'ask-open' },
    );
    assert.equal(same.pending, undefined);
    assert.equal(apply(s, { type: 'answered', answer: 'yes', at: T0 }), s);
  });

  it("retry: failures reset keeps deferrals; settle takes the ledger's word", () => {
    let s = apply(
      at('full'),
      engine({ type: 'object', key: 'a', outcome: 'failed', size: 1, bytes: 0, failureClass: 'NETWORK' }),
      engine({
        type: 'object',
        key: 'b',
        outcome: 'deferred',
        size: 1,
        bytes: 0,
        failureClass: 'SOURCE_CHANGED',
      }),
      engine({ type: 'object', key: 'c', outcome: 'deferred', size: 1, bytes: 0, failureClass: 'ARCHIVED' }),
    );
    s = apply(s, { type: 'failures-reset' });
    assert.equal(s.failures.NETWORK, undefined);
    assert.equal(s.failures.SOURCE_CHANGED!.deferred, 1);
    s = apply(s, { type: 'failures-settle', failedByClass: { THROTTLED: 2 }, restoresPending: 0 });
    assert.equal(s.failures.ARCHIVED, undefined, 'the restore finished: copied');
    assert.equal(s.failures.THROTTLED!.failed, 2);
    assert.match(s.failures.THROTTLED!.fix, /concurrency/);
    assert.equal(s.failures.SOURCE_CHANGED!.deferred, 1);
  });
});

describe('reducer: the rest', () => {
  it('plan, window, infra, business, pause, stop, report, finished', () => {
    let s = apply(base(), { type: 'plan-ready', plan: plan({ deadlineDays: 3 }), startedAt: T0 });
    assert.equal(s.deadline!.at, T0 + 3 * DAY);
    s = apply(s, { type: 'window', t1: 'a' }, { type: 'window', t2: 'b' });
    assert.equal(s.t1, 'a');
    assert.equal(s.t2, 'b');
    s = apply(
      s,
      {
        type: 'infra-check',
        check: { ok: false, problem: 'the pulumi CLI is not installed', fix: 'install it' },
      },
      { type: 'infra-line', line: 'creating bucket' },
      {
        type: 'infra-outputs',
        outputs: {
          region: 'cn-hangzhou',
          bucket: 'b',
          ossEndpoint: 'e',
          fleetSize: 0,
          instanceIds: [],
          mirrorEnabled: true,
        },
      },
    );
    assert.equal(s.infra.check?.ok, false);
    assert.deepEqual(s.infra.log, ['creating bucket']);
    assert.equal(s.mirrorOn, true, 'outputs say where the mirror is');
    const stats = {
      source: 'COS',
      sourceWrites: 3,
      ossWrites: 0,
      ossReads: 0,
      mirrorFetches: 0,
      doing: 'writing to COS',
    };
    s = apply(s, { type: 'business', stats, line: 'COS PUT x', at: T0 }, { type: 'business', stats, at: T0 });
    assert.equal(s.business!.sourceWrites, 3);
    assert.equal(s.log.at(-1)!.source, 'business');
    s = apply(s, { type: 'paused', paused: true });
    assert.equal(s.paused, true);
    s = apply(s, { type: 'stop-requested', hard: false, at: T0 });
    assert.equal(s.stopping, 'soft');
    s = apply(s, { type: 'stop-requested', hard: true, at: T0 });
    assert.equal(s.stopping, 'hard');
    s = apply(s, { type: 'report', report: { dir: '/r', text: 'ok', ok: true } });
    assert.equal(s.report!.dir, '/r');
    s = apply(s, { type: 'ask', ask: { kind: 'start', fleet: '1' } });
    s = apply(s, { type: 'finished', outcome: { status: 'done', exitCode: 0, report: '/r' }, at: T0 });
    assert.equal(s.outcome!.exitCode, 0);
    assert.equal(s.pending, undefined, 'nothing is asked any more');
    assert.match(s.log.at(-1)!.text, /finished \(exit code 0\)/);
  });

  it('the log keeps a bounded tail and counts every line', () => {
    let s = base();
    for (let i = 0; i < LOG_LINES + 50; i++)
      s = reducer(s, { type: 'log', level: 'info', text: `l${i}`, at: T0 });
    assert.equal(s.log.length, LOG_LINES);
    assert.equal(s.log.at(-1)!.text, `l${LOG_LINES + 49}`);
    assert.equal(s.logSeq, LOG_LINES + 50);
  });
});

describe('plain lines (no terminal)', () => {
  it('phase headers, what the reducer logged, the plan, infra output, T1/T2, the report once', () => {
    const s0 = base();
    const a1 = { type: 'phase-start', phase: 'full', at: T0 } as const;
    const s1 = reducer(s0, a1);
    assert.deepEqual(plainLines(s0, s1, a1), ['', '[3/10] full copy']);
    const a2 = { type: 'plan-ready', plan: plan(), startedAt: T0 } as const;
    const lines = plainLines(s1, reducer(s1, a2), a2);
    assert.match(lines[0]!, /source: 138 objects, 45\.1 MiB/);
    assert.ok(lines.some((l) => /sizing: .*needs 1 instance/.test(l)));
    assert.ok(lines.some((l) => /estimate: one machine ≈ 4s; deadline 7 days/.test(l)));
    const a3 = { type: 'infra-line', line: 'bucket ready' } as const;
    assert.deepEqual(plainLines(s1, reducer(s1, a3), a3), ['  infra: bucket ready']);
    const a4 = { type: 'window', t2: '2026-11-22T05:00:00.000Z' } as const;
    assert.deepEqual(plainLines(s1, reducer(s1, a4), a4), ['  T2 = 2026-11-22T05:00:00.000Z (cutover)']);
    const a5 = { type: 'phase-done', phase: 'full', at: T0, detail: '138 copied' } as const;
    assert.deepEqual(plainLines(s1, reducer(s1, a5), a5), ['  ✔ full copy: 138 copied']);
    const a6 = { type: 'report', report: { dir: '/r', text: '', ok: true } } as const;
    const s6 = reducer(s1, a6);
    assert.deepEqual(plainLines(s1, s6, a6), ['  report: /r — every object migrated and verified']);
    assert.deepEqual(plainLines(s6, reducer(s6, a6), a6), [], 'an updated report is not announced again');
    const a7 = { type: 'phase-failed', phase: 'full', at: T0, message: 'boom', fix: 'do X' } as const;
    assert.deepEqual(plainLines(s1, reducer(s1, a7), a7), ['  ✗ full copy: boom', '    fix: do X']);
    const a8 = { type: 'infra-check', check: { ok: false, problem: 'no CLI', fix: 'install' } } as const;
    assert.deepEqual(plainLines(s1, reducer(s1, a8), a8), ['  infra: ✗ no CLI', '    fix: install']);
    const a9 = {
      type: 'finished',
      outcome: { status: 'failed', exitCode: 2, message: 'no Redis', fix: 'start it' },
      at: T0,
    } as const;
    assert.deepEqual(plainLines(s1, reducer(s1, a9), a9), [], 'the entry point prints the outcome, once');
  });

  it('fleet: a line when a worker joins, leaves or changes state, none for a new rate', () => {
    const w = (id: string, state: 'active' | 'idle' | 'gone', bytesPerSec = 0) => ({
      id,
      host: 'ecs',
      pid: 1,
      tasks: 0,
      bytesPerSec,
      errors: 0,
      lastSeen: new Date(T0).toISOString(),
      state,
    });
    const step = (s: TuiState, workers: ReturnType<typeof w>[]) => {
      const a = engine({ type: 'workers', workers });
      const next = reducer(s, a);
      return { next, lines: plainLines(s, next, a) };
    };
    const one = step(at('full'), [w('a', 'active', 5)]);
    assert.deepEqual(one.lines, ['  fleet: 1 worker, 1 active — a active']);
    assert.deepEqual(step(one.next, [w('a', 'active', 9)]).lines, [], 'only the rate changed');
    const two = step(one.next, [w('b', 'idle'), w('a', 'active')]);
    assert.deepEqual(two.lines, ['  fleet: 2 workers, 1 active — a active, b idle']);
    assert.deepEqual(step(two.next, [w('a', 'active'), w('b', 'idle')]).lines, [], 'same workers, new order');
    assert.deepEqual(step(two.next, [w('a', 'gone'), w('b', 'active')]).lines, [
      '  fleet: 2 workers, 1 active — a gone, b active',
    ]);
  });

  it('progress lines for copy and verify passes', () => {
    const copy = apply(
      at('full'),
      engine(progress({ copied: 2, scannedObjects: 4, doneBytes: 10, scannedBytes: 20, etaMs: 3000 })),
    );
    assert.match(
      progressLine(copy)!,
      /copy 2\/4 objects · 10 B\/20 B .* ETA 3s · on track for the deadline · 2 copied/,
    );
    const verify = apply(
      at('verify'),
      engine({ type: 'pass', passId: 'v', phase: 'full', mode: 'verify', t1: 'x', resumed: false }),
      engine(progress({ verified: 3, pending: 1, scannedObjects: 4 })),
    );
    assert.match(progressLine(verify)!, /verify 4\/4 checked · 3 match · 1 changed since the window/);
    assert.equal(progressLine(base()), undefined);
  });
});
