/**
 * Can OSS mirroring-based back-to-origin serve the cutover for this source? PURE: a source
 * description in, the answer with how, why and the fix out. `plan` (text and --json), the TUI's
 * plan screen and the README's sources table all say what this says (test/unit/mirrorSupport.test.ts
 * holds the README to MIRROR_SUMMARY).
 *
 * The facts (specs/anchors.md §d, specs/pulumi.md): a rule fetches `MirrorURL + key` from an
 * HTTP(S) origin on the internet (never an internal address), anonymously or signed with
 * `MirrorAuth` S3V4 (an S3-compatible origin: COS, S3 and its compatibles), or through a RAM
 * role (`MirrorUsingRole`, an OSS origin). `MirrorURL` must end in "/" (the key is appended, so
 * no query string such as an Azure SAS can ride in it). Nothing signs Azure Shared Key or
 * UpYun's own signatures; a directory has no URL at all. Where the mirror cannot serve, the
 * cutover is a write freeze: incremental passes until small, stop writes, one last pass, switch.
 */

export type MirrorSourceType = 'cos' | 'oss' | 's3' | 'azure' | 'local' | 'http-list' | 'upyun';

/** What the answer depends on; every field but `type` is optional (the job's source fits). */
export type MirrorSource = {
  type: MirrorSourceType;
  bucket?: string;
  region?: string;
  /** The source's endpoint as configured (a private address cannot be an origin). */
  endpoint?: string;
  /** S3: the provider preset (aws, qiniu, minio, …). */
  provider?: string;
  /** Azure: the account and container. */
  account?: string;
  container?: string;
  /** UpYun: the service. */
  service?: string;
  /** http-list: the distinct URL prefixes of the list (a sample is enough). */
  urlPrefixes?: readonly string[];
};

export type MirrorContext = {
  /**
   * The destination's endpoint. A destination on a local address is an emulator (the sandbox),
   * which can reach a local origin that Alibaba Cloud OSS could not.
   */
  destinationEndpoint?: string;
};

export type MirrorSupport = {
  mirror: 'yes' | 'no';
  /** One short phrase, the same as the README's "OSS mirroring at cutover" column. */
  summary: string;
  /** How the rule is written for this source (or, for "no", the only way it could be). */
  how: string;
  why: string;
  /** What to do: for "yes", how to prove the rule; for "no", the cutover without it. */
  fix: string;
};

/** The README's "OSS mirroring at cutover" cell for each source type. */
export const MIRROR_SUMMARY: Record<MirrorSourceType, string> = {
  cos: 'yes: private bucket, S3V4-signed',
  oss: 'yes: private bucket, via a RAM role',
  s3: 'yes: S3V4-signed (not private addresses)',
  azure: 'no; yes for a public-read container',
  'http-list': 'yes: public URL prefixes',
  upyun: 'no; yes through a public CDN domain',
  local: 'no',
};

/** OSS allows at most 20 routing rules on a bucket. */
const MAX_RULES = 20;

const WRITE_FREEZE =
  'cut over with a write freeze: run `ossmigrate import --since T1` until the pass is small, stop writes to the source, run it once more, then switch the business to OSS';

const PROVE =
  'after "mirror on", read one key OSS does not have yet through OSS and check it is served (and stored)';

/** Hosts OSS's back-to-origin fetches (from the internet) cannot reach. */
export function isPrivateHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || h === '0.0.0.0' || h === '::' || h === '::1')
    return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/.exec(h);
  if (v4) {
    const a = Number(v4[1]);
    const b = Number(v4[2]);
    return (
      a === 10 ||
      a === 127 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      (a === 100 && b >= 64 && b <= 127) // carrier-grade NAT, Alibaba Cloud's own 100.64/10
    );
  }
  return /^(fc|fd|fe80)[0-9a-f]*:/.test(h);
}

function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `http://${url}`).hostname;
  } catch {
    return undefined;
  }
}

const privateOrigin = (url: string | undefined) => {
  const h = hostOf(url);
  return h !== undefined && isPrivateHost(h);
};

/** The answer for an origin on a private address (unless the destination is a local emulator too). */
function unreachable(type: MirrorSourceType, url: string, how: string): MirrorSupport {
  return {
    mirror: 'no',
    summary: `no: ${url} is a private address`,
    how,
    why: `OSS fetches back-to-origin from the internet and cannot reach ${url} (a private address)`,
    fix: `expose the ${type === 'http-list' ? 'URL prefix' : 'endpoint'} on a public address for the cutover window, or ${WRITE_FREEZE}`,
  };
}

/** Can the mirror rule serve the cutover for this source? */
export function mirrorSupport(src: MirrorSource, ctx: MirrorContext = {}): MirrorSupport {
  // An emulated OSS (the sandbox) reaches a local origin; Alibaba Cloud's does not.
  const emulated = privateOrigin(ctx.destinationEndpoint);
  const note = (s: MirrorSupport, url: string | undefined): MirrorSupport =>
    url && privateOrigin(url) && emulated
      ? {
          ...s,
          why: `${s.why} (here the destination is a local OSS emulator, which reaches ${url}; Alibaba Cloud OSS needs a public origin)`,
        }
      : s;
  const summary = MIRROR_SUMMARY[src.type];
  switch (src.type) {
    case 'cos': {
      const url = src.endpoint
        ? `the bucket ${src.bucket ?? 'BUCKET-APPID'} on ${src.endpoint}`
        : `https://${src.bucket ?? 'BUCKET-APPID'}.cos.${src.region ?? 'REGION'}.myqcloud.com/`;
      const how = `MirrorURL ${url} with MirrorAuth S3V4 (the COS key, region ${src.region ?? 'REGION'}); the Pulumi stack and the sandbox driver write this rule at "mirror on"`;
      if (privateOrigin(src.endpoint) && !emulated) return unreachable('cos', src.endpoint!, how);
      return note(
        {
          mirror: 'yes',
          summary,
          how,
          why: 'COS checks S3 V4 signatures, so OSS can fetch from a private COS bucket (MirrorAuth S3V4 is documented for S3 origins; against COS it is not yet verified live, hence the check)',
          fix: PROVE,
        },
        src.endpoint,
      );
    }
    case 'oss': {
      const url = src.endpoint
        ? `the bucket ${src.bucket ?? 'BUCKET'} on ${src.endpoint}`
        : `https://${src.bucket ?? 'BUCKET'}.oss-${src.region ?? 'REGION'}.aliyuncs.com/`;
      const how = `MirrorURL ${url} with MirrorUsingRole + MirrorRole (a RAM role that may read the source bucket); set the rule in the OSS console or your own stack (the Pulumi program's rule names a COS origin)`;
      if (privateOrigin(src.endpoint) && !emulated) return unreachable('oss', src.endpoint!, how);
      return note(
        {
          mirror: 'yes',
          summary,
          how,
          why: 'OSS mirroring reads another OSS bucket, a private one through a RAM role',
          fix: PROVE,
        },
        src.endpoint,
      );
    }
    case 's3': {
      const where = src.endpoint ?? `the ${src.provider ?? 'aws'} endpoint`;
      const how = `MirrorURL = the bucket on ${where} (https://${src.bucket ?? 'BUCKET'}.HOST/, or https://HOST/${src.bucket ?? 'BUCKET'}/ path-style) with MirrorAuth S3V4 (the source key and region); the sandbox driver writes it, with Pulumi set it in the OSS console (the stack's rule names a COS origin)`;
      if (privateOrigin(src.endpoint) && !emulated) return unreachable('s3', src.endpoint!, how);
      return note(
        {
          mirror: 'yes',
          summary,
          how,
          why: 'an S3-compatible origin checks S3 V4 signatures, so OSS can fetch from a private bucket',
          fix: PROVE,
        },
        src.endpoint,
      );
    }
    case 'azure':
      return {
        mirror: 'no',
        summary,
        how: `only a public-read container: MirrorURL https://${src.account ?? 'ACCOUNT'}.blob.core.windows.net/${src.container ?? 'CONTAINER'}/ with no MirrorAuth`,
        why: 'a mirror rule signs only S3 V4 or nothing: it cannot sign Azure Shared Key requests, and a SAS token cannot ride in MirrorURL (OSS appends the key after it)',
        fix: `make the container public-read (access level "Blob") for the cutover window, or ${WRITE_FREEZE}`,
      };
    case 'upyun':
      return {
        mirror: 'no',
        summary,
        how: `only a public service: MirrorURL = its CDN domain (https://${src.service ?? 'SERVICE'}.test.upcdn.net/ or your bound domain) with no MirrorAuth`,
        why: "a private service (token anti-leech) needs UpYun's own signature, which a mirror rule cannot send",
        fix: `make the service's CDN domain public for the cutover window, or ${WRITE_FREEZE}`,
      };
    case 'local':
      return {
        mirror: 'no',
        summary,
        how: 'a directory has no URL for OSS to fetch from',
        why: 'OSS fetches back-to-origin over HTTP(S) from the internet',
        fix: `serve the directory on a public HTTPS address and mirror from it, or ${WRITE_FREEZE}`,
      };
    case 'http-list': {
      const prefixes = [...new Set(src.urlPrefixes ?? [])];
      const shown = prefixes.length
        ? prefixes.slice(0, 3).join(', ') + (prefixes.length > 3 ? ', …' : '')
        : 'the list’s URL prefix';
      const how = `MirrorURL = ${shown} (ending in "/") with no MirrorAuth${prefixes.length > 1 ? `; one rule per URL prefix (${prefixes.length}), told apart by key prefix` : ''}`;
      const hidden = prefixes.find((p) => privateOrigin(p));
      if (hidden && !emulated) return unreachable('http-list', hidden, how);
      if (prefixes.length > MAX_RULES)
        return {
          mirror: 'no',
          summary: `no: ${prefixes.length} URL prefixes, at most ${MAX_RULES} rules`,
          how,
          why: `the list mixes ${prefixes.length} URL prefixes and a bucket holds at most ${MAX_RULES} mirror rules`,
          fix: `copy everything before the cutover: ${WRITE_FREEZE}`,
        };
      return note(
        {
          mirror: 'yes',
          summary,
          how,
          why: 'a public HTTP(S) origin is what a mirror rule fetches from',
          fix: PROVE,
        },
        hidden,
      );
    }
  }
}

/** The plan's text lines (also the TUI's): "mirror  yes — how", then why and fix. */
export function mirrorLines(m: MirrorSupport): string[] {
  return [`${m.mirror} — ${m.how}`, `why: ${m.why}`, `${m.mirror === 'yes' ? 'check' : 'fix'}: ${m.fix}`];
}
