/**
 * OSS requests built and signed exactly as ali-oss 6.x builds them (createRequest, signUtils) —
 * the same headers, the same Content-Type guess, the same URL, V1 or V4 signatures, STS token —
 * without loading ali-oss: the data path (GET, HEAD, PUT, UploadPart), listing pages and the
 * bucket probe are built here and sent with undici. Loading ali-oss (urllib, xml2js, platform,
 * agentkeepalive …) was ~90 CPU-ms of every OSS job's start (issue #16), and its per-request
 * overhead (dateformat, url.parse/format, lodash, qs, copy-to, the isIP regexes) ~60 CPU-µs of a
 * 4 KiB object's copy. The V4 signing key is kept per day instead of derived per request.
 * test/unit/ossRequest.test.ts holds the output equal to ali-oss's, byte for byte, for V1, V4, STS,
 * addresses, listing queries and awkward keys.
 */
import { createHash, createHmac } from 'node:crypto';
import { isIP } from 'node:net';
import { extname } from 'node:path';
import ossMime from './mime.cjs';

/** What ali-oss's client options would be (createOssClient's mapping; bare or oss- region). */
export type OssRequestOptions = {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
  bucket: string;
  region: string;
  /** Override, e.g. http://127.0.0.1:PORT; without it, the region's endpoint. */
  endpoint?: string;
  internal?: boolean;
  /** HTTPS to the region's endpoint (createOssClient sets it when there is no override). */
  secure?: boolean;
  signatureV4?: boolean;
  /** Sent as User-Agent (not signed). */
  userAgent?: string;
};

export type OssRequestParams = {
  headers?: Record<string, string>;
  /** Sub-resources: in the URL and signed by V1 and V4 (partNumber, uploadId, continuation-token, bucketInfo). */
  subres?: Record<string, string>;
  /** Query parameters signed by V4 only, as ali-oss's `query` (list-type, prefix, max-keys …). */
  query?: Record<string, string | number>;
  /** The object's Content-Type; when absent, guessed from the key's extension like ali-oss does. */
  mime?: string;
};

export type BuiltOssRequest = { origin: string; path: string; headers: Record<string, string> };

export const DEFAULT_USER_AGENT = `ossmigrate Node.js ${process.version.slice(1)} on ${process.platform} ${process.arch}`;

/** ali-oss's "safe" encodeURIComponent (a lone surrogate leaves the text as it is). */
function safeEncode(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return s;
  }
}

/** ali-oss's encodeString (V4 canonical URI and query): encodeURIComponent plus !'()*. */
function encodeString(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function v4Date(d: Date): string {
  const iso = d.toISOString(); // 2026-11-22T08:33:10.123Z → 20261122T083310Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

/** The endpoint as url.parse gives it to ali-oss (protocol, host with port, hostname). */
function parseEndpoint(
  endpoint: string,
  secure: boolean,
): { protocol: string; host: string; hostname: string } {
  const withProtocol = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint)
    ? endpoint
    : `http${secure ? 's' : ''}://${endpoint}`;
  const m = /^([a-z][a-z0-9+.-]*:)\/\/(?:[^@/?#]*@)?([^/?#]*)/i.exec(withProtocol);
  const protocol = m?.[1]?.toLowerCase();
  if (protocol !== 'http:' && protocol !== 'https:')
    throw new Error('Endpoint protocol must be http or https.');
  const host = m![2]!.toLowerCase();
  const hostname = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d*$/, '');
  return { protocol, host, hostname };
}

/** ali-oss's setRegion: the region's public (or internal) endpoint host. */
function regionHost(region: string, internal: boolean): string {
  const suffix =
    internal && !region.startsWith('vpc100-oss-cn-') ? '-internal.aliyuncs.com' : '.aliyuncs.com';
  return `${region}${suffix}`;
}

export class OssRequestBuilder {
  readonly origin: string;
  /** Set when the endpoint is an address: the Host the bucket would have. */
  private readonly host: string | undefined;
  private readonly o: Required<Omit<OssRequestOptions, 'securityToken' | 'endpoint'>> & {
    securityToken?: string;
  };
  /** oss-cn-hangzhou: as ali-oss holds it (endpoints); the bare form is the V4 scope. */
  private readonly ossRegion: string;
  private readonly signRegion: string;
  private v4Key: { day: string; key: Buffer } | undefined;

  constructor(o: OssRequestOptions) {
    const bare = o.region.replace(/^oss-/, '');
    this.ossRegion = `oss-${bare}`;
    this.signRegion = bare;
    this.o = {
      accessKeyId: o.accessKeyId.trim(),
      accessKeySecret: o.accessKeySecret.trim(),
      ...(o.securityToken ? { securityToken: o.securityToken } : {}),
      bucket: o.bucket,
      region: this.ossRegion,
      internal: o.internal ?? false,
      secure: o.secure ?? false,
      signatureV4: o.signatureV4 ?? false,
      userAgent: o.userAgent ?? DEFAULT_USER_AGENT,
    };
    const ep = o.endpoint
      ? parseEndpoint(o.endpoint, this.o.secure)
      : {
          protocol: this.o.secure ? 'https:' : 'http:',
          host: regionHost(this.ossRegion, this.o.internal),
          hostname: regionHost(this.ossRegion, this.o.internal),
        };
    if (isIP(ep.hostname)) {
      this.origin = `${ep.protocol}//${ep.host}`;
      this.host = `${o.bucket}.${regionHost(this.ossRegion, this.o.internal)}`;
    } else {
      this.origin = `${ep.protocol}//${o.bucket}.${ep.host}`;
    }
  }

  /** `key` '' addresses the bucket (listing, bucketInfo). */
  build(method: 'GET' | 'HEAD' | 'PUT', key: string, p: OssRequestParams = {}): BuiltOssRequest {
    const o = this.o;
    const object = key.replace(/^\/+/, ''); // ali-oss's _objectName
    const date = new Date();
    let headers: Record<string, string> = {
      'x-oss-date': o.signatureV4 ? v4Date(date) : date.toUTCString(),
    };
    if (o.signatureV4) headers['x-oss-content-sha256'] = 'UNSIGNED-PAYLOAD';
    headers['User-Agent'] = o.userAgent;
    if (o.securityToken) headers['x-oss-security-token'] = o.securityToken;
    // copy-to semantics: the caller's headers never replace the ones above.
    if (p.headers) headers = { ...p.headers, ...headers };
    if (!(headers['Content-Type'] || headers['content-type'])) {
      const ext = p.mime || extname(object);
      // mime's getType('') is null: a bucket request or an extension-less key needs no table.
      const type = p.mime && p.mime.indexOf('/') > 0 ? p.mime : ext ? ossMime.mimeType(ext) : null;
      if (type) headers['Content-Type'] = type;
      else {
        delete headers['Content-Type'];
        delete headers['content-type'];
      }
    }
    for (const k in headers) if (headers[k]) headers[k] = String(headers[k]);

    // The URL's query: ali-oss's order (query, then sub-resources), querystring's escaping.
    const parts: string[] = [];
    if (p.query)
      for (const [k, v] of Object.entries(p.query)) parts.push(`${safeEncode(k)}=${safeEncode(String(v))}`);
    if (p.subres)
      for (const [k, v] of Object.entries(p.subres)) parts.push(`${safeEncode(k)}=${safeEncode(v)}`);
    const query = parts.length ? `?${parts.join('&')}` : '';
    headers.authorization = o.signatureV4
      ? this.signV4(method, object, headers, p)
      : this.signV1(method, object, headers, p);
    if (this.host) headers.host = this.host;
    const path = `/${safeEncode(object).replace(/%2F/g, '/').replace(/\+/g, '%2B')}${query}`;
    return { origin: this.origin, path, headers };
  }

  /** signUtils.buildCanonicalString + authorization (HMAC-SHA1). */
  private signV1(
    method: string,
    object: string,
    headers: Record<string, string>,
    p: OssRequestParams,
  ): string {
    const lower = lowerKeys(headers);
    const oss: string[] = [];
    for (const k of Object.keys(lower).sort())
      if (k.startsWith('x-oss-')) oss.push(`${k}:${String(lower[k]).trim()}`);
    let resource = `/${this.o.bucket}/${object}`;
    if (p.subres) {
      let sep = '?';
      for (const k of Object.keys(p.subres).sort()) {
        resource += sep + k;
        if (p.subres[k]) resource += `=${p.subres[k]}`;
        sep = '&';
      }
    }
    const canonical = [
      method,
      lower['content-md5'] || '',
      lower['content-type'] ?? '',
      lower['x-oss-date'],
      ...oss,
      resource,
    ].join('\n');
    const sig = createHmac('sha1', this.o.accessKeySecret)
      .update(Buffer.from(canonical, 'utf-8'))
      .digest('base64');
    return `OSS ${this.o.accessKeyId}:${sig}`;
  }

  /** signUtils.authorizationV4 (no additional headers, product oss). */
  private signV4(
    method: string,
    object: string,
    headers: Record<string, string>,
    p: OssRequestParams,
  ): string {
    // Buffer.from(v).toString(): what ali-oss does to each header value (a lone surrogate → U+FFFD).
    const lower: Record<string, string> = {};
    for (const k of Object.keys(headers)) lower[k.toLowerCase()] = Buffer.from(headers[k]!).toString();
    // Sub-resources first, then the query (ali-oss's queries object); '' sub-resources are bare keys.
    const queries: Record<string, string | null> = {};
    if (p.subres) for (const [k, v] of Object.entries(p.subres)) queries[k] = v === '' ? null : v;
    if (p.query) for (const [k, v] of Object.entries(p.query)) queries[k] = String(v);
    const canonicalQuery = Object.keys(queries)
      .sort((a, b) => a.localeCompare(b))
      .map((k) => (queries[k] === null ? encodeString(k) : `${encodeString(k)}=${encodeString(queries[k]!)}`))
      .join('&');
    const signed = new Set<string>();
    for (const k of Object.keys(lower))
      if (k === 'content-type' || k === 'content-md5' || k.startsWith('x-oss-')) signed.add(k);
    const canonicalHeaders = [...signed]
      .sort()
      .map((k) => `${k}:${lower[k]!.trim()}\n`)
      .join('');
    const canonicalRequest = [
      method,
      encodeString(`/${this.o.bucket}/${object}`).replace(/%2F/g, '/'),
      canonicalQuery,
      canonicalHeaders,
      '',
      lower['x-oss-content-sha256'] || 'UNSIGNED-PAYLOAD',
    ].join('\n');
    const date = lower['x-oss-date']!;
    const day = date.split('T')[0]!;
    const scope = `${day}/${this.signRegion}/oss/aliyun_v4_request`;
    const stringToSign = [
      'OSS4-HMAC-SHA256',
      date,
      scope,
      createHash('sha256').update(canonicalRequest).digest('hex'),
    ].join('\n');
    const sig = createHmac('sha256', this.signingKey(day)).update(stringToSign).digest('hex');
    return `OSS4-HMAC-SHA256 Credential=${this.o.accessKeyId}/${scope},Signature=${sig}`;
  }

  /** The V4 signing key depends on the day only: derived once a day, not per request. */
  private signingKey(day: string): Buffer {
    if (this.v4Key?.day !== day) {
      const hmac = (k: string | Buffer, s: string) => createHmac('sha256', k).update(s).digest();
      const key = hmac(
        hmac(hmac(hmac(`aliyun_v4${this.o.accessKeySecret}`, day), this.signRegion), 'oss'),
        'aliyun_v4_request',
      );
      this.v4Key = { day, key };
    }
    return this.v4Key.key;
  }
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(h)) out[k.toLowerCase()] = h[k]!;
  return out;
}
