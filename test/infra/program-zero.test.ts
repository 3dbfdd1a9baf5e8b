// Fleet size 0 (after the copy, or to stop paying for workers): no instances, everything else stays.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { fakeBundle, type Harness, installMocks, loadProgram, promiseOf, T } from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'ossmigrate-zero-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// Without an engine (mocks), pulumi.log.warn writes to console.warn.
const warnings: string[] = [];
const consoleWarn = console.warn;
after(() => {
  console.warn = consoleWarn;
});
let h: Harness;
let program: Awaited<ReturnType<typeof loadProgram>>;
before(async () => {
  h = installMocks(
    {
      destBucket: 'media-dest',
      // Sizing inputs are present: the explicit 0 must win over them.
      dataTB: '500',
      days: '7',
      fleetSize: '0',
      mirror: 'true',
      cosBucket: 'media-1250000000',
      cosRegion: 'ap-guangzhou',
      cosSecretId: 'AKIDcosId',
      cosSecretKey: 'CosSecretKey789',
      bundlePath: fakeBundle(dir).path,
    },
    ['cosSecretId', 'cosSecretKey'],
  );
  console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(' '));
  program = await loadProgram();
  await promiseOf(program.queueUrl);
  await h.settle();
});

it('creates no instance and exports an empty fleet', async () => {
  assert.equal(h.ofType(T.instance).length, 0);
  assert.equal(program.fleetSize, 0);
  assert.deepEqual(await promiseOf(program.instanceIds), []);
  assert.match(program.sizing, /set explicitly to 0/);
  assert.equal(program.sizingBound, 'fleetSize');
});

it('warns, in the log and in the sizing output, that fleetSize overrides dataTB and days', () => {
  const expected =
    'ossmigrate:fleetSize 0 overrides the sizing: ossmigrate:dataTB, ossmigrate:days are not used; they would size 72. ' +
    'To size from the data again: pulumi config rm ossmigrate:fleetSize';
  assert.deepEqual(
    warnings.filter((w) => w.includes('fleetSize')),
    [`warning: [runtime] ${expected}`],
  );
  assert.ok(program.sizing.endsWith(expected), program.sizing);
});

it('keeps the buckets, RAM identity, mirror rule, queue and bundle', () => {
  assert.equal(h.one(T.bucket, 'dest').inputs.bucket, 'media-dest');
  assert.equal(h.one(T.bucket, 'control').inputs.bucket, 'media-dest-ossmigrate');
  for (const type of [
    T.ramUser,
    T.ramPolicy,
    T.ramAttachment,
    T.accessKey,
    T.website,
    T.redis,
    T.object,
    T.vswitch,
  ]) {
    assert.equal(h.ofType(type).length, 1, type);
  }
  assert.equal(program.mirrorEnabled, true);
});
