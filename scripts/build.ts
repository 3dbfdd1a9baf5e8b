/**
 * `npm run build` (and npm install's `prepare`): the CLI as plain JavaScript in dist/cli/, so a
 * start does not transpile TypeScript (tsx cost ~2 CPU-s of every job's fixed cost, issue #16).
 * Packages are bundled too (resolving and loading ~1,500 files of node_modules cost as much as
 * the TypeScript: 1.9 → 1.0 CPU-s for an empty import), and code splitting keeps every `import()`
 * lazy — the SDKs (ali-oss, cos, bullmq, Ink, ECharts) still load only when a command uses them.
 * dist/cli/manifest.json lists every source file the bundle was built from with its size and
 * mtime; bin/ossmigrate.js runs the bundle only while they all match, else the sources via tsx.
 *
 * Built at install rather than committed: generated code in git would conflict on every merge and
 * be one forgotten rebuild away from running old code; the build needs nothing but esbuild, which
 * npm install has just installed.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const ENTRY = resolve(ROOT, 'tui/cli.ts');
export const OUT_DIR = resolve(ROOT, 'dist/cli');
/** The file bin/ossmigrate.js runs (esbuild names it after the entry). */
export const BUNDLE_NAME = 'cli.mjs';
export const MANIFEST_NAME = 'manifest.json';

export type Manifest = { entry: string; inputs: Record<string, { size: number; mtimeMs: number }> };

/**
 * `import.meta.url` must keep meaning the source file's URL (migrate.ts finds the repo root from
 * it): each use is rewritten to that file's URL relative to the chunk's directory, so the bundle
 * stays valid when the checkout moves.
 */
function sourceUrls(outDir: string): Plugin {
  return {
    name: 'source-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /\.tsx?$/ }, async (args) => {
        if (args.path.includes('/node_modules/')) return undefined;
        const text = await readFile(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        const rel = relative(outDir, args.path).split('\\').join('/');
        return {
          contents: text.replaceAll(
            'import.meta.url',
            `new URL(${JSON.stringify(rel)}, import.meta.url).href`,
          ),
          loader: args.path.endsWith('x') ? 'tsx' : 'ts',
        };
      });
    },
  };
}

/**
 * `import … from 'node:fs'` (and node:util, node:module …) in an ES module makes Node build the
 * builtin's ESM facade, which reads every export — getters included (fs.promises, util.TextDecoder
 * → util's diff and colour tables): node:fs costs ~5 CPU-ms that way against ~0.5, node:util ~4
 * against 0. Each such import in the bundle becomes a CommonJS shim around
 * process.getBuiltinModule(), whose exports esbuild reads as properties at the point of use, so
 * only what is used is ever touched. require() of builtins (the packages' own) is left as it is.
 */
function lazyBuiltins(): Plugin {
  return {
    name: 'lazy-builtins',
    setup(b) {
      b.onResolve({ filter: /^node:/ }, (args) =>
        args.kind === 'import-statement' || args.kind === 'dynamic-import'
          ? { path: args.path, namespace: 'lazy-builtin' }
          : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
        contents: DEFERRED.has(args.path)
          ? deferredShim(args.path)
          : `module.exports = process.getBuiltinModule(${JSON.stringify(args.path)});`,
        loader: 'js',
      }));
    },
  };
}

/**
 * Builtins that most starts never call but that modules on every start import (commander →
 * child_process, the journals → zlib, plan/prompt code → readline): loading them is Node's own
 * JavaScript compiled at run time (child_process brings net and dgram), ~5 CPU-ms of an empty
 * import (same-run A/B, within this machine's noise). Their shim is an object of accessors over
 * the names the module has (read here, at build time, from the Node that runs the build: the
 * project's own), loading the builtin on the first one touched. Only modules whose exports are
 * plain functions, classes and values (no `this` on the module, not callable themselves) are
 * deferred this way.
 */
const DEFERRED = new Set([
  'node:child_process',
  'node:zlib',
  'node:readline',
  'node:readline/promises',
  'node:https',
  'node:dns',
  'node:worker_threads',
]);
export function deferredShim(id: string): string {
  const names = Object.getOwnPropertyNames(process.getBuiltinModule(id));
  return [
    `let m; const load = () => (m ??= process.getBuiltinModule(${JSON.stringify(id)}));`,
    'const lazy = {};',
    `for (const k of ${JSON.stringify(names)})`,
    '  Object.defineProperty(lazy, k, { get: () => load()[k], set: (v) => { load()[k] = v; }, enumerable: true });',
    'module.exports = lazy;',
  ].join('\n');
}

/**
 * undici's Client requires its HTTP/2 half (client-h2.js → node:http2 → node:tls) at load, though
 * it runs only on a socket that negotiated h2 (ALPN; our pools never offer it): ~20 CPU-ms of
 * every start over plain HTTP, ~10 over HTTPS (tls is needed then anyway). In the bundle it is
 * required on the first h2 socket instead. package.json pins undici to 8.12.x; should the line
 * move, the build fails here rather than silently loading it again.
 */
const UNDICI_CLIENT = /[\\/]node_modules[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client\.js$/;
const EAGER_H2 = "const connectH2 = require('./client-h2.js')";
function lazyUndiciH2(): Plugin {
  return {
    name: 'lazy-undici-h2',
    setup(b) {
      b.onLoad({ filter: UNDICI_CLIENT }, async (args) => {
        const text = await readFile(args.path, 'utf8');
        if (!text.includes(EAGER_H2))
          throw new Error(`${args.path}: "${EAGER_H2}" not found (undici changed): update lazyUndiciH2`);
        return {
          contents: text.replace(
            EAGER_H2,
            "let h2; const connectH2 = (client, socket) => (h2 ??= require('./client-h2.js'))(client, socket)",
          ),
          loader: 'js',
        };
      });
    },
  };
}

export async function buildCli(o: { outDir?: string } = {}): Promise<{ bundle: string; inputs: number }> {
  const outDir = resolve(o.outDir ?? OUT_DIR);
  // Old chunks have hashed names: clear them so the directory holds one build.
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const result = await build({
    entryPoints: [ENTRY],
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    // Optional at run time, as in infra/bundle.ts: msgpackr-extract is a native addon (msgpackr
    // falls back to JS), proxy-agent an optional peer of urllib, react-devtools-core Ink's
    // DEV-only devtools.
    external: ['msgpackr-extract', 'proxy-agent', 'react-devtools-core'],
    platform: 'node',
    format: 'esm',
    target: 'node22',
    jsx: 'automatic',
    metafile: true,
    // Linked, not inline: Node reads it only under --enable-source-maps, so starts stay cheap.
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    // Our .cjs modules (undici pool, ali-oss wrappers) require() packages, which ESM lacks.
    banner: {
      // process.getBuiltinModule, not import: no ESM facades (see lazyBuiltins).
      js: [
        "const require = process.getBuiltinModule('node:module').createRequire(import.meta.url);",
        "const __filename = process.getBuiltinModule('node:url').fileURLToPath(import.meta.url);",
        "const __dirname = process.getBuiltinModule('node:path').dirname(__filename);",
      ].join('\n'),
    },
    logLevel: 'warning',
    plugins: [sourceUrls(outDir), lazyBuiltins(), lazyUndiciH2()],
  });
  const inputs: Manifest['inputs'] = {};
  // The packages are in the bundle too: a changed lock file (another version installed) makes it stale.
  for (const path of ['package-lock.json', ...Object.keys(result.metafile.inputs)]) {
    if (path.includes('node_modules/') || !existsSync(resolve(ROOT, path))) continue;
    const abs = resolve(ROOT, path);
    const st = statSync(abs);
    inputs[relative(ROOT, abs).split('\\').join('/')] = { size: st.size, mtimeMs: st.mtimeMs };
  }
  const manifest: Manifest = { entry: BUNDLE_NAME, inputs };
  // Written last: a build that failed half-way leaves no manifest, so the bundle is not used.
  await writeFile(join(outDir, MANIFEST_NAME), `${JSON.stringify(manifest, null, 1)}\n`);
  return { bundle: join(outDir, BUNDLE_NAME), inputs: Object.keys(inputs).length };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const outDir = process.argv[2];
  const r = await buildCli(outDir ? { outDir } : {});
  process.stdout.write(`${relative(process.cwd(), r.bundle) || r.bundle}: built from ${r.inputs} sources\n`);
}
