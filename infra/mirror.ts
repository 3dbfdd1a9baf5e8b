// The OSS back-to-origin ("mirror") rule for phase 5. PURE; generic over the secret type so the
// program can pass Pulumi secrets and tests can pass plain strings.

import { resolveS3, type S3Provider } from '../runner/config/s3Providers.ts';
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

// Reserved or site-local names no public resolver answers (RFC 6761, 6762, 8375, ICANN's .internal).
const PRIVATE_TLD =
  /\.(local|localhost|localdomain|internal|intranet|lan|home|corp|private|test|invalid|example|home\.arpa)$/;

/**
 * Why OSS, fetching from Alibaba Cloud's public network, cannot reach this host; undefined when
 * it is a public name or address. Private, loopback, link-local and carrier-grade NAT addresses,
 * single-label names, reserved suffixes and providers' "-internal" (VPC-only) endpoints.
 */
export function privateHostReason(hostname: string): string | undefined {
  const h = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return 'is this machine (localhost)';
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    if (a === 10 || a === 127 || a === 0 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168))
      return 'is a private address';
    if (a === 169 && b === 254) return 'is a link-local address';
    if (a === 100 && b >= 64 && b <= 127) return 'is a carrier-grade NAT (shared) address';
    return undefined;
  }
  if (h.includes(':')) {
    if (h === '::1' || h === '::') return 'is a loopback address';
    if (/^f[cd][0-9a-f]{0,2}:/.test(h)) return 'is a private (unique local) address';
    if (/^fe[89ab][0-9a-f]?:/.test(h)) return 'is a link-local address';
    return undefined;
  }
  if (!h.includes('.')) return 'is a single-label name no public DNS resolves';
  if (PRIVATE_TLD.test(h)) return 'is a private name no public DNS resolves';
  if (h.split('.').some((label) => label.endsWith('-internal') || label === 'internal'))
    return 'is an intranet (VPC-only) endpoint';
  return undefined;
}

const FREEZE =
  'cut over with a short write freeze instead: stop writes to the source, run the last incremental pass, switch the business to OSS';

/**
 * Why OSS cannot mirror from this origin, or undefined when it can. OSS fetches from Alibaba
 * Cloud's network over the internet, signing with S3V4 only: an origin on a private address, or
 * one that cannot check an S3V4 signature, needs the cutover without the mirror (stop writes,
 * run the last incremental pass, switch).
 */
export function mirrorLimit(origin: MirrorOrigin): string | undefined {
  const host = new URL(origin.url).hostname;
  const why = privateHostReason(host);
  if (why)
    return `the origin ${origin.url} ${why}: OSS's back-to-origin fetches come from the internet and cannot reach it (expose it publicly, or ${FREEZE})`;
  return undefined;
}

/** A stack source as mirror.ts needs it (infra/config.ts SourceConfig, without the keys). */
export type MirrorSource =
  | { type: 'cos'; bucket: string; region: string }
  | {
      type: 's3';
      provider: S3Provider;
      bucket: string;
      region?: string | undefined;
      endpoint?: string | undefined;
      forcePathStyle?: boolean | undefined;
    }
  | { type: 'azure'; account: string; container: string };

/**
 * Where the back-to-origin rule fetches from, or why there can be no rule and what to do at the
 * cutover instead. COS and reachable S3-compatible stores: an S3V4-signed origin. Azure Blob: no
 * rule (OSS's mirror signs only S3V4; Azure checks SharedKey or SAS). A private S3 endpoint: no rule.
 */
export function sourceMirror(s: MirrorSource): { origin: MirrorOrigin } | { note: string } {
  switch (s.type) {
    case 'cos':
      return { origin: { url: cosOrigin(s.bucket, s.region), region: s.region } };
    case 's3': {
      const origin = s3Origin(s);
      const limit = mirrorLimit(origin);
      return limit
        ? {
            note: `No mirror rule: ${limit}. To mirror, set a public endpoint — pulumi config set ossmigrate:s3Endpoint https://…`,
          }
        : { origin };
    }
    case 'azure':
      return {
        note: `No mirror rule: OSS back-to-origin signs its fetches with S3V4 only, and Azure Blob (${s.account}/${s.container}) accepts SharedKey or SAS, so OSS cannot fetch missing keys from it; ${FREEZE} (or make the container public-read for the cutover window and add an unsigned rule by hand: docs/sources/azure.md).`,
      };
  }
}

export interface MirrorInput<S> {
  /** The COS bucket and region; unused when `origin` is given. */
  cosBucket?: string;
  cosRegion?: string;
  /** Any other S3-compatible origin (s3Origin, sourceMirror): replaces the COS bucket's URL and region. */
  origin?: MirrorOrigin;
  /** Key prefix in the source that maps onto `destPrefix` in OSS ('' = bucket root). */
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
 * One rule: a GET that would 404 in OSS is fetched from the origin, stored in OSS and served.
 * Prefix mapping: OSS key `destPrefix + rest` ↔ origin key `cosPrefix + rest`. When the prefixes
 * differ, OSS replaces the matched prefix (`keyPrefixEquals`) with `replaceKeyPrefixWith`;
 * an empty replacement strips it, an empty match inserts it in front.
 */
export function mirrorRule<S>(o: MirrorInput<S>): MirrorRule<S> {
  const origin =
    o.origin ??
    (o.cosBucket && o.cosRegion
      ? { url: cosOrigin(o.cosBucket, o.cosRegion), region: o.cosRegion }
      : undefined);
  if (!origin) throw new Error('mirrorRule: needs an origin, or a COS bucket and region');
  const condition: MirrorRule<S>['condition'] = { httpErrorCodeReturnedEquals: '404' };
  if (o.destPrefix) condition.keyPrefixEquals = o.destPrefix;
  const redirect: MirrorRule<S>['redirect'] = {
    redirectType: 'Mirror',
    mirrorUrl: origin.url,
    mirrorPassQueryString: true,
    mirrorFollowRedirect: true,
    // Business HEADs during cutover must see the origin object too, not a 404.
    mirrorAllowHeadObject: true,
    mirrorAuth: {
      authType: 's3v4',
      region: origin.region,
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
