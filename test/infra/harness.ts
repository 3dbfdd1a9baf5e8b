// Runs infra/index.ts under Pulumi mocks (no CLI, no cloud) and records every resource with its
// inputs and the options mocks never see (retainOnDelete, ignoreChanges, replaceOnChanges).
// Pulumi state is process-global: one program load per test file.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as pulumi from '@pulumi/pulumi';

export const PROJECT = 'ossmigrate';
export const REGION = 'cn-hangzhou';
/** ECS offers h and i; Redis offers i and j → the program must pick i. */
export const ECS_ZONES = ['cn-hangzhou-h', 'cn-hangzhou-i'];
export const REDIS_ZONES = ['cn-hangzhou-i', 'cn-hangzhou-j'];
export const IMAGE_ID = 'ubuntu_24_04_x64_20G_alibase_20250101.vhd';
export const AK_ID = 'LTAI5tMockAccessKeyId';
export const AK_SECRET = 'MockAccessKeySecret0123456789ab';
export const REDIS_HOST = 'r-mock.redis.rds.aliyuncs.com';
export const REDIS_PUBLIC_HOST = 'r-mock-public.redis.rds.aliyuncs.com';

export interface Recorded {
  type: string;
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: mock inputs are untyped JSON
  inputs: Record<string, any>;
  provider: string;
}

export interface RecordedOptions {
  retainOnDelete: boolean;
  protect: boolean;
  ignoreChanges: string[];
  replaceOnChanges: string[];
}

export interface Harness {
  resources: Recorded[];
  calls: Array<{ token: string; inputs: Record<string, unknown>; provider: string }>;
  options: Map<string, RecordedOptions>;
  ofType(type: string): Recorded[];
  one(type: string, name?: string): Recorded;
  /** Waits until no new resource has been registered for a while. */
  settle(): Promise<void>;
}

export const T = {
  bucket: 'alicloud:oss/bucket:Bucket',
  bucketAcl: 'alicloud:oss/bucketAcl:BucketAcl',
  publicAccessBlock: 'alicloud:oss/bucketPublicAccessBlock:BucketPublicAccessBlock',
  website: 'alicloud:oss/bucketWebsite:BucketWebsite',
  object: 'alicloud:oss/bucketObject:BucketObject',
  ramUser: 'alicloud:ram/user:User',
  ramPolicy: 'alicloud:ram/policy:Policy',
  ramAttachment: 'alicloud:ram/userPolicyAttachment:UserPolicyAttachment',
  accessKey: 'alicloud:ram/accessKey:AccessKey',
  vpc: 'alicloud:vpc/network:Network',
  vswitch: 'alicloud:vpc/switch:Switch',
  securityGroup: 'alicloud:ecs/securityGroup:SecurityGroup',
  securityGroupRule: 'alicloud:ecs/securityGroupRule:SecurityGroupRule',
  keyPair: 'alicloud:ecs/ecsKeyPair:EcsKeyPair',
  redis: 'alicloud:kvstore/instance:Instance',
  redisConnection: 'alicloud:kvstore/connection:Connection',
  instance: 'alicloud:ecs/instance:Instance',
} as const;

export function promiseOf<V>(o: pulumi.Output<V>): Promise<V> {
  return new Promise((resolve) => o.apply((v) => resolve(v)));
}

/** `config` keys without namespace go to `ossmigrate:`; `alicloud:region` defaults to cn-hangzhou. */
export function installMocks(config: Record<string, string>, secretKeys: string[] = []): Harness {
  const full: Record<string, string> = { 'alicloud:region': REGION };
  for (const [k, v] of Object.entries(config)) full[k.includes(':') ? k : `${PROJECT}:${k}`] = v;
  pulumi.runtime.setAllConfig(
    full,
    secretKeys.map((k) => `${PROJECT}:${k}`),
  );

  const resources: Recorded[] = [];
  const calls: Harness['calls'] = [];
  const options = new Map<string, RecordedOptions>();

  pulumi.runtime.setMocks(
    {
      newResource(args) {
        resources.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          provider: args.provider ?? '',
        });
        const extra: Record<string, unknown> = {};
        let id = `${args.name}-id`;
        switch (args.type) {
          case T.accessKey:
            id = AK_ID;
            extra.secret = AK_SECRET;
            break;
          case T.redis:
            extra.connectionDomain = REDIS_HOST;
            break;
          case T.redisConnection:
            extra.connectionString = REDIS_PUBLIC_HOST;
            break;
          case T.instance:
            id = `i-${args.name}`;
            break;
        }
        return { id, state: { ...args.inputs, ...extra } };
      },
      call(args) {
        calls.push({ token: args.token, inputs: args.inputs, provider: args.provider ?? '' });
        switch (args.token) {
          case 'alicloud:index/getZones:getZones':
            return { id: 'zones', ids: ECS_ZONES, zones: ECS_ZONES.map((id) => ({ id })) };
          case 'alicloud:kvstore/getZones:getZones':
            return { id: 'kvzones', ids: REDIS_ZONES, zones: REDIS_ZONES.map((id) => ({ id })) };
          case 'alicloud:ecs/getImages:getImages':
            return { id: 'images', ids: [IMAGE_ID], images: [{ id: IMAGE_ID, imageId: IMAGE_ID }] };
          default:
            throw new Error(`unexpected invoke ${args.token}`);
        }
      },
    },
    PROJECT,
    'dev',
    false,
  );

  // Mocks receive no resource options; the monitor's request does (pulumi.md §3).
  // biome-ignore lint/suspicious/noExplicitAny: the monitor is an untyped gRPC shim
  const monitor: any = pulumi.runtime.getMonitor();
  const register = monitor.registerResource.bind(monitor);
  // biome-ignore lint/suspicious/noExplicitAny: gRPC request/callback
  monitor.registerResource = (req: any, cb: any) => {
    options.set(`${req.getType()}::${req.getName()}`, {
      retainOnDelete: Boolean(req.getRetainondelete()),
      protect: Boolean(req.getProtect()),
      ignoreChanges: req.getIgnorechangesList(),
      replaceOnChanges: req.getReplaceonchangesList(),
    });
    return register(req, cb);
  };

  return {
    resources,
    calls,
    options,
    ofType: (type) => resources.filter((r) => r.type === type),
    one(type, name) {
      const found = resources.filter((r) => r.type === type && (name === undefined || r.name === name));
      if (found.length !== 1)
        throw new Error(`expected one ${type}${name ? ` "${name}"` : ''}, found ${found.length}`);
      return found[0] as Recorded;
    },
    async settle() {
      let last = -1;
      let stable = 0;
      while (stable < 5) {
        await new Promise((r) => setTimeout(r, 10));
        stable = resources.length === last ? stable + 1 : 0;
        last = resources.length;
      }
    },
  };
}

/** Loads the program after the mocks are in place; returns its exports (the stack outputs). */
export async function loadProgram(): Promise<typeof import('../../infra/index.ts')> {
  return import('../../infra/index.ts');
}

// How secret values appear in the inputs a mock receives (Pulumi's RPC secret signature).
const SIG_KEY = '4dabf18193072939515e22adb298388d';
const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';

export function isSecretInput(v: unknown): boolean {
  return typeof v === 'object' && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/** Replaces every secret wrapper in mock inputs with its plain value. */
export function reveal(v: unknown): unknown {
  if (isSecretInput(v)) return reveal((v as { value: unknown }).value);
  if (Array.isArray(v)) return v.map(reveal);
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
  }
  return v;
}

/** Writes a stand-in runner bundle to a temp dir; returns its path and MD5. */
export function fakeBundle(dir: string): { path: string; md5: string } {
  const path = join(dir, 'ossmigrate.mjs');
  const content = `console.log('fake bundle ${Math.random()}');\n`;
  writeFileSync(path, content);
  return { path, md5: createHash('md5').update(content).digest('hex') };
}

export function decodeUserData(instance: Recorded): string {
  const ud = instance.inputs.userData;
  assert.ok(isSecretInput(ud), 'userData must be passed as a secret');
  return Buffer.from(String(reveal(ud)), 'base64').toString('utf8');
}

export function envFileOf(script: string): Map<string, string> {
  const body = /<<'OSSMIGRATE_ENV_EOF'\n([\s\S]*?)OSSMIGRATE_ENV_EOF/.exec(script)?.[1];
  assert.ok(body, 'user data writes the env file');
  return new Map(
    body
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]),
  );
}

/**
 * Where a secret value appears outside a secret: resource inputs not wrapped as secrets, and
 * stack outputs not marked secret. Returns "where: secret" lines (empty = none).
 */
export async function plaintextLeaks(
  h: Harness,
  program: Record<string, unknown>,
  secrets: readonly string[],
): Promise<string[]> {
  const found: string[] = [];
  const scan = (v: unknown, where: string) => {
    if (isSecretInput(v)) return;
    if (typeof v === 'string') {
      for (const s of secrets) if (v.includes(s)) found.push(`${where}: ${s}`);
    } else if (Array.isArray(v)) {
      for (const [i, x] of v.entries()) scan(x, `${where}[${i}]`);
    } else if (typeof v === 'object' && v !== null)
      for (const [k, x] of Object.entries(v)) scan(x, `${where}.${k}`);
  };
  for (const r of h.resources) scan(r.inputs, `${r.type} ${r.name}`);
  for (const [name, out] of Object.entries(program)) {
    if (pulumi.Output.isInstance(out)) {
      if (await pulumi.isSecret(out)) continue;
      scan(await promiseOf(out as pulumi.Output<unknown>), `output ${name}`);
    } else scan(out, `output ${name}`);
  }
  return found;
}

/** Records pulumi.log.warn (without an engine, mocks, it writes to console.warn). */
export function captureWarnings(): { warnings: string[]; restore(): void } {
  const warnings: string[] = [];
  const original = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(' '));
  return { warnings, restore: () => (console.warn = original) };
}
