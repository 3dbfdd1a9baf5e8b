/**
 * Closing the terminal never loses the job: `ossmigrate tui` runs in tmux against the sandbox,
 * the session is killed (SIGHUP) during the full copy; the objects in flight finish, the process
 * exits, and the next start (here unattended, without a terminal) resumes the job without
 * copying anything twice. A private tmux server (-L <unique socket>) is killed at the end.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runCli } from '../helpers/cli.ts';
import { patternBytes } from '../sandbox/common/blobs.ts';
import { startSandbox } from '../sandbox/sandbox.ts';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TMUX = existsSync('/usr/bin/tmux') ? '/usr/bin/tmux' : 'tmux';

describe('ossmigrate tui when the terminal closes (tmux)', () => {
  it('closing the terminal never loses the job: the copy stops softly and the next start resumes it', async () => {
    const sock = `ossmigrate-test-${process.pid}-${randomBytes(4).toString('hex')}`;
    const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-hup-'));
    const sb = await startSandbox();
    const tmux = (...args: string[]) => exec(TMUX, ['-L', sock, ...args], { timeout: 10_000 });
    const until = async (what: string, ok: () => boolean | Promise<boolean>, ms = 20_000) => {
      const end = Date.now() + ms;
      while (!(await ok())) {
        if (Date.now() > end) {
          const screen = await tmux('capture-pane', '-p', '-t', 'hup').then(
            (x) => x.stdout,
            () => '(no pane)',
          );
          assert.fail(`timed out waiting for ${what}; the screen:\n${screen}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      for (let i = 0; i < 30; i++)
        await sb.cos.seed(sb.info.cos.bucket, {
          key: `media/${String(i).padStart(2, '0')}.bin`,
          body: patternBytes(50_000, i + 1),
          size: 50_000,
          lastModified: new Date(Date.now() - 86_400_000),
        });
      const work = join(dir, 'w');
      const env = Object.entries(sb.env())
        .map(([k, v]) => `${k}=${v}`)
        .join(' ');
      const args = [
        ...sb.importArgs(),
        '--infra',
        'sandbox',
        '--job',
        'hup',
        '--bwlimit',
        '300K',
        // Few objects in flight: a soft stop finishes those and leaves the rest.
        '--concurrency',
        '2',
        '--workdir',
        work,
      ];
      const cmd = `cd ${JSON.stringify(dir)} && env ${env} ${JSON.stringify(process.execPath)} ${JSON.stringify(join(ROOT, 'bin/ossmigrate.js'))} tui ${args.map((a) => JSON.stringify(a)).join(' ')}; sleep 60`;
      await tmux('new-session', '-d', '-s', 'hup', '-x', '160', '-y', '50', cmd);
      const pane = async () => (await tmux('capture-pane', '-p', '-t', 'hup')).stdout;
      await until('the plan', async () => /Enter: start the migration/.test(await pane()));
      await tmux('send-keys', '-t', 'hup', 'Enter');
      await until('a few objects copied', () => sb.oss.log.count({ op: 'PutObject', status: 200 }) >= 3);
      const lock = await readFile(join(work, 'jobs', 'hup', 'run.lock'), 'utf8');
      const pid = Number(lock.split(' ')[0]);
      // The terminal goes away (SIGHUP to the session).
      await tmux('kill-session', '-t', 'hup');
      await until('the process to finish its in-flight objects and exit', () => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true;
        }
      });
      const firstRun = new Set(sb.oss.log.find({ op: 'PutObject', status: 200 }).map((x) => x.key));
      assert.ok(firstRun.size < 30, 'stopped part-way');
      const saved = JSON.parse(await readFile(join(work, 'jobs', 'hup', 'tui.json'), 'utf8'));
      assert.deepEqual(saved.done, ['plan', 'provision'], 'the full copy was in progress');

      const mark = sb.oss.log.mark();
      const r = await runCli(['tui', '--infra', 'sandbox', '--yes', '--workdir', work], {
        cwd: dir,
        env: sb.env(),
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /--yes: resuming the job in progress/);
      const again = sb.oss.log
        .since(mark)
        .filter((x) => x.op === 'PutObject' && x.status === 200)
        .map((x) => x.key);
      for (const k of again) assert.equal(firstRun.has(k), false, `${k} copied twice`);
      assert.equal(firstRun.size + again.length, 30, 'every object copied exactly once');
      const report = JSON.parse(await readFile(join(r.stdout.trim(), 'report.json'), 'utf8'));
      assert.equal(report.verdict.ok, true);
      assert.equal(report.verdict.verified, 30);
    } finally {
      await tmux('kill-server').catch(() => {});
      await sb.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
