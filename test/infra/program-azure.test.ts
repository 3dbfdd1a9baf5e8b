// An Azure Blob source with ossmigrate:mirror true: OSS cannot mirror from Azure (S3V4 only), so
// no rule is created; mirrorNote says why and how to cut over instead, and `pulumi up` warns.
// Workers read the container with AZURE_STORAGE_ACCOUNT / AZURE_STORAGE_KEY from the env file.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as pulumi from '@pulumi/pulumi';
import {
  AK_SECRET,
  captureWarnings,
  decodeUserData,
  envFileOf,
  fakeBundle,
  type Harness,
  installMocks,
  loadProgram,
  plaintextLeaks,
  promiseOf,
  T,
} from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'ossmigrate-azure-'));
const log = captureWarnings();
after(() => {
  log.restore();
  rmSync(dir, { recursive: true, force: true });
});
const AZURE_KEY = 'QXp1cmVTdG9yYWdlS2V5Rm9yVGVzdHM+/w==';

let h: Harness;
let program: Awaited<ReturnType<typeof loadProgram>>;
before(async () => {
  h = installMocks(
    {
      destBucket: 'media-dest',
      sourceType: 'azure',
      azureAccount: 'mediastore',
      azureContainer: 'media',
      azurePrefix: 'img/',
      azureKey: AZURE_KEY,
      mirror: 'true',
      fleetSize: '1',
      bundlePath: fakeBundle(dir).path,
    },
    ['azureKey'],
  );
  program = await loadProgram();
  await promiseOf(program.instanceIds);
  await h.settle();
});

describe('Azure source stack', () => {
  it('creates no mirror rule, and says why and what to do in mirrorNote and a warning', () => {
    assert.equal(h.ofType(T.website).length, 0, 'no BucketWebsite');
    assert.equal(program.mirrorEnabled, false, 'the orchestrator must not believe the mirror is on');
    assert.equal(program.sourceType, 'azure');
    assert.match(
      program.mirrorNote,
      /^No mirror rule: OSS back-to-origin signs its fetches with S3V4 only, and Azure Blob \(mediastore\/media\)/,
    );
    assert.match(
      program.mirrorNote,
      /short write freeze instead: stop writes to the source, run the last incremental pass/,
    );
    assert.deepEqual(
      log.warnings.filter((w) => w.includes('No mirror rule')),
      [`warning: [runtime] ossmigrate:mirror is true, but nothing is created. ${program.mirrorNote}`],
    );
  });

  it('gives every worker the account and key as AZURE_STORAGE_*, and no other source variable', () => {
    const env = envFileOf(decodeUserData(h.one(T.instance, 'worker-0')));
    assert.equal(env.get('AZURE_STORAGE_ACCOUNT'), 'mediastore');
    assert.equal(env.get('AZURE_STORAGE_KEY'), AZURE_KEY);
    assert.ok(![...env.keys()].some((k) => k.startsWith('TENCENTCLOUD_') || k.startsWith('AWS_')));
  });

  it('keeps the Azure key out of every plaintext input and output', async () => {
    assert.deepEqual(await plaintextLeaks(h, program, [AZURE_KEY, AK_SECRET]), []);
    assert.equal(await pulumi.isSecret(program.accessKeySecret), true);
  });
});
