// The OSS back-to-origin ("mirror") rule for phase 5. PURE; generic over the secret type so the
// program can pass Pulumi secrets and tests can pass plain strings.

import { isIpOrLocal, resolveS3, type S3Provider } from '../runner/config/s3Providers.ts';
import { cosOrigin } from './naming.ts';

/** Where OSS fetches a missing key from, and the region its S3V4 signature names. */
export interface MirrorOrigin {
  url: string;
  region: string;
}

/**
 * An S3 or S3-compatible origin (AWS, Qiniu, BOS, KS3, OBS, MinIO, R2, …): OSS signs its
 * back-to-origin GETs with MirrorAuth S3V4 and the source's key, like a COS origin. Virtual-hosted
 * (https://BUCKET.host/) unless the provider or endpoint needs path style (https://host/BUCKET/).
 */
export function s3Origin(s: {
  provider: S3Provider;
  bucket: string;
  region?: string | undefined;
  endpoint?: string | undefined;
  forcePathStyle?: boolean | undefined;
}): MirrorOrigin {
  const r = resolveS3(s);
  const u = new URL(r.endpoint);
  const url = r.pathStyle ? `${u.protocol}//${u.host}/${s.bucket}/` : `${u.protocol}//${s.bucket}.${u.host}/`;
  return { url, region: r.region };
}

/**
 * Why OSS cannot mirror from this origin, or undefined when it can. OSS fetches from Alibaba
 * Cloud's network over the internet, signing with S3V4 only: an origin on a private address, or
 * one that cannot check an S3V4 signature, needs the cutover without the mirror (stop writes,
 * run the last incremental pass, switch).
 */
export function mirrorLimit(origin: MirrorOrigin): string | undefined {
  const host = new URL(origin.url).hostname;
  if (isIpOrLocal(host) && /^(localhost|127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|\[?::1)/.test(host))
    return `the origin ${origin.url} is on a private address: OSS's back-to-origin fetches come from the internet and cannot reach it (expose it publicly, or cut over without the mirror: stop writes, run the last incremental pass, switch)`;
  return undefined;
}

export interface MirrorInput<S> {
  cosBucket: string;
  cosRegion: string;
  /** Any other S3-compatible origin (s3Origin): replaces the COS bucket's URL and region. */
  origin?: MirrorOrigin;
  /** Key prefix in COS that maps onto `destPrefix` in OSS ('' = bucket root). */
  cosPrefix: string;
  /** Key prefix in OSS the migration writes to ('' = bucket root). */
  destPrefix: string;
  accessKeyId: S;
  accessKeySecret: S;
}

export interface MirrorRule<S> {
  ruleNumber: number;
  condition: { httpErrorCodeReturnedEquals: '404'; keyPrefixEquals?: string };
  redirect: {
    redirectType: 'Mirror';
    mirrorUrl: string;
    mirrorPassQueryString: boolean;
    mirrorFollowRedirect: boolean;
    mirrorAllowHeadObject: boolean;
    enableReplacePrefix?: boolean;
    replaceKeyPrefixWith?: string;
    mirrorAuth: { authType: 's3v4'; region: string; accessKeyId: S; accessKeySecret: S };
  };
}

/**
 * One rule: a GET that would 404 in OSS is fetched from COS, stored in OSS and served.
 * Prefix mapping: OSS key `destPrefix + rest` ↔ COS key `cosPrefix + rest`. When the prefixes
 * differ, OSS replaces the matched prefix (`keyPrefixEquals`) with `replaceKeyPrefixWith`;
 * an empty replacement strips it, an empty match inserts it in front.
 */
export function mirrorRule<S>(o: MirrorInput<S>): MirrorRule<S> {
  const condition: MirrorRule<S>['condition'] = { httpErrorCodeReturnedEquals: '404' };
  if (o.destPrefix) condition.keyPrefixEquals = o.destPrefix;
  const redirect: MirrorRule<S>['redirect'] = {
    redirectType: 'Mirror',
    mirrorUrl: o.origin?.url ?? cosOrigin(o.cosBucket, o.cosRegion),
    mirrorPassQueryString: true,
    mirrorFollowRedirect: true,
    // Business HEADs during cutover must see the COS object too, not a 404.
    mirrorAllowHeadObject: true,
    mirrorAuth: {
      authType: 's3v4',
      region: o.origin?.region ?? o.cosRegion,
      accessKeyId: o.accessKeyId,
      accessKeySecret: o.accessKeySecret,
    },
  };
  if (o.destPrefix !== o.cosPrefix) {
    redirect.enableReplacePrefix = true;
    redirect.replaceKeyPrefixWith = o.cosPrefix;
  }
  return { ruleNumber: 1, condition, redirect };
}
