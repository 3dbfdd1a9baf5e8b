/**
 * AWS Signature Version 4 (the S3-compatible access both OSS and COS offer, and how OSS mirroring
 * signs requests to a private COS origin): server-side verification from the raw request, and a
 * client-side signer for the emulator's own outbound requests.
 */
import { createHash, createHmac } from 'node:crypto';
import { parseQuery } from './http.ts';

const ALGORITHM = 'AWS4-HMAC-SHA256';
const MAX_SKEW_MS = 15 * 60 * 1000;

/** RFC 3986 encoding (unreserved characters left alone), as SigV4 requires. */
export function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const sha256hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

function canonicalUri(rawPath: string): string {
  // Decode what the client sent, then encode each segment once (S3 does not double-encode).
  return rawPath
    .split('/')
    .map((seg) => rfc3986(safeDecode(seg)))
    .join('/');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function canonicalQuery(rawQuery: string, exclude?: string): string {
  return parseQuery(rawQuery)
    .filter(([k]) => k !== exclude)
    .map(([k, v]) => [rfc3986(k), rfc3986(v ?? '')] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string {
  const v = headers[name];
  const s = Array.isArray(v) ? v.join(',') : (v ?? '');
  return s.trim().replace(/\s+/g, ' ');
}

export type SigV4Request = {
  method: string;
  /** Raw request target: path and query exactly as received. */
  url: string;
  /** Node's lower-cased request headers. */
  headers: Record<string, string | string[] | undefined>;
};

export type SigV4Result =
  | {
      ok: true;
      accessKeyId: string;
      region: string;
      service: string;
      /** x-amz-content-sha256 when it is a real hash the server must check against the body. */
      payloadSha256?: string;
    }
  | {
      ok: false;
      code:
        | 'AccessDenied'
        | 'InvalidAccessKeyId'
        | 'SignatureDoesNotMatch'
        | 'AuthorizationHeaderMalformed'
        | 'RequestTimeTooSkewed'
        | 'MissingSecurityHeader';
      message: string;
      stringToSign?: string;
      canonicalRequest?: string;
      accessKeyId?: string;
    };

/** True when the request carries SigV4 credentials (header or presigned query). */
export function isSigV4(req: SigV4Request): boolean {
  const auth = headerValue(req.headers, 'authorization');
  return auth.startsWith(ALGORITHM) || /[?&]X-Amz-Algorithm=AWS4-HMAC-SHA256/.test(req.url);
}

/** Verify a SigV4-signed request against `secretFor(accessKeyId)`. */
export function verifySigV4(
  req: SigV4Request,
  secretFor: (accessKeyId: string) => string | undefined,
  now: Date,
): SigV4Result {
  const q = req.url.indexOf('?');
  const rawPath = q >= 0 ? req.url.slice(0, q) : req.url;
  const rawQuery = q >= 0 ? req.url.slice(q + 1) : '';
  const auth = headerValue(req.headers, 'authorization');

  let credential: string;
  let signedHeaders: string[];
  let signature: string;
  let amzDate: string;
  let payloadHash: string;
  let presigned = false;

  if (auth.startsWith(ALGORITHM)) {
    const fields = Object.fromEntries(
      auth
        .slice(ALGORITHM.length)
        .split(',')
        .map((p) => p.trim().split('=') as [string, string]),
    ) as Record<string, string | undefined>;
    if (!fields.Credential || !fields.SignedHeaders || !fields.Signature) {
      return {
        ok: false,
        code: 'AuthorizationHeaderMalformed',
        message: 'The authorization header is malformed.',
      };
    }
    credential = fields.Credential;
    signedHeaders = fields.SignedHeaders.split(';');
    signature = fields.Signature;
    amzDate = headerValue(req.headers, 'x-amz-date') || headerValue(req.headers, 'date');
    payloadHash = headerValue(req.headers, 'x-amz-content-sha256') || 'UNSIGNED-PAYLOAD';
  } else {
    const params = new Map(parseQuery(rawQuery).map(([k, v]) => [k, v ?? '']));
    credential = params.get('X-Amz-Credential') ?? '';
    signedHeaders = (params.get('X-Amz-SignedHeaders') ?? '').split(';');
    signature = params.get('X-Amz-Signature') ?? '';
    amzDate = params.get('X-Amz-Date') ?? '';
    payloadHash = 'UNSIGNED-PAYLOAD';
    presigned = true;
    const expires = Number(params.get('X-Amz-Expires') ?? '0');
    const signedAt = parseAmzDate(amzDate);
    if (signedAt && now.getTime() > signedAt.getTime() + expires * 1000) {
      return { ok: false, code: 'AccessDenied', message: 'Request has expired' };
    }
  }

  const [accessKeyId = '', date = '', region = '', service = '', term = ''] = credential.split('/');
  if (term !== 'aws4_request' || !date || !region || !service) {
    return {
      ok: false,
      code: 'AuthorizationHeaderMalformed',
      message: `Malformed credential scope: ${credential}`,
    };
  }
  const secret = secretFor(accessKeyId);
  if (secret === undefined) {
    return {
      ok: false,
      code: 'InvalidAccessKeyId',
      message: 'The AWS Access Key Id you provided does not exist in our records.',
      accessKeyId,
    };
  }
  const signedAt = parseAmzDate(amzDate);
  if (!signedAt) {
    return {
      ok: false,
      code: 'AccessDenied',
      message: 'AWS authentication requires a valid Date or x-amz-date header',
    };
  }
  if (!presigned && Math.abs(now.getTime() - signedAt.getTime()) > MAX_SKEW_MS) {
    return {
      ok: false,
      code: 'RequestTimeTooSkewed',
      message: 'The difference between the request time and the current time is too large.',
    };
  }

  const canonicalHeaders = signedHeaders.map((h) => `${h}:${headerValue(req.headers, h)}\n`).join('');
  const canonicalRequest = [
    req.method,
    canonicalUri(rawPath),
    canonicalQuery(rawQuery, presigned ? 'X-Amz-Signature' : undefined),
    canonicalHeaders,
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = [ALGORITHM, amzDate, scope, sha256hex(canonicalRequest)].join('\n');
  const expected = createHmac('sha256', signingKey(secret, date, region, service))
    .update(stringToSign)
    .digest('hex');
  if (expected !== signature) {
    return {
      ok: false,
      code: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match the signature you provided.',
      stringToSign,
      canonicalRequest,
      accessKeyId,
    };
  }
  return {
    ok: true,
    accessKeyId,
    region,
    service,
    ...(/^[0-9a-f]{64}$/.test(payloadHash) ? { payloadSha256: payloadHash } : {}),
  };
}

function parseAmzDate(s: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (m) return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** yyyymmddThhmmssZ */
export function amzDate(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/**
 * Sign an outbound request (header form, unsigned payload). Returns the headers to send, including
 * `host`, `x-amz-date`, `x-amz-content-sha256` and `authorization`.
 */
export function signSigV4(o: {
  method: string;
  /** Path and query as they will be sent (already encoded). */
  url: string;
  host: string;
  headers?: Record<string, string>;
  region: string;
  service: string;
  accessKeyId: string;
  secret: string;
  now?: Date;
}): Record<string, string> {
  const when = amzDate(o.now ?? new Date());
  const headers: Record<string, string> = {
    ...Object.fromEntries(Object.entries(o.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    host: o.host,
    'x-amz-date': when,
    'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
  };
  const names = Object.keys(headers).sort();
  const q = o.url.indexOf('?');
  const rawPath = q >= 0 ? o.url.slice(0, q) : o.url;
  const rawQuery = q >= 0 ? o.url.slice(q + 1) : '';
  const canonicalRequest = [
    o.method,
    canonicalUri(rawPath),
    canonicalQuery(rawQuery),
    names.map((h) => `${h}:${headers[h]!.trim().replace(/\s+/g, ' ')}\n`).join(''),
    names.join(';'),
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const date = when.slice(0, 8);
  const scope = `${date}/${o.region}/${o.service}/aws4_request`;
  const stringToSign = [ALGORITHM, when, scope, sha256hex(canonicalRequest)].join('\n');
  const signature = createHmac('sha256', signingKey(o.secret, date, o.region, o.service))
    .update(stringToSign)
    .digest('hex');
  headers.authorization = `${ALGORITHM} Credential=${o.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  return headers;
}
