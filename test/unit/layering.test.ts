/**
 * The layering rules, read from the source: nothing under runner/ imports tui/ (the runner is
 * the product, the TUI one view of it; the fleet bundle carries no UI), and the object-store
 * SDKs are imported only by runner/adapters (product code; the tests' own clients and the
 * sandbox under test/ may use them). Imports are found by TypeScript's own pre-processor:
 * static, dynamic and type-level imports and re-exports alike.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Every SDK and driver the ports hide: the object stores', the queue's, Redis, embedded SQLite.
const SDKS = [
  'ali-oss',
  'cos-nodejs-sdk-v5',
  '@aws-sdk/client-s3',
  'bullmq',
  'ioredis',
  'node:sqlite',
  'undici',
];
const SOURCE = /\.(ts|tsx|js|mjs|cjs|cts|mts)$/;

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await files(path)));
    else if (SOURCE.test(e.name)) out.push(path);
  }
  return out;
}

/** Every module specifier a file imports, re-exports or import()s. */
async function importsOf(file: string): Promise<string[]> {
  const info = ts.preProcessFile(await readFile(join(ROOT, file), 'utf8'), true, true);
  return info.importedFiles.map((f) => f.fileName);
}

const inside = (file: string, dir: string) => file === dir || file.startsWith(`${dir}${sep}`);

it('nothing under runner/ imports tui/', async () => {
  const offending: string[] = [];
  for (const file of await files('runner'))
    for (const spec of await importsOf(file)) {
      if (!spec.startsWith('.')) continue;
      const target = relative(ROOT, resolve(ROOT, file, '..', spec));
      if (inside(target, 'tui')) offending.push(`${file} → ${spec}`);
    }
  assert.deepEqual(offending, [], 'runner/ must not depend on the UI: compose in tui/cli.ts instead');
});

it('nothing under runner/ imports React or Ink', async () => {
  const offending: string[] = [];
  for (const file of await files('runner'))
    for (const spec of await importsOf(file))
      if (/^(react|ink)(\/|$)/.test(spec) || spec.startsWith('ink-')) offending.push(`${file} → ${spec}`);
  assert.deepEqual(offending, [], 'the orchestrator emits events; the UI renders them');
});

it('the SDKs (ali-oss, cos-nodejs-sdk-v5, bullmq, ioredis, node:sqlite, undici) are imported only under runner/adapters', async () => {
  const offending: string[] = [];
  const product = [
    ...(await files('runner')),
    ...(await files('tui')),
    ...(await files('infra')),
    ...(await files('bin')),
  ];
  for (const file of product) {
    if (inside(file, join('runner', 'adapters'))) continue;
    for (const spec of await importsOf(file))
      if (SDKS.some((s) => spec === s || spec.startsWith(`${s}/`))) offending.push(`${file} → ${spec}`);
  }
  assert.deepEqual(offending, [], 'make SDK clients in runner/adapters (runner/adapters/oss/client.ts)');
});
