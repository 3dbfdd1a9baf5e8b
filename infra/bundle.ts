// The runner bundle: the whole `ossmigrate` CLI in one ESM file a bare Node 24 can run, so a
// worker needs neither npm nor the registry. `npm run bundle` builds dist/ossmigrate.mjs; the
// Pulumi program builds it too (unless ossmigrate:bundlePath points at a prebuilt file) and
// uploads it to the control bucket.

import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DEFAULT_ENTRY = resolve(ROOT, 'runner/cli/main.ts');
export const DEFAULT_OUT = resolve(ROOT, 'dist/ossmigrate.mjs');

export interface BundleInfo {
  path: string;
  /** Lowercase hex MD5 of the file: names the object and is sent as Content-MD5. */
  md5: string;
  bytes: number;
}

// CommonJS dependencies call require(), __filename and __dirname, which ESM lacks. The names are
// aliased so they cannot collide with anything esbuild emits.
const BANNER = [
  "import { createRequire as __ossmigrateCreateRequire } from 'node:module';",
  "import { fileURLToPath as __ossmigrateFileURLToPath } from 'node:url';",
  "import { dirname as __ossmigrateDirname } from 'node:path';",
  'const require = __ossmigrateCreateRequire(import.meta.url);',
  'const __filename = __ossmigrateFileURLToPath(import.meta.url);',
  'const __dirname = __ossmigrateDirname(__filename);',
].join('\n');

/** Size and digest of an existing bundle (ossmigrate:bundlePath). */
export async function describeBundle(path: string): Promise<BundleInfo> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (err) {
    throw new Error(
      `runner bundle ${path} cannot be read (${(err as Error).message}); build it with \`npm run bundle\``,
    );
  }
  return { path, md5: createHash('md5').update(data).digest('hex'), bytes: data.byteLength };
}

export async function buildBundle(o: { outFile?: string; entry?: string } = {}): Promise<BundleInfo> {
  const outfile = resolve(o.outFile ?? DEFAULT_OUT);
  await mkdir(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [o.entry ?? DEFAULT_ENTRY],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    // Optional at run time, so left out: msgpackr-extract is a native addon (msgpackr falls back to
    // JS); proxy-agent is an optional peer urllib (ali-oss) only requires when a proxy is configured.
    external: ['msgpackr-extract', 'proxy-agent'],
    banner: { js: BANNER },
    minify: false,
    // Fleet stack traces map to source file:line (the unit runs node --enable-source-maps); the
    // sources themselves stay out, which keeps the file small.
    sourcemap: 'inline',
    sourcesContent: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  // esbuild output is deterministic: the same sources give the same MD5, so `pulumi up` does not
  // replace the workers unless the runner actually changed.
  return describeBundle(outfile);
}

async function main(): Promise<void> {
  const outFile = process.argv[2];
  const info = await buildBundle(outFile ? { outFile } : {});
  const { size } = await stat(info.path);
  const rel = relative(process.cwd(), info.path);
  const shown = rel && !rel.startsWith('..') ? rel : info.path;
  process.stdout.write(`${shown}  ${(size / 1e6).toFixed(2)} MB  md5 ${info.md5}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`bundle failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
