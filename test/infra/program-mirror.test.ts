// Phase 5 stack: mirror on with differing prefixes, operator access (SSH + public queue), an
// explicit fleet of 3 at 80 Mbit/s, a configured Redis password.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as pulumi from '@pulumi/pulumi';
import { VSWITCH_CIDR } from '../../infra/network.ts';
import {
  decodeUserData,
  envFileOf,
  fakeBundle,
  type Harness,
  installMocks,
  isSecretInput,
  loadProgram,
  promiseOf,
  REDIS_HOST,
  REDIS_PUBLIC_HOST,
  reveal,
  T,
} from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'ossmigrate-mirror-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const OPERATOR = '203.0.113.7/32';
const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests operator@laptop';
const REDIS_PASSWORD = 'Cfg-Pass-123';

let h: Harness;
let program: Awaited<ReturnType<typeof loadProgram>>;
before(async () => {
  h = installMocks(
    {
      destBucket: 'media-dest',
      destPrefix: 'new/',
      cosBucket: 'media-1250000000',
      cosRegion: 'ap-guangzhou',
      cosPrefix: 'old/',
      cosSecretId: 'AKIDcosId',
      cosSecretKey: 'CosSecretKey789',
      mirror: 'true',
      fleetSize: '3',
      mbpsPerInstance: '80',
      workerConcurrency: '8',
      operatorCidr: OPERATOR,
      sshPublicKey: SSH_KEY,
      queuePublic: 'true',
      redisPassword: REDIS_PASSWORD,
      bundlePath: fakeBundle(dir).path,
    },
    ['cosSecretId', 'cosSecretKey', 'redisPassword'],
  );
  program = await loadProgram();
  await promiseOf(program.instanceIds);
  await h.settle();
});

describe('mirror + operator stack', () => {
  it('creates the mirror rule with the exact shape, COS credentials as secrets', () => {
    const site = h.one(T.website, 'mirror');
    // The COS credentials make the rule secret (Pulumi marks the enclosing value).
    assert.ok(
      isSecretInput(site.inputs.routingRules),
      'the rule carrying the COS secret key is sent as a secret',
    );
    assert.deepEqual(reveal(site.inputs), {
      bucket: 'media-dest',
      routingRules: {
        routingRules: [
          {
            ruleNumber: 1,
            condition: { httpErrorCodeReturnedEquals: '404', keyPrefixEquals: 'new/' },
            redirect: {
              redirectType: 'Mirror',
              mirrorUrl: 'https://media-1250000000.cos.ap-guangzhou.myqcloud.com/',
              mirrorPassQueryString: true,
              mirrorFollowRedirect: true,
              mirrorAllowHeadObject: true,
              enableReplacePrefix: true,
              replaceKeyPrefixWith: 'old/',
              mirrorAuth: {
                authType: 's3v4',
                region: 'ap-guangzhou',
                accessKeyId: 'AKIDcosId',
                accessKeySecret: 'CosSecretKey789',
              },
            },
          },
        ],
      },
    });
    assert.deepEqual(h.options.get(`${T.website}::mirror`)?.ignoreChanges, [
      'routingRules.routingRules[0].redirect.mirrorAuth.accessKeySecret',
    ]);
    assert.equal(program.mirrorEnabled, true);
  });

  it('allows SSH from the operator CIDR only, and nothing from 0.0.0.0/0', () => {
    const rules = h.ofType(T.securityGroupRule);
    assert.equal(rules.length, 1);
    const [ssh] = rules;
    assert.equal(ssh?.inputs.type, 'ingress');
    assert.equal(ssh?.inputs.ipProtocol, 'tcp');
    assert.equal(ssh?.inputs.portRange, '22/22');
    assert.equal(ssh?.inputs.cidrIp, OPERATOR);
    assert.equal(ssh?.inputs.securityGroupId, 'workers-id');
    for (const r of rules) assert.notEqual(r.inputs.cidrIp, '0.0.0.0/0');
    assert.equal(h.one(T.keyPair).inputs.publicKey, SSH_KEY);
  });

  it('runs exactly the configured fleet at the configured bandwidth, with the operator key', () => {
    const workers = h.ofType(T.instance);
    assert.deepEqual(workers.map((w) => w.name).sort(), ['worker-0', 'worker-1', 'worker-2']);
    for (const w of workers) {
      assert.equal(w.inputs.internetMaxBandwidthOut, 80);
      assert.equal(w.inputs.keyName, h.one(T.keyPair).inputs.keyPairName);
      assert.match(decodeUserData(w), /--concurrency 8\n/);
    }
    assert.equal(program.fleetSize, 3);
    assert.match(program.sizing, /set explicitly to 3/);
  });

  it('opens the queue to the operator: public endpoint, whitelist, public URL for the TUI, VPC URL for workers', async () => {
    const redis = h.one(T.redis);
    assert.deepEqual(redis.inputs.securityIps, [VSWITCH_CIDR, OPERATOR]);
    assert.equal(reveal(redis.inputs.password), REDIS_PASSWORD);
    const conn = h.one(T.redisConnection);
    assert.equal(conn.inputs.instanceId, 'queue-id');
    assert.equal(conn.inputs.port, '6379');
    assert.match(conn.inputs.connectionStringPrefix, /^[a-z][a-z0-9]{7,63}$/);
    assert.equal(await promiseOf(program.queueUrl), `redis://:${REDIS_PASSWORD}@${REDIS_PUBLIC_HOST}:6379/0`);
    assert.equal(
      await promiseOf(program.queueInternalUrl),
      `redis://:${REDIS_PASSWORD}@${REDIS_HOST}:6379/0`,
    );
    assert.equal(await pulumi.isSecret(program.queueUrl), true);
    const env = envFileOf(decodeUserData(h.one(T.instance, 'worker-0')));
    assert.equal(env.get('OSSMIGRATE_REDIS_URL'), `redis://:${REDIS_PASSWORD}@${REDIS_HOST}:6379/0`);
  });
});
