// An S3 source (AWS, public endpoint) in phase 5: the mirror rule fetches from the S3 bucket,
// signed S3V4 with the S3 key; workers get the AWS_* variables; no source secret is plaintext.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { deriveRedisPassword } from '../../infra/redisPassword.ts';
import {
  AK_SECRET,
  captureWarnings,
  decodeUserData,
  envFileOf,
  fakeBundle,
  type Harness,
  installMocks,
  isSecretInput,
  loadProgram,
  plaintextLeaks,
  promiseOf,
  reveal,
  T,
} from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'ossmigrate-s3-'));
const log = captureWarnings();
after(() => {
  log.restore();
  rmSync(dir, { recursive: true, force: true });
});
const S3_ID = 'AKIAS3SOURCEKEYID';
const S3_SECRET = 'S3/Source+Secret=Key42';

let h: Harness;
let program: Awaited<ReturnType<typeof loadProgram>>;
before(async () => {
  h = installMocks(
    {
      destBucket: 'media-dest',
      destPrefix: 'new/',
      sourceType: 's3',
      s3Provider: 'aws',
      s3Bucket: 'media-src',
      s3Region: 'us-west-2',
      s3Prefix: 'old/',
      s3AccessKeyId: S3_ID,
      s3SecretAccessKey: S3_SECRET,
      mirror: 'true',
      fleetSize: '2',
      bundlePath: fakeBundle(dir).path,
    },
    ['s3AccessKeyId', 's3SecretAccessKey'],
  );
  program = await loadProgram();
  await promiseOf(program.instanceIds);
  await h.settle();
});

describe('S3 source stack', () => {
  it('creates the mirror rule against the S3 bucket, signed S3V4 with the S3 key, as a secret', () => {
    const site = h.one(T.website, 'mirror');
    assert.ok(isSecretInput(site.inputs.routingRules), 'the rule carrying the S3 secret is sent as a secret');
    const [rule] = (reveal(site.inputs) as { routingRules: { routingRules: Array<Record<string, unknown>> } })
      .routingRules.routingRules;
    assert.deepEqual(rule, {
      ruleNumber: 1,
      condition: { httpErrorCodeReturnedEquals: '404', keyPrefixEquals: 'new/' },
      redirect: {
        redirectType: 'Mirror',
        mirrorUrl: 'https://media-src.s3.us-west-2.amazonaws.com/',
        mirrorPassQueryString: true,
        mirrorFollowRedirect: true,
        mirrorAllowHeadObject: true,
        enableReplacePrefix: true,
        replaceKeyPrefixWith: 'old/',
        mirrorAuth: { authType: 's3v4', region: 'us-west-2', accessKeyId: S3_ID, accessKeySecret: S3_SECRET },
      },
    });
    assert.equal(program.mirrorEnabled, true);
    assert.equal(program.mirrorNote, '');
    assert.equal(program.sourceType, 's3');
    assert.deepEqual(
      log.warnings.filter((w) => /mirror rule|mirrorNote/i.test(w)),
      [],
      'a mirrorable source gets no mirror warning',
    );
  });

  it('gives every worker the S3 key in the 0600 env file as AWS_*, and no COS variable', () => {
    const workers = h.ofType(T.instance);
    assert.equal(workers.length, 2);
    for (const w of workers) {
      const script = decodeUserData(w);
      const env = envFileOf(script);
      assert.equal(env.get('AWS_ACCESS_KEY_ID'), S3_ID);
      assert.equal(env.get('AWS_SECRET_ACCESS_KEY'), S3_SECRET);
      assert.ok(![...env.keys()].some((k) => k.startsWith('TENCENTCLOUD_') || k.startsWith('AZURE_')));
      const execStart = /^ExecStart=(.*)$/m.exec(script)?.[1] ?? '';
      assert.ok(!execStart.includes(S3_SECRET) && !execStart.includes(S3_ID), 'no source key in argv');
      // The worker takes its job (and so the source) from the queue: no --src on its command line.
      assert.doesNotMatch(execStart, /--src/);
    }
  });

  it('keeps the S3 secret, the RAM secret and the queue password out of every plaintext input and output', async () => {
    const redisPassword = deriveRedisPassword(AK_SECRET, 'dev');
    assert.deepEqual(await plaintextLeaks(h, program, [S3_SECRET, AK_SECRET, redisPassword]), []);
    // The scan does look: a plain value is found in inputs and outputs; the user data holds the
    // secrets, and it is a secret input.
    const plain = await plaintextLeaks(h, program, ['media-dest-ossmigrate']);
    assert.ok(plain.includes('output controlBucket: media-dest-ossmigrate'), plain.join('\n'));
    const ud = h.one(T.instance, 'worker-0').inputs.userData;
    assert.ok(isSecretInput(ud));
    assert.ok(decodeUserData(h.one(T.instance, 'worker-0')).includes(S3_SECRET));
  });

  it('grants the RAM user the two migration buckets only (the source is read with its own key)', () => {
    const doc = JSON.parse(h.one(T.ramPolicy).inputs.policyDocument);
    assert.deepEqual(doc.Statement[0].Resource, [
      'acs:oss:*:*:media-dest',
      'acs:oss:*:*:media-dest/*',
      'acs:oss:*:*:media-dest-ossmigrate',
      'acs:oss:*:*:media-dest-ossmigrate/*',
    ]);
  });
});
