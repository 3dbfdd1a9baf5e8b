/**
 * Put/Get/DeleteBucketWebsite (protocols.md §3.2): the configuration is kept as the client sent it
 * (ali-oss serialises `routingRules` verbatim) and returned the same way, with
 * `MirrorAuth/AccessKeySecret` masked. Rules are validated and indexed for mirroring.
 */
import type { Bucket } from '../common/objects.ts';
import { asArray, parseXml, type XmlNode, type XmlValue } from '../common/xml.ts';
import { bucketOf, type Ctx, sendEmpty, sendXml } from './context.ts';
import { Err } from './errors.ts';

export type RoutingRule = {
  ruleNumber: number;
  keyPrefixEquals?: string;
  keySuffixEquals?: string;
  httpErrorCodeReturnedEquals?: string;
  includeHeaders: Array<{ key: string; equals?: string; startsWith?: string; endsWith?: string }>;
  /** The Redirect element as sent (every leaf a string). */
  redirect: Record<string, unknown>;
};

export type WebsiteState = { doc: XmlNode; rules: RoutingRule[] };

const MAX_RULES = 20;
const REDIRECT_TYPES = new Set(['Mirror', 'External', 'AliCDN', 'Internal']);

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const flag = (v: unknown): boolean => str(v)?.toLowerCase() === 'true';

function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

function parseRule(raw: unknown): RoutingRule {
  const r = obj(raw);
  if (!r) throw Err.malformedXml();
  const num = str(r.RuleNumber) ?? '';
  if (!/^\d+$/.test(num) || Number(num) < 1) {
    throw Err.invalidArgument('RuleNumber must be a positive integer.', 'RuleNumber', num, '0044-00000201');
  }
  const cond = obj(r.Condition) ?? {};
  const redirect = obj(r.Redirect);
  if (!redirect)
    throw Err.invalidArgument('RoutingRule must have a Redirect.', 'Redirect', '', '0044-00000202');
  const type = str(redirect.RedirectType) ?? '';
  if (!REDIRECT_TYPES.has(type)) {
    throw Err.invalidArgument('Invalid RedirectType.', 'RedirectType', type, '0044-00000203');
  }
  const httpCode = str(cond.HttpErrorCodeReturnedEquals);
  if (type === 'Mirror') {
    const url = str(redirect.MirrorURL) ?? '';
    if (!/^https?:\/\/[^/]+\/.*$/.test(url) || !url.endsWith('/')) {
      throw Err.invalidArgument(
        'MirrorURL must start with http:// or https:// and end with /.',
        'MirrorURL',
        url,
        '0044-00000204',
      );
    }
    if (httpCode !== '404') {
      throw Err.invalidArgument(
        'HttpErrorCodeReturnedEquals must be 404 for a Mirror rule.',
        'HttpErrorCodeReturnedEquals',
        httpCode ?? '',
        '0044-00000205',
      );
    }
    const auth = obj(redirect.MirrorAuth);
    if (auth && str(auth.AuthType) !== undefined && str(auth.AuthType) !== 'S3V4') {
      throw Err.invalidArgument(
        'MirrorAuth AuthType must be S3V4.',
        'AuthType',
        str(auth.AuthType) ?? '',
        '0044-00000206',
      );
    }
  }
  const includeHeaders = asArray(cond.IncludeHeader as unknown[] | undefined).map((h) => {
    const o = obj(h) ?? {};
    return {
      key: (str(o.Key) ?? '').toLowerCase(),
      ...(str(o.Equals) !== undefined ? { equals: str(o.Equals)! } : {}),
      ...(str(o.StartsWith) !== undefined ? { startsWith: str(o.StartsWith)! } : {}),
      ...(str(o.EndsWith) !== undefined ? { endsWith: str(o.EndsWith)! } : {}),
    };
  });
  if (includeHeaders.length > 10)
    throw Err.invalidArgument('At most 10 IncludeHeader per rule.', 'IncludeHeader', '');
  return {
    ruleNumber: Number(num),
    ...(str(cond.KeyPrefixEquals) !== undefined ? { keyPrefixEquals: str(cond.KeyPrefixEquals)! } : {}),
    ...(str(cond.KeySuffixEquals) !== undefined ? { keySuffixEquals: str(cond.KeySuffixEquals)! } : {}),
    ...(httpCode !== undefined ? { httpErrorCodeReturnedEquals: httpCode } : {}),
    includeHeaders,
    redirect,
  };
}

export function putBucketWebsite(ctx: Ctx): void {
  const bucket = bucketOf(ctx);
  let doc: Record<string, unknown>;
  try {
    doc = parseXml(ctx.body.toString('utf8'));
  } catch {
    throw Err.malformedXml();
  }
  const cfg = obj(doc.WebsiteConfiguration);
  if (!cfg) throw Err.malformedXml();
  const rulesNode = cfg.RoutingRules === '' ? {} : obj(cfg.RoutingRules);
  if (cfg.RoutingRules !== undefined && !rulesNode) throw Err.malformedXml();
  const rules = asArray(rulesNode?.RoutingRule as unknown[] | undefined).map(parseRule);
  if (rules.length > MAX_RULES)
    throw Err.invalidArgument(`At most ${MAX_RULES} routing rules.`, 'RoutingRule', '');
  if (new Set(rules.map((r) => r.ruleNumber)).size !== rules.length) {
    throw Err.invalidArgument('RuleNumber must be unique.', 'RuleNumber', '', '0044-00000201');
  }
  if (!cfg.IndexDocument && !cfg.ErrorDocument && rules.length === 0) throw Err.malformedXml();
  rules.sort((a, b) => a.ruleNumber - b.ruleNumber);
  const state: WebsiteState = { doc: cfg as XmlNode, rules };
  bucket.config.set('website', state);
  sendEmpty(ctx, 200);
}

function mask(v: unknown, name?: string): XmlValue {
  if (name === 'AccessKeySecret') return '****';
  if (Array.isArray(v)) return v.map((x) => mask(x));
  const o = obj(v);
  if (o) return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, mask(x, k)])) as XmlNode;
  return v as XmlValue;
}

export function website(bucket: Bucket): WebsiteState | undefined {
  return bucket.config.get('website') as WebsiteState | undefined;
}

export function getBucketWebsite(ctx: Ctx): void {
  const bucket = bucketOf(ctx);
  const state = website(bucket);
  if (!state) throw Err.noSuchWebsite(bucket.name);
  sendXml(ctx, 200, { WebsiteConfiguration: mask(state.doc) });
}

export function deleteBucketWebsite(ctx: Ctx): void {
  bucketOf(ctx).config.delete('website');
  sendEmpty(ctx, 204);
}

/** The first rule (in RuleNumber order) whose condition matches a 404 for this key and request. */
export function matchRule(
  state: WebsiteState,
  key: string,
  headers: Record<string, string | string[] | undefined>,
): RoutingRule | undefined {
  return state.rules.find((r) => {
    if (r.httpErrorCodeReturnedEquals !== undefined && r.httpErrorCodeReturnedEquals !== '404') return false;
    if (r.keyPrefixEquals !== undefined && !key.startsWith(r.keyPrefixEquals)) return false;
    if (r.keySuffixEquals !== undefined && !key.endsWith(r.keySuffixEquals)) return false;
    return r.includeHeaders.every((h) => {
      const raw = headers[h.key];
      const v = Array.isArray(raw) ? raw.join(', ') : raw;
      if (v === undefined) return false;
      if (h.equals !== undefined && v !== h.equals) return false;
      if (h.startsWith !== undefined && !v.startsWith(h.startsWith)) return false;
      if (h.endsWith !== undefined && !v.endsWith(h.endsWith)) return false;
      return true;
    });
  });
}
