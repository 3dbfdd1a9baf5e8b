// The OSS back-to-origin ("mirror") rule for phase 5. PURE; generic over the secret type so the
// program can pass Pulumi secrets and tests can pass plain strings.

import { cosOrigin } from './naming.ts';

export interface MirrorInput<S> {
  cosBucket: string;
  cosRegion: string;
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
    mirrorUrl: cosOrigin(o.cosBucket, o.cosRegion),
    mirrorPassQueryString: true,
    mirrorFollowRedirect: true,
    // Business HEADs during cutover must see the COS object too, not a 404.
    mirrorAllowHeadObject: true,
    mirrorAuth: {
      authType: 's3v4',
      region: o.cosRegion,
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
