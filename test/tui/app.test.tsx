/**
 * The Ink app with a scripted flow in place of the real phase runner: the questions reach the
 * screen, keys written to stdin answer them (cutover and teardown need the word typed), quitting
 * stops softly, --yes answers by itself.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { stripVTControlCharacters } from 'node:util';
import { cleanup, render } from 'ink-testing-library';
import { App } from '../../tui/App.tsx';
import type { StartFlow, TuiIO } from '../../tui/hooks/useMigration.ts';
import type { Answer, Outcome } from '../../tui/state/types.ts';
import { T0 } from './fixtures.ts';

afterEach(() => cleanup());

const ESC = '\x1b';
const ENTER = '\r';
const CTRL_C = '\x03';

type Rendered = ReturnType<typeof render>;

function text(r: Rendered): string {
  return stripVTControlCharacters(r.lastFrame() ?? '')
    .replace(/[│║╭╮╰╯╔╗╚╝═─]/g, ' ')
    .replace(/\s+/g, ' ');
}

async function waitFor(r: Rendered, re: RegExp, ms = 3000): Promise<string> {
  const until = Date.now() + ms;
  for (;;) {
    const t = text(r);
    if (re.test(t)) return t;
    if (Date.now() > until) assert.fail(`timed out waiting for ${re}; screen:\n${t}`);
    await new Promise((res) => setTimeout(res, 10));
  }
}

/** Let Ink attach its input handler (an effect) and take the last input before the next. */
const settle = () => new Promise((res) => setTimeout(res, 30));

async function keys(r: Rendered, ...inputs: string[]): Promise<void> {
  for (const i of inputs) {
    r.stdin.write(i);
    await settle();
  }
}

function init(io: TuiIO): void {
  io.emit({
    type: 'init',
    job: { name: 'demo', workdir: '/w', source: 'cos://s-1/', destination: 'oss://demo-dst/' },
    infra: 'sandbox',
  });
}

function mount(start: StartFlow, o: { unattended?: boolean; autoExitMs?: number } = {}) {
  const exits: Array<Outcome | undefined> = [];
  const r = render(
    <App
      start={start}
      infra="sandbox"
      unattended={o.unattended ?? false}
      onExit={(x) => exits.push(x)}
      autoExitMs={o.autoExitMs ?? 50}
    />,
  );
  return { r, exits };
}

describe('app: the irreversible steps are deliberate', () => {
  it('cutover needs the bucket name typed; teardown needs "teardown"; Esc folds, c/t reopen', async () => {
    const answers: Answer[] = [];
    const start: StartFlow = async (io) => {
      init(io);
      io.emit({ type: 'phase-start', phase: 'cutover', at: T0 });
      answers.push(await io.ask({ kind: 'cutover', bucket: 'demo-dst', expect: 'demo-dst' }));
      io.emit({ type: 'phase-done', phase: 'cutover', at: T0, detail: 'T2 = now' });
      io.emit({ type: 'phase-start', phase: 'teardown', at: T0 });
      answers.push(
        await io.ask({
          kind: 'teardown',
          expect: 'teardown',
          removes: ['the mirror rule'],
          keeps: ['the bucket'],
        }),
      );
      io.emit({ type: 'phase-done', phase: 'teardown', at: T0 });
      io.emit({
        type: 'report',
        report: { dir: '/w/r', text: 'RESULT every object migrated and verified', ok: true },
      });
      return { status: 'done', exitCode: 0, report: '/w/r' };
    };
    const { r, exits } = mount(start);
    await waitFor(r, /Type demo-dst and press Enter to confirm/);
    await settle();
    // Enter alone, y, or a held key confirm nothing.
    await keys(r, ENTER);
    await waitFor(r, /"" is not "demo-dst"/);
    await keys(r, 'y', ENTER);
    await waitFor(r, /"y" is not "demo-dst"/);
    assert.deepEqual(answers, []);
    await keys(r, 'demo', ENTER);
    await waitFor(r, /"demo" is not "demo-dst": type it exactly/);
    assert.deepEqual(answers, [], 'a wrong word does not confirm');
    await keys(r, 'demo-dsx');
    await waitFor(r, /> demo-dsx/);
    await keys(r, '\x7f');
    await waitFor(r, /> demo-ds /);
    await keys(r, 't', ENTER);
    await waitFor(r, /Type teardown and press Enter/);
    assert.deepEqual(answers, ['yes']);
    // Not now: the dialog folds away; the job waits; t opens it again.
    await keys(r, ESC);
    await waitFor(r, /Teardown is waiting for you — press t/);
    await keys(r, 'x');
    assert.deepEqual(answers, ['yes']);
    await keys(r, 't');
    await waitFor(r, /Type teardown and press Enter/);
    await keys(r, 'teardown', ENTER);
    await waitFor(r, /Migration complete\. Report: \/w\/r q: quit/);
    assert.deepEqual(answers, ['yes', 'yes']);
    assert.match(text(r), /✔ Every object migrated and verified/);
    await settle();
    r.stdin.write('q');
    await new Promise((res) => setTimeout(res, 50));
    assert.equal(exits.length, 1);
    assert.equal(exits[0]?.exitCode, 0);
  });

  it('q at the cutover stops: the question ends with "quit" and the run says how to resume', async () => {
    let answer: Answer | undefined;
    const start: StartFlow = async (io) => {
      init(io);
      io.emit({ type: 'phase-start', phase: 'cutover', at: T0 });
      answer = await io.ask({ kind: 'cutover', bucket: 'demo-dst', expect: 'demo-dst' });
      io.emit({ type: 'phase-stopped', phase: 'cutover', at: T0 });
      return { status: 'stopped', exitCode: 6, message: 'stopped during cutover' };
    };
    const { r } = mount(start);
    await waitFor(r, /Type demo-dst/);
    await settle();
    await keys(r, ESC);
    await waitFor(r, /Cutover is waiting for you — press c/);
    await keys(r, 'q');
    await waitFor(r, /■ Stopped: stopped during cutover/);
    assert.equal(answer, 'quit');
    assert.match(text(r), /start it again to resume/);
  });
});

describe('app: the other questions', () => {
  it('resume prompt: n starts a new migration, r resumes', async () => {
    for (const [key, expected] of [
      ['n', 'new'],
      ['r', 'resume'],
      [ENTER, 'resume'],
    ] as const) {
      let answer: Answer | undefined;
      const start: StartFlow = async (io) => {
        answer = await io.ask({
          kind: 'resume',
          job: 'demo',
          done: ['plan'],
          next: 'provision',
          savedAt: 'x',
          complete: false,
        });
        return { status: 'stopped', exitCode: 0 };
      };
      const { r } = mount(start);
      await waitFor(r, /r\/Enter: resume it · n: start a new one · q: quit/);
      await settle();
      r.stdin.write(key);
      await waitFor(r, /Stopped/);
      assert.equal(answer, expected);
      r.unmount();
    }
  });

  it('the plan waits for Enter; failed objects wait for r (retry) or s (skip)', async () => {
    const answers: Answer[] = [];
    const start: StartFlow = async (io) => {
      init(io);
      io.emit({ type: 'phase-start', phase: 'provision', at: T0 });
      answers.push(await io.ask({ kind: 'start', fleet: '1 instance' }));
      io.emit({ type: 'phase-done', phase: 'provision', at: T0 });
      io.emit({ type: 'phase-start', phase: 'full', at: T0 });
      io.emit({
        type: 'engine',
        at: T0,
        event: { type: 'object', key: 'k', outcome: 'failed', size: 1, bytes: 0, failureClass: 'NETWORK' },
      });
      answers.push(await io.ask({ kind: 'retry', phase: 'full', failed: 1 }));
      answers.push(await io.ask({ kind: 'retry', phase: 'full', failed: 1 }));
      return { status: 'done', exitCode: 4 };
    };
    const { r } = mount(start);
    await waitFor(r, /Enter: start the migration/);
    await settle();
    await keys(r, 'x', ENTER);
    await waitFor(r, /1 object not copied · r: retry now · s: skip/);
    assert.deepEqual(answers, ['yes']);
    await keys(r, 'r', 's');
    await waitFor(r, /finished with problems \(exit code 4\)/);
    assert.deepEqual(answers, ['yes', 'retry', 'skip']);
  });
});

describe('app: stopping, pausing, unattended', () => {
  it('q stops softly (in-flight work finishes); Ctrl-C twice stops at once', async () => {
    const seen: string[] = [];
    const start: StartFlow = async (io) => {
      init(io);
      io.emit({ type: 'phase-start', phase: 'full', at: T0 });
      await new Promise<void>((res) => io.soft.addEventListener('abort', () => res(), { once: true }));
      seen.push('soft');
      await new Promise<void>((res) => io.hard.addEventListener('abort', () => res(), { once: true }));
      seen.push('hard');
      io.emit({ type: 'phase-stopped', phase: 'full', at: T0 });
      return { status: 'stopped', exitCode: 6, message: 'stopped during full' };
    };
    const { r } = mount(start);
    await waitFor(r, /full copy/);
    await settle();
    await keys(r, 'q');
    await waitFor(r, /stopping…/);
    assert.deepEqual(seen, ['soft']);
    await keys(r, CTRL_C);
    await waitFor(r, /■ Stopped: stopped during full/);
    assert.deepEqual(seen, ['soft', 'hard']);
  });

  it("p pauses and resumes through the runner's control", async () => {
    const calls: boolean[] = [];
    let finish: () => void = () => {};
    const start: StartFlow = async (io) => {
      init(io);
      io.controls?.({ pause: async (p) => void calls.push(p) });
      io.emit({ type: 'phase-start', phase: 'full', at: T0 });
      await new Promise<void>((res) => {
        finish = res;
      });
      return { status: 'done', exitCode: 0 };
    };
    const { r } = mount(start);
    await waitFor(r, /p: pause/);
    await settle();
    await keys(r, 'p');
    await waitFor(r, /PAUSED/);
    await keys(r, 'p');
    await waitFor(r, /p: pause/);
    assert.deepEqual(calls, [true, false]);
    finish();
    await waitFor(r, /Migration complete/);
  });

  it('--yes answers every question itself, says so, and exits by itself', async () => {
    const answers: Answer[] = [];
    const start: StartFlow = async (io) => {
      init(io);
      io.emit({ type: 'phase-start', phase: 'cutover', at: T0 });
      answers.push(await io.ask({ kind: 'cutover', bucket: 'b', expect: 'b' }));
      answers.push(await io.ask({ kind: 'retry', phase: 'full', failed: 2 }));
      answers.push(await io.ask({ kind: 'retry', phase: 'full', failed: 2 }));
      answers.push(await io.ask({ kind: 'teardown', expect: 'teardown', removes: [], keeps: [] }));
      return { status: 'done', exitCode: 0, report: '/r' };
    };
    const { r, exits } = mount(start, { unattended: true, autoExitMs: 600 });
    await waitFor(r, /--yes: teardown confirmed/);
    assert.deepEqual(answers, ['yes', 'retry', 'skip', 'yes'], 'a retry once per phase, then onwards');
    assert.match(text(r), /--yes: continuing without retrying/);
    const until = Date.now() + 2000;
    while (exits.length === 0 && Date.now() < until) await new Promise((res) => setTimeout(res, 20));
    assert.equal(exits[0]?.report, '/r');
  });

  it('a flow that throws ends as a failure on screen', async () => {
    const { r } = mount(async () => {
      throw new Error('kaput');
    });
    await waitFor(r, /✗ kaput/);
    assert.match(text(r), /The job is kept/);
  });
});
