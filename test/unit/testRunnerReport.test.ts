/**
 * npm test's own flags: with --test-force-exit the runner loses the last report frames of test
 * files that exit with output still queued (nodejs/node#64833), and counts fewer tests than ran,
 * exit 0. test/helpers/reportFlush.ts (preloaded by the script) makes every frame arrive.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const ROOT = new URL('../../', import.meta.url);
const run = promisify(execFile);
/** This file runs as a test runner's child: its nested runner must not think it is one too. */
const withoutTestContext = () => {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  return env;
};

describe('npm test reports every test it ran', () => {
  it('force-exit runs preload the report flush, and 6 files × 300 long-named tests all count', async () => {
    const pkg = JSON.parse(await readFile(new URL('package.json', ROOT), 'utf8')) as {
      scripts: { test: string };
    };
    const script = pkg.scripts.test;
    if (script.includes('--test-force-exit'))
      assert.match(
        script,
        /--import \.\/test\/helpers\/reportFlush\.ts --test /,
        'the preload comes with force-exit',
      );
    const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-runner-'));
    try {
      // Long names: each test's frames are large, so the pipe still holds some when the file ends.
      const body = Array.from({ length: 300 }, (_, i) => `test('t${i} ${'x'.repeat(3000)}', () => {});`).join(
        '\n',
      );
      for (let f = 0; f < 6; f++)
        await writeFile(join(dir, `r${f}.test.ts`), `import { test } from 'node:test';\n${body}\n`);
      const { stdout } = await run(
        process.execPath,
        [
          '--import',
          'tsx',
          '--import',
          new URL('test/helpers/reportFlush.ts', ROOT).pathname,
          '--test',
          '--test-concurrency=4',
          '--test-force-exit',
          '--test-reporter=tap',
          ...Array.from({ length: 6 }, (_, f) => join(dir, `r${f}.test.ts`)),
        ],
        {
          cwd: new URL('.', ROOT).pathname,
          maxBuffer: 64 * 1024 * 1024,
          env: withoutTestContext(),
        },
      );
      const count = (what: string) => stdout.match(new RegExp(`^# ${what} (\\d+)$`, 'm'))?.[1];
      assert.deepEqual({ tests: count('tests'), pass: count('pass') }, { tests: '1800', pass: '1800' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
