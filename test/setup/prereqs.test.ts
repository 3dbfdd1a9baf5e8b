/**
 * `npm test` on a fresh machine: scripts/test-prereqs.sh, run with a PATH that holds only fakes
 * (`id`, `apt-get`, the commands of scripts/system-packages.txt), so no real package is touched.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = join(ROOT, 'scripts/test-prereqs.sh');

/** The table as the script reads it: command → Debian package. */
const TABLE = readFileSync(join(ROOT, 'scripts/system-packages.txt'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'))
  .map((l) => {
    const [command, pkg] = l.split(/\s+/);
    return { command: command!, pkg: pkg! };
  });

function onPath(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {}
  }
  throw new Error(`${name} not on PATH`);
}
const BASH = onPath('bash');

type Run = { code: number; stdout: string; stderr: string; aptCalls: string[] };

describe('scripts/test-prereqs.sh (npm test on a fresh machine)', () => {
  let dir: string;
  let n = 0;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ossmigrate-prereqs-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /**
   * A bin dir with only the given fakes. `apt-get` logs its argv and, on install, puts a fake of
   * each package's command in the same dir (or fails when `aptFails`).
   */
  async function run(o: { have: string[]; uid?: number; apt?: 'ok' | 'fails' | 'absent' }): Promise<Run> {
    const bin = join(dir, `bin${++n}`);
    const log = join(dir, `apt${n}.log`);
    await mkdir(bin);
    const exe = async (name: string, body: string) => {
      await writeFile(join(bin, name), `#!${BASH}\n${body}\n`);
      await chmod(join(bin, name), 0o755);
    };
    for (const c of o.have) await exe(c, 'exit 0');
    await exe('id', `[ "$1" = -u ] && echo ${o.uid ?? 0}`);
    if ((o.apt ?? 'ok') !== 'absent') {
      const installs = TABLE.map(
        (t) =>
          `[ "$a" = ${t.pkg} ] && printf '#!${BASH}\\n' > ${bin}/${t.command} && /bin/chmod 755 ${bin}/${t.command}`,
      ).join('\n    ');
      await exe(
        'apt-get',
        `echo "$*" >> ${log}
${o.apt === 'fails' ? 'echo "E: Unable to locate package" >&2; exit 100' : ''}
if [[ " $* " == *" install "* ]]; then
  for a in "$@"; do
    ${installs}
    true
  done
fi`,
      );
    }
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(BASH, [SCRIPT], { env: { PATH: bin }, cwd: dir }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
    const aptCalls = await readFile(log, 'utf8').then(
      (t) => t.trim().split('\n'),
      () => [],
    );
    return { ...r, aptCalls };
  }

  const all = TABLE.map((t) => t.command);
  const pkgs = TABLE.map((t) => t.pkg);

  it('the table names the commands the suite runs for real, each with its Debian package', () => {
    for (const c of ['redis-server', 'tmux', 'rclone', 'chromium'])
      assert.ok(all.includes(c), `${c} is in the table`);
    for (const t of TABLE) assert.match(t.pkg, /^[a-z0-9][a-z0-9+.-]+$/, `${t.command} has a package`);
  });

  it('everything present: silent, exit 0, apt-get not called', async () => {
    const r = await run({ have: all });
    assert.deepEqual([r.code, r.stdout, r.stderr, r.aptCalls], [0, '', '', []]);
  });

  it('missing and not root: one line naming the sudo apt-get command, exit 1, nothing installed', async () => {
    const r = await run({ have: [], uid: 1000 });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.equal(
      lines[0],
      `test setup: ${all.join(', ')} not on PATH: run  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${pkgs.join(' ')}  then npm test again`,
    );
    assert.deepEqual(r.aptCalls, []);
  });

  it('missing and no apt-get (not Debian): one line naming the packages, exit 1', async () => {
    const r = await run({ have: [], apt: 'absent' });
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^test setup: ${all.join(', ')} not on PATH and no apt-get here: `));
    assert.match(r.stderr, /apt-get install -y --no-install-recommends/);
  });

  it('missing and root with apt-get: updates, installs only what is missing, then exit 0', async () => {
    const r = await run({ have: ['tmux'] });
    assert.equal(r.code, 0, r.stderr);
    const wanted = TABLE.filter((t) => t.command !== 'tmux').map((t) => t.pkg);
    assert.deepEqual(r.aptCalls, [
      '-o DPkg::Lock::Timeout=300 update -qq',
      `-o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends ${wanted.join(' ')}`,
    ]);
    assert.equal(r.stderr, `test setup: installing ${wanted.join(' ')} (apt-get)\n`);
  });

  it('apt-get fails: its error, then one line naming the command to run, exit 1', async () => {
    const r = await run({ have: [], apt: 'fails' });
    assert.equal(r.code, 1);
    const lines = r.stderr.trim().split('\n');
    assert.equal(
      lines.at(-1),
      `test setup: apt-get could not install ${pkgs.join(' ')} (its errors are above): fix that, or run  apt-get update && apt-get install -y --no-install-recommends ${pkgs.join(' ')}  yourself, then npm test again`,
    );
    assert.equal(r.aptCalls.length, 1, 'stopped after the failed update');
  });

  it('npm test and .ci/run both go through it before any test runs', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: { test: string };
    };
    assert.match(pkg.scripts.test, /^bash scripts\/test-prereqs\.sh && /);
    const ci = await readFile(join(ROOT, '.ci/run'), 'utf8');
    assert.match(ci, /^bash scripts\/test-prereqs\.sh$/m);
  });
});
