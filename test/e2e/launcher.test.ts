/**
 * bin/ossmigrate.js's start: the V8 flags of bin/runtimeFlags.js reach the CLI however it is
 * started — from the shebang line when run as an executable (no re-start), by an execve when run
 * as `node bin/ossmigrate.js`, on the child's command line when an old Node hands over to the
 * project's own. A stand-in "bundle" prints what its process was started with.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RUNTIME_FLAGS } from '../../bin/runtimeFlags.js';
import { cliStart } from '../bench/util.ts';
import { cleanEnv } from '../helpers/cli.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OWN_NODE = join(ROOT, 'node_modules/node/bin/node');

type Seen = { pid: number; execArgv: string[]; flagsEnv: string | null; version: string; argv: string[] };

function start(cmd: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(cmd, args, { env: { ...cleanEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise<{ code: number | null; pid: number; seen: Seen; stderr: string }>((resolve) =>
    child.on('close', (code) => {
      const line = stdout.trim().split('\n').at(-1) ?? '';
      resolve({ code, pid: child.pid!, seen: (line ? JSON.parse(line) : {}) as Seen, stderr });
    }),
  );
}

describe('bin/ossmigrate.js: runtime flags', () => {
  let root: string;
  let bin: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'ossmigrate-launcher-test-'));
    await cp(join(ROOT, 'bin'), join(root, 'bin'), { recursive: true });
    await symlink(join(ROOT, 'node_modules'), join(root, 'node_modules'));
    await mkdir(join(root, 'tui'));
    await mkdir(join(root, 'dist/cli'), { recursive: true });
    await writeFile(join(root, 'tui/cli.ts'), '');
    await writeFile(
      join(root, 'dist/cli/cli.mjs'),
      'console.log(JSON.stringify({ pid: process.pid, execArgv: process.execArgv, flagsEnv: process.env.OSSMIGRATE_FLAGS ?? null, version: process.version, argv: process.argv.slice(2) }));\n',
    );
    const st = await stat(join(root, 'tui/cli.ts'));
    const manifest = { entry: 'cli.mjs', inputs: { 'tui/cli.ts': { size: st.size, mtimeMs: st.mtimeMs } } };
    await writeFile(join(root, 'dist/cli/manifest.json'), JSON.stringify(manifest));
    bin = join(root, 'bin/ossmigrate.js');
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('its shebang line lists exactly RUNTIME_FLAGS (else an executable start re-starts)', async () => {
    const first = (await readFile(join(ROOT, 'bin/ossmigrate.js'), 'utf8')).split('\n')[0];
    assert.equal(first, `#!/usr/bin/env -S node ${RUNTIME_FLAGS.join(' ')}`);
  });

  it('run as an executable, takes the flags from its shebang line and does not re-start', async () => {
    // PATH as npx and npm scripts set it: the project's Node first.
    const r = await start(bin, ['import', 'job.yaml'], {
      PATH: `${dirname(OWN_NODE)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    });
    assert.equal(r.code, 0, r.stderr);
    for (const f of RUNTIME_FLAGS) assert.ok(r.seen.execArgv.includes(f), `${f} in ${r.seen.execArgv}`);
    assert.equal(r.seen.flagsEnv, null, 'no execve');
    assert.deepEqual(r.seen.argv, ['import', 'job.yaml']);
  });

  it("the benches' start (cliStart) is one bootstrap with the flags, as an executable and with Node flags", async () => {
    const path = process.env.PATH ?? '/usr/bin:/bin';
    const plain = cliStart(bin, ['import', 'job.yaml'], { PATH: path }, [], 'exec');
    const flagged = cliStart(bin, ['import', 'job.yaml'], { PATH: path }, ['--no-memory-reducer'], 'exec');
    const old = cliStart(bin, ['import', 'job.yaml'], { PATH: path }, [], 'node');
    for (const [c, extra] of [
      [plain, []],
      [flagged, ['--no-memory-reducer']],
    ] as const) {
      const r = await start(c.argv[0]!, c.argv.slice(1), c.env);
      assert.equal(r.code, 0, r.stderr);
      for (const f of [...RUNTIME_FLAGS, ...extra])
        assert.ok(r.seen.execArgv.includes(f), `${f} in ${r.seen.execArgv}`);
      assert.equal(r.seen.flagsEnv, null, 'no execve');
      assert.equal(r.seen.version, process.version, "the project's Node");
      assert.deepEqual(r.seen.argv, ['import', 'job.yaml']);
    }
    const r = await start(old.argv[0]!, old.argv.slice(1), old.env);
    assert.equal(r.seen.flagsEnv, '0', 'BENCH_CLI=node keeps the re-starting start');
  });

  it('run as `node bin/ossmigrate.js`, re-starts in place (same pid) with the flags', async () => {
    const r = await start(process.execPath, [bin, 'import', 'job.yaml']);
    assert.equal(r.code, 0, r.stderr);
    for (const f of RUNTIME_FLAGS) assert.ok(r.seen.execArgv.includes(f), `${f} in ${r.seen.execArgv}`);
    assert.equal(r.seen.flagsEnv, '0');
    assert.equal(r.seen.pid, r.pid, 'execve keeps the pid');
    assert.deepEqual(r.seen.argv, ['import', 'job.yaml']);
  });

  it('given the flags on the command line, does not re-start', async () => {
    const r = await start(process.execPath, [...RUNTIME_FLAGS, bin, '--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.seen.flagsEnv, null);
    assert.deepEqual(r.seen.argv, ['--version']);
  });

  it('OSSMIGRATE_FLAGS=0 skips the re-start', async () => {
    const r = await start(process.execPath, [bin], { OSSMIGRATE_FLAGS: '0' });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      r.seen.execArgv.filter((f) => RUNTIME_FLAGS.includes(f)),
      [],
    );
  });

  it('started by an old Node, hands over to the project Node with the flags, no second re-start', async () => {
    // An old Node stands in as this one reporting 20.x before bin/ runs.
    const old = join(root, 'old-node.mjs');
    await writeFile(
      old,
      "Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '20.11.0' } });\n",
    );
    const r = await start(process.execPath, ['--import', old, bin, 'stat']);
    assert.equal(r.code, 0, r.stderr);
    for (const f of RUNTIME_FLAGS) assert.ok(r.seen.execArgv.includes(f), `${f} in ${r.seen.execArgv}`);
    assert.equal(r.seen.flagsEnv, null, 'the child did not execve');
    assert.notEqual(r.seen.pid, r.pid, 'a child process of the old Node');
    assert.deepEqual(r.seen.argv, ['stat']);
  });
});
