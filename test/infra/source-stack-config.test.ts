// sourceStackConfig: the job's source → the stack's sourceType and cos*/s3*/azure* keys (secrets
// apart), read back by the program as the same source; sources the stack has no block for are
// refused with the reason and the fix — and `migrate --infra pulumi` refuses them (exit 2) before
// it writes anything.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CONFIG_KEYS, parseConfig, type RawConfig, SECRET_KEYS, SOURCE_KEYS } from '../../infra/config.ts';
import { sourceStackConfig } from '../../runner/adapters/infra/pulumi.ts';
import type { Credentials } from '../../runner/config/credentials.ts';
import { parseJob } from '../../runner/config/job.ts';
import { ConfigError } from '../../runner/core/errors.ts';
import { ExitCode } from '../../runner/core/exitCodes.ts';
import { runCli } from '../helpers/cli.ts';

const dest = { bucket: 'media-dest', region: 'cn-hangzhou' };
const sourceOf = (source: Record<string, unknown>) =>
  parseJob({ name: 'j', source, destination: dest }).source;
const creds: Credentials = {
  cos: { secretId: 'AKIDcos', secretKey: 'CosKey' },
  s3: { accessKeyId: 'AKIAS3', secretAccessKey: 'S3/Secret+' },
  azure: { accountName: 'mediastore', accountKey: 'QXp1cmU=' },
  origin: {},
};

function refused(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail('expected a ConfigError');
}

/** What the program reads from a stack the driver configured (secrets as the stack would hold them). */
function programSees(c: ReturnType<typeof sourceStackConfig>) {
  const raw: RawConfig = { region: 'cn-hangzhou', destBucket: 'media-dest', fleetSize: '0' };
  Object.assign(raw, c.settings, c.secrets);
  return parseConfig(raw).source;
}

describe('sourceStackConfig', () => {
  it('maps a COS source, keys as secrets', () => {
    const c = sourceStackConfig(
      sourceOf({ type: 'cos', bucket: 'media-1250000000', region: 'ap-guangzhou', prefix: 'img/' }),
      creds,
    );
    assert.deepEqual(c, {
      settings: {
        sourceType: 'cos',
        cosBucket: 'media-1250000000',
        cosRegion: 'ap-guangzhou',
        cosPrefix: 'img/',
      },
      secrets: { cosSecretId: 'AKIDcos', cosSecretKey: 'CosKey' },
    });
    assert.deepEqual(programSees(c), {
      type: 'cos',
      bucket: 'media-1250000000',
      region: 'ap-guangzhou',
      prefix: 'img/',
      secretId: 'AKIDcos',
      secretKey: 'CosKey',
    });
  });

  it('maps an S3 source, clearing the block keys the job leaves unset', () => {
    const aws = sourceStackConfig(sourceOf({ type: 's3', bucket: 'media', region: 'us-west-2' }), creds);
    assert.deepEqual(aws, {
      settings: {
        sourceType: 's3',
        s3Provider: 'aws',
        s3Bucket: 'media',
        s3Region: 'us-west-2',
        s3Endpoint: '',
        s3Prefix: '',
        s3ForcePathStyle: '',
      },
      secrets: { s3AccessKeyId: 'AKIAS3', s3SecretAccessKey: 'S3/Secret+' },
    });
    const minio = sourceStackConfig(
      sourceOf({
        type: 's3',
        provider: 'minio',
        bucket: 'media',
        endpoint: 'https://minio.example.com:9000',
        prefix: 'a/',
        forcePathStyle: false,
      }),
      creds,
    );
    assert.deepEqual(programSees(minio), {
      type: 's3',
      provider: 'minio',
      bucket: 'media',
      endpoint: 'https://minio.example.com:9000',
      prefix: 'a/',
      forcePathStyle: false,
      accessKeyId: 'AKIAS3',
      secretAccessKey: 'S3/Secret+',
    });
  });

  it('maps an Azure source with the account key (also from a connection string)', () => {
    const src = sourceOf({ type: 'azure', account: 'mediastore', container: 'media', prefix: 'p/' });
    const c = sourceStackConfig(src, creds);
    assert.deepEqual(c, {
      settings: {
        sourceType: 'azure',
        azureAccount: 'mediastore',
        azureContainer: 'media',
        azurePrefix: 'p/',
        azureEndpoint: '',
      },
      secrets: { azureKey: 'QXp1cmU=' },
    });
    assert.deepEqual(programSees(c), {
      type: 'azure',
      account: 'mediastore',
      container: 'media',
      prefix: 'p/',
      key: 'QXp1cmU=',
    });
    const cs = sourceStackConfig(src, {
      origin: {},
      azure: {
        connectionString:
          'DefaultEndpointsProtocol=https;AccountName=mediastore;AccountKey=S2V5RnJvbUNT==;EndpointSuffix=core.windows.net',
      },
    });
    assert.equal(cs.secrets.azureKey, 'S2V5RnJvbUNT==');
  });

  it('sets every key of the chosen block, only declared keys, and sends every secret key as a secret', () => {
    const all = [
      sourceStackConfig(sourceOf({ type: 'cos', bucket: 'media-1250000000', region: 'ap-guangzhou' }), creds),
      sourceStackConfig(sourceOf({ type: 's3', bucket: 'media', region: 'us-west-2' }), creds),
      sourceStackConfig(sourceOf({ type: 'azure', account: 'mediastore', container: 'media' }), creds),
    ];
    for (const c of all) {
      const type = c.settings.sourceType as keyof typeof SOURCE_KEYS;
      const keys = [...Object.keys(c.settings), ...Object.keys(c.secrets)];
      for (const k of keys)
        assert.ok((CONFIG_KEYS as readonly string[]).includes(k), `${k} is not a stack key`);
      // A stale value from an earlier job of the same type cannot survive.
      assert.deepEqual(keys.filter((k) => k !== 'sourceType').sort(), [...SOURCE_KEYS[type]].sort());
      for (const k of SECRET_KEYS) assert.ok(!(k in c.settings), `${k} must go to --secret, not argv`);
    }
  });

  it('refuses sources the stack has no block for, with the reason and the fix', () => {
    const cases: Array<[Record<string, unknown>, RegExp, RegExp]> = [
      [
        { type: 'local', path: '/data' },
        /^--infra pulumi: a local source is on this machine/,
        /--infra none/,
      ],
      [
        { type: 'http-list', listFile: '/tmp/urls.txt' },
        /^--infra pulumi: an http-list source is a URL list file on this machine/,
        /--infra none/,
      ],
      [
        { type: 'upyun', service: 'my-media' },
        /^--infra pulumi: the Pulumi stack has no UpYun source/,
        /--infra none/,
      ],
      [
        { type: 'oss', bucket: 'media-src', region: 'cn-shanghai' },
        /^--infra pulumi: the source is already OSS/,
        /--infra none/,
      ],
    ];
    for (const [source, message, fix] of cases) {
      const e = refused(() => sourceStackConfig(sourceOf(source), creds));
      assert.match(e.message, message);
      assert.ok(!e.message.includes('\n'), 'one line');
      assert.match(e.fix ?? '', fix);
    }
  });

  it('refuses missing, temporary or unusable source credentials with the variables to export', () => {
    const s3 = sourceOf({ type: 's3', bucket: 'media', region: 'us-west-2' });
    assert.match(refused(() => sourceStackConfig(s3, { origin: {} })).fix ?? '', /AWS_ACCESS_KEY_ID/);
    const temp = refused(() =>
      sourceStackConfig(s3, {
        origin: {},
        s3: { accessKeyId: 'ASIA', secretAccessKey: 'x', sessionToken: 'tok' },
      }),
    );
    assert.match(temp.message, /AWS_SESSION_TOKEN \(temporary\)/);
    assert.ok(!temp.message.includes('tok'));
    const az = sourceOf({ type: 'azure', account: 'mediastore', container: 'media' });
    assert.match(
      refused(() => sourceStackConfig(az, { origin: {}, azure: { sasToken: 'sv=2024&sig=abc' } })).message,
      /a SAS token expires and the stack cannot hold one/,
    );
    assert.match(
      refused(() => sourceStackConfig(az, { origin: {}, azure: { accountName: 'other', accountKey: 'k' } }))
        .message,
      /are for account "other", but the source names account "mediastore"/,
    );
    const cos = sourceOf({ type: 'cos', bucket: 'media-1250000000', region: 'ap-guangzhou' });
    assert.match(refused(() => sourceStackConfig(cos, { origin: {} })).fix ?? '', /TENCENTCLOUD_SECRET_ID/);
  });
});

describe('ossmigrate migrate --infra pulumi', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ossmigrate-infra-src-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('refuses a local source with exit 2 before anything is written', async () => {
    const job = join(dir, 'local.yaml');
    await writeFile(
      job,
      JSON.stringify({ name: 'local-job', source: { type: 'local', path: dir }, destination: dest }),
    );
    const work = join(dir, 'work');
    const r = await runCli(['migrate', job, '--infra', 'pulumi', '--yes', '--workdir', work], {
      cwd: dir,
      env: { ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIx', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'y' },
    });
    assert.equal(r.code, ExitCode.USAGE, r.stderr);
    assert.match(
      r.stderr,
      /--infra pulumi: a local source is on this machine, where the cloud workers cannot read it/,
    );
    assert.match(r.stderr, /--infra none/);
    assert.equal(existsSync(work), false, 'the work dir is not created');
  });
});

describe('prepareMigration --infra pulumi', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ossmigrate-infra-prep-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const saved = { ...process.env };
  after(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });

  for (const [type, source, env, expected] of [
    [
      's3',
      { type: 's3', provider: 'r2', bucket: 'media', endpoint: 'https://acc.r2.cloudflarestorage.com' },
      { AWS_ACCESS_KEY_ID: 'AKIAR2', AWS_SECRET_ACCESS_KEY: 'R2secret' },
      {
        sourceType: 's3',
        s3Provider: 'r2',
        s3Bucket: 'media',
        s3Endpoint: 'https://acc.r2.cloudflarestorage.com',
      },
    ],
    [
      'azure',
      { type: 'azure', account: 'mediastore', container: 'media' },
      { AZURE_STORAGE_ACCOUNT: 'mediastore', AZURE_STORAGE_KEY: 'QXp1cmU=' },
      { sourceType: 'azure', azureAccount: 'mediastore', azureContainer: 'media' },
    ],
  ] as const) {
    it(`accepts the ${type} source and provisions the stack with its keys (secrets apart)`, async () => {
      const { prepareMigration } = await import('../../runner/cli/commands/migrate.ts');
      const job = join(dir, `${type}.yaml`);
      await writeFile(job, JSON.stringify({ name: `${type}-job`, source, destination: dest }));
      for (const k of Object.keys(process.env))
        if (/^(AWS_|AZURE_STORAGE|TENCENTCLOUD|ALIBABA_CLOUD|OSS_|OSSMIGRATE_)/.test(k))
          delete process.env[k];
      Object.assign(process.env, env, { AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none') });
      const flags = {
        infra: 'pulumi',
        stack: 'dev',
        deadlineDays: '7',
        mbps: '100',
        workdir: join(dir, 'w'),
      };
      // biome-ignore lint/suspicious/noExplicitAny: the command's parsed flags, as commander gives them
      const { deps, def } = await prepareMigration(job, flags as any, 'ossmigrate migrate');
      assert.ok(def);
      // biome-ignore lint/suspicious/noExplicitAny: only the spec is read
      const session = { spec: def.spec } as any;
      assert.equal(deps.makeDriver?.(session)?.kind, 'pulumi');
      // biome-ignore lint/suspicious/noExplicitAny: only the bytes are read
      const opts = deps.provisionOptions?.({ survey: { bytes: 2e12 } } as any, session);
      for (const [k, v] of Object.entries(expected)) assert.equal(opts?.settings?.[k], v, k);
      assert.equal(opts?.settings?.destBucket, 'media-dest');
      assert.equal(opts?.settings?.dataTB, '2');
      const secretValues = Object.values(env).filter((v) => v !== 'mediastore');
      for (const v of secretValues) {
        assert.ok(Object.values(opts?.secrets ?? {}).includes(v), `${v} goes to --secret`);
        assert.ok(!JSON.stringify(opts?.settings).includes(v), `${v} is not a plain setting`);
      }
      assert.equal(existsSync(join(dir, 'w')), false, 'preparing writes nothing');
    });
  }
});
