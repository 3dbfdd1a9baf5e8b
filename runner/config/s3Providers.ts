/**
 * S3-compatible providers: where each one's endpoint is, how it is addressed and which listing it
 * speaks. Modelled on rclone's provider presets (rclone/rclone backend/s3/provider/*.yaml, the
 * `quirks` blocks: list_version, list_url_encode, force_path_style, use_multipart_etag); BOS and
 * KS3 have no rclone preset and take the conservative settings rclone gives "Other".
 * No I/O here: the job schema and the adapter both read it.
 */

export const S3_PROVIDERS = ['aws', 'qiniu', 'bos', 'ks3', 'obs', 'minio', 'r2', 'other'] as const;
export type S3Provider = (typeof S3_PROVIDERS)[number];

export type S3Preset = {
  label: string;
  /** The endpoint for a region; undefined: the provider has no public pattern (give the endpoint). */
  endpoint?: (region: string) => string;
  /** Region to sign with when none is given. */
  defaultRegion?: string;
  /** Bucket in the path (http://host/bucket/key) instead of the host name. */
  pathStyle: boolean;
  /** ListObjectsV2, or V1 (marker) where V2 is missing or broken. */
  listVersion: 1 | 2;
  /** The listing honours encoding-type=url (keys with control characters survive the XML). */
  urlEncodeListing: boolean;
  /** A multipart ETag is MD5-of-part-MD5s-N (R2's are random: no evidence in them). */
  multipartEtag: boolean;
  /** Example region for messages. */
  exampleRegion: string;
};

export const S3_PRESETS: Record<S3Provider, S3Preset> = {
  // rclone AWS.yaml: V2 listing, url-encoded, virtual-hosted.
  aws: {
    label: 'AWS S3',
    endpoint: (r) => `https://s3.${r}.amazonaws.com`,
    pathStyle: false,
    listVersion: 2,
    urlEncodeListing: true,
    multipartEtag: true,
    exampleRegion: 'us-east-1',
  },
  // rclone Qiniu.yaml: force_path_style, list_url_encode false, use_multipart_etag false.
  qiniu: {
    label: 'Qiniu Kodo',
    endpoint: (r) => `https://s3.${r}.qiniucs.com`,
    pathStyle: true,
    listVersion: 2,
    urlEncodeListing: false,
    multipartEtag: false,
    exampleRegion: 'cn-east-1',
  },
  // Baidu BOS S3 endpoint s3.<region>.bcebos.com (no rclone preset: Other's V1, no url encoding).
  bos: {
    label: 'Baidu BOS',
    endpoint: (r) => `https://s3.${r}.bcebos.com`,
    pathStyle: false,
    listVersion: 1,
    urlEncodeListing: false,
    multipartEtag: true,
    exampleRegion: 'bj',
  },
  // Kingsoft KS3 ks3-<region>.ksyuncs.com (no rclone preset: Other's V1, no url encoding).
  ks3: {
    label: 'Kingsoft KS3',
    endpoint: (r) => `https://ks3-${r}.ksyuncs.com`,
    pathStyle: false,
    listVersion: 1,
    urlEncodeListing: false,
    multipartEtag: true,
    exampleRegion: 'cn-beijing',
  },
  // rclone HuaweiOBS.yaml: list_version 1, list_url_encode false (markers loop otherwise).
  obs: {
    label: 'Huawei OBS',
    endpoint: (r) => `https://obs.${r}.myhuaweicloud.com`,
    pathStyle: false,
    listVersion: 1,
    urlEncodeListing: false,
    multipartEtag: true,
    exampleRegion: 'cn-north-4',
  },
  // rclone Minio.yaml: force_path_style.
  minio: {
    label: 'MinIO',
    defaultRegion: 'us-east-1',
    pathStyle: true,
    listVersion: 2,
    urlEncodeListing: true,
    multipartEtag: true,
    exampleRegion: 'us-east-1',
  },
  // rclone Cloudflare.yaml: region auto, force_path_style, multipart ETags are random.
  r2: {
    label: 'Cloudflare R2',
    defaultRegion: 'auto',
    pathStyle: true,
    listVersion: 2,
    urlEncodeListing: true,
    multipartEtag: false,
    exampleRegion: 'auto',
  },
  // rclone Other.yaml: list_version 1, force_path_style, list_url_encode false, no multipart ETag.
  other: {
    label: 'S3-compatible',
    defaultRegion: 'us-east-1',
    pathStyle: true,
    listVersion: 1,
    urlEncodeListing: false,
    multipartEtag: false,
    exampleRegion: 'us-east-1',
  },
};

/** An IP address or localhost cannot carry the bucket in its name: path style. */
export function isIpOrLocal(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').replace(/:\d+$/, '');
  return h === 'localhost' || /^\d{1,3}(\.\d{1,3}){3}$/.test(h) || h.includes(':');
}

export type ResolvedS3 = {
  endpoint: string;
  region: string;
  pathStyle: boolean;
  preset: S3Preset;
};

/**
 * The connection a source block describes. Throws a plain Error with the user's terms; the job
 * schema checks the same conditions first, so users see them as config errors.
 */
export function resolveS3(s: {
  provider: S3Provider;
  region?: string | undefined;
  endpoint?: string | undefined;
  forcePathStyle?: boolean | undefined;
}): ResolvedS3 {
  const preset = S3_PRESETS[s.provider];
  const region =
    s.region ??
    preset.defaultRegion ??
    (s.endpoint ? (regionFromHost(s.provider, new URL(s.endpoint).host) ?? 'us-east-1') : undefined);
  if (!region) throw new Error(`source.region is required for provider ${s.provider}`);
  const endpoint = s.endpoint ?? preset.endpoint?.(region);
  if (!endpoint) throw new Error(`source.endpoint is required for provider ${s.provider}`);
  const host = new URL(endpoint).host;
  return {
    endpoint,
    region,
    pathStyle: s.forcePathStyle ?? (preset.pathStyle || isIpOrLocal(host)),
    preset,
  };
}

/** What the source block lacks for its provider, in the job file's terms (undefined: complete). */
export function s3SourceProblem(s: {
  provider: S3Provider;
  region?: string | undefined;
  endpoint?: string | undefined;
}): { path: 'region' | 'endpoint'; message: string } | undefined {
  const preset = S3_PRESETS[s.provider];
  if (!preset.endpoint && !s.endpoint)
    return {
      path: 'endpoint',
      message: `is required for provider ${s.provider} (${preset.label} has no public endpoint pattern), e.g. ${
        s.provider === 'r2' ? 'https://ACCOUNT_ID.r2.cloudflarestorage.com' : 'http://minio.internal:9000'
      }`,
    };
  if (preset.endpoint && !s.region && !s.endpoint && !preset.defaultRegion)
    return {
      path: 'region',
      message: `is required for provider ${s.provider}: the endpoint is built from it (e.g. ${preset.exampleRegion} → ${preset.endpoint(preset.exampleRegion)})`,
    };
  return undefined;
}

/**
 * The region a provider's standard host name carries (s3.us-west-2.amazonaws.com → us-west-2;
 * ossimport's BOS srcDomain bj.bcebos.com → bj), or undefined for any other host.
 */
export function regionFromHost(provider: S3Provider, host: string): string | undefined {
  const h = host.toLowerCase().replace(/:\d+$/, '');
  const patterns: Partial<Record<S3Provider, RegExp>> = {
    aws: /^(?:[^.]+\.)*s3[.-]([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com$/,
    qiniu: /^s3[.-]([a-z]{2}-[a-z]+-\d+)\.qiniucs\.com$/,
    bos: /^(?:s3\.)?([a-z0-9-]+)\.bcebos\.com$/,
    ks3: /^ks3-([a-z0-9-]+?)(?:-internal)?\.ksyuncs\.com$/,
    obs: /^obs\.([a-z0-9-]+)\.myhuaweicloud\.com$/,
  };
  return patterns[provider]?.exec(h)?.[1];
}
