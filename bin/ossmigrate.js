#!/usr/bin/env node
// The CLI is TypeScript run through tsx, and needs Node >= 22.12 (node:sqlite, stable test
// runner). `npm install` brings Node 24 (the npm package `node`); npx and npm scripts put it
// first on PATH. When started by an older Node anyway (./bin/ossmigrate.js, a global link),
// re-run this file with the project's own Node instead of failing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  const own = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (existsSync(own) && process.env.OSSMIGRATE_REEXEC !== '1') {
    const r = spawnSync(own, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, OSSMIGRATE_REEXEC: '1' },
    });
    process.exit(r.status ?? (r.signal ? 128 : 1));
  }
  process.stderr.write(
    `ossmigrate needs Node.js >= 22.12 (this is ${process.version}).\n` +
      'Fix: run `npm install` in the checkout (it installs Node 24 for the project) and use `npx ossmigrate …`, ' +
      'or install Node 24 LTS.\n',
  );
  process.exit(2);
}
// V8 sizes its heap at start-up only: without our flags, replace this process with one that has
// them (execve keeps the pid, stdio and signals; no parent is left waiting).
const { RUNTIME_FLAGS } = await import('./runtimeFlags.js');
const missing = RUNTIME_FLAGS.filter((f) => !process.execArgv.includes(f));
if (missing.length && typeof process.execve === 'function' && process.env.OSSMIGRATE_FLAGS !== '0') {
  process.execve(
    process.execPath,
    [
      process.execPath,
      ...missing,
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      ...process.argv.slice(2),
    ],
    { ...process.env, OSSMIGRATE_FLAGS: '0' },
  );
}
// The prebuilt bundle when it matches the sources (no TypeScript to transpile: ~2 CPU-s less per
// start), else the sources through tsx.
const { freshBundle } = await import('./bundle.js');
const bundle = freshBundle(fileURLToPath(new URL('..', import.meta.url)));
if (bundle) {
  // V8's code cache on disk (os.tmpdir()/node-compile-cache, keyed by file content): compiling the
  // bundle's chunks was ~0.3 CPU-s of every start. Node's NODE_DISABLE_COMPILE_CACHE=1 turns it off.
  (await import('node:module')).enableCompileCache?.();
  await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../tui/cli.ts');
}
