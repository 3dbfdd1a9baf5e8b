/**
 * The one place an ali-oss client is made: OssStore (the data path), the sandbox infra driver
 * (bucket, mirror rule) and the demo's simulated business all call it, so region naming
 * ("cn-hangzhou" → "oss-cn-hangzhou"), the endpoint override and the timeouts are decided once.
 */
import OSS from 'ali-oss';

export type OssClientOptions = {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
  /** cn-hangzhou (bare) or oss-cn-hangzhou. */
  region: string;
  bucket?: string;
  /** Override, e.g. http://127.0.0.1:PORT for the sandbox; without it, HTTPS to the region's endpoint. */
  endpoint?: string;
  internal?: boolean;
  signatureV4?: boolean;
  timeoutMs?: number;
  /** ali-oss's own network-level retries (it never retries HTTP errors). */
  retryMax?: number;
};

export type OssClient = OSS;

export function createOssClient(o: OssClientOptions): OSS {
  return new OSS({
    accessKeyId: o.accessKeyId,
    accessKeySecret: o.accessKeySecret,
    ...(o.securityToken ? { stsToken: o.securityToken } : {}),
    ...(o.bucket ? { bucket: o.bucket } : {}),
    region: `oss-${o.region.replace(/^oss-/, '')}`,
    ...(o.endpoint ? { endpoint: o.endpoint } : { secure: true }),
    ...(o.internal !== undefined ? { internal: o.internal } : {}),
    ...(o.signatureV4 !== undefined ? { authorizationV4: o.signatureV4 } : {}),
    timeout: o.timeoutMs ?? 30_000,
    ...(o.retryMax !== undefined ? { retryMax: o.retryMax } : {}),
  } as unknown as OSS.Options);
}
