// Stack configuration → a typed, validated FleetConfig. `parseConfig` is pure (raw strings in);
// `loadConfig` reads the Pulumi stack config. Every error names the key and the command that fixes
// it. Defaults live here as well as in Pulumi.yaml: the CLI applies the schema's defaults, but
// mocks and older CLIs do not.

import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pulumi from '@pulumi/pulumi';
import { z } from 'zod';
import { S3_PRESETS, S3_PROVIDERS, type S3Provider, s3SourceProblem } from '../runner/config/s3Providers.ts';
import { ConfigError } from '../runner/core/errors.ts';
import { bytesToTB, fmt, PAYG_MAX_PUBLIC_MBPS, sizeFleet } from '../runner/core/sizing.ts';
import { surveyBytes } from '../runner/core/survey.ts';
import { redisPasswordProblem } from './redisPassword.ts';
import { ENV_SAFE } from './userData.ts';

export const NAMESPACE = 'ossmigrate';

export const DEFAULTS = {
  // The pay-as-you-go public bandwidth cap the program applies: a faster figure cannot be reached.
  mbpsPerInstance: 100,
  instanceType: 'ecs.g7.large',
  workerConcurrency: 16,
  redisInstanceClass: 'redis.master.small.default',
  redisEngineVersion: '7.0',
  nodeDistUrl: 'https://registry.npmmirror.com/-/binary/node/v24.21.0/node-v24.21.0-linux-x64.tar.xz',
} as const;

/** Upper bound on the fleet: far above the reference case (36), below where quotas and the /20 vSwitch bite. */
export const MAX_FLEET = 1000;

/** Each source type's stack keys (SOURCE_KEYS); CONFIG_KEYS takes them from here. */
const SOURCE_KEY_LISTS = {
  cos: ['cosBucket', 'cosRegion', 'cosPrefix', 'cosSecretId', 'cosSecretKey'],
  s3: [
    's3Provider',
    's3Bucket',
    's3Region',
    's3Endpoint',
    's3Prefix',
    's3ForcePathStyle',
    's3AccessKeyId',
    's3SecretAccessKey',
  ],
  azure: ['azureAccount', 'azureContainer', 'azurePrefix', 'azureEndpoint', 'azureKey'],
} as const;

export const CONFIG_KEYS = [
  'destBucket',
  'destPrefix',
  'controlBucket',
  'sourceType',
  ...SOURCE_KEY_LISTS.cos,
  ...SOURCE_KEY_LISTS.s3,
  ...SOURCE_KEY_LISTS.azure,
  'dataTB',
  'surveyFile',
  'days',
  'mbpsPerInstance',
  'fleetSize',
  'instanceType',
  'workerConcurrency',
  'mirror',
  'operatorCidr',
  'sshPublicKey',
  'redisInstanceClass',
  'redisEngineVersion',
  'redisPassword',
  'queuePublic',
  'nodeDistUrl',
  'nodeDistSha256',
  'bundlePath',
] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];
/**
 * Keys that must be encrypted in the stack file. Pulumi.yaml cannot mark them `secret` (a secret
 * key may not carry the "" default an optional key needs), so the program refuses them in plaintext.
 */
export const SECRET_KEYS: readonly ConfigKey[] = [
  'cosSecretId',
  'cosSecretKey',
  's3SecretAccessKey',
  'azureKey',
  'redisPassword',
];
/**
 * Keys without a default. The Pulumi CLI refuses to run while any of these is unset, so every
 * other key has a default in Pulumi.yaml ('' where "unset" is meaningful; '' counts as unset here).
 * The source's keys depend on ossmigrate:sourceType, so they are required by the program
 * (SOURCE_REQUIRED), not by the schema.
 */
const REQUIRED = [
  ['destBucket', 'the OSS bucket to migrate into', 'my-bucket'],
] as const satisfies ReadonlyArray<readonly [ConfigKey, string, string]>;
export const REQUIRED_KEYS: readonly ConfigKey[] = REQUIRED.map(([k]) => k);

export const SOURCE_TYPES = ['cos', 's3', 'azure'] as const;
export type SourceType = (typeof SOURCE_TYPES)[number];

/** Each source type's keys, and which of them it requires (why, example). */
export const SOURCE_KEYS: Record<SourceType, readonly ConfigKey[]> = SOURCE_KEY_LISTS;
export const SOURCE_REQUIRED = {
  cos: [
    ['cosBucket', 'the source bucket, <name>-<APPID>', 'media-1250000000'],
    ['cosRegion', "the source bucket's COS region", 'ap-guangzhou'],
    ['cosSecretId', 'workers read COS with it; the mirror rule signs with it', ''],
    ['cosSecretKey', 'workers read COS with it; the mirror rule signs with it', ''],
  ],
  s3: [
    ['s3Bucket', 'the source bucket', 'media'],
    [
      's3AccessKeyId',
      'workers read the bucket with it; the mirror rule signs with it',
      'AKIAIOSFODNN7EXAMPLE',
    ],
    ['s3SecretAccessKey', 'workers read the bucket with it; the mirror rule signs with it', ''],
  ],
  azure: [
    ['azureAccount', 'the storage account', 'mediastore'],
    ['azureContainer', 'the source container', 'media'],
    ['azureKey', "the storage account's access key; workers read the container with it", ''],
  ],
} as const satisfies Record<SourceType, ReadonlyArray<readonly [ConfigKey, string, string]>>;

/** The source the fleet copies from (and the mirror rule fetches from), validated for its type. */
export type SourceConfig =
  | { type: 'cos'; bucket: string; region: string; prefix: string; secretId: string; secretKey: string }
  | {
      type: 's3';
      provider: S3Provider;
      bucket: string;
      region?: string;
      endpoint?: string;
      prefix: string;
      /** Unset: the provider's default (runner/config/s3Providers.ts). */
      forcePathStyle?: boolean;
      accessKeyId: string;
      secretAccessKey: string;
    }
  | { type: 'azure'; account: string; container: string; prefix: string; endpoint?: string; key: string };

/** Raw strings as stored in Pulumi.<stack>.yaml, plus the provider's `alicloud:region`. */
export type RawConfig = Partial<Record<ConfigKey, string>> & { region?: string };

export interface FleetConfig {
  region: string;
  destBucket: string;
  destPrefix: string;
  controlBucket: string;
  source: SourceConfig;
  /** Not about sizing: e.g. another source type's keys that are set and not used. */
  warnings: string[];
  sizing: {
    /** Where the instance count came from. */
    source: 'fleetSize' | 'dataTB' | 'surveyFile';
    /** Which figure decides it: an explicit fleetSize, the data over the deadline, or the bandwidth cap. */
    bound: 'fleetSize' | 'deadline' | 'bandwidthCap';
    instances: number;
    explanation: string;
    warnings: string[];
  };
  mbpsPerInstance: number;
  instanceType: string;
  workerConcurrency: number;
  mirror: boolean;
  operatorCidr?: string;
  sshPublicKey?: string;
  redisInstanceClass: string;
  redisEngineVersion: string;
  redisPassword?: string;
  queuePublic: boolean;
  nodeDistUrl: string;
  nodeDistSha256: string;
  bundlePath?: string;
}

// One ConfigError for the runner and the stack (runner/core is pure: no cycle). A stack config
// lists every problem at once, each naming its ossmigrate:KEY and the `pulumi config set` fix.
export { ConfigError };

const invalidStack = (problems: string[]) => ConfigError.list('invalid stack configuration', problems);

// Secrets get no example value: typed on the command line they would land in shell history; the
// CLI prompts for them (or reads stdin) instead.
const set = (key: string, example: string, secret = false): string =>
  `pulumi config set ${secret ? '--secret ' : ''}${key.includes(':') ? key : `${NAMESPACE}:${key}`}${secret ? '' : ` ${example}`}`;
const msg = (key: ConfigKey, problem: string, example: string, secret = false): string =>
  `${NAMESPACE}:${key} ${problem} — ${set(key, example, secret)}`;

const OSS_BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const DECIMAL = /^\d+(\.\d+)?$/;

const bucketName = (key: ConfigKey, example: string) =>
  z
    .string()
    .trim()
    .regex(OSS_BUCKET, {
      error: msg(
        key,
        'must be 3–63 lowercase letters, digits or hyphens, not starting or ending with -',
        example,
      ),
    });

const prefix = (key: ConfigKey) =>
  z.string().refine((p) => !p.startsWith('/'), {
    error: msg(key, 'must not start with "/" (object keys do not)', 'data/'),
  });

const positive = (key: ConfigKey, what: string, example: string) =>
  z
    .string()
    .trim()
    .refine((v) => DECIMAL.test(v) && Number(v) > 0, {
      error: msg(key, `must be a positive number (${what})`, example),
    })
    .transform(Number);

const integer = (key: ConfigKey, min: number, max: number, example: string) =>
  z
    .string()
    .trim()
    .refine((v) => /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max, {
      error: msg(key, `must be a whole number from ${min} to ${max}`, example),
    })
    .transform(Number);

const bool = (key: ConfigKey) =>
  z
    .string()
    .trim()
    .refine((v) => v === 'true' || v === 'false', { error: msg(key, 'must be true or false', 'true') })
    .transform((v) => v === 'true');

const endpointUrl = (key: ConfigKey, re: RegExp, example: string) =>
  z
    .string()
    .trim()
    .regex(re, { error: msg(key, `must be a URL like ${example}`, example) })
    .transform((u) => u.replace(/\/$/, ''))
    .optional();

const secretText = (key: ConfigKey) =>
  z.string().refine((v) => v.trim() !== '' && !/\s/.test(v), {
    error: msg(key, 'must be non-empty with no spaces', '', true),
  });

function cidrProblem(cidr: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) {
    return 'must be an IPv4 CIDR such as 203.0.113.7/32';
  }
  if (Number(m[5]) < 8) {
    return `opens SSH to ${cidr === '0.0.0.0/0' ? 'the whole internet' : 'a large part of the internet'}; allow only your own address`;
  }
  return undefined;
}

const schema = z
  .object({
    // Required keys are optional here and checked in superRefine, so that one run lists every problem.
    region: z
      .string()
      .trim()
      .regex(/^[a-z]{2,}-[a-z0-9-]+$/, {
        error: `alicloud:region is not a region id — ${set('alicloud:region', 'cn-hangzhou')}`,
      })
      .optional(),
    destBucket: bucketName('destBucket', 'my-bucket').optional(),
    destPrefix: prefix('destPrefix').optional(),
    controlBucket: bucketName('controlBucket', 'my-bucket-ossmigrate').optional(),
    cosBucket: z
      .string()
      .trim()
      .regex(/^[a-z0-9][a-z0-9-]*-\d{5,}$/, {
        error: msg('cosBucket', 'must be <name>-<APPID>', 'media-1250000000'),
      })
      .optional(),
    cosRegion: z
      .string()
      .trim()
      .regex(/^[a-z]+-[a-z]+(-[a-z0-9]+)*$/, {
        error: msg('cosRegion', 'must be a COS region id', 'ap-guangzhou'),
      })
      .optional(),
    cosPrefix: prefix('cosPrefix').optional(),
    cosSecretId: secretText('cosSecretId').optional(),
    cosSecretKey: secretText('cosSecretKey').optional(),
    sourceType: z
      .enum(SOURCE_TYPES, { error: msg('sourceType', `must be one of ${SOURCE_TYPES.join(', ')}`, 's3') })
      .optional(),
    s3Provider: z
      .enum(S3_PROVIDERS, { error: msg('s3Provider', `must be one of ${S3_PROVIDERS.join(', ')}`, 'aws') })
      .optional(),
    s3Bucket: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$/, {
        error: msg('s3Bucket', 'must be an S3 bucket name: 3-255 letters, digits, ".", "-" or "_"', 'media'),
      })
      .optional(),
    s3Region: z
      .string()
      .trim()
      .regex(/^[a-z0-9][a-z0-9-]*$/, {
        error: msg('s3Region', 'must be a region like us-east-1 (or cn-east-1, bj, auto)', 'us-east-1'),
      })
      .optional(),
    s3Endpoint: endpointUrl('s3Endpoint', /^https?:\/\/[^/\s]+\/?$/, 'https://s3.us-east-1.amazonaws.com'),
    s3Prefix: prefix('s3Prefix').optional(),
    s3ForcePathStyle: bool('s3ForcePathStyle').optional(),
    s3AccessKeyId: z
      .string()
      .refine((v) => v.trim() !== '' && !/\s/.test(v), {
        error: msg('s3AccessKeyId', 'must be non-empty with no spaces', 'AKIAIOSFODNN7EXAMPLE'),
      })
      .optional(),
    s3SecretAccessKey: secretText('s3SecretAccessKey').optional(),
    azureAccount: z
      .string()
      .trim()
      .regex(/^[a-z0-9]{3,24}$/, {
        error: msg(
          'azureAccount',
          'must be a storage account name: 3-24 lower-case letters and digits',
          'mediastore',
        ),
      })
      .optional(),
    azureContainer: z
      .string()
      .trim()
      .regex(/^(\$root|[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9])$/, {
        error: msg(
          'azureContainer',
          'must be a container name: 3-63 lower-case letters, digits and single hyphens, not starting or ending with a hyphen',
          'media',
        ),
      })
      .optional(),
    azurePrefix: prefix('azurePrefix').optional(),
    azureEndpoint: endpointUrl(
      'azureEndpoint',
      /^https?:\/\/[^/\s]+(\/[a-z0-9]{3,24})?\/?$/,
      'https://ACCOUNT.blob.core.chinacloudapi.cn',
    ),
    azureKey: secretText('azureKey').optional(),
    dataTB: positive('dataTB', 'terabytes to move, 10^12 bytes', '500').optional(),
    surveyFile: z.string().trim().min(1).optional(),
    days: positive('days', 'the deadline for the full copy', '7').optional(),
    mbpsPerInstance: positive('mbpsPerInstance', 'Mbit/s one worker sustains', '100').optional(),
    fleetSize: integer('fleetSize', 0, MAX_FLEET, '0').optional(),
    instanceType: z
      .string()
      .trim()
      .regex(/^ecs\.[a-z0-9-]+\.[a-z0-9-]+$/, {
        error: msg('instanceType', 'must be an ECS instance type', 'ecs.g7.large'),
      })
      .optional(),
    workerConcurrency: integer('workerConcurrency', 1, 1024, '16').optional(),
    mirror: bool('mirror').optional(),
    operatorCidr: z
      .string()
      .trim()
      .superRefine((v, ctx) => {
        const p = cidrProblem(v);
        if (p) ctx.addIssue({ code: 'custom', message: msg('operatorCidr', p, '203.0.113.7/32') });
      })
      .optional(),
    sshPublicKey: z
      .string()
      .trim()
      .regex(/^(ssh-(rsa|ed25519)|ecdsa-sha2-nistp\d+) [A-Za-z0-9+/=]+( .*)?$/, {
        error: msg('sshPublicKey', 'must be an OpenSSH public key', '"$(cat ~/.ssh/id_ed25519.pub)"'),
      })
      .optional(),
    redisInstanceClass: z.string().trim().min(1).optional(),
    redisEngineVersion: z
      .string()
      .trim()
      .regex(/^\d\.\d$/, { error: msg('redisEngineVersion', 'must look like 7.0', '7.0') })
      .optional(),
    redisPassword: z
      .string()
      .superRefine((v, ctx) => {
        const p = redisPasswordProblem(v);
        if (p) ctx.addIssue({ code: 'custom', message: msg('redisPassword', p, '', true) });
      })
      .optional(),
    queuePublic: bool('queuePublic').optional(),
    nodeDistUrl: z
      .string()
      .trim()
      .regex(/^https:\/\/\S+$/, {
        error: msg(
          'nodeDistUrl',
          'must be an https:// URL of a linux-x64 Node tarball',
          DEFAULTS.nodeDistUrl,
        ),
      })
      .optional(),
    nodeDistSha256: z
      .string()
      .trim()
      .transform((v) => v.toLowerCase())
      .pipe(
        z.string().regex(/^[0-9a-f]{64}$/, {
          error: msg('nodeDistSha256', 'must be 64 hex digits', '<sha256 from SHASUMS256.txt>'),
        }),
      )
      .optional(),
    bundlePath: z.string().trim().min(1).optional(),
  })
  .superRefine((c, ctx) => {
    const add = (key: string, message: string) => ctx.addIssue({ code: 'custom', path: [key], message });
    if (c.region === undefined) {
      add(
        'region',
        `alicloud:region is required (the bucket's region; the fleet runs there too) — ${set('alicloud:region', 'cn-hangzhou')}`,
      );
    }
    const source = c.sourceType ?? 'cos';
    for (const [key, why, example] of [...REQUIRED, ...SOURCE_REQUIRED[source]]) {
      if (c[key] === undefined) {
        const when =
          source === 'cos' || REQUIRED_KEYS.includes(key) ? '' : ` when ossmigrate:sourceType is ${source}`;
        add(key, msg(key, `is required${when} (${why})`, example, SECRET_KEYS.includes(key)));
      }
    }
    if (source === 's3') {
      const provider = c.s3Provider ?? 'aws';
      const p = s3SourceProblem({ provider, region: c.s3Region, endpoint: c.s3Endpoint });
      if (p) {
        const key = p.path === 'region' ? 's3Region' : 's3Endpoint';
        const example =
          p.path === 'region'
            ? S3_PRESETS[provider].exampleRegion
            : provider === 'r2'
              ? 'https://ACCOUNT_ID.r2.cloudflarestorage.com'
              : 'https://minio.example.com:9000';
        add(key, msg(key, `${p.message.replace(/, e\.g\. .*$/, '')}`, example));
      }
    }
    if (c.fleetSize === undefined) {
      if (c.dataTB === undefined && c.surveyFile === undefined) {
        add(
          'dataTB',
          msg(
            'dataTB',
            'is required to size the fleet (or set ossmigrate:surveyFile, or ossmigrate:fleetSize)',
            '500',
          ),
        );
      }
      if (c.dataTB !== undefined && c.surveyFile !== undefined) {
        add(
          'surveyFile',
          `${NAMESPACE}:dataTB and ${NAMESPACE}:surveyFile are both set; keep one — pulumi config rm ${NAMESPACE}:surveyFile`,
        );
      }
      if (c.days === undefined) add('days', msg('days', 'is required to size the fleet', '7'));
    }
    if (c.queuePublic && !c.operatorCidr) {
      add(
        'queuePublic',
        msg(
          'operatorCidr',
          'is required when ossmigrate:queuePublic is true (the public endpoint admits only that CIDR)',
          '203.0.113.7/32',
        ),
      );
    }
    if (c.controlBucket !== undefined && c.controlBucket === c.destBucket) {
      add(
        'controlBucket',
        msg(
          'controlBucket',
          'must differ from ossmigrate:destBucket (it keeps the bundle and journals out of business data)',
          `${c.destBucket}-ossmigrate`,
        ),
      );
    }
  });

export interface ParseIo {
  /** Reads `surveyFile` (already resolved against the project root). */
  readFile(path: string): string;
  /** Directory relative config paths are resolved against. */
  projectRoot: string;
}

export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const defaultIo: ParseIo = { readFile: (p) => readFileSync(p, 'utf8'), projectRoot: PROJECT_ROOT };

export interface Secrecy {
  /** Secret keys (SECRET_KEYS) whose value the stack stores in plaintext. */
  plaintext: readonly ConfigKey[];
}

export function parseConfig(raw: RawConfig, io: ParseIo = defaultIo, secrecy?: Secrecy): FleetConfig {
  // Unset and empty mean the same thing: `pulumi config set key ""` should not switch a feature on.
  const cleaned = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== ''));
  const problems: string[] = [];
  // Pulumi.yaml cannot mark these secret (a secret key may not have a default, and an optional
  // key needs one), so the program refuses a plaintext value itself — listed with every other problem.
  for (const key of secrecy?.plaintext ?? []) {
    if (cleaned[key] === undefined) continue;
    problems.push(
      `${NAMESPACE}:${key} is stored in plaintext in the stack's config file; it must be a secret — ${set(key, '', true)} (it prompts; the encrypted value replaces the plaintext one)`,
    );
  }
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success)
    throw invalidStack([...problems, ...new Set(parsed.error.issues.map((i) => i.message))]);
  const c = parsed.data;
  const { region, destBucket } = c;
  // superRefine rejected any missing one; this narrows the types.
  if (!region || !destBucket) throw new Error('parseConfig: a required key passed validation unset');
  const source = sourceOf(c);
  // The workers' env file carries the source keys verbatim (infra/userData.ts): say so here, by key,
  // rather than fail inside `pulumi up`. The value is never repeated.
  for (const key of SOURCE_KEYS[source.type]) {
    const v = c[key];
    if (typeof v === 'string' && SECRET_KEYS.includes(key) && !ENV_SAFE.test(v))
      problems.push(
        `${NAMESPACE}:${key} contains characters the workers' env file cannot carry verbatim (allowed: letters, digits and ._~:/@%+=,-); issue a key without them and ${set(key, '', true)}`,
      );
  }

  const controlBucket = c.controlBucket ?? `${destBucket}-ossmigrate`;
  if (controlBucket.length > 63) {
    problems.push(
      msg(
        'controlBucket',
        `must be set: the default "${controlBucket}" is longer than 63 characters`,
        'my-bucket-ctl',
      ),
    );
  }

  const mbpsPerInstance = c.mbpsPerInstance ?? DEFAULTS.mbpsPerInstance;
  let sizing: FleetConfig['sizing'] | undefined;
  const resolvePath = (p: string) => (isAbsolute(p) ? p : resolve(io.projectRoot, p));
  if (c.fleetSize !== undefined) {
    const warnings: string[] = [];
    const ignored = (['dataTB', 'surveyFile', 'days'] as const).filter((k) => c[k] !== undefined);
    if (ignored.length > 0) {
      const would =
        c.dataTB !== undefined && c.days !== undefined
          ? `; they would size ${sizeFleet({ dataTB: c.dataTB, days: c.days, mbpsPerInstance }).instances}`
          : '';
      warnings.push(
        `${NAMESPACE}:fleetSize ${c.fleetSize} overrides the sizing: ${ignored.map((k) => `${NAMESPACE}:${k}`).join(', ')} ` +
          `${ignored.length === 1 ? 'is' : 'are'} not used${would}. To size from the data again: pulumi config rm ${NAMESPACE}:fleetSize`,
      );
    }
    sizing = {
      source: 'fleetSize',
      bound: 'fleetSize',
      instances: c.fleetSize,
      explanation: `Fleet size set explicitly to ${c.fleetSize} (ossmigrate:fleetSize); it bounds the fleet, not the data or the deadline.`,
      warnings,
    };
  } else {
    let dataTB = c.dataTB;
    let source: 'dataTB' | 'surveyFile' = 'dataTB';
    if (dataTB === undefined && c.surveyFile !== undefined) {
      source = 'surveyFile';
      const path = resolvePath(c.surveyFile);
      let text: string | undefined;
      try {
        text = io.readFile(path);
      } catch (err) {
        problems.push(
          `${NAMESPACE}:surveyFile ${path} cannot be read (${(err as Error).message}) — run \`ossmigrate plan --json > survey.ndjson\` and ${set('surveyFile', 'survey.ndjson')}`,
        );
      }
      if (text !== undefined) {
        const bytes = surveyBytes(text);
        if (bytes === undefined || bytes <= 0) {
          problems.push(
            `${NAMESPACE}:surveyFile ${path} has no plan: expected a JSON object or NDJSON line with "type":"plan" and a positive numeric "bytes" (the output of \`ossmigrate plan --json\`) — or ${set('dataTB', '500')} instead`,
          );
        } else {
          dataTB = bytesToTB(bytes);
        }
      }
    }
    if (dataTB !== undefined && c.days !== undefined) {
      const s = sizeFleet({ dataTB, days: c.days, mbpsPerInstance });
      const from = source === 'surveyFile' ? ` (from the survey: ${fmt(dataTB)} TB)` : '';
      const data = source === 'surveyFile' ? `${NAMESPACE}:surveyFile` : `${NAMESPACE}:dataTB`;
      const warnings: string[] = [];
      let bound: string;
      if (s.bound === 'bandwidthCap') {
        bound =
          `Bounded by the pay-as-you-go public bandwidth cap: ${PAYG_MAX_PUBLIC_MBPS} Mbit/s per worker, not ` +
          `${NAMESPACE}:mbpsPerInstance ${fmt(mbpsPerInstance)} (which would give ${s.uncappedInstances}).`;
        warnings.push(
          `${NAMESPACE}:mbpsPerInstance is ${fmt(mbpsPerInstance)} Mbit/s, but the workers' pay-as-you-go public IP is ` +
            `capped at ${PAYG_MAX_PUBLIC_MBPS} Mbit/s (internetMaxBandwidthOut ${PAYG_MAX_PUBLIC_MBPS}), so the fleet is sized at ` +
            `${PAYG_MAX_PUBLIC_MBPS} Mbit/s: ${s.instances} instances, not ${s.uncappedInstances}. Set what a worker really ` +
            `gets — pulumi config set ${NAMESPACE}:mbpsPerInstance ${PAYG_MAX_PUBLIC_MBPS}`,
        );
      } else {
        bound = `Bounded by the data and the deadline (${data}, ${NAMESPACE}:days) at ${NAMESPACE}:mbpsPerInstance ${fmt(mbpsPerInstance)}.`;
      }
      sizing = {
        source,
        bound: s.bound,
        instances: s.instances,
        explanation: `${s.explanation}${from} ${bound}`,
        warnings,
      };
      if (s.instances > MAX_FLEET) {
        problems.push(
          `the sizing asks for ${s.instances} instances, more than ${MAX_FLEET}: allow more days or a faster instance, or cap it — ${set('fleetSize', String(MAX_FLEET))}`,
        );
      }
    }
  }
  if (problems.length > 0 || sizing === undefined) throw invalidStack(problems);

  return {
    region,
    destBucket,
    destPrefix: c.destPrefix ?? '',
    controlBucket,
    source,
    warnings: unusedSourceKeys(source.type, cleaned),
    sizing,
    mbpsPerInstance,
    instanceType: c.instanceType ?? DEFAULTS.instanceType,
    workerConcurrency: c.workerConcurrency ?? DEFAULTS.workerConcurrency,
    mirror: c.mirror ?? false,
    ...(c.operatorCidr !== undefined && { operatorCidr: c.operatorCidr }),
    ...(c.sshPublicKey !== undefined && { sshPublicKey: c.sshPublicKey }),
    redisInstanceClass: c.redisInstanceClass ?? DEFAULTS.redisInstanceClass,
    redisEngineVersion: c.redisEngineVersion ?? DEFAULTS.redisEngineVersion,
    ...(c.redisPassword !== undefined && { redisPassword: c.redisPassword }),
    queuePublic: c.queuePublic ?? false,
    nodeDistUrl: c.nodeDistUrl ?? DEFAULTS.nodeDistUrl,
    nodeDistSha256: c.nodeDistSha256 ?? '',
    ...(c.bundlePath !== undefined && { bundlePath: resolvePath(c.bundlePath) }),
  };
}

type Parsed = z.output<typeof schema>;

/** The chosen source from the validated keys (superRefine has required its keys). */
function sourceOf(c: Parsed): SourceConfig {
  const need = <V>(v: V | undefined): V => {
    if (v === undefined) throw new Error('parseConfig: a required source key passed validation unset');
    return v;
  };
  switch (c.sourceType ?? 'cos') {
    case 'cos':
      return {
        type: 'cos',
        bucket: need(c.cosBucket),
        region: need(c.cosRegion),
        prefix: c.cosPrefix ?? '',
        secretId: need(c.cosSecretId),
        secretKey: need(c.cosSecretKey),
      };
    case 's3':
      return {
        type: 's3',
        provider: c.s3Provider ?? 'aws',
        bucket: need(c.s3Bucket),
        ...(c.s3Region !== undefined && { region: c.s3Region }),
        ...(c.s3Endpoint !== undefined && { endpoint: c.s3Endpoint }),
        prefix: c.s3Prefix ?? '',
        ...(c.s3ForcePathStyle !== undefined && { forcePathStyle: c.s3ForcePathStyle }),
        accessKeyId: need(c.s3AccessKeyId),
        secretAccessKey: need(c.s3SecretAccessKey),
      };
    case 'azure':
      return {
        type: 'azure',
        account: need(c.azureAccount),
        container: need(c.azureContainer),
        prefix: c.azurePrefix ?? '',
        ...(c.azureEndpoint !== undefined && { endpoint: c.azureEndpoint }),
        key: need(c.azureKey),
      };
  }
}

/** Another source type's keys left set (e.g. the COS keys after switching to s3): not used, say so. */
function unusedSourceKeys(type: SourceType, set: Record<string, unknown>): string[] {
  const unused = SOURCE_TYPES.filter((t) => t !== type)
    .flatMap((t) => SOURCE_KEYS[t])
    // Pulumi.yaml's default s3Provider (aws) is in every stack: not a leftover.
    .filter((k) => set[k] !== undefined && !(k === 's3Provider' && set[k] === 'aws'));
  if (unused.length === 0) return [];
  return [
    `ossmigrate:sourceType is ${type}, so ${unused.map((k) => `${NAMESPACE}:${k}`).join(', ')} ` +
      `${unused.length === 1 ? 'is' : 'are'} not used — ${unused.map((k) => `pulumi config rm ${NAMESPACE}:${k}`).join(' && ')}`,
  ];
}

/** Reads the stack's config. Secrets arrive decrypted here; the program re-wraps them with pulumi.secret. */
export function loadConfig(): FleetConfig {
  const cfg = new pulumi.Config(NAMESPACE);
  const raw: RawConfig = {};
  for (const key of CONFIG_KEYS) {
    const v = cfg.get(key);
    if (v !== undefined) raw[key] = v;
  }
  const region = new pulumi.Config('alicloud').get('region') ?? process.env.ALICLOUD_REGION;
  if (region !== undefined) raw.region = region;
  const isSecret = configIsSecret();
  const plaintext = SECRET_KEYS.filter((k) => raw[k] !== undefined && !isSecret(`${NAMESPACE}:${k}`));
  return parseConfig(raw, defaultIo, { plaintext });
}

/**
 * Whether the stack stores a key encrypted. The SDK's own check (pulumi.runtime.isConfigSecret,
 * which reads the PULUMI_CONFIG_SECRET_KEYS list the CLI passes, and setAllConfig under mocks)
 * is not in its typings; fall back to that variable.
 */
function configIsSecret(): (fullKey: string) => boolean {
  const sdk = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
  if (typeof sdk === 'function') return sdk;
  let keys: unknown = [];
  try {
    keys = JSON.parse(process.env.PULUMI_CONFIG_SECRET_KEYS ?? '[]');
  } catch {
    // Unreadable list: treat every key as plaintext, which the error then names.
  }
  return (k) => Array.isArray(keys) && keys.includes(k);
}
