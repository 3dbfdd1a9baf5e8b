#!/usr/bin/env -S node --max-semi-space-size=1 --initial-old-space-size=64
// The CLI is TypeScript run through tsx, and needs Node >= 22.12 (node:sqlite, stable test
// runner). `npm install` brings Node 24 (the npm package `node`); npx and npm scripts put it
// first on PATH. When started by an older Node anyway (./bin/ossmigrate.js, a global link),
// re-run this file with the project's own Node instead of failing.
//
// Start-up is part of every job's fixed cost (issue #16), so nothing is imported before the
// decision to re-start: each import here is a module the process may throw away.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 12)) {
  const { existsSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const own = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (existsSync(own) && process.env.OSSMIGRATE_REEXEC !== '1') {
    const { spawnSync } = await import('node:child_process');
    const { RUNTIME_FLAGS } = await import('./runtimeFlags.js');
    // The flags on the child's command line: it need not re-start itself to add them.
    const r = spawnSync(own, [...RUNTIME_FLAGS, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
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
// V8 sizes its heap at start-up only. Started as an executable (npx, npm's bin link, ./bin/…),
// the shebang line above gave the flags; started as `node bin/ossmigrate.js`, replace this
// process with one that has them (execve keeps the pid, stdio and signals; no parent is left
// waiting). That costs a second Node bootstrap (~40 CPU-ms), so it happens before any other work.
const { RUNTIME_FLAGS } = await import('./runtimeFlags.js');
const missing = RUNTIME_FLAGS.filter((f) => !process.execArgv.includes(f));
if (missing.length && typeof process.execve === 'function' && process.env.OSSMIGRATE_FLAGS !== '0') {
  process.execve(
    process.execPath,
    [process.execPath, ...missing, ...process.execArgv, import.meta.filename, ...process.argv.slice(2)],
    { ...process.env, OSSMIGRATE_FLAGS: '0' },
  );
}
// Builtins through process.getBuiltinModule (Node >= 22.3, checked above), not import(): no ESM facades.
const { fileURLToPath, pathToFileURL } = process.getBuiltinModule('node:url');
// The prebuilt bundle when it matches the sources (no TypeScript to transpile: ~2 CPU-s less per
// start), else the sources through tsx.
const { freshBundle } = await import('./bundle.js');
const bundle = freshBundle(fileURLToPath(new URL('..', import.meta.url)));
if (bundle) {
  // V8's code cache on disk (os.tmpdir()/node-compile-cache, keyed by file content): compiling the
  // bundle's chunks was ~0.3 CPU-s of every start. Node's NODE_DISABLE_COMPILE_CACHE=1 turns it off.
  process.getBuiltinModule('node:module').enableCompileCache?.();
  await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../tui/cli.ts');
}
