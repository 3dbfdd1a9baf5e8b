/**
 * Every screen and state, rendered with ink-testing-library from fixed states (ANSI stripped).
 * Components are render-only: a state in, a frame out.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { stripVTControlCharacters } from 'node:util';
import { cleanup, render } from 'ink-testing-library';
import type { ReactElement } from 'react';
import { INSTALL_FIX } from '../../runner/adapters/infra/pulumi.ts';
import type { WorkerStatus } from '../../runner/core/events.ts';
import { mirrorSupport } from '../../runner/core/mirrorSupport.ts';
import { BusinessPanel } from '../../tui/components/BusinessPanel.tsx';
import { ConfirmDialog } from '../../tui/components/ConfirmDialog.tsx';
import { FailuresPanel } from '../../tui/components/FailuresPanel.tsx';
import { Header } from '../../tui/components/Header.tsx';
import { InfraLog } from '../../tui/components/InfraLog.tsx';
import { KeysBar } from '../../tui/components/KeysBar.tsx';
import { LogTail } from '../../tui/components/LogTail.tsx';
import { OutcomeBanner } from '../../tui/components/OutcomeBanner.tsx';
import { PlanScreen } from '../../tui/components/PlanScreen.tsx';
import { ProblemsPanel } from '../../tui/components/ProblemsPanel.tsx';
import { ProgressScreen } from '../../tui/components/ProgressScreen.tsx';
import { ReportScreen } from '../../tui/components/ReportScreen.tsx';
import { ResumePrompt } from '../../tui/components/ResumePrompt.tsx';
import { Screen } from '../../tui/components/Screen.tsx';
import { Timeline } from '../../tui/components/Timeline.tsx';
import { WorkersTable } from '../../tui/components/WorkersTable.tsx';
import { failureGroups } from '../../tui/state/selectors.ts';
import type { Ask, PendingAsk, TuiState } from '../../tui/state/types.ts';
import { apply, at, base, DAY, engine, plan, progress, T0 } from './fixtures.ts';

after(() => cleanup());

function frame(el: ReactElement): string {
  const r = render(el);
  const out = stripVTControlCharacters(r.lastFrame() ?? '');
  r.unmount();
  return out;
}

/** The frame's text without borders, runs of whitespace (and so line wrapping) as one space. */
function flat(f: string): string {
  return f
    .replace(/[│║╭╮╰╯╔╗╚╝═─]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
const text$ = (el: ReactElement) => flat(frame(el));

const screen = (s: TuiState, now = T0 + 60_000) => frame(<Screen s={s} now={now} />);

describe('screens: start', () => {
  it('resume prompt for a job in progress: what is done, what is next, the keys', () => {
    const ask: Extract<Ask, { kind: 'resume' }> = {
      kind: 'resume',
      job: 'demo',
      done: ['plan', 'provision', 'full'],
      next: 'verify',
      savedAt: '2026-11-22T04:30:00.000Z',
      complete: false,
    };
    const f = flat(screen(apply(base(), { type: 'ask', ask })));
    assert.match(f, /A migration of job demo is in progress in \/tmp\/ossmigrate-demo/);
    assert.match(f, /done: plan, provision, full copy/);
    assert.match(f, /next: verify — compare size \+ CRC-64/);
    assert.match(f, /r\/Enter: resume it · n: start a new one · q: quit/);
    assert.match(f, /objects already in OSS stay/);
    assert.doesNotMatch(f, /← now/, 'only the question');
  });

  it('resume prompt for a finished migration offers a new one', () => {
    const f = frame(
      <ResumePrompt
        ask={{
          kind: 'resume',
          job: 'demo',
          done: [],
          savedAt: '2026-11-22T04:30:00.000Z',
          complete: true,
          report: '/r',
        }}
      />,
    );
    assert.match(f, /The migration of job demo has finished/);
    assert.match(f, /report: \/r/);
    assert.match(f, /n: start a new migration of this job · q: quit/);
    assert.doesNotMatch(f, /resume it/);
  });

  it('header: job, infra check, deadline, T1/T2, mirror, paused, stopping', () => {
    let s = at('verify');
    s = apply(
      s,
      { type: 'infra-check', check: { ok: true, detail: 'OSS http://127.0.0.1:1, bucket demo-dst' } },
      { type: 'paused', paused: true },
      { type: 'stop-requested', hard: false, at: T0 },
    );
    const f = text$(<Header s={s} now={T0 + DAY} />);
    assert.match(f, /ossmigrate job demo cos:\/\/demo-src-1250000000\/ → oss:\/\/demo-dst\//);
    assert.match(f, /infra sandbox ✔ OSS http:\/\/127\.0\.0\.1:1/);
    assert.match(f, /deadline 7d \(6d 0h left\)/);
    assert.match(f, /T1 2026-11-22 04:00:00Z/);
    assert.match(f, /T2 —/);
    assert.match(f, /mirror off · PAUSED · stopping…/);
    const failed = text$(
      <Header
        s={apply(base(), {
          type: 'infra-check',
          check: { ok: false, problem: 'the pulumi CLI is not installed', fix: 'x' },
        })}
        now={T0}
      />,
    );
    assert.match(failed, /infra sandbox ✗ the pulumi CLI is not installed/);
    assert.match(frame(<Header s={initialStateLike()} now={T0} />), /starting…/);
  });
});

function initialStateLike(): TuiState {
  const s = base();
  const { job: _j, ...rest } = s;
  return rest;
}

describe('screens: timeline', () => {
  it('shows every phase with its state, what the current one does, and what comes next', () => {
    let s = at('verify');
    s = apply(s, { type: 'phase-skip', phase: 'teardown', reason: 'no infra driver' });
    const f = frame(<Timeline s={s} />);
    for (const t of [
      'plan',
      'provision',
      'full copy',
      'verify',
      'mirror on',
      'cutover',
      'incremental',
      'final verify',
      'report',
      'teardown',
    ])
      assert.match(f, new RegExp(`\\d ${t}`));
    assert.match(f, /✔ {3}1 plan {9}plan done/);
    assert.match(f, /4 verify {7}compare size \+ CRC-64 on both sides \(no download\) {2}← now/);
    assert.match(f, /5 mirror on {4}OSS fetches keys it lacks from the source \(back-to-origin\) {2}← next/);
    assert.match(f, /– {2}10 teardown {5}no infra driver/);
    assert.match(flat(f), /Now: verify — compare size \+ CRC-64 on both sides \(no download\)\./);
    assert.match(flat(f), /Next: mirror on — OSS fetches keys it lacks from the source \(back-to-origin\)\./);
  });

  it('waiting, failed (first line of the error) and stopped phases', () => {
    let s = apply(at('cutover'), { type: 'ask', ask: { kind: 'cutover', bucket: 'b', expect: 'b' } });
    assert.match(
      frame(<Timeline s={s} />),
      /\? {3}6 cutover {6}the business switches to OSS; T2 is recorded {2}← now/,
    );
    s = apply(at('provision'), {
      type: 'phase-failed',
      phase: 'provision',
      at: T0,
      message: 'the pulumi CLI is not installed or not on PATH',
      fix: 'install it',
    });
    const f = frame(<Timeline s={s} />);
    assert.match(f, /✗ {3}2 provision {4}the pulumi CLI is not installed or not on PATH {2}← now/);
    assert.doesNotMatch(f, /install it/, 'the fix is shown by the outcome, not squeezed in the timeline');
    s = apply(at('full'), { type: 'phase-stopped', phase: 'full', at: T0 });
    assert.match(frame(<Timeline s={s} />), /■ {3}3 full copy/);
    const done = apply(at('teardown'), { type: 'phase-done', phase: 'teardown', at: T0 });
    assert.match(frame(<Timeline s={done} />), /Every phase is done\./);
  });
});

describe('screens: plan', () => {
  it('while surveying', () => {
    assert.match(
      frame(<PlanScreen awaitingStart={false} surveying />),
      /surveying the source \(nothing is copied\)/,
    );
    assert.match(frame(<PlanScreen awaitingStart={false} />), /the plan has not run yet/);
  });

  it('survey, sizing explanation, time estimate, and the start key', () => {
    const raw = frame(<PlanScreen plan={plan()} awaitingStart />);
    const f = flat(raw);
    assert.match(f, /objects 138 · 45\.1 MiB \(0\.000047 TB\) · largest 24\.0 MiB "video\/promo\.mp4"/);
    assert.match(raw, /< 1 KiB {10}57 {4}33\.8 KiB {2}█{24}\n/, 'the size histogram');
    assert.match(f, /classes STANDARD 136 · IA 1 · ARCHIVE 1 \(1 archived: restored before copying\)/);
    assert.match(f, /invalid names 0/);
    assert.match(
      f,
      /Fleet sizing 0 TB in 7 days at 100 Mbit\/s per instance \(≈1 TB\/day each\) needs 1 instance \(ceil\(0 \/ 7 \/ 1\) = 1\)\./,
    );
    assert.match(f, /sandbox: the engine in this process is the fleet/);
    assert.match(f, /one machine at 100 Mbit\/s ≈ 4s · deadline 7 days \(fits\)/);
    assert.match(f, /Enter: start the migration/);
  });

  it('a fleet estimate, sizing warnings, a deadline that does not fit, invalid names', () => {
    const p = plan({ oneMachineSeconds: 36 * 7 * 86_400, fleetSeconds: 8 * 86_400, deadlineDays: 7 });
    p.sizing = {
      instances: 36,
      explanation: '500 TB in 7 days … needs 36 instances',
      warnings: ['capped at 100 Mbit/s'],
    };
    p.survey.invalidNames = 2;
    p.survey.invalidSamples = [{ key: '\\win.txt', reason: 'starts with "\\"' }];
    const f = text$(<PlanScreen plan={p} awaitingStart={false} />);
    assert.match(f, /fleet of 36 ≈ 8d 0h/);
    assert.match(f, /does not fit: more instances or more days/);
    assert.match(f, /! capped at 100 Mbit\/s/);
    assert.match(f, /invalid names 2 — e\.g\. "\\\\win\.txt": starts with "\\"/);
    assert.doesNotMatch(f, /Enter: start/);
  });

  it('the mirror line: whether OSS mirroring serves the cutover, why, and the check or the fix', () => {
    const yes = {
      ...plan(),
      mirror: mirrorSupport({ type: 'cos', bucket: 'media-1250000000', region: 'ap-guangzhou' }),
    };
    const f = text$(<PlanScreen plan={yes} awaitingStart={false} />);
    assert.match(
      f,
      /Mirroring at cutover mirror yes — MirrorURL https:\/\/media-1250000000\.cos\.ap-guangzhou\.myqcloud\.com\/ with MirrorAuth S3V4/,
    );
    assert.match(f, /why: COS checks S3 V4 signatures/);
    assert.match(f, /check: after "mirror on", read one key OSS does not have yet/);
    const no = { ...plan(), mirror: mirrorSupport({ type: 'azure', account: 'acct', container: 'media' }) };
    const g = text$(<PlanScreen plan={no} awaitingStart />);
    assert.match(
      g,
      /mirror no — only a public-read container: MirrorURL https:\/\/acct\.blob\.core\.windows\.net\/media\//,
    );
    assert.match(g, /fix: make the container public-read .* or cut over with a write freeze/);
    assert.match(g, /Enter: start the migration/);
    // A plan saved before the field existed still renders, without the line.
    assert.doesNotMatch(text$(<PlanScreen plan={plan()} awaitingStart={false} />), /Mirroring at cutover/);
  });

  it('the whole screen while the plan waits for Enter', () => {
    const s = apply(at('provision'), { type: 'ask', ask: { kind: 'start', fleet: '1' } });
    const f = screen(s);
    assert.match(f, /Plan — what the source holds/);
    assert.match(f, /Enter: start the migration/);
    assert.match(f, /\? {3}2 provision .*← now/);
  });
});

describe('screens: progress', () => {
  const running = () =>
    apply(
      at('full'),
      engine({
        type: 'pass',
        passId: 'full-20261122T040000Z',
        phase: 'full',
        mode: 'copy',
        t1: '2026-11-22T04:00:00.000Z',
        resumed: true,
      }),
      engine({ type: 'stage', stage: 'copy', state: 'start' }),
      engine({ type: 'bandwidth', limit: '10M', effectiveBytesPerSec: 10_485_760 }),
      engine(
        progress({
          copied: 60,
          deferred: 9,
          scannedObjects: 138,
          plannedObjects: 130,
          doneBytes: 20 * 1048576,
          scannedBytes: 40 * 1048576,
          plannedBytes: 39 * 1048576,
          bytes: 21 * 1048576,
          bytesPerSec: 5 * 1048576,
          etaMs: 4000,
        }),
        T0 + 2000,
      ),
    );

  it('bars for objects and bytes, rate, ETA on track with the deadline, counts', () => {
    const raw = frame(<ProgressScreen s={running()} phase="full" />);
    const f = flat(raw);
    assert.match(
      f,
      /full copy pass full-20261122T040000Z \(resumed\) · objects modified before T1 2026-11-22 04:00:00Z · copy/,
    );
    assert.match(raw, /objects {2}█{20}░{20} {2}69\/138 {2}50%/);
    assert.match(raw, /bytes {4}█{20}░{20} {2}20\.0 MiB \/ 40\.0 MiB {2}50%/);
    assert.match(
      f,
      /rate 5\.0 MiB\/s · ETA 4s · deadline in 6d 23h: on track \(6d 23h to spare\) · limit 10M/,
    );
    assert.match(f, /in the window: 130 objects, 39\.0 MiB/);
    assert.match(f, /copied 60 · skipped 0 · deferred 9 · failed 0 · transferred 21\.0 MiB/);
  });

  it('late for the deadline: by how much, and the rate it needs', () => {
    const s = apply(
      at('full'),
      engine(
        progress({ scannedBytes: 500e12, doneBytes: 1e12, bytesPerSec: 100e6, etaMs: 60 * DAY }),
        T0 + DAY,
      ),
    );
    assert.match(
      frame(<ProgressScreen s={s} phase="full" />),
      /deadline in 6d 0h: late by 54d 0h — needs \d+(\.\d)? MiB\/s/,
    );
  });

  it('before the first progress (preflight), during the scan, and the incremental window', () => {
    const pre = apply(at('full'), engine({ type: 'stage', stage: 'preflight', state: 'start' }));
    assert.match(
      frame(<ProgressScreen s={pre} phase="full" />),
      /preflight: credentials, buckets, regions, clock/,
    );
    assert.match(frame(<ProgressScreen s={at('full')} phase="full" />), /starting…/);
    const scan = apply(
      at('incremental'),
      engine({ type: 'pass', passId: 'inc', phase: 'incremental', mode: 'copy', t1: 'x', resumed: false }),
      engine(progress({ copied: 1, deferred: 4, scannedObjects: 10, scanDone: false })),
    );
    const f = frame(<ProgressScreen s={scan} phase="incremental" />);
    assert.match(f, /objects modified from T1 2026-11-22 04:00:00Z to T2 2026-11-22 05:00:00Z/);
    assert.match(f, /5\/10\+/);
    assert.match(f, /ETA after the scan/);
    assert.match(f, /unchanged since T1 4/);
  });

  it('verify: checked bar and the comparison counts', () => {
    const s = apply(
      at('final-verify'),
      engine({ type: 'pass', passId: 'v', phase: 'incremental', mode: 'verify', t1: 'x', resumed: false }),
      engine(progress({ verified: 170, destNewer: 1, extra: 3, scannedObjects: 174 })),
    );
    const f = text$(<ProgressScreen s={s} phase="final-verify" />);
    assert.match(f, /checked █+ 174\/174 100%/);
    assert.match(
      f,
      /match 170 · changed since the window 0 · missing 0 · different 0 · only in OSS 3 · kept \(newer in OSS\) 1/,
    );
  });

  it('the whole screen of a copy phase: progress, failures, business, log, keys', () => {
    let s = apply(
      running(),
      engine({
        type: 'object',
        key: 'images/2026/004.jpg',
        outcome: 'deferred',
        size: 1,
        bytes: 0,
        failureClass: 'SOURCE_CHANGED',
      }),
      {
        type: 'business',
        stats: {
          source: 'COS',
          sourceWrites: 7,
          ossWrites: 0,
          ossReads: 0,
          mirrorFetches: 0,
          doing: 'writing to COS',
        },
        line: 'COS PUT uploads/2026-11/photo-007.jpg (new)',
        at: T0 + 3000,
      },
    );
    s = apply(s, { type: 'log', level: 'warn', text: 'something to see', at: T0 + 3000 });
    const f = screen(s);
    assert.match(f, /objects {2}█+/);
    assert.match(f, /~ SOURCE_CHANGED {6}1 deferred — the source object changed while it was being copied/);
    assert.match(
      f,
      /Business writing to COS · COS writes 7 · OSS writes 0 · OSS reads 0 \(0 fetched back-to-origin\)/,
    );
    assert.match(f, /\[business\] COS PUT uploads\/2026-11\/photo-007\.jpg \(new\)/);
    assert.match(f, /something to see/);
    assert.match(f, /q: quit \(in-flight objects finish; the job resumes next start\)/);
  });
});

describe('screens: failures, workers, problems', () => {
  it('failures grouped by class with reason, fix, examples and the retry action', () => {
    const s = apply(
      at('full'),
      engine({
        type: 'object',
        key: 'a.jpg',
        outcome: 'failed',
        size: 1,
        bytes: 0,
        failureClass: 'ACCESS_DENIED',
        reason: 'denied',
      }),
      engine({
        type: 'object',
        key: 'b.jpg',
        outcome: 'failed',
        size: 1,
        bytes: 0,
        failureClass: 'ACCESS_DENIED',
      }),
      engine({
        type: 'object',
        key: 'gone',
        outcome: 'skipped',
        size: 1,
        bytes: 0,
        failureClass: 'SOURCE_GONE',
      }),
    );
    const f = frame(<FailuresPanel groups={failureGroups(s)} retry={2} />);
    assert.match(f, /✗ ACCESS_DENIED {7}2 failed — the credentials are not allowed to do this/);
    assert.match(f, /fix: check the RAM \/ CAM policy/);
    assert.match(f, /e\.g\. "a\.jpg"/);
    assert.match(f, /~ SOURCE_GONE {9}1 left as is — the source object was deleted/);
    assert.match(f, /2 objects not copied · r: retry now · s: skip \(ossmigrate retry later\) · q: quit/);
    assert.equal(frame(<FailuresPanel groups={[]} />), '', 'nothing to show, nothing shown');
  });

  it('verification issues with what they mean', () => {
    const s = apply(
      at('verify'),
      engine({ type: 'verify', key: 'v/3', status: 'different', detail: 'CRC-64 1 vs 2' }),
      engine({ type: 'verify', key: 'new.jpg', status: 'pending' }),
    );
    const f = frame(<FailuresPanel groups={[]} verifyIssues={s.verifyIssues} />);
    assert.match(f, /✗ verify: different {3}1 — size or CRC-64 differs/);
    assert.match(f, /~ verify: pending {5}1 — modified after the window/);
    assert.match(f, /fix: none: the incremental phase copies it/);
  });

  it('the retry question on the whole screen', () => {
    const s = apply(
      at('full'),
      engine({ type: 'object', key: 'x', outcome: 'failed', size: 1, bytes: 0, failureClass: 'NETWORK' }),
      { type: 'ask', ask: { kind: 'retry', phase: 'full', failed: 1 } },
    );
    const f = screen(s);
    assert.match(f, /✗ NETWORK/);
    assert.match(f, /1 object not copied · r: retry now/);
  });

  it('fleet mode: one row per worker', () => {
    const w = (id: string, state: WorkerStatus['state'], errors = 0): WorkerStatus => ({
      id,
      host: `ecs-${id}`,
      pid: 100,
      tasks: 4,
      bytesPerSec: 12 * 1048576,
      errors,
      lastSeen: new Date(T0 - 3000).toISOString(),
      state,
    });
    const raw = frame(
      <WorkersTable workers={[w('w1', 'active'), w('w2', 'draining', 2), w('w3', 'gone')]} now={T0} />,
    );
    const rows = raw.split('\n');
    assert.match(rows[0]!, /Workers — 1 active of 3 · 36\.0 MiB\/s together/);
    assert.match(flat(rows[1]!), /^worker host state tasks rate errors seen$/);
    assert.match(flat(rows[2]!), /^w1 ecs-w1 active 4 12\.0 MiB\/s 0 3s ago$/);
    assert.match(flat(rows[3]!), /^w2 ecs-w2 draining 4 12\.0 MiB\/s 2 3s ago$/);
    assert.match(flat(rows[4]!), /^w3 ecs-w3 gone/);
    assert.equal(rows[1]!.indexOf('state'), rows[2]!.indexOf('active'), 'columns line up');
    assert.equal(frame(<WorkersTable workers={[]} now={T0} />), '');
    const withWorkers = screen(apply(at('full'), engine({ type: 'workers', workers: [w('w1', 'active')] })));
    assert.match(withWorkers, /Workers — 1 active of 1/);
  });

  it('preflight problems with their fix', () => {
    const f = frame(
      <ProblemsPanel
        problems={[
          {
            severity: 'error',
            code: 'BAD_CREDENTIALS',
            message: 'COS refused the key',
            fix: 'export TENCENTCLOUD_SECRET_KEY',
          },
          { severity: 'warning', code: 'CLOCK_SKEW', message: '3s off' },
          { severity: 'info', code: 'NOTE', message: 'hidden' },
        ]}
      />,
    );
    assert.match(f, /✗ BAD_CREDENTIALS: COS refused the key\n\s+fix: export TENCENTCLOUD_SECRET_KEY/);
    assert.match(f, /! CLOCK_SKEW: 3s off/);
    assert.doesNotMatch(f, /hidden/);
  });
});

describe('screens: cutover and teardown', () => {
  const cutover = (p: Partial<PendingAsk> = {}): PendingAsk => ({
    ask: { kind: 'cutover', bucket: 'demo-dst', expect: 'demo-dst', t1: '2026-11-22T04:00:00.000Z' },
    open: true,
    typed: '',
    ...p,
  });

  it('cutover: what to do first, what T2 means, the word to type, what was typed', () => {
    const f = text$(<ConfirmDialog pending={cutover({ typed: 'demo-d' })} />);
    assert.match(f, /Cutover — switch the business to oss:\/\/demo-dst/);
    assert.match(f, /1\. point the application's reads and writes at oss:\/\/demo-dst/);
    assert.match(f, /2\. stop its writes to the source/);
    assert.match(
      f,
      /On confirm T2 = now is recorded\. The incremental phase then copies what changed between T1 \(2026-11-22 04:00:00Z\)/,
    );
    assert.match(
      f,
      /never overwrites what the business writes to OSS after T2\. Until then the mirror rule serves keys not copied yet\./,
    );
    assert.match(f, /Type demo-dst and press Enter to confirm \(Esc: not now/);
    assert.match(f, /> demo-d/);
  });

  it('cutover from a source OSS cannot mirror: a write freeze first, the switch after the final incremental', () => {
    const line = 'mirroring: not available for azure — cutover with a write freeze';
    const pending = cutover();
    const f = text$(
      <ConfirmDialog pending={{ ...pending, ask: { ...pending.ask, freeze: line } as PendingAsk['ask'] }} />,
    );
    assert.match(f, /Cutover — a write freeze, then the switch to oss:\/\/demo-dst/);
    assert.match(f, /mirroring: not available for azure — cutover with a write freeze: OSS cannot fetch/);
    assert.match(f, /1\. stop the application's writes to the source/);
    assert.match(f, /2\. do not switch to oss:\/\/demo-dst yet/);
    assert.match(f, /then switch the reads and writes to OSS, and the freeze is over/);
    assert.doesNotMatch(f, /mirror rule serves|point the application's reads and writes/);
    // The header says it instead of "mirror off".
    const s = apply(base(), {
      type: 'init',
      job: undefined,
      infra: 'sandbox',
      cutover: { kind: 'freeze', source: 'azure', line, why: 'Azure signs with Shared Key' },
    });
    const h = text$(<Header s={s} now={T0} />);
    assert.match(h, /mirroring: not available for azure — cutover with a write freeze/);
    assert.doesNotMatch(h, /mirror off/);
  });

  it('cutover: a wrong word is refused; folded away it waits for c', () => {
    assert.match(
      frame(
        <ConfirmDialog
          pending={cutover({ error: '"demo" is not "demo-dst": type it exactly, or Esc for not now' })}
        />,
      ),
      /"demo" is not "demo-dst": type it exactly/,
    );
    assert.match(
      text$(<ConfirmDialog pending={cutover({ open: false })} />),
      /Cutover is waiting for you — press c to confirm it when the business is ready · q quits \(the job resumes here\)/,
    );
  });

  it('teardown: what goes, what stays, the word to type; folded it waits for t', () => {
    const pending: PendingAsk = {
      ask: {
        kind: 'teardown',
        expect: 'teardown',
        removes: ['the ECS worker fleet', 'the Redis queue', 'the mirror rule'],
        keeps: ['the bucket oss://demo-dst and every object in it'],
      },
      open: true,
      typed: 'tear',
    };
    const f = text$(<ConfirmDialog pending={pending} />);
    assert.match(f, /Teardown — remove the migration's infrastructure/);
    assert.match(f, /Removes: the ECS worker fleet, the Redis queue, the mirror rule\./);
    assert.match(
      f,
      /Keeps: the bucket oss:\/\/demo-dst and every object in it\. Teardown never deletes buckets or objects\./,
    );
    assert.match(f, /Type teardown and press Enter/);
    assert.match(f, /> tear/);
    assert.match(
      frame(<ConfirmDialog pending={{ ...pending, open: false }} />),
      /Teardown is waiting for you — press t/,
    );
    assert.equal(
      frame(<ConfirmDialog pending={{ ask: { kind: 'start', fleet: '' }, open: true, typed: '' }} />),
      '',
    );
  });

  it('the whole cutover screen: verification so far, mirror on, the dialog', () => {
    let s = at('cutover');
    s = apply(s, { type: 'phase-done', phase: 'mirror', at: T0 });
    s = {
      ...s,
      results: {
        verify: {
          verify: {
            verified: 134,
            missing: 0,
            different: 0,
            extra: 0,
            pending: 12,
            destNewer: 0,
            unverifiable: 0,
            errors: 0,
          },
        },
      },
    };
    s = apply(s, { type: 'ask', ask: { kind: 'cutover', bucket: 'demo-dst', expect: 'demo-dst' } });
    const f = flat(screen(s));
    assert.match(
      f,
      /verified 134 · changed since T1 12 \(the incremental copies them\) · mirror on: OSS serves them meanwhile/,
    );
    assert.match(f, /Type demo-dst and press Enter/);
    assert.match(f, /mirror on/);
  });

  it('the whole teardown screen: the verdict, the infra log, the dialog', () => {
    let s = apply(at('teardown'), {
      type: 'report',
      report: { dir: '/w/reports/migration', text: 'x', ok: true },
    });
    s = apply(
      s,
      { type: 'infra-line', line: 'mirror rule on' },
      {
        type: 'ask',
        ask: {
          kind: 'teardown',
          expect: 'teardown',
          removes: ['the mirror rule (back-to-origin)'],
          keeps: ['the bucket'],
        },
      },
    );
    const f = flat(screen(s));
    assert.match(f, /✔ every object migrated and verified — report \/w\/reports\/migration/);
    assert.match(f, /Infrastructure \(sandbox\) mirror rule on/);
    assert.match(f, /Removes: the mirror rule \(back-to-origin\)\./);
  });
});

describe('screens: infrastructure', () => {
  it('streamed output and the outputs', () => {
    const s = apply(
      at('provision'),
      { type: 'infra-line', line: 'creating bucket oss://demo-dst …' },
      { type: 'infra-line', line: 'bucket oss://demo-dst created' },
      {
        type: 'infra-outputs',
        outputs: {
          region: 'cn-hangzhou',
          bucket: 'demo-dst',
          ossEndpoint: 'http://127.0.0.1:9',
          fleetSize: 0,
          instanceIds: [],
          mirrorEnabled: false,
        },
      },
    );
    const f = screen(s);
    assert.match(f, /Infrastructure \(sandbox\)/);
    assert.match(f, /creating bucket oss:\/\/demo-dst …\n\s+bucket oss:\/\/demo-dst created/);
    assert.match(
      f,
      /outputs: bucket demo-dst \(cn-hangzhou\) · endpoint http:\/\/127\.0\.0\.1:9 · fleet 0 · mirror off/,
    );
  });

  it('Pulumi missing: the problem and how to install it, plainly', () => {
    const s = apply(initialStateFor('pulumi'), {
      type: 'infra-check',
      check: { ok: false, problem: 'the pulumi CLI is not installed or not on PATH', fix: INSTALL_FIX },
    });
    const f = frame(<InfraLog infra={s.infra} />);
    assert.match(f, /Infrastructure \(pulumi\)/);
    assert.match(f, /✗ the pulumi CLI is not installed or not on PATH/);
    assert.match(f, /fix: install it: curl -fsSL https:\/\/get\.pulumi\.com \| sh/);
    assert.match(f, /\(no output yet\)/);
  });
});

function initialStateFor(infra: TuiState['infra']['kind']): TuiState {
  return { ...base(), infra: { kind: infra, log: [] } };
}

describe('screens: report and the end', () => {
  const text = [
    'ossmigrate migration report — job demo',
    '  RESULT  every object migrated and verified (174 of 174); failed 0',
    '  report    /w/jobs/demo/reports/migration',
  ].join('\n');

  it('the report with its verdict; long reports are cut with a pointer to the file', () => {
    assert.match(
      text$(<ReportScreen report={{ dir: '/w', text, ok: true }} />),
      /✔ Every object migrated and verified ossmigrate migration report — job demo/,
    );
    const long = Array.from({ length: 60 }, (_, i) => `line ${i}`).join('\n');
    const f = text$(<ReportScreen report={{ dir: '/w/r', text: long, ok: false }} maxLines={10} />);
    assert.match(f, /✗ Some objects need attention/);
    assert.match(f, /line 8 … \(\/w\/r\/report\.txt\)/);
    assert.doesNotMatch(f, /line 9\b/);
  });

  it('finished: the timeline, the report, the banner; no more keys than q', () => {
    let s = at('teardown');
    s = apply(
      s,
      { type: 'phase-done', phase: 'teardown', at: T0 },
      { type: 'report', report: { dir: '/w/jobs/demo/reports/migration', text, ok: true } },
      {
        type: 'finished',
        outcome: { status: 'done', exitCode: 0, report: '/w/jobs/demo/reports/migration' },
        at: T0,
      },
    );
    const f = screen(s);
    assert.match(f, /✔ {2}10 teardown/);
    assert.match(f, /Every phase is done\./);
    assert.match(f, /RESULT {2}every object migrated and verified \(174 of 174\); failed 0/);
    assert.match(f, /Migration complete\. Report: \/w\/jobs\/demo\/reports\/migration {2}q: quit/);
    assert.doesNotMatch(f, /p: pause/);
  });

  it('outcome banners: done with problems, stopped, failed with the fix', () => {
    assert.match(
      frame(<OutcomeBanner outcome={{ status: 'done', exitCode: 5, report: '/r' }} />),
      /Migration finished with problems \(exit code 5\)\. Report: \/r/,
    );
    const stopped = frame(
      <OutcomeBanner
        outcome={{ status: 'stopped', exitCode: 6, message: 'stopped during full' }}
        workdir="/w"
      />,
    );
    assert.match(stopped, /■ Stopped: stopped during full/);
    assert.match(stopped, /Nothing is lost: the job and its progress are in \/w; start it again to resume/);
    const failed = frame(
      <OutcomeBanner
        outcome={{
          status: 'failed',
          exitCode: 3,
          message: 'preflight failed: BAD_CREDENTIALS',
          fix: 'export X',
        }}
      />,
    );
    assert.match(failed, /✗ preflight failed: BAD_CREDENTIALS\n\s+fix: export X\n.*The job is kept/);
  });

  it('a stopped run on the whole screen keeps the timeline and says how to resume', () => {
    const s = apply(
      at('full'),
      { type: 'phase-stopped', phase: 'full', at: T0 },
      {
        type: 'finished',
        outcome: { status: 'stopped', exitCode: 6, message: 'stopped during full' },
        at: T0,
      },
    );
    const f = screen(s);
    assert.match(f, /■ {3}3 full copy/);
    assert.match(f, /start it again to resume/);
  });
});

describe('screens: small parts', () => {
  it('business panel, log tail, keys', () => {
    assert.match(
      text$(
        <BusinessPanel
          b={{
            source: 'COS',
            sourceWrites: 40,
            ossWrites: 4,
            ossReads: 27,
            mirrorFetches: 3,
            doing: 'serving reads from OSS',
          }}
        />,
      ),
      /Business serving reads from OSS · COS writes 40 · OSS writes 4 · OSS reads 27 \(3 fetched back-to-origin\)/,
    );
    const log = [
      { at: T0, level: 'info' as const, text: 'one' },
      { at: T0, level: 'error' as const, text: 'two', source: 'oss' },
    ];
    const f = frame(<LogTail log={log} lines={1} />);
    assert.match(f, /04:00:00 \[oss\] two/);
    assert.doesNotMatch(f, /one/);
    assert.equal(frame(<LogTail log={log} lines={0} />), '');
    assert.match(frame(<KeysBar s={base()} />), /q: quit .* p: pause/);
    assert.match(frame(<KeysBar s={apply(base(), { type: 'paused', paused: true })} />), /p: resume/);
    assert.match(frame(<KeysBar s={base({ unattended: true })} />), /--yes: running unattended/);
  });
});
