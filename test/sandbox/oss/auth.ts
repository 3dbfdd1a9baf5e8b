/**
 * Request authentication exactly as OSS checks it (protocols.md §2.1, §2.2, §2.4):
 *   - OSS V1 header signature (`OSS ak:sig`, HMAC-SHA1, ali-oss default);
 *   - OSS V4 (`OSS4-HMAC-SHA256`, ali-oss `authorizationV4: true`);
 *   - AWS SigV4 (`AWS4-HMAC-SHA256`, service `s3`: OSS's S3-compatible access), via common/sigv4.
 * Failures become the service's 403s (InvalidAccessKeyId, SignatureDoesNotMatch with the string to
 * sign, RequestTimeTooSkewed with the skew fields, AccessDenied when unsigned).
 */
import { createHash, createHmac } from 'node:crypto';
import { httpDate } from '../common/http.ts';
import { isSigV4, rfc3986, verifySigV4 } from '../common/sigv4.ts';
import { type Ctx, header } from './context.ts';
import { Err, hexBytes, OssError } from './errors.ts';

const MAX_SKEW_MS = 15 * 60 * 1000;

/** Query parameters OSS V1 signs as sub-resources (protocols.md §2.1); `x-oss-*` keys too. */
export const SUB_RESOURCES = new Set(
  (
    'acl uploads location cors logging website referer lifecycle delete append tagging objectMeta uploadId ' +
    'partNumber security-token position img style styleName replication replicationProgress ' +
    'replicationLocation cname bucketInfo comp qos live status vod startTime endTime symlink x-oss-process ' +
    'response-content-type response-content-language response-expires response-cache-control ' +
    'response-content-disposition response-content-encoding udf restore callback callback-var policy stat ' +
    'encryption versions versioning versionId requestPayment x-oss-request-payer sequential inventory ' +
    'inventoryId continuation-token asyncFetch worm wormId wormExtend x-oss-traffic-limit'
  ).split(' '),
);

const isSubResource = (k: string) => SUB_RESOURCES.has(k) || k.startsWith('x-oss-');

export type AuthResult = { kind: 'v1' | 'v4' | 'aws'; accessKeyId: string; payloadSha256?: string };

/** Byte-order comparison of ASCII-ish strings (what both signers use for their sorts). */
const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The region a bucket-level request must be signed for (V4 scope), without the `oss-` prefix. */
const standardRegion = (region: string) => region.replace(/^oss-/, '');

export function authenticate(ctx: Ctx): AuthResult {
  const auth = header(ctx, 'authorization') ?? '';
  if (auth.startsWith('OSS4-HMAC-SHA256')) return verifyV4(ctx, auth);
  if (auth.startsWith('OSS ')) return verifyV1(ctx, auth);
  if (isSigV4({ method: ctx.method, url: ctx.url, headers: ctx.req.headers })) return verifyAws(ctx);
  if (auth === '' && ctx.query.has('OSSAccessKeyId') && ctx.query.has('Signature')) return verifyV1Url(ctx);
  if (auth === '' && ctx.query.has('x-oss-signature-version')) throw Err.notImplemented('V4 presigned URLs');
  if (auth !== '')
    throw Err.invalidArgument('Authorization header is invalid.', 'Authorization', auth, '0002-00000012');
  throw Err.anonymous();
}

function checkSkew(ctx: Ctx, signedAt: Date, requestTime: string): void {
  const now = ctx.host.now();
  if (Math.abs(now.getTime() - signedAt.getTime()) > MAX_SKEW_MS) {
    throw Err.skewed(requestTime, now.toISOString());
  }
}

// ---- OSS V1 ---------------------------------------------------------------------------------

/** The V1 StringToSign of this request (DATE is the Date / x-oss-date header, or Expires for URLs). */
export function v1StringToSign(ctx: Ctx, date: string): string {
  const headers = ctx.req.headers;
  const ossHeaders = Object.keys(headers)
    .filter((k) => k.startsWith('x-oss-'))
    .sort(byteOrder)
    .map((k) => `${k}:${(header(ctx, k) ?? '').trim()}\n`)
    .join('');
  let resource = '/';
  if (ctx.bucketName !== undefined && ctx.bucketName !== '') resource += `${ctx.bucketName}/${ctx.key ?? ''}`;
  const subres = ctx.params
    .filter(([k]) => isSubResource(k))
    .sort(([a], [b]) => byteOrder(a, b))
    .map(([k, v]) => (v === undefined || v === '' ? k : `${k}=${v}`));
  if (subres.length > 0) resource += `?${subres.join('&')}`;
  return (
    [ctx.method, header(ctx, 'content-md5') ?? '', header(ctx, 'content-type') ?? '', date, ''].join('\n') +
    ossHeaders +
    resource
  );
}

function verifyV1(ctx: Ctx, auth: string): AuthResult {
  const m = /^OSS ([^:\s]+):(\S+)$/.exec(auth.trim());
  if (!m)
    throw Err.invalidArgument('Authorization header is invalid.', 'Authorization', auth, '0002-00000012');
  const accessKeyId = m[1]!;
  const provided = m[2]!;
  const secret = ctx.host.secretFor(accessKeyId);
  if (secret === undefined) throw Err.invalidAccessKeyId(accessKeyId);
  const date = header(ctx, 'date') ?? header(ctx, 'x-oss-date');
  const signedAt = date === undefined ? undefined : new Date(date);
  if (date === undefined || signedAt === undefined || Number.isNaN(signedAt.getTime())) {
    throw Err.accessDenied('OSS authentication requires a valid Date.', '0002-00000003');
  }
  checkSkew(ctx, signedAt, httpDate(signedAt));
  const stringToSign = v1StringToSign(ctx, date);
  const expected = createHmac('sha1', secret).update(Buffer.from(stringToSign, 'utf8')).digest('base64');
  if (expected !== provided) {
    throw Err.signatureMismatch([
      ['OSSAccessKeyId', accessKeyId],
      ['SignatureProvided', provided],
      ['StringToSign', stringToSign],
      ['StringToSignBytes', hexBytes(stringToSign)],
    ]);
  }
  return { kind: 'v1', accessKeyId };
}

/** V1 presigned URL (`?OSSAccessKeyId=&Expires=&Signature=`, ali-oss signatureUrl): Expires replaces the date. */
function verifyV1Url(ctx: Ctx): AuthResult {
  const accessKeyId = ctx.query.get('OSSAccessKeyId') ?? '';
  const provided = ctx.query.get('Signature') ?? '';
  const expires = ctx.query.get('Expires') ?? '';
  const secret = ctx.host.secretFor(accessKeyId);
  if (secret === undefined) throw Err.invalidAccessKeyId(accessKeyId);
  if (!/^\d+$/.test(expires))
    throw Err.accessDenied('Expires must be a Unix time in seconds.', '0002-00000068');
  const now = ctx.host.now();
  if (Number(expires) * 1000 < now.getTime()) {
    throw new OssError(403, 'AccessDenied', 'Request has expired.', '0002-00000069', [
      ['Expires', new Date(Number(expires) * 1000).toISOString()],
      ['ServerTime', now.toISOString()],
    ]);
  }
  const stringToSign = v1StringToSign(ctx, expires);
  const expected = createHmac('sha1', secret).update(Buffer.from(stringToSign, 'utf8')).digest('base64');
  if (expected !== provided) {
    throw Err.signatureMismatch([
      ['OSSAccessKeyId', accessKeyId],
      ['SignatureProvided', provided],
      ['StringToSign', stringToSign],
      ['StringToSignBytes', hexBytes(stringToSign)],
    ]);
  }
  return { kind: 'v1', accessKeyId };
}

// ---- OSS V4 ---------------------------------------------------------------------------------

function parseIsoBasic(s: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : undefined;
}

/**
 * Canonical query variants for V4. Empty values are the ambiguity: the Go signer emits a bare `k`,
 * ali-oss emits a bare `k` only for sub-resources and `k=` for ordinary parameters. Try those.
 */
function v4QueryVariants(params: Array<[string, string | undefined]>): string[] {
  const build = (bare: (k: string) => boolean) =>
    params
      .map(([k, v]) => [rfc3986(k), v === undefined || v === '' ? undefined : rfc3986(v), k] as const)
      .sort(([a, av], [b, bv]) => byteOrder(a, b) || byteOrder(av ?? '', bv ?? ''))
      .map(([k, v, raw]) => (v !== undefined ? `${k}=${v}` : bare(raw) ? k : `${k}=`))
      .join('&');
  const variants = [build(() => true), build(isSubResource), build(() => false)];
  return [...new Set(variants)];
}

export function v4CanonicalRequest(ctx: Ctx, query: string, additional: string[]): string {
  const path = `/${ctx.bucketName ? `${ctx.bucketName}/` : ''}${ctx.key ?? ''}`;
  const names = new Set(additional);
  for (const k of Object.keys(ctx.req.headers)) {
    if (k === 'content-type' || k === 'content-md5' || k.startsWith('x-oss-')) names.add(k);
  }
  const canonicalHeaders = [...names]
    .sort(byteOrder)
    .map((k) => `${k}:${(header(ctx, k) ?? '').trim()}\n`)
    .join('');
  return [
    ctx.method,
    rfc3986(path).replace(/%2F/g, '/'),
    query,
    canonicalHeaders,
    additional.join(';'),
    header(ctx, 'x-oss-content-sha256') ?? 'UNSIGNED-PAYLOAD',
  ].join('\n');
}

function verifyV4(ctx: Ctx, auth: string): AuthResult {
  const fields = new Map<string, string>();
  for (const part of auth.slice('OSS4-HMAC-SHA256'.length).split(',')) {
    const p = part.trim();
    const eq = p.indexOf('=');
    if (eq > 0) fields.set(p.slice(0, eq), p.slice(eq + 1));
  }
  const credential = fields.get('Credential');
  const provided = fields.get('Signature');
  if (!credential || !provided) {
    throw Err.invalidArgument('Authorization header is invalid.', 'Authorization', auth, '0002-00000012');
  }
  const [accessKeyId = '', day = '', region = '', product = '', term = ''] = credential.split('/');
  if (term !== 'aliyun_v4_request' || product !== 'oss' || !/^\d{8}$/.test(day) || !region) {
    throw Err.invalidArgument(
      'Invalid credential in Authorization header.',
      'Credential',
      credential,
      '0002-00000013',
    );
  }
  const secret = ctx.host.secretFor(accessKeyId);
  if (secret === undefined) throw Err.invalidAccessKeyId(accessKeyId);
  const xOssDate = header(ctx, 'x-oss-date') ?? '';
  const signedAt = parseIsoBasic(xOssDate);
  if (!signedAt)
    throw Err.accessDenied('x-oss-date is required and must be yyyyMMddTHHmmssZ.', '0002-00000003');
  checkSkew(ctx, signedAt, signedAt.toISOString());
  if (xOssDate.slice(0, 8) !== day)
    throw Err.accessDenied('Invalid signing date in Authorization header.', '0002-00000024');
  if (ctx.bucket && standardRegion(ctx.bucket.region) !== region) {
    throw Err.accessDenied(`Invalid signing region in Authorization header: ${region}.`, '0002-00000025');
  }
  const sha = header(ctx, 'x-oss-content-sha256');
  if (sha === undefined) {
    throw Err.invalidArgument(
      'x-oss-content-sha256 is required for V4 signatures.',
      'x-oss-content-sha256',
      '',
    );
  }
  const additional = (fields.get('AdditionalHeaders') ?? '')
    .split(';')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h.length > 0);
  const scope = `${day}/${region}/oss/aliyun_v4_request`;
  let k = createHmac('sha256', `aliyun_v4${secret}`).update(day).digest();
  k = createHmac('sha256', k).update(region).digest();
  k = createHmac('sha256', k).update('oss').digest();
  k = createHmac('sha256', k).update('aliyun_v4_request').digest();
  let first: { stringToSign: string; canonicalRequest: string } | undefined;
  for (const query of v4QueryVariants(ctx.params)) {
    const canonicalRequest = v4CanonicalRequest(ctx, query, additional);
    const stringToSign = [
      'OSS4-HMAC-SHA256',
      xOssDate,
      scope,
      createHash('sha256').update(canonicalRequest).digest('hex'),
    ].join('\n');
    const expected = createHmac('sha256', k).update(stringToSign).digest('hex');
    if (expected === provided) {
      return { kind: 'v4', accessKeyId, ...(/^[0-9a-f]{64}$/.test(sha) ? { payloadSha256: sha } : {}) };
    }
    first ??= { stringToSign, canonicalRequest };
  }
  throw Err.signatureMismatch(
    [
      ['OSSAccessKeyId', accessKeyId],
      ['SignatureProvided', provided],
      ['StringToSign', first!.stringToSign],
      ['StringToSignBytes', hexBytes(first!.stringToSign)],
      ['CanonicalRequest', first!.canonicalRequest],
    ],
    '0002-00000044',
  );
}

// ---- AWS SigV4 (S3-compatible access) -------------------------------------------------------

function verifyAws(ctx: Ctx): AuthResult {
  const now = ctx.host.now();
  const sha = header(ctx, 'x-amz-content-sha256') ?? '';
  const r = verifySigV4(
    { method: ctx.method, url: ctx.url, headers: ctx.req.headers },
    ctx.host.secretFor,
    now,
  );
  if (!r.ok) {
    switch (r.code) {
      case 'InvalidAccessKeyId':
        throw Err.invalidAccessKeyId(r.accessKeyId ?? '');
      case 'SignatureDoesNotMatch':
        throw Err.signatureMismatch(
          [
            ['AWSAccessKeyId', r.accessKeyId ?? ''],
            ['StringToSign', r.stringToSign ?? ''],
            ['StringToSignBytes', hexBytes(r.stringToSign ?? '')],
            ['CanonicalRequest', r.canonicalRequest ?? ''],
          ],
          '0002-00000031',
        );
      case 'RequestTimeTooSkewed': {
        const raw = header(ctx, 'x-amz-date') ?? header(ctx, 'date') ?? '';
        const t = parseIsoBasic(raw) ?? new Date(raw);
        throw Err.skewed(Number.isNaN(t.getTime()) ? raw : t.toISOString(), now.toISOString());
      }
      case 'AuthorizationHeaderMalformed':
        throw new OssError(400, 'AuthorizationHeaderMalformed', r.message, '0002-00000012');
      default:
        throw Err.accessDenied(r.message);
    }
  }
  if (r.service !== 's3') {
    throw new OssError(
      400,
      'AuthorizationHeaderMalformed',
      `Invalid credential scope service: ${r.service}`,
      '0002-00000012',
    );
  }
  if (ctx.bucket && standardRegion(ctx.bucket.region) !== r.region) {
    throw Err.wrongEndpoint(`${ctx.bucket.region}.aliyuncs.com`, ctx.bucket.name);
  }
  if (sha.startsWith('STREAMING-')) throw Err.notImplemented('aws-chunked (STREAMING-*) payload signing');
  return {
    kind: 'aws',
    accessKeyId: r.accessKeyId,
    ...(r.payloadSha256 ? { payloadSha256: r.payloadSha256 } : {}),
  };
}
