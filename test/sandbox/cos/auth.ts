/**
 * COS request authentication, verified from the raw request exactly as the service does:
 *  - `q-sign-algorithm=sha1` (the COS XML API signature; header or query-string form),
 *    https://cloud.tencent.com/document/product/436/7778
 *  - AWS SigV4 (COS's S3-compatible access: service `s3`, region = the COS region).
 */
import { createHash, createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { isSigV4, verifySigV4 } from '../common/sigv4.ts';
import { CosError, Err } from './errors.ts';

/** encodeURIComponent plus `!'()*`, as the COS signature requires. */
export function camSafe(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export type AuthRequest = {
  method: string;
  /** Raw request target as received (path and query). */
  url: string;
  /** Request path, percent-decoded (the signature covers the decoded, raw key path). */
  decodedPath: string;
  /** Decoded query parameters in order; `undefined` for a bare `k`. */
  params: Array<[string, string | undefined]>;
  headers: IncomingHttpHeaders;
};

export type Authenticated = {
  scheme: 'cos' | 'sigv4';
  accessKeyId: string;
  /** SigV4 only: the region and service of the credential scope. */
  region?: string;
  service?: string;
  /** SigV4 only: `x-amz-content-sha256` when it is a real hash the body must match. */
  payloadSha256?: string;
  /** SigV4 only: the body is aws-chunked (`STREAMING-*`), which the emulator does not decode. */
  streamingPayload?: boolean;
};

/** Details of the last signature mismatch, for debugging a failing client (never sent on the wire). */
export type SignatureDebug = { scheme: 'cos' | 'sigv4'; expected: string; canonical: string };

const Q_FIELDS = [
  'q-sign-algorithm',
  'q-ak',
  'q-sign-time',
  'q-key-time',
  'q-header-list',
  'q-url-param-list',
  'q-signature',
] as const;

function headerString(v: string | string[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(',') : v;
}

/** Node decodes header bytes as latin1; the client signed the UTF-8 text. */
function utf8Header(v: string): string {
  return /[^\x00-\x7f]/.test(v) ? Buffer.from(v, 'latin1').toString('utf8') : v;
}

/** Where the COS signature fields come from: the Authorization header or the query string. */
function cosAuthFields(req: AuthRequest): Map<string, string> | undefined {
  const header = headerString(req.headers.authorization);
  if (header?.includes('q-sign-algorithm=')) return splitAuth(header.trim());
  const fromQuery = new Map<string, string>();
  for (const [k, v] of req.params) {
    if (k === 'sign' && v?.includes('q-sign-algorithm=')) return splitAuth(v);
    if (k.startsWith('q-') && !fromQuery.has(k)) fromQuery.set(k, v ?? '');
  }
  return fromQuery.has('q-sign-algorithm') ? fromQuery : undefined;
}

function splitAuth(s: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of s.split('&')) {
    const eq = part.indexOf('=');
    if (eq > 0 && !m.has(part.slice(0, eq))) m.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return m;
}

function parseWindow(s: string): [number, number] | undefined {
  const m = /^(\d+);(\d+)$/.exec(s);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  return start <= end ? [start, end] : undefined;
}

/** `name=value&…` over the listed names, sorted, each value camSafe-encoded. */
function signedPairs(names: string[], lookup: Map<string, string>): string {
  return [...names]
    .sort()
    .map((n) => `${n}=${camSafe(lookup.get(n) ?? '')}`)
    .join('&');
}

/** Verify a `q-sign-algorithm=sha1` request. Throws the COS error the service would answer with. */
export function verifyCosSignature(
  req: AuthRequest,
  fields: Map<string, string>,
  secretFor: (id: string) => string | undefined,
  nowMs: number,
  debug?: (d: SignatureDebug) => void,
): Authenticated {
  for (const f of Q_FIELDS) {
    if (!fields.has(f)) throw Err.accessDenied(`Authorization is malformed: ${f} is missing.`);
  }
  const get = (f: (typeof Q_FIELDS)[number]) => fields.get(f) ?? '';
  if (get('q-sign-algorithm') !== 'sha1') {
    throw Err.accessDenied(
      `Authorization is malformed: unsupported q-sign-algorithm ${get('q-sign-algorithm')}.`,
    );
  }
  const accessKeyId = get('q-ak');
  const secret = secretFor(accessKeyId);
  if (secret === undefined) throw Err.invalidAccessKeyId();
  const signTime = parseWindow(get('q-sign-time'));
  const keyTime = parseWindow(get('q-key-time'));
  if (!signTime || !keyTime)
    throw Err.accessDenied('Authorization is malformed: bad q-sign-time or q-key-time.');
  // Server clock after the window: AccessDenied "Request has expired"; before it:
  // RequestTimeTooSkewed. The SDK corrects its clock from our Date header on both.
  const now = nowMs / 1000;
  if (now > signTime[1]) throw Err.requestExpired();
  if (now < signTime[0]) throw Err.requestTimeTooSkewed();

  // Only the names the client listed are signed; look each one up by its encoded lower-case name.
  const headerNames = get('q-header-list')
    .split(';')
    .filter((n) => n.length > 0);
  const paramNames = get('q-url-param-list')
    .split(';')
    .filter((n) => n.length > 0);
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(req.headers)) {
    const v = headerString(value);
    if (v !== undefined) headers.set(camSafe(name).toLowerCase(), utf8Header(v));
  }
  const params = new Map<string, string>();
  for (const [k, v] of req.params) {
    const name = camSafe(k).toLowerCase();
    if (!params.has(name)) params.set(name, v ?? '');
  }
  const httpString = [
    req.method.toLowerCase(),
    req.decodedPath,
    signedPairs(paramNames, params),
    signedPairs(headerNames, headers),
    '',
  ].join('\n');
  const stringToSign = ['sha1', get('q-sign-time'), sha1hex(httpString), ''].join('\n');
  const signKey = createHmac('sha1', secret).update(get('q-key-time')).digest('hex');
  const expected = createHmac('sha1', signKey).update(stringToSign).digest('hex');
  if (expected !== get('q-signature')) {
    debug?.({ scheme: 'cos', expected, canonical: httpString });
    throw Err.signatureDoesNotMatch();
  }
  return { scheme: 'cos', accessKeyId };
}

function sha1hex(s: string): string {
  return createHash('sha1').update(Buffer.from(s, 'utf8')).digest('hex');
}

/**
 * Authenticate a request (COS sha1, SigV4, or none → AccessDenied). `region` is the bucket's
 * region, which a SigV4 credential scope must name.
 */
export function authenticate(
  req: AuthRequest,
  secretFor: (id: string) => string | undefined,
  nowMs: number,
  region: string | undefined,
  debug?: (d: SignatureDebug) => void,
): Authenticated {
  const cos = cosAuthFields(req);
  if (cos) return verifyCosSignature(req, cos, secretFor, nowMs, debug);
  if (isSigV4(req)) {
    const r = verifySigV4(req, secretFor, new Date(nowMs));
    if (!r.ok) {
      if (r.code === 'SignatureDoesNotMatch') {
        debug?.({ scheme: 'sigv4', expected: r.stringToSign ?? '', canonical: r.canonicalRequest ?? '' });
      }
      throw sigV4Error(r.code, r.message);
    }
    if (r.service !== 's3') {
      throw Err.authorizationHeaderMalformed(
        `The authorization header is malformed; the service '${r.service}' is wrong; expecting 's3'.`,
      );
    }
    if (region !== undefined && r.region !== region) {
      throw Err.authorizationHeaderMalformed(
        `The authorization header is malformed; the region '${r.region}' is wrong; expecting '${region}'.`,
      );
    }
    const content = headerString(req.headers['x-amz-content-sha256']) ?? '';
    return {
      scheme: 'sigv4',
      accessKeyId: r.accessKeyId,
      region: r.region,
      service: r.service,
      ...(r.payloadSha256 ? { payloadSha256: r.payloadSha256 } : {}),
      ...(content.startsWith('STREAMING-') ? { streamingPayload: true } : {}),
    };
  }
  if (headerString(req.headers.authorization)) {
    throw Err.accessDenied('Authorization is malformed: unsupported signature scheme.');
  }
  throw Err.accessDenied();
}

function sigV4Error(code: string, message: string): CosError {
  switch (code) {
    case 'InvalidAccessKeyId':
      return Err.invalidAccessKeyId();
    case 'SignatureDoesNotMatch':
      return Err.signatureDoesNotMatch();
    case 'RequestTimeTooSkewed':
      return Err.requestTimeTooSkewed();
    case 'AuthorizationHeaderMalformed':
      return Err.authorizationHeaderMalformed(message);
    case 'MissingSecurityHeader':
      return new CosError(400, 'MissingSecurityHeader', message);
    default:
      return Err.accessDenied(message);
  }
}
