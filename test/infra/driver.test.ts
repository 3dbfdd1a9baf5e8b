// PulumiCliDriver against a fake `pulumi` executable that records argv + stdin and prints canned output.

import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { parseInfraOutputs } from '../../runner/adapters/infra/outputs.ts';
import { PulumiCliDriver, sourceStackConfig } from '../../runner/adapters/infra/pulumi.ts';
import { parseJob } from '../../runner/config/job.ts';
import { InfraError } from '../../runner/core/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'ossmigrate-driver-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const OUTPUTS = {
  region: 'cn-hangzhou',
  bucket: 'media-dest',
  controlBucket: 'media-dest-ossmigrate',
  ossEndpoint: 'https://oss-cn-hangzhou.aliyuncs.com',
  ossInternalEndpoint: 'https://oss-cn-hangzhou-internal.aliyuncs.com',
  queueUrl: 'redis://:Om-9abc@r-x.redis.rds.aliyuncs.com:6379/0',
  queueInternalUrl: 'redis://:Om-9abc@r-x.redis.rds.aliyuncs.com:6379/0',
  fleetSize: 2,
  instanceIds: ['i-1', 'i-2'],
  sizing: '28 TB in 7 days …',
  mirrorEnabled: true,
  ramUserName: 'ossmigrate-dev-worker',
  accessKeyId: 'LTAI',
  accessKeySecret: 'must-not-reach-the-tui',
  bundleKey: 'bundle/ossmigrate-x.mjs',
};

// The fake CLI. Behaviour comes from FAKE_PULUMI_SCENARIO (JSON); every call is appended to FAKE_PULUMI_LOG.
const FAKE = `#!${process.execPath}
const fs = require('node:fs');
const argv = process.argv.slice(2);
const scenario = JSON.parse(process.env.FAKE_PULUMI_SCENARIO || '{}');
const stdin = fs.readFileSync(0, 'utf8');
const log = (extra) => fs.appendFileSync(process.env.FAKE_PULUMI_LOG, JSON.stringify({ argv, stdin, ...extra }) + '\\n');
log({ skipUpdateCheck: process.env.PULUMI_SKIP_UPDATE_CHECK });
const cmd = argv.filter((a) => !a.startsWith('-')).slice(0, 2).join(' ');
const out = (s) => process.stdout.write(s + '\\n');
const err = (s) => process.stderr.write(s + '\\n');
if (cmd.startsWith('version')) out('v3.270.0');
else if (cmd.startsWith('whoami')) {
  if (scenario.notLoggedIn) { err('error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions'); process.exit(255); }
  out(JSON.stringify({ user: 'alice', url: scenario.backend || 'file:///home/alice/.pulumi' }));
} else if (cmd === 'stack ls') out(JSON.stringify(scenario.stacks || [{ name: 'dev', current: true }]));
else if (cmd.startsWith('config set')) {}
else if (cmd.startsWith('up')) {
  // Listen before printing: the test aborts as soon as it reads the line below.
  if (scenario.upSleepMs) process.on('SIGINT', () => { log({ signal: 'SIGINT' }); process.exit(130); });
  out('Updating (dev):');
  err('warning: mbpsPerInstance is above the cap');
  out(' +  alicloud:ecs:Instance worker-0 created');
  if (scenario.upSleepMs) {
    setTimeout(() => process.exit(0), scenario.upSleepMs);
  } else if (scenario.upFails) {
    out('    error: update failed');
    err('error: InvalidVSwitchId.NotFound: the vswitch does not exist');
    process.exit(255);
  } else out('Resources: 1 created');
} else if (cmd === 'stack output') out(JSON.stringify(scenario.outputs ?? ${JSON.stringify(OUTPUTS)}));
else if (cmd.startsWith('destroy')) out('Destroying (dev): - alicloud:ecs:Instance worker-0 deleted');
else { err('unknown command ' + cmd); process.exit(2); }
`;
const fakePath = join(dir, 'pulumi');
writeFileSync(fakePath, FAKE);
chmodSync(fakePath, 0o755);
const logPath = join(dir, 'calls.ndjson');

interface Call {
  argv: string[];
  stdin: string;
  skipUpdateCheck?: string;
  signal?: string;
}
const calls = (): Call[] =>
  readFileSync(logPath, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Call);

function driver(scenario: Record<string, unknown> = {}, extraEnv: Record<string, string> = {}, cwd = dir) {
  return new PulumiCliDriver({
    stack: 'dev',
    cwd,
    pulumiCommand: fakePath,
    baseEnv: process.env,
    env: {
      FAKE_PULUMI_SCENARIO: JSON.stringify(scenario),
      FAKE_PULUMI_LOG: logPath,
      PULUMI_CONFIG_PASSPHRASE: '',
      PULUMI_CONFIG_PASSPHRASE_FILE: '',
      ...extraEnv,
    },
    killGraceMs: 2_000,
  });
}

const TAIL = ['--stack', 'dev', '--non-interactive', '--color', 'never'];

beforeEach(() => writeFileSync(logPath, ''));

describe('PulumiCliDriver', () => {
  it('provisions: sets config (secrets on stdin), runs up, streams output, parses outputs', async () => {
    const lines: string[] = [];
    const out = await driver().provision({
      fleetSize: 2,
      mirror: false,
      settings: { dataTB: 28, days: 7 },
      secrets: { cosSecretKey: 'Sup3r$ecret key' },
      onOutput: (l) => lines.push(l),
    });
    assert.deepEqual(
      calls().map((c) => c.argv),
      [
        ['config', 'set', '--', 'ossmigrate:dataTB', '28', ...TAIL],
        ['config', 'set', '--', 'ossmigrate:days', '7', ...TAIL],
        ['config', 'set', '--secret', '--', 'ossmigrate:cosSecretKey', ...TAIL],
        ['config', 'set', '--', 'ossmigrate:fleetSize', '2', ...TAIL],
        ['config', 'set', '--', 'ossmigrate:mirror', 'false', ...TAIL],
        ['up', '--yes', '--skip-preview', ...TAIL],
        ['stack', 'output', '--json', '--show-secrets', ...TAIL],
      ],
    );
    const secretCall = calls()[2];
    assert.equal(secretCall?.stdin, 'Sup3r$ecret key');
    for (const c of calls())
      assert.ok(!c.argv.some((a) => a.includes('Sup3r')), `secret in argv: ${c.argv.join(' ')}`);
    for (const c of calls()) assert.equal(c.skipUpdateCheck, 'true');
    assert.ok(lines.includes('Updating (dev):'));
    assert.ok(lines.includes('warning: mbpsPerInstance is above the cap'), 'stderr is streamed too');
    assert.ok(lines.includes('Resources: 1 created'));
    assert.deepEqual(out, {
      region: 'cn-hangzhou',
      bucket: 'media-dest',
      controlBucket: 'media-dest-ossmigrate',
      ossEndpoint: 'https://oss-cn-hangzhou.aliyuncs.com',
      ossInternalEndpoint: 'https://oss-cn-hangzhou-internal.aliyuncs.com',
      queueUrl: OUTPUTS.queueUrl,
      fleetSize: 2,
      instanceIds: ['i-1', 'i-2'],
      sizing: '28 TB in 7 days …',
      mirrorEnabled: true,
    });
    assert.ok(!JSON.stringify(out).includes('must-not-reach-the-tui'), 'other secrets are dropped');
  });

  it('provisions an S3 source: its block set (unset keys as ""), both keys on stdin only', async () => {
    const source = sourceStackConfig(
      parseJob({
        name: 'j',
        source: { type: 's3', bucket: 'media', region: 'us-west-2' },
        destination: { bucket: 'media-dest', region: 'cn-hangzhou' },
      }).source,
      { origin: {}, s3: { accessKeyId: 'AKIAS3', secretAccessKey: 'S3/Secret+Key' } },
    );
    await driver().provision({ settings: source.settings, secrets: source.secrets });
    const argv = calls().map((c) => c.argv);
    assert.deepEqual(argv.slice(0, 9), [
      ['config', 'set', '--', 'ossmigrate:sourceType', 's3', ...TAIL],
      ['config', 'set', '--', 'ossmigrate:s3Provider', 'aws', ...TAIL],
      ['config', 'set', '--', 'ossmigrate:s3Bucket', 'media', ...TAIL],
      ['config', 'set', '--', 'ossmigrate:s3Region', 'us-west-2', ...TAIL],
      ['config', 'set', '--', 'ossmigrate:s3Endpoint', '', ...TAIL],
      ['config', 'set', '--', 'ossmigrate:s3Prefix', '', ...TAIL],
      ['config', 'set', '--', 'ossmigrate:s3ForcePathStyle', '', ...TAIL],
      ['config', 'set', '--secret', '--', 'ossmigrate:s3AccessKeyId', ...TAIL],
      ['config', 'set', '--secret', '--', 'ossmigrate:s3SecretAccessKey', ...TAIL],
    ]);
    assert.deepEqual(
      calls()
        .slice(7, 9)
        .map((c) => c.stdin),
      ['AKIAS3', 'S3/Secret+Key'],
    );
    for (const a of argv)
      assert.ok(!a.some((x) => x.includes('S3/Secret') || x.includes('AKIAS3')), a.join(' '));
  });

  it('switches the mirror and the fleet size with config set + up', async () => {
    const d = driver();
    await d.setMirror(true);
    await d.setFleetSize(0);
    assert.deepEqual(
      calls().map((c) => c.argv.slice(0, 5)),
      [
        ['config', 'set', '--', 'ossmigrate:mirror', 'true'],
        ['up', '--yes', '--skip-preview', '--stack', 'dev'],
        ['stack', 'output', '--json', '--show-secrets', '--stack'],
        ['config', 'set', '--', 'ossmigrate:fleetSize', '0'],
        ['up', '--yes', '--skip-preview', '--stack', 'dev'],
        ['stack', 'output', '--json', '--show-secrets', '--stack'],
      ],
    );
    await assert.rejects(d.setFleetSize(-1), /whole number ≥ 0/);
    await assert.rejects(d.setFleetSize(1.5), /whole number ≥ 0/);
  });

  it('tears down with destroy', async () => {
    const lines: string[] = [];
    await driver().teardown({ onOutput: (l) => lines.push(l) });
    assert.deepEqual(
      calls().map((c) => c.argv),
      [['destroy', '--yes', '--skip-preview', ...TAIL]],
    );
    assert.match(lines.join('\n'), /worker-0 deleted/);
  });

  it('surfaces stderr when up fails', async () => {
    await assert.rejects(driver({ upFails: true }).setMirror(true), (err: Error) => {
      assert.ok(err instanceof InfraError);
      assert.match(err.message, /^pulumi up failed \(exit code 255\):/);
      assert.match(err.message, /InvalidVSwitchId\.NotFound: the vswitch does not exist/);
      assert.match(err.message, /error: update failed/, 'stdout error lines are kept');
      return true;
    });
    assert.ok(!calls().some((c) => c.argv[0] === 'stack'), 'no outputs read after a failed up');
  });

  it('cancels a running up on abort (SIGINT first, so Pulumi can checkpoint)', async () => {
    const ac = new AbortController();
    const started = Date.now();
    const p = driver({ upSleepMs: 20_000 }).setMirror(true, {
      signal: ac.signal,
      onOutput: (l) => {
        if (l.includes('worker-0 created')) ac.abort();
      },
    });
    await assert.rejects(p, /pulumi up was cancelled/);
    assert.ok(Date.now() - started < 10_000, 'did not wait for the subprocess to finish');
    assert.ok(
      calls().some((c) => c.signal === 'SIGINT'),
      'the CLI received SIGINT',
    );
  });

  it('rejects outputs that are missing or malformed with a clear message', async () => {
    await assert.rejects(
      driver({ outputs: {} }).outputs(),
      /stack "dev" has no outputs yet\nfix: provision it first/,
    );
    await assert.rejects(
      driver({ outputs: { ...OUTPUTS, fleetSize: 'two' } }).outputs(),
      /fleetSize: .*number/,
    );
    assert.throws(() => parseInfraOutputs({ region: 'x' }), /bucket/);
  });

  it('refuses config keys that could be read as flags', async () => {
    await assert.rejects(driver().setConfig('--yes', 'x'), /not a config key/);
    assert.deepEqual(calls(), []);
  });
});

describe('PulumiCliDriver.check', () => {
  it('reports a missing CLI with the install command', async () => {
    const d = new PulumiCliDriver({
      stack: 'dev',
      cwd: dir,
      pulumiCommand: join(dir, 'no-such-pulumi'),
      baseEnv: process.env,
    });
    const r = await d.check();
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.problem === 'the pulumi CLI is not installed or not on PATH');
    assert.ok(!r.ok && /get\.pulumi\.com/.test(r.fix) && /https:\/\/www\.pulumi\.com\/docs\//.test(r.fix));
    await assert.rejects(d.outputs(), /not installed or not on PATH[\s\S]*fix: install it/);
  });

  it('passes with version, backend and stack', async () => {
    const r = await driver().check();
    assert.deepEqual(r, {
      ok: true,
      detail: 'v3.270.0; backend file:///home/alice/.pulumi as alice; stack dev',
    });
    assert.deepEqual(
      calls().map((c) => c.argv),
      [
        ['version', '--non-interactive', '--color', 'never'],
        ['whoami', '--json', '--non-interactive', '--color', 'never'],
        ['stack', 'ls', '--json', '--non-interactive', '--color', 'never'],
      ],
    );
  });

  it('reports a missing login, a missing stack, and a missing passphrase', async () => {
    const notLoggedIn = await driver({ notLoggedIn: true }).check();
    assert.ok(
      !notLoggedIn.ok && /not logged in/.test(notLoggedIn.problem) && /pulumi login/.test(notLoggedIn.fix),
    );

    const noStack = await driver({ stacks: [{ name: 'prod' }] }).check();
    assert.ok(!noStack.ok && noStack.problem.startsWith('stack "dev" does not exist'));
    assert.ok(!noStack.ok && noStack.fix.startsWith('pulumi stack init dev'));

    const project = mkdtempSync(join(dir, 'project-'));
    writeFileSync(
      join(project, 'Pulumi.dev.yaml'),
      'encryptionsalt: v1:abc\nconfig:\n  ossmigrate:destBucket: b\n',
    );
    const locked = await driver({}, {}, project).check();
    assert.ok(!locked.ok && /PULUMI_CONFIG_PASSPHRASE is not set/.test(locked.problem));
    const unlocked = await driver({}, { PULUMI_CONFIG_PASSPHRASE: 'pw' }, project).check();
    assert.equal(unlocked.ok, true);
    const cloud = await driver({ backend: 'https://api.pulumi.com' }, {}, project).check();
    assert.equal(cloud.ok, true, 'Pulumi Cloud manages the secrets itself');
  });
});
