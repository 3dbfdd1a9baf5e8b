/**
 * The prebuilt CLI (scripts/build.ts → dist/cli/, run by bin/ossmigrate.js while it matches the
 * sources): a broken build must fail here, not on a user's first start. Built into a directory
 * of its own (under node_modules/.cache, so its package imports resolve as dist/cli's do), never
 * into dist/cli, which other tests may be running at the same time.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { freshBundle } from '../../bin/bundle.js';
import { buildCli, deferredShim } from '../../scripts/build.ts';
import { cleanEnv } from '../helpers/cli.ts';
import { patternBytes } from '../sandbox/common/blobs.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CACHE = join(ROOT, 'node_modules/.cache');

function node(args: string[], o: { cwd: string; env?: Record<string, string> }) {
  const child = spawn(process.execPath, args, {
    cwd: o.cwd,
    env: { ...cleanEnv(), ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
}

describe('the prebuilt CLI bundle', () => {
  let out: string;
  let bundle: string;
  let sb: Sandbox;
  before(async () => {
    await mkdir(CACHE, { recursive: true });
    out = await mkdtemp(join(CACHE, 'ossmigrate-bundle-test-'));
    ({ bundle } = await buildCli({ outDir: out }));
    sb = await startSandbox();
  });
  after(async () => {
    await sb?.close();
    await rm(out, { recursive: true, force: true });
  });

  it('prints the package version', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await node([bundle, '--version'], { cwd: out });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), pkg.version);
  });

  it('imports from the sandbox COS to its OSS, verification and report included', async () => {
    for (let i = 0; i < 3; i++)
      await sb.cos.seed(sb.info.cos.bucket, {
        key: `b/${i}`,
        body: patternBytes(1000 + i, i + 1),
        size: 1000 + i,
        lastModified: new Date(Date.now() - 3600_000),
      });
    const job = join(out, 'job.yaml');
    await writeFile(job, stringify({ name: 'b', ...sb.jobSpec({ srcPrefix: 'b/', dstPrefix: 'copied/' }) }));
    // Which of Node's own modules the run loaded, written when it exits.
    const hook = join(out, 'loaded-hook.mjs');
    const loaded = join(out, 'loaded.json');
    await writeFile(
      hook,
      `process.on('exit', () => process.getBuiltinModule('node:fs').writeFileSync(${JSON.stringify(loaded)}, JSON.stringify(process.moduleLoadList)));\n`,
    );
    const r = await node(['--import', hook, bundle, 'import', job, '--workdir', join(out, 'w'), '--json'], {
      cwd: out,
      env: sb.env(),
    });
    assert.equal(r.code, 0, r.stderr);
    const keys = [...sb.oss.buckets.get(sb.info.oss.bucket)!.objects.keys()].sort();
    assert.deepEqual(keys, ['copied/0', 'copied/1', 'copied/2']);
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    assert.equal(summary.type, 'summary');
    // Start-up cost (issue #16): undici's HTTP/2 half (with node:http2 and node:tls) waits for an
    // h2 socket.
    const modules = JSON.parse(await readFile(loaded, 'utf8')) as string[];
    for (const m of ['NativeModule http2', 'NativeModule tls'])
      assert.ok(!modules.includes(m), `${m} was loaded by an import over plain HTTP`);
  });
});

describe("the bundle's deferred builtins", () => {
  // In a fresh process (the test runner has them loaded already): evaluating the shim loads
  // nothing, the first name touched loads the builtin, and every name then is the builtin's own.
  for (const id of ['node:child_process', 'node:zlib', 'node:readline/promises']) {
    it(`${id}: loaded on first use, and the same exports`, async () => {
      const name = `NativeModule ${id.slice(5)}`;
      const script = [
        'const module = { exports: {} };',
        `new Function('module', ${JSON.stringify(deferredShim(id))})(module);`,
        'const lazy = module.exports;',
        `const before = process.moduleLoadList.includes(${JSON.stringify(name)});`,
        `const real = process.getBuiltinModule(${JSON.stringify(id)});`,
        'const keys = Object.keys(lazy);',
        'const same = keys.length > 0 && Object.getOwnPropertyNames(real).every((k) => lazy[k] === real[k]);',
        'console.log(JSON.stringify({ before, same, n: keys.length }));',
      ].join('\n');
      const r = await node(['-e', script], { cwd: tmpdir() });
      assert.equal(r.code, 0, r.stderr);
      const got = JSON.parse(r.stdout) as { before: boolean; same: boolean; n: number };
      assert.equal(got.before, false, `${id} was loaded before any export was read`);
      assert.ok(got.same, `${id}: an export differs from the builtin's (${got.n} names)`);
    });
  }
});

describe('bin/ossmigrate.js: bundle or sources', () => {
  let root: string;
  before(async () => {
    // A checkout of its own: bin/ as it is, a one-file "source" and a one-file "bundle" that say
    // which of them ran, and the real node_modules (tsx) by a link.
    root = await mkdtemp(join(tmpdir(), 'ossmigrate-bin-test-'));
    await cp(join(ROOT, 'bin'), join(root, 'bin'), { recursive: true });
    await symlink(join(ROOT, 'node_modules'), join(root, 'node_modules'));
    await mkdir(join(root, 'tui'));
    await mkdir(join(root, 'dist/cli'), { recursive: true });
    await writeFile(join(root, 'tui/cli.ts'), "const from: string = 'sources';\nconsole.log(from);\n");
    await writeFile(join(root, 'dist/cli/cli.mjs'), "console.log('bundle');\n");
    await writeManifest();
  });
  after(() => rm(root, { recursive: true, force: true }));

  async function writeManifest(): Promise<void> {
    const st = await stat(join(root, 'tui/cli.ts'));
    const manifest = { entry: 'cli.mjs', inputs: { 'tui/cli.ts': { size: st.size, mtimeMs: st.mtimeMs } } };
    await writeFile(join(root, 'dist/cli/manifest.json'), JSON.stringify(manifest));
  }
  const run = () => node([join(root, 'bin/ossmigrate.js')], { cwd: root });

  it('runs the bundle while every source it was built from is unchanged', async () => {
    assert.equal(freshBundle(root), join(root, 'dist/cli/cli.mjs'));
    const r = await run();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'bundle\n');
    assert.equal(r.stderr, '');
  });

  it('runs the sources, without a word, once one of them changed', async () => {
    const later = new Date(Date.now() + 5000);
    await utimes(join(root, 'tui/cli.ts'), later, later);
    assert.equal(freshBundle(root), null);
    const r = await run();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'sources\n');
    assert.equal(r.stderr, '');
    await writeManifest();
  });

  it('runs the sources when there is no bundle (npm install --ignore-scripts)', async () => {
    await rm(join(root, 'dist'), { recursive: true });
    assert.equal(freshBundle(root), null);
    const r = await run();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'sources\n');
  });
});
