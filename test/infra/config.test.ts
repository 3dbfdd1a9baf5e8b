import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import {
  CONFIG_KEYS,
  ConfigError,
  type ConfigKey,
  DEFAULTS,
  PROJECT_ROOT,
  parseConfig,
  type RawConfig,
  REQUIRED_KEYS,
  SECRET_KEYS,
  SOURCE_REQUIRED,
} from '../../infra/config.ts';

const dir = mkdtempSync(join(tmpdir(), 'ossmigrate-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
// Relative config paths resolve against this temp dir instead of the checkout.
const io = { readFile: (p: string) => readFileSync(p, 'utf8'), projectRoot: dir };

const cos: RawConfig = {
  cosBucket: 'media-1250000000',
  cosRegion: 'ap-guangzhou',
  cosSecretId: 'AKIDx',
  cosSecretKey: 'skx',
};
const base: RawConfig = { region: 'cn-hangzhou', destBucket: 'media-dest', ...cos };
const minimal: RawConfig = { ...base, dataTB: '500', days: '7' };
const sized: RawConfig = { region: 'cn-hangzhou', destBucket: 'media-dest', dataTB: '500', days: '7' };
const s3Minimal: RawConfig = {
  ...sized,
  sourceType: 's3',
  s3Bucket: 'media',
  s3Region: 'us-west-2',
  s3AccessKeyId: 'AKIAS3ID',
  s3SecretAccessKey: 's3secret',
};
const azureMinimal: RawConfig = {
  ...sized,
  sourceType: 'azure',
  azureAccount: 'mediastore',
  azureContainer: 'media',
  azureKey: 'QXp1cmVLZXk+/w==',
};

function problems(raw: RawConfig): string[] {
  try {
    parseConfig(raw, io);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.problems;
  }
  assert.fail('expected the configuration to be rejected');
}

describe('parseConfig', () => {
  it('applies every default and sizes the reference case to 72, at the 100 Mbit/s the workers get', () => {
    const c = parseConfig(minimal, io);
    assert.equal(c.sizing.instances, 72);
    assert.equal(c.sizing.bound, 'deadline');
    assert.equal(c.sizing.source, 'dataTB');
    assert.equal(c.mbpsPerInstance, DEFAULTS.mbpsPerInstance);
    assert.equal(c.instanceType, 'ecs.g7.large');
    assert.equal(c.workerConcurrency, 16);
    assert.equal(c.mirror, false);
    assert.equal(c.queuePublic, false);
    assert.equal(c.redisInstanceClass, 'redis.master.small.default');
    assert.equal(c.redisEngineVersion, '7.0');
    assert.equal(c.controlBucket, 'media-dest-ossmigrate');
    assert.match(c.nodeDistUrl, /^https:\/\/registry\.npmmirror\.com\/.*node-v24\.21\.0-linux-x64\.tar\.xz$/);
    assert.equal(c.nodeDistSha256, '');
    assert.equal(c.destPrefix, '');
    // The default is reachable, so nothing to warn about (it used to warn on every default stack).
    assert.deepEqual(c.sizing.warnings, []);
    assert.equal(
      c.sizing.explanation,
      '500 TB in 7 days at 100 Mbit/s per instance (≈1 TB/day each) needs 72 instances (ceil(500 / 7 / 1) = 72). ' +
        'Bounded by the data and the deadline (ossmigrate:dataTB, ossmigrate:days) at ossmigrate:mbpsPerInstance 100.',
    );
  });

  it('sizes a mbpsPerInstance above the pay-as-you-go cap at the cap, says so and warns with the fix', () => {
    const c = parseConfig({ ...minimal, mbpsPerInstance: '200' }, io);
    assert.equal(c.sizing.instances, 72);
    assert.equal(c.sizing.bound, 'bandwidthCap');
    assert.match(
      c.sizing.explanation,
      /needs 72 instances .* Bounded by the pay-as-you-go public bandwidth cap: 100 Mbit\/s per worker, not ossmigrate:mbpsPerInstance 200 \(which would give 36\)\.$/,
    );
    assert.deepEqual(c.sizing.warnings, [
      "ossmigrate:mbpsPerInstance is 200 Mbit/s, but the workers' pay-as-you-go public IP is capped at 100 Mbit/s " +
        '(internetMaxBandwidthOut 100), so the fleet is sized at 100 Mbit/s: 72 instances, not 36. ' +
        'Set what a worker really gets — pulumi config set ossmigrate:mbpsPerInstance 100',
    ]);
    const slow = parseConfig({ ...minimal, mbpsPerInstance: '50' }, io);
    assert.equal(slow.sizing.instances, 143);
    assert.equal(slow.sizing.bound, 'deadline');
  });

  it('warns that an explicit fleetSize overrides dataTB/days, naming them and what they would size', () => {
    const c = parseConfig({ ...minimal, fleetSize: '3' }, io);
    assert.equal(c.sizing.bound, 'fleetSize');
    assert.match(c.sizing.explanation, /set explicitly to 3 \(ossmigrate:fleetSize\); it bounds the fleet/);
    assert.deepEqual(c.sizing.warnings, [
      'ossmigrate:fleetSize 3 overrides the sizing: ossmigrate:dataTB, ossmigrate:days are not used; they would size 72. ' +
        'To size from the data again: pulumi config rm ossmigrate:fleetSize',
    ]);
    const survey = parseConfig({ ...base, surveyFile: 'whatever.ndjson', fleetSize: '0' }, io);
    assert.deepEqual(survey.sizing.warnings, [
      'ossmigrate:fleetSize 0 overrides the sizing: ossmigrate:surveyFile is not used. ' +
        'To size from the data again: pulumi config rm ossmigrate:fleetSize',
    ]);
    assert.deepEqual(parseConfig({ ...base, fleetSize: '3' }, io).sizing.warnings, [], 'nothing overridden');
  });

  it('refuses a secret key stored in plaintext, naming the key and the --secret fix', () => {
    const raw: RawConfig = { ...minimal, redisPassword: 'Good-Pass-123' };
    assert.throws(
      () => parseConfig(raw, io, { plaintext: ['redisPassword'] }),
      (err: Error) => {
        assert.ok(err instanceof ConfigError);
        assert.deepEqual(err.problems, [
          "ossmigrate:redisPassword is stored in plaintext in the stack's config file; it must be a secret — " +
            'pulumi config set --secret ossmigrate:redisPassword (it prompts; the encrypted value replaces the plaintext one)',
        ]);
        assert.ok(!err.message.includes('Good-Pass-123'), 'the error does not repeat the secret');
        return true;
      },
    );
    // Stored encrypted, the same value is used; unset (the schema's "" default) is no plaintext secret.
    assert.equal(parseConfig(raw, io, { plaintext: [] }).redisPassword, 'Good-Pass-123');
    assert.equal(
      parseConfig({ ...minimal, redisPassword: '' }, io, { plaintext: ['redisPassword'] }).redisPassword,
      undefined,
    );
  });

  it('lets fleetSize override the sizing, including 0, without needing dataTB or days', () => {
    const c = parseConfig({ ...base, fleetSize: '0' }, io);
    assert.equal(c.sizing.instances, 0);
    assert.equal(c.sizing.source, 'fleetSize');
    assert.equal(parseConfig({ ...minimal, fleetSize: '3' }, io).sizing.instances, 3);
  });

  it('sizes from a survey file (NDJSON, bytes → TB as 10^12), relative to the project root', () => {
    writeFileSync(
      join(dir, 'survey.ndjson'),
      '{"type":"scan","bytes":1}\n{"type":"plan","bytes":140000000000000,"objects":9}\n',
    );
    const c = parseConfig({ ...base, surveyFile: 'survey.ndjson', days: '7' }, io);
    assert.equal(c.sizing.source, 'surveyFile');
    assert.equal(c.sizing.instances, 20); // 140 TB / 7 / 1
    assert.match(
      c.sizing.explanation,
      /Bounded by the data and the deadline \(ossmigrate:surveyFile, ossmigrate:days\)/,
    );
    assert.match(c.sizing.explanation, /from the survey: 140 TB/);
  });

  it('reports a survey without a plan, and a missing survey file, with the fix', () => {
    writeFileSync(join(dir, 'bad.json'), '{"objects": 3}');
    const [p1] = problems({ ...base, surveyFile: 'bad.json', days: '7' });
    assert.match(p1 ?? '', /ossmigrate:surveyFile .*bad\.json has no plan.*"type":"plan"/);
    const [p2] = problems({ ...base, surveyFile: 'nope.json', days: '7' });
    assert.match(p2 ?? '', /ossmigrate:surveyFile .*nope\.json cannot be read .*ossmigrate plan --json/);
  });

  const cases: Array<[string, RawConfig, RegExp]> = [
    [
      'missing destBucket',
      { ...minimal, destBucket: undefined },
      /^ossmigrate:destBucket is required .* — pulumi config set ossmigrate:destBucket my-bucket$/,
    ],
    [
      'bad bucket name',
      { ...minimal, destBucket: 'Bad_Bucket' },
      /^ossmigrate:destBucket must be 3–63 lowercase/,
    ],
    [
      'missing region',
      { ...minimal, region: undefined },
      /^alicloud:region is required .* — pulumi config set alicloud:region cn-hangzhou$/,
    ],
    [
      'days zero',
      { ...minimal, days: '0' },
      /^ossmigrate:days must be a positive number .* — pulumi config set ossmigrate:days 7$/,
    ],
    ['days text', { ...minimal, days: 'seven' }, /^ossmigrate:days must be a positive number/],
    [
      'no sizing input',
      { ...base },
      /ossmigrate:dataTB is required to size the fleet \(or set ossmigrate:surveyFile, or ossmigrate:fleetSize\)/,
    ],
    [
      'missing days',
      { ...minimal, days: undefined },
      /^ossmigrate:days is required to size the fleet — pulumi config set ossmigrate:days 7$/,
    ],
    [
      'dataTB and surveyFile',
      { ...minimal, surveyFile: 'x.json' },
      /both set; keep one — pulumi config rm ossmigrate:surveyFile/,
    ],
    [
      'negative fleet',
      { ...minimal, fleetSize: '-1' },
      /^ossmigrate:fleetSize must be a whole number from 0 to 1000/,
    ],
    ['fractional fleet', { ...minimal, fleetSize: '2.5' }, /^ossmigrate:fleetSize must be a whole number/],
    [
      'mirror not boolean',
      { ...minimal, mirror: 'yes' },
      /^ossmigrate:mirror must be true or false — pulumi config set ossmigrate:mirror true$/,
    ],
    [
      'missing COS secret',
      { ...minimal, cosSecretKey: undefined },
      /^ossmigrate:cosSecretKey is required \(workers read COS with it.*\) — pulumi config set --secret ossmigrate:cosSecretKey$/,
    ],
    [
      'open operator CIDR',
      { ...minimal, operatorCidr: '0.0.0.0/0' },
      /^ossmigrate:operatorCidr opens SSH to the whole internet; .* — pulumi config set ossmigrate:operatorCidr 203\.0\.113\.7\/32$/,
    ],
    [
      'broad operator CIDR',
      { ...minimal, operatorCidr: '10.0.0.0/4' },
      /^ossmigrate:operatorCidr opens SSH to a large part of the internet/,
    ],
    [
      'malformed CIDR',
      { ...minimal, operatorCidr: '300.1.1.1/32' },
      /^ossmigrate:operatorCidr must be an IPv4 CIDR/,
    ],
    [
      'public queue without CIDR',
      { ...minimal, queuePublic: 'true' },
      /^ossmigrate:operatorCidr is required when ossmigrate:queuePublic is true/,
    ],
    [
      'weak redis password',
      { ...minimal, redisPassword: 'password' },
      /^ossmigrate:redisPassword must mix at least three .* pulumi config set --secret ossmigrate:redisPassword/,
    ],
    [
      'missing COS bucket',
      { ...minimal, cosBucket: undefined },
      /^ossmigrate:cosBucket is required \(the source bucket, <name>-<APPID>\) — pulumi config set ossmigrate:cosBucket media-1250000000$/,
    ],
    [
      'COS bucket without APPID',
      { ...minimal, cosBucket: 'media' },
      /^ossmigrate:cosBucket must be <name>-<APPID>/,
    ],
    [
      'control = dest',
      { ...minimal, controlBucket: 'media-dest' },
      /^ossmigrate:controlBucket must differ from ossmigrate:destBucket/,
    ],
    [
      'http node URL',
      { ...minimal, nodeDistUrl: 'http://x/node.tar.xz' },
      /^ossmigrate:nodeDistUrl must be an https:\/\/ URL/,
    ],
    [
      'short sha256',
      { ...minimal, nodeDistSha256: 'abc' },
      /^ossmigrate:nodeDistSha256 must be 64 hex digits/,
    ],
    [
      'leading slash prefix',
      { ...minimal, destPrefix: '/data/' },
      /^ossmigrate:destPrefix must not start with "\/"/,
    ],
    [
      'fleet too large',
      { ...minimal, dataTB: '100000', days: '1' },
      /asks for 100000 instances, more than 1000.* pulumi config set ossmigrate:fleetSize 1000$/,
    ],
    [
      'default control bucket too long',
      { ...minimal, destBucket: `b${'x'.repeat(60)}` },
      /^ossmigrate:controlBucket must be set: the default .* longer than 63/,
    ],
  ];
  for (const [label, raw, expected] of cases) {
    it(`rejects ${label} with the key and the fix`, () => {
      const found = problems(raw);
      assert.ok(
        found.some((p) => expected.test(p)),
        `no problem matched ${expected}; got:\n${found.join('\n')}`,
      );
    });
  }

  it('lists every problem at once', () => {
    const found = problems({ ...base, days: '0', mirror: 'maybe' });
    assert.ok(found.some((p) => p.startsWith('ossmigrate:days')));
    assert.ok(found.some((p) => p.startsWith('ossmigrate:mirror')));
  });

  it('treats an empty value as unset', () => {
    const c = parseConfig({ ...minimal, operatorCidr: '', mirror: '' }, io);
    assert.equal(c.operatorCidr, undefined);
    assert.equal(c.mirror, false);
  });

  it('accepts a full mirror + operator configuration', () => {
    const c = parseConfig(
      {
        ...minimal,
        mirror: 'true',
        cosPrefix: 'img/',
        operatorCidr: '203.0.113.7/32',
        queuePublic: 'true',
        nodeDistSha256: 'A'.repeat(64),
      },
      io,
    );
    assert.equal(c.mirror, true);
    assert.equal(c.source.type === 'cos' && c.source.prefix, 'img/');
    assert.equal(c.nodeDistSha256, 'a'.repeat(64));
  });
});

describe('parseConfig: source types', () => {
  it('reads COS when ossmigrate:sourceType is unset, so existing stacks keep working', () => {
    const c = parseConfig(minimal, io);
    assert.deepEqual(c.source, {
      type: 'cos',
      bucket: 'media-1250000000',
      region: 'ap-guangzhou',
      prefix: '',
      secretId: 'AKIDx',
      secretKey: 'skx',
    });
    assert.deepEqual(c.warnings, []);
  });

  it('reads an S3 source from the s3* keys alone (no COS key needed)', () => {
    const c = parseConfig(
      {
        ...s3Minimal,
        s3Provider: 'minio',
        s3Endpoint: 'https://minio.example.com:9000/',
        s3Prefix: 'img/',
        s3ForcePathStyle: 'true',
      },
      io,
    );
    assert.deepEqual(c.source, {
      type: 's3',
      provider: 'minio',
      bucket: 'media',
      region: 'us-west-2',
      endpoint: 'https://minio.example.com:9000',
      prefix: 'img/',
      forcePathStyle: true,
      accessKeyId: 'AKIAS3ID',
      secretAccessKey: 's3secret',
    });
    // Defaults: provider aws, path style left to the provider.
    const d = parseConfig(s3Minimal, io).source;
    assert.equal(d.type === 's3' && d.provider, 'aws');
    assert.equal(d.type === 's3' && 'forcePathStyle' in d, false);
  });

  it('reads an Azure source from the azure* keys alone', () => {
    const c = parseConfig(
      { ...azureMinimal, azurePrefix: 'p/', azureEndpoint: 'https://mediastore.blob.core.chinacloudapi.cn' },
      io,
    );
    assert.deepEqual(c.source, {
      type: 'azure',
      account: 'mediastore',
      container: 'media',
      prefix: 'p/',
      endpoint: 'https://mediastore.blob.core.chinacloudapi.cn',
      key: 'QXp1cmVLZXk+/w==',
    });
  });

  it('warns that another source type’s keys are not used, with the pulumi config rm fix', () => {
    const c = parseConfig({ ...s3Minimal, ...cos }, io);
    assert.equal(c.source.type, 's3');
    assert.deepEqual(c.warnings, [
      'ossmigrate:sourceType is s3, so ossmigrate:cosBucket, ossmigrate:cosRegion, ossmigrate:cosSecretId, ossmigrate:cosSecretKey are not used — ' +
        'pulumi config rm ossmigrate:cosBucket && pulumi config rm ossmigrate:cosRegion && pulumi config rm ossmigrate:cosSecretId && pulumi config rm ossmigrate:cosSecretKey',
    ]);
    assert.ok(!c.warnings.join('').includes('skx'), 'no secret value in the warning');
  });

  it('refuses the S3 and Azure secret keys stored in plaintext, like the COS keys', () => {
    for (const [raw, key] of [
      [s3Minimal, 's3SecretAccessKey'],
      [azureMinimal, 'azureKey'],
      [minimal, 'cosSecretKey'],
    ] as const) {
      assert.throws(
        () => parseConfig(raw, io, { plaintext: [key] }),
        (err: Error) => {
          assert.ok(err instanceof ConfigError);
          assert.deepEqual(err.problems, [
            `ossmigrate:${key} is stored in plaintext in the stack's config file; it must be a secret — ` +
              `pulumi config set --secret ossmigrate:${key} (it prompts; the encrypted value replaces the plaintext one)`,
          ]);
          assert.ok(!err.message.includes(String(raw[key])), 'the error does not repeat the secret');
          return true;
        },
      );
    }
  });

  const cases: Array<[string, RawConfig, RegExp]> = [
    [
      'an unknown sourceType',
      { ...minimal, sourceType: 'gcs' },
      /^ossmigrate:sourceType must be one of cos, s3, azure — pulumi config set ossmigrate:sourceType s3$/,
    ],
    [
      'an unknown s3Provider',
      { ...s3Minimal, s3Provider: 'wasabi' },
      /^ossmigrate:s3Provider must be one of aws, qiniu, bos, ks3, obs, minio, r2, other/,
    ],
    [
      'a missing s3Bucket',
      { ...s3Minimal, s3Bucket: undefined },
      /^ossmigrate:s3Bucket is required when ossmigrate:sourceType is s3 \(the source bucket\) — pulumi config set ossmigrate:s3Bucket media$/,
    ],
    [
      'a missing S3 secret',
      { ...s3Minimal, s3SecretAccessKey: undefined },
      /^ossmigrate:s3SecretAccessKey is required when ossmigrate:sourceType is s3 \(.*\) — pulumi config set --secret ossmigrate:s3SecretAccessKey$/,
    ],
    [
      'a MinIO source without an endpoint',
      { ...s3Minimal, s3Provider: 'minio' },
      /^ossmigrate:s3Endpoint is required for provider minio \(MinIO has no public endpoint pattern\) — pulumi config set ossmigrate:s3Endpoint https:\/\/minio\.example\.com:9000$/,
    ],
    [
      'a BOS source without a region',
      { ...s3Minimal, s3Provider: 'bos', s3Region: undefined },
      /^ossmigrate:s3Region is required for provider bos: .* — pulumi config set ossmigrate:s3Region bj$/,
    ],
    [
      'an S3 endpoint that is not a URL',
      { ...s3Minimal, s3Endpoint: 'minio:9000' },
      /^ossmigrate:s3Endpoint must be a URL like https:\/\/s3\.us-east-1\.amazonaws\.com/,
    ],
    [
      's3ForcePathStyle not boolean',
      { ...s3Minimal, s3ForcePathStyle: 'yes' },
      /^ossmigrate:s3ForcePathStyle must be true or false/,
    ],
    [
      'a missing azureKey',
      { ...azureMinimal, azureKey: undefined },
      /^ossmigrate:azureKey is required when ossmigrate:sourceType is azure .* — pulumi config set --secret ossmigrate:azureKey$/,
    ],
    [
      'a bad azureAccount',
      { ...azureMinimal, azureAccount: 'Media_Store' },
      /^ossmigrate:azureAccount must be a storage account name/,
    ],
    [
      'a bad azureContainer',
      { ...azureMinimal, azureContainer: 'a--b' },
      /^ossmigrate:azureContainer must be a container name/,
    ],
    [
      'a leading slash in azurePrefix',
      { ...azureMinimal, azurePrefix: '/x' },
      /^ossmigrate:azurePrefix must not start with "\/"/,
    ],
  ];
  for (const [label, raw, expected] of cases) {
    it(`rejects ${label} with the key and the fix`, () => {
      const found = problems(raw);
      assert.ok(
        found.some((p) => expected.test(p)),
        `no problem matched ${expected}; got:\n${found.join('\n')}`,
      );
    });
  }

  it('refuses a source secret the workers’ env file cannot carry, without repeating it', () => {
    const found = problems({ ...s3Minimal, s3SecretAccessKey: 'abc#def"x' });
    assert.deepEqual(found, [
      "ossmigrate:s3SecretAccessKey contains characters the workers' env file cannot carry verbatim " +
        '(allowed: letters, digits and ._~:/@%+=,-); issue a key without them and pulumi config set --secret ossmigrate:s3SecretAccessKey',
    ]);
  });

  it('requires only the chosen source’s keys', () => {
    // An S3 stack with no COS key, an Azure stack with no S3 key: no problem about the others.
    for (const raw of [s3Minimal, azureMinimal]) assert.doesNotThrow(() => parseConfig(raw, io));
    const found = problems({ ...sized, sourceType: 'azure' });
    assert.deepEqual(
      found.map((p) => p.slice(0, p.indexOf(' '))),
      ['ossmigrate:azureAccount', 'ossmigrate:azureContainer', 'ossmigrate:azureKey'],
    );
  });
});

describe('Pulumi.yaml', () => {
  const project = parseYaml(readFileSync(join(PROJECT_ROOT, 'Pulumi.yaml'), 'utf8'));
  const schema: Record<string, { type: string; description?: string; default?: unknown; secret?: boolean }> =
    project.config;

  it('runs infra/index.ts through tsx', () => {
    assert.equal(project.name, 'ossmigrate');
    assert.equal(project.main, 'infra/index.ts');
    assert.deepEqual(project.runtime, {
      name: 'nodejs',
      options: { typescript: false, nodeargs: '--import tsx' },
    });
  });

  it('declares exactly the keys the program reads, each typed and described', () => {
    assert.deepEqual(Object.keys(schema).sort(), [...CONFIG_KEYS].sort());
    for (const [key, decl] of Object.entries(schema)) {
      assert.ok(['string', 'integer', 'boolean'].includes(decl.type), `${key}: type ${decl.type}`);
      assert.ok((decl.description ?? '').length > 10, `${key}: description`);
    }
  });

  it('requires exactly the keys the code requires; every other key has a default the CLI applies', () => {
    const noDefault = Object.entries(schema)
      .filter(([, d]) => d.default === undefined)
      .map(([k]) => k);
    assert.deepEqual(noDefault.sort(), [...REQUIRED_KEYS].sort());
    for (const key of REQUIRED_KEYS) {
      const found = problems({ ...minimal, [key]: undefined });
      assert.ok(
        found.some((p) => p.startsWith(`ossmigrate:${key} is required`)),
        `${key}: ${found.join('; ')}`,
      );
    }
    // Only the chosen source type's keys are required, each by name with its fix.
    for (const [type, fixture] of [
      ['cos', minimal],
      ['s3', s3Minimal],
      ['azure', azureMinimal],
    ] as const) {
      for (const [key] of SOURCE_REQUIRED[type]) {
        const found = problems({ ...fixture, [key]: undefined });
        assert.ok(
          found.some((p) => p.startsWith(`ossmigrate:${key} is required`)),
          `${type} ${key}: ${found.join('; ')}`,
        );
      }
    }
    // Applying every schema default must give the same result as leaving the keys unset.
    const withDefaults: RawConfig = {};
    for (const [k, d] of Object.entries(schema))
      if (d.default !== undefined) withDefaults[k as ConfigKey] = String(d.default);
    assert.deepEqual(parseConfig({ ...withDefaults, ...minimal }, io), parseConfig(minimal, io));
    assert.deepEqual(
      parseConfig({ ...withDefaults, ...s3Minimal }, io),
      parseConfig(s3Minimal, io),
      'the defaults of one source type do not leak into another (sourceType cos, s3Provider aws)',
    );
    assert.deepEqual(parseConfig({ ...withDefaults, ...azureMinimal }, io), parseConfig(azureMinimal, io));
  });

  it('says --secret for every secret key (none can be marked secret: each has a default) and agrees with the code', () => {
    // A secret with a default would fail the CLI's "must be encrypted" check; the program refuses
    // the plaintext value instead (program-plaintext-secret.test.ts).
    for (const [key, d] of Object.entries(schema)) assert.ok(!d.secret, `${key} is marked secret`);
    assert.deepEqual([...SECRET_KEYS].sort(), [
      'azureKey',
      'cosSecretId',
      'cosSecretKey',
      'redisPassword',
      's3SecretAccessKey',
    ]);
    for (const key of SECRET_KEYS) assert.match(schema[key]?.description ?? '', /--secret/, key);
    for (const [key, value] of Object.entries(DEFAULTS)) assert.equal(schema[key]?.default, value, key);
    assert.equal(schema.sourceType?.default, 'cos', 'existing stacks keep reading COS');
    assert.equal(schema.s3Provider?.default, 'aws');
    assert.equal(schema.mirror?.default, false);
    assert.equal(schema.queuePublic?.default, false);
  });
});
