/**
 * The sandbox: the OSS and COS emulators side by side, one bucket each, fresh random credentials,
 * optionally seeded with demo data. OSS mirroring rules pointing at the real-looking COS URL
 * (https://<bucket>.cos.<region>.myqcloud.com/) reach the local COS emulator — except with an
 * Azure source, where the OSS emulator mirrors from nothing (as real OSS could not).
 */
import { randomBytes } from 'node:crypto';
import type { AzureSource } from './azureSource.ts';
import type { FaultPlanInput } from './common/faults.ts';
import { type CosEmulator, startCosEmulator } from './cos/index.ts';
import { type OssEmulator, startOssEmulator } from './oss/index.ts';
import { seedDemo } from './seed.ts';

export type SandboxInfo = {
  oss: { endpoint: string; region: string; bucket: string; accessKeyId: string; accessKeySecret: string };
  cos: { endpoint: string; region: string; bucket: string; secretId: string; secretKey: string };
  /** With --source azure: Azurite (its well-known development account and key). */
  azure?: { endpoint: string; account: string; container: string; accountKey: string };
};

type AzureEnd = ReturnType<AzureSource['jobSource']>;
type JobEnd = {
  type?: 'cos' | 's3';
  provider?: string;
  bucket: string;
  region: string;
  endpoint: string;
  prefix?: string;
};

/**
 * Which source the sandbox's jobs read. 'cos': the COS emulator through its COS API; 's3': the same
 * emulator through its S3-compatible surface (SigV4, path style: test/sandbox/cos.s3.test.ts) as
 * an S3 source (`--src s3://… --src-provider minio`). Other sources add their case below.
 */
export type SandboxSource = 'cos' | 's3' | 'azure';
export const SANDBOX_SOURCES: readonly SandboxSource[] = ['cos', 's3', 'azure'];

export type Sandbox = {
  oss: OssEmulator;
  cos: CosEmulator;
  /** With --source azure: Azurite and its container (tests seed it behind the adapter's back). */
  azure?: AzureSource;
  info: SandboxInfo;
  /** Environment for a process that should use the sandbox's credentials. */
  env(): Record<string, string>;
  /** `ossmigrate import` flags pointing at the sandbox. */
  importArgs(o?: { srcPrefix?: string; dstPrefix?: string }): string[];
  /** The job file's `source` and `destination` pointing at the sandbox (the same as importArgs). */
  jobSpec(o?: { srcPrefix?: string; dstPrefix?: string }): { source: JobEnd | AzureEnd; destination: JobEnd };
  close(): Promise<void>;
};

export type SandboxOptions = {
  seed?: 'demo' | 'none';
  dataDir?: string;
  ossPort?: number;
  cosPort?: number;
  restoreDelayMs?: number;
  faults?: { oss?: FaultPlanInput; cos?: FaultPlanInput };
  ossBucket?: string;
  cosBucket?: string;
  /** The source importArgs/jobSpec/env name (default cos). */
  source?: SandboxSource;
};

const token = (n: number) => randomBytes(n).toString('base64url');

export async function startSandbox(o: SandboxOptions = {}): Promise<Sandbox> {
  const source = o.source ?? 'cos';
  // Azure: Azurite beside the emulators (loaded only for it), started and seeded meanwhile.
  const azStart =
    source === 'azure'
      ? import('./azureSource.ts').then((m) =>
          m.startAzureSource({ seed: o.seed === 'demo' ? 'demo' : 'none' }),
        )
      : undefined;
  try {
    return await withEmulators(o, source, azStart);
  } catch (e) {
    await azStart?.then((a) => a.close()).catch(() => {});
    throw e;
  }
}

async function withEmulators(
  o: SandboxOptions,
  source: SandboxSource,
  azStart: Promise<AzureSource> | undefined,
): Promise<Sandbox> {
  const ossCred = { accessKeyId: `LTAI5t${token(12)}`, secret: token(24) };
  const cosCred = { accessKeyId: `AKID${token(16)}`, secret: token(24) };
  const cosRegion = 'ap-guangzhou';
  const ossRegion = 'cn-hangzhou';
  const cosBucket = o.cosBucket ?? 'demo-src-1250000000';
  const ossBucket = o.ossBucket ?? 'demo-dst';
  const cos = await startCosEmulator({
    credentials: [cosCred],
    region: cosRegion,
    restoreDelayMs: o.restoreDelayMs ?? 0,
    ...(o.cosPort ? { port: o.cosPort } : {}),
    ...(o.dataDir ? { dataDir: `${o.dataDir}/cos` } : {}),
    ...(o.faults?.cos ? { faults: o.faults.cos } : {}),
  });
  const cosHost = /^([a-z0-9-]+)\.cos\.([a-z0-9-]+)\.myqcloud\.com$/;
  const oss = await startOssEmulator({
    credentials: [ossCred],
    region: `oss-${ossRegion}`,
    restoreDelayMs: o.restoreDelayMs ?? 0,
    ...(o.ossPort ? { port: o.ossPort } : {}),
    ...(o.dataDir ? { dataDir: `${o.dataDir}/oss` } : {}),
    ...(o.faults?.oss ? { faults: o.faults.oss } : {}),
    // Mirror rules name the real COS host; connect to the local COS emulator instead. With an
    // Azure source nothing is reachable: real OSS cannot fetch from a private Azure container,
    // and the COS emulator beside it is not this migration's origin.
    mirrorResolve: (url) =>
      source === 'azure'
        ? null
        : cosHost.test(url.hostname)
          ? new URL(`${url.pathname}${url.search}`, cos.endpoint)
          : undefined,
  });
  cos.createBucket(cosBucket, cosRegion);
  oss.createBucket(ossBucket, `oss-${ossRegion}`);
  // With an Azure source the demo objects are in Azurite; COS is not this migration's origin.
  if (o.seed === 'demo' && source !== 'azure') await seedDemo(cos, cosBucket);
  const info: SandboxInfo = {
    oss: {
      endpoint: oss.endpoint,
      region: ossRegion,
      bucket: ossBucket,
      accessKeyId: ossCred.accessKeyId,
      accessKeySecret: ossCred.secret,
    },
    cos: {
      endpoint: cos.endpoint,
      region: cosRegion,
      bucket: cosBucket,
      secretId: cosCred.accessKeyId,
      secretKey: cosCred.secret,
    },
  };
  const az = await azStart?.catch(async (e: unknown) => {
    await Promise.all([oss.close(), cos.close()]);
    throw e;
  });
  if (az)
    info.azure = {
      endpoint: az.endpoint,
      account: az.account,
      container: az.container,
      accountKey: az.azurite.key,
    };
  // The source's own flags, env and job-file block; a new source adds its case here.
  const src = (prefix?: string): { args: string[]; env: Record<string, string>; spec: JobEnd | AzureEnd } => {
    switch (source) {
      case 'azure': {
        const a = az!;
        const j = a.jobSource(prefix ?? '');
        return {
          args: a.srcArgs(prefix ?? ''),
          env: a.env(),
          spec: j,
        };
      }
      case 's3':
        return {
          args: [
            '--src',
            `s3://${cosBucket}/${prefix ?? ''}`,
            '--src-provider',
            'minio',
            '--src-region',
            cosRegion,
            '--src-endpoint',
            cos.endpoint,
          ],
          env: { AWS_ACCESS_KEY_ID: cosCred.accessKeyId, AWS_SECRET_ACCESS_KEY: cosCred.secret },
          spec: {
            type: 's3',
            provider: 'minio',
            bucket: cosBucket,
            region: cosRegion,
            endpoint: cos.endpoint,
            ...(prefix !== undefined ? { prefix } : {}),
          },
        };
      case 'cos':
        return {
          args: [
            '--src',
            `cos://${cosBucket}/${prefix ?? ''}`,
            '--src-region',
            cosRegion,
            '--src-endpoint',
            cos.endpoint,
          ],
          env: { TENCENTCLOUD_SECRET_ID: cosCred.accessKeyId, TENCENTCLOUD_SECRET_KEY: cosCred.secret },
          spec: {
            type: 'cos',
            bucket: cosBucket,
            region: cosRegion,
            endpoint: cos.endpoint,
            ...(prefix !== undefined ? { prefix } : {}),
          },
        };
    }
  };
  return {
    oss,
    cos,
    ...(az ? { azure: az } : {}),
    info,
    env: () => ({
      ALIBABA_CLOUD_ACCESS_KEY_ID: ossCred.accessKeyId,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: ossCred.secret,
      TENCENTCLOUD_SECRET_ID: cosCred.accessKeyId,
      TENCENTCLOUD_SECRET_KEY: cosCred.secret,
      ...src().env,
    }),
    importArgs: (p = {}) => [
      ...src(p.srcPrefix).args,
      '--dst',
      `oss://${ossBucket}/${p.dstPrefix ?? ''}`,
      '--dst-region',
      ossRegion,
      '--dst-endpoint',
      oss.endpoint,
    ],
    jobSpec: (p = {}) => ({
      source: src(p.srcPrefix).spec,
      destination: {
        bucket: ossBucket,
        region: ossRegion,
        endpoint: oss.endpoint,
        ...(p.dstPrefix !== undefined ? { prefix: p.dstPrefix } : {}),
      },
    }),
    close: async () => {
      await Promise.all([oss.close(), cos.close(), az?.close()]);
    },
  };
}
