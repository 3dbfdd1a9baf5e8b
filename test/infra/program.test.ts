// The default stack: 500 TB in 7 days at the default 100 Mbit/s, mirror off, no operator access.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as pulumi from '@pulumi/pulumi';
import { VSWITCH_CIDR } from '../../infra/network.ts';
import { WORKER_OSS_ACTIONS } from '../../infra/ramPolicy.ts';
import { deriveRedisPassword } from '../../infra/redisPassword.ts';
import {
  AK_ID,
  AK_SECRET,
  decodeUserData,
  envFileOf,
  fakeBundle,
  type Harness,
  IMAGE_ID,
  installMocks,
  isSecretInput,
  loadProgram,
  promiseOf,
  REDIS_HOST,
  REGION,
  reveal,
  T,
} from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'ossmigrate-program-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const bundle = fakeBundle(dir);

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
      dataTB: '500',
      days: '7',
      cosBucket: 'media-1250000000',
      cosRegion: 'ap-guangzhou',
      cosSecretId: 'AKIDcosId',
      cosSecretKey: 'CosSecretKey789',
      bundlePath: bundle.path,
    },
    ['cosSecretId', 'cosSecretKey'],
  );
  console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(' '));
  program = await loadProgram();
  await promiseOf(program.instanceIds);
  await h.settle();
});

describe('default stack (500 TB / 7 days / 100 Mbit/s)', () => {
  it('creates 72 workers with stable names and exports their ids', async () => {
    const workers = h.ofType(T.instance);
    assert.equal(workers.length, 72);
    assert.deepEqual(
      workers.map((w) => w.name).sort(),
      Array.from({ length: 72 }, (_, i) => `worker-${i}`).sort(),
    );
    assert.equal(program.fleetSize, 72);
    const ids = await promiseOf(program.instanceIds);
    assert.deepEqual([...ids].sort(), workers.map((w) => `i-${w.name}`).sort());
  });

  it('makes every worker pay-as-you-go, IMDSv2-only, capped at 100 Mbit/s, in the stack vSwitch', () => {
    for (const w of h.ofType(T.instance)) {
      assert.equal(w.inputs.instanceChargeType, 'PostPaid', w.name);
      assert.equal(w.inputs.internetChargeType, 'PayByTraffic', w.name);
      assert.equal(w.inputs.internetMaxBandwidthOut, 100, w.name);
      assert.equal(w.inputs.httpTokens, 'required', w.name);
      assert.equal(w.inputs.vswitchId, 'vswitch-id', w.name);
      assert.deepEqual(w.inputs.securityGroups, ['workers-id'], w.name);
      assert.equal(w.inputs.imageId, IMAGE_ID);
      assert.equal(w.inputs.systemDiskCategory, 'cloud_essd');
      assert.equal(w.inputs.stoppedMode, 'StopCharging');
      assert.equal(w.inputs.keyName, undefined, 'no key pair unless sshPublicKey is set');
      const opts = h.options.get(`${T.instance}::${w.name}`);
      assert.deepEqual(opts?.replaceOnChanges, ['userData']);
      assert.deepEqual(opts?.ignoreChanges, ['imageId']);
    }
  });

  it('keeps everything in the bucket region: default provider only, a zone of it with both ECS and Redis', () => {
    // An explicit provider is the only way a resource could land in another region than alicloud:region.
    for (const r of h.resources)
      assert.equal(r.provider, '', `${r.type} ${r.name} uses provider ${r.provider}`);
    for (const c of h.calls) assert.equal(c.provider, '', `${c.token} uses provider ${c.provider}`);
    const vswitch = h.one(T.vswitch);
    assert.equal(vswitch.inputs.zoneId, 'cn-hangzhou-i');
    assert.ok(vswitch.inputs.zoneId.startsWith(`${REGION}-`));
    assert.equal(h.one(T.redis).inputs.zoneId, vswitch.inputs.zoneId);
    const zonesCall = h.calls.find((c) => c.token === 'alicloud:index/getZones:getZones');
    assert.deepEqual(zonesCall?.inputs, {
      availableResourceCreation: 'VSwitch',
      availableInstanceType: 'ecs.g7.large',
      instanceChargeType: 'PostPaid',
    });
    assert.equal(program.region, REGION);
    assert.equal(program.ossEndpoint, 'https://oss-cn-hangzhou.aliyuncs.com');
    assert.equal(program.ossInternalEndpoint, 'https://oss-cn-hangzhou-internal.aliyuncs.com');
  });

  it('makes the destination bucket private, encrypted, retained on delete and blind to website changes', async () => {
    const dest = h.one(T.bucket, 'dest');
    assert.equal(dest.inputs.bucket, 'media-dest');
    assert.deepEqual(dest.inputs.serverSideEncryptionRule, { sseAlgorithm: 'AES256' });
    assert.equal(dest.inputs.acl, undefined, 'the deprecated acl argument is not used');
    assert.deepEqual(h.options.get(`${T.bucket}::dest`), {
      retainOnDelete: true,
      protect: false,
      ignoreChanges: ['website'],
      replaceOnChanges: [],
    });
    const acl = h.one(T.bucketAcl, 'dest-acl');
    assert.deepEqual(acl.inputs, { bucket: 'media-dest', acl: 'private' });
    assert.equal(await promiseOf(program.bucket), 'media-dest');
  });

  it('keeps the bundle and journals in a private, encrypted, retained control bucket', async () => {
    const control = h.one(T.bucket, 'control');
    assert.equal(control.inputs.bucket, 'media-dest-ossmigrate');
    assert.deepEqual(control.inputs.serverSideEncryptionRule, { sseAlgorithm: 'AES256' });
    assert.equal(h.options.get(`${T.bucket}::control`)?.retainOnDelete, true);
    assert.equal(h.one(T.bucketAcl, 'control-acl').inputs.acl, 'private');
    assert.deepEqual(h.one(T.publicAccessBlock).inputs, {
      bucket: 'media-dest-ossmigrate',
      blockPublicAccess: true,
    });
    assert.equal(await promiseOf(program.controlBucket), 'media-dest-ossmigrate');

    const object = h.one(T.object);
    assert.deepEqual(object.inputs, {
      bucket: 'media-dest-ossmigrate',
      key: `bundle/ossmigrate-${bundle.md5}.mjs`,
      source: bundle.path,
      contentMd5: bundle.md5,
      contentType: 'text/javascript',
      serverSideEncryption: 'AES256',
    });
    assert.equal(await promiseOf(program.bundleKey), `bundle/ossmigrate-${bundle.md5}.mjs`);
  });

  it('creates no mirror rule while ossmigrate:mirror is false; a stack without sourceType reads COS', () => {
    assert.equal(h.ofType(T.website).length, 0);
    assert.equal(program.mirrorEnabled, false);
    assert.equal(program.sourceType, 'cos');
    assert.equal(program.mirrorNote, '', 'COS can be mirrored: nothing to note');
    assert.ok(!warnings.some((w) => w.includes('No mirror rule')));
  });

  it('grants the RAM user nothing outside the two migration buckets and no delete', () => {
    const doc = JSON.parse(h.one(T.ramPolicy).inputs.policyDocument);
    const statements: Array<{ Effect: string; Action: string[]; Resource: string[] }> = doc.Statement;
    assert.ok(statements.length > 0);
    for (const st of statements) {
      assert.equal(st.Effect, 'Allow');
      for (const r of st.Resource) {
        assert.match(r, /^acs:oss:\*:\*:(media-dest|media-dest-ossmigrate)(\/\*)?$/, r);
      }
      for (const a of st.Action) {
        assert.ok(!a.includes('*'), `wildcard action ${a}`);
        assert.ok(!/Delete/i.test(a), `delete action ${a}`);
      }
      assert.deepEqual([...st.Action].sort(), [...WORKER_OSS_ACTIONS].sort());
    }
    const attachment = h.one(T.ramAttachment);
    assert.equal(attachment.inputs.policyType, 'Custom');
    assert.equal(attachment.inputs.userName, h.one(T.ramUser).inputs.name);
    assert.equal(attachment.inputs.policyName, h.one(T.ramPolicy).inputs.policyName);
    assert.equal(h.one(T.accessKey).inputs.userName, 'ossmigrate-dev-worker');
  });

  it('opens nothing inbound: no security-group rule, and workers cannot reach each other', () => {
    assert.equal(h.ofType(T.securityGroupRule).length, 0);
    assert.equal(h.one(T.securityGroup).inputs.innerAccessPolicy, 'Drop');
  });

  it('runs Redis for BullMQ: noeviction, auth, whitelist = the vSwitch, pay-as-you-go, no public endpoint', () => {
    const redis = h.one(T.redis);
    assert.deepEqual(redis.inputs.config, { 'maxmemory-policy': 'noeviction' });
    assert.equal(redis.inputs.vpcAuthMode, 'Open');
    assert.equal(redis.inputs.paymentType, 'PostPaid');
    assert.deepEqual(redis.inputs.securityIps, [VSWITCH_CIDR]);
    assert.equal(redis.inputs.vswitchId, 'vswitch-id');
    assert.ok(isSecretInput(redis.inputs.password), 'the password is sent as a secret');
    assert.equal(reveal(redis.inputs.password), deriveRedisPassword(AK_SECRET, 'dev'));
    assert.equal(h.ofType(T.redisConnection).length, 0);
  });

  it('exports secrets as secret outputs, and plain values as plain', async () => {
    assert.equal(await pulumi.isSecret(program.queueUrl), true);
    assert.equal(await pulumi.isSecret(program.queueInternalUrl), true);
    assert.equal(await pulumi.isSecret(program.accessKeySecret), true);
    assert.equal(await pulumi.isSecret(program.bucket), false);
    assert.equal(await pulumi.isSecret(program.accessKeyId), false);
    const password = deriveRedisPassword(AK_SECRET, 'dev');
    const expected = `redis://:${encodeURIComponent(password)}@${REDIS_HOST}:6379/0`;
    assert.equal(await promiseOf(program.queueInternalUrl), expected);
    assert.equal(
      await promiseOf(program.queueUrl),
      expected,
      'without a public endpoint the TUI gets the VPC URL',
    );
    assert.equal(await promiseOf(program.accessKeySecret), AK_SECRET);
    assert.equal(await promiseOf(program.accessKeyId), AK_ID);
    assert.equal(await promiseOf(program.ramUserName), 'ossmigrate-dev-worker');
  });

  it('boots each worker against the internal queue through a 0600 env file, no secret in ExecStart', async () => {
    const script = decodeUserData(h.one(T.instance, 'worker-0'));
    for (const w of h.ofType(T.instance)) assert.equal(decodeUserData(w), script, 'identical user data');
    const env = envFileOf(script);
    assert.equal(env.get('OSSMIGRATE_REDIS_URL'), await promiseOf(program.queueInternalUrl));
    assert.equal(env.get('OSSMIGRATE_OSS_ENDPOINT'), 'https://oss-cn-hangzhou-internal.aliyuncs.com');
    assert.equal(env.get('ALIBABA_CLOUD_ACCESS_KEY_ID'), AK_ID);
    assert.equal(env.get('ALIBABA_CLOUD_ACCESS_KEY_SECRET'), AK_SECRET);
    assert.equal(env.get('TENCENTCLOUD_SECRET_ID'), 'AKIDcosId');
    assert.equal(env.get('TENCENTCLOUD_SECRET_KEY'), 'CosSecretKey789');
    assert.match(
      script,
      /install -m 0600 -o root -g root "\$tmp\/worker\.env" \/etc\/ossmigrate\/worker\.env/,
    );
    assert.match(script, /^EnvironmentFile=\/etc\/ossmigrate\/worker\.env$/m);
    const execStart = /^ExecStart=(.*)$/m.exec(script)?.[1] ?? '';
    assert.match(execStart, / worker --workdir \/var\/lib\/ossmigrate --concurrency 16$/);
    for (const secret of [AK_SECRET, 'CosSecretKey789', deriveRedisPassword(AK_SECRET, 'dev'), 'redis://']) {
      assert.ok(!execStart.includes(secret), `ExecStart leaks ${secret}`);
    }
    assert.ok(script.includes(`BUNDLE_KEY='bundle/ossmigrate-${bundle.md5}.mjs'`));
    assert.ok(script.includes(`BUNDLE_MD5='${bundle.md5}'`));
    assert.ok(Buffer.byteLength(script) <= 16 * 1024);
  });

  it('explains the sizing and what bounds it, with no warning for the default rate', () => {
    assert.equal(
      program.sizing,
      '500 TB in 7 days at 100 Mbit/s per instance (≈1 TB/day each) needs 72 instances (ceil(500 / 7 / 1) = 72). ' +
        'Bounded by the data and the deadline (ossmigrate:dataTB, ossmigrate:days) at ossmigrate:mbpsPerInstance 100.',
    );
    assert.equal(program.sizingBound, 'deadline');
    assert.deepEqual(
      warnings.filter((w) => /mbpsPerInstance|fleetSize/.test(w)),
      [],
      'the default stack warns about nothing in its sizing',
    );
  });
});
