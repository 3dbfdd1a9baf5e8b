// The runner bundle is one ESM file that a bare Node runs: no node_modules next to it.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { buildBundle, describeBundle } from '../../infra/bundle.ts';
import pkg from '../../package.json' with { type: 'json' };

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'ossmigrate-bundle-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('buildBundle', () => {
  it('builds a self-contained file that `node <bundle> --version` runs from an empty directory', async () => {
    const info = await buildBundle({ outFile: join(dir, 'out', 'ossmigrate.mjs') });
    const data = readFileSync(info.path);
    assert.equal(info.bytes, data.byteLength);
    assert.equal(info.md5, createHash('md5').update(data).digest('hex'));
    // cwd = the temp dir: nothing to resolve from the checkout's node_modules.
    const { stdout } = await run(process.execPath, [info.path, '--version'], { cwd: dir, env: {} });
    assert.equal(stdout.trim(), pkg.version);
    assert.ok(data.toString('utf8').includes('createRequire'), 'the CommonJS require shim is present');
  });

  it('is deterministic, so an unchanged runner does not replace the fleet', async () => {
    const a = await buildBundle({ outFile: join(dir, 'a', 'ossmigrate.mjs') });
    const b = await buildBundle({ outFile: join(dir, 'b', 'ossmigrate.mjs') });
    assert.equal(a.md5, b.md5);
  });

  it('describes a prebuilt bundle and explains a missing one', async () => {
    const built = await buildBundle({ outFile: join(dir, 'c', 'ossmigrate.mjs') });
    assert.deepEqual(await describeBundle(built.path), built);
    await assert.rejects(describeBundle(join(dir, 'missing.mjs')), /cannot be read .*npm run bundle/);
  });
});
