/**
 * Mirroring-based back-to-origin (anchors.md §(d), protocols.md §3.2). A GET (or a HEAD when the rule
 * sets MirrorAllowHeadObject) for a missing key that matches the first applicable routing rule makes
 * the emulator fetch MirrorURL + key from the origin — signed with AWS SigV4 (service `s3`) when the
 * rule has MirrorAuth — store it, and serve it. Origin 404 → the caller answers NoSuchKey; any other
 * failure → 424 MirrorFailed, as the service documents (help.aliyun.com …/http-status-code-424).
 *
 * Assumptions (documented, not observed): MirrorPassOriginalSlashes=false collapses `//` in the
 * origin path; MirrorSaveOssMeta copies origin `x-oss-meta-*` / `x-amz-meta-*` / `x-cos-meta-*`
 * into user metadata (otherwise none is kept); standard headers (Content-Type, Cache-Control,
 * Content-Disposition, Content-Encoding, Content-Language, Expires) are always kept.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BodyTooShortError } from '../common/blobs.ts';
import type { Fault } from '../common/faults.ts';
import type { Bucket, StoredObject } from '../common/objects.ts';
import { rfc3986, signSigV4 } from '../common/sigv4.ts';
import { asArray } from '../common/xml.ts';
import { bucketStorageClass } from './bucketOps.ts';
import type { Ctx } from './context.ts';
import { Err, type OssError } from './errors.ts';
import { flag, matchRule, type RoutingRule, str, website } from './website.ts';

const MIRROR_TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 10;
const KEPT_HEADERS = [
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'expires',
];
const NEVER_FORWARDED = new Set([
  'content-length',
  'authorization',
  'authorization2',
  'range',
  'date',
  'host',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'expect',
  'upgrade',
  'te',
  'trailer',
  'proxy-authorization',
]);

const inflight = new WeakMap<Bucket, Map<string, Promise<StoredObject | undefined>>>();

/** Fetch a missing key through the bucket's mirror rule, store it and return it; undefined = plain 404. */
export async function mirrorFetch(
  ctx: Ctx,
  bucket: Bucket,
  key: string,
  isHead: boolean,
): Promise<StoredObject | undefined> {
  const state = website(bucket);
  if (!state) return undefined;
  const rule = matchRule(state, key, ctx.req.headers);
  if (!rule || str(rule.redirect.RedirectType) !== 'Mirror') return undefined;
  if (isHead && !flag(rule.redirect.MirrorAllowHeadObject)) return undefined;
  let flights = inflight.get(bucket);
  if (!flights) {
    flights = new Map();
    inflight.set(bucket, flights);
  }
  const pending = flights.get(key);
  if (pending) return pending;
  const work = fetchAndStore(ctx, bucket, key, rule).finally(() => flights.delete(key));
  flights.set(key, work);
  return work;
}

function originKeyFor(rule: RoutingRule, key: string): string {
  const r = rule.redirect;
  let k = key;
  const replaceWith = str(r.ReplaceKeyWith);
  if (replaceWith !== undefined && replaceWith !== '') k = replaceWith.replace(/\$\{key\}/g, key);
  else if (flag(r.EnableReplacePrefix)) {
    k = (str(r.ReplaceKeyPrefixWith) ?? '') + key.slice((rule.keyPrefixEquals ?? '').length);
  }
  if (!flag(r.MirrorPassOriginalSlashes)) k = k.replace(/\/{2,}/g, '/');
  return k;
}

function forwardedHeaders(ctx: Ctx, rule: RoutingRule): Record<string, string> {
  const out: Record<string, string> = {};
  const mh = rule.redirect.MirrorHeaders as Record<string, unknown> | undefined;
  if (!mh || typeof mh !== 'object') return out;
  const names = (v: unknown) => asArray(v as unknown[] | undefined).map((x) => String(x).toLowerCase());
  const pass = new Set(names(mh.Pass));
  const remove = new Set(names(mh.Remove));
  const passAll = flag(mh.PassAll);
  for (const [k, v] of Object.entries(ctx.req.headers)) {
    if (v === undefined || NEVER_FORWARDED.has(k) || remove.has(k)) continue;
    if (k.startsWith('x-oss-') || k.startsWith('oss-') || k.startsWith('x-drs-')) continue;
    if (passAll || pass.has(k)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  for (const s of asArray(mh.Set as unknown[] | undefined)) {
    const o = s as Record<string, unknown>;
    const name = str(o.Key)?.toLowerCase();
    if (name && !NEVER_FORWARDED.has(name)) out[name] = str(o.Value) ?? '';
  }
  return out;
}

function get(target: URL, headers: Record<string, string>): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, {
      method: 'GET',
      headers,
      timeout: MIRROR_TIMEOUT_MS,
    });
    req.once('response', resolve);
    req.once('timeout', () => req.destroy(new Error('mirror origin timed out')));
    req.once('error', reject);
    req.end();
  });
}

const failed = (message: string, ec: string): OssError => Err.mirrorFailed(message, ec);

async function fetchAndStore(
  ctx: Ctx,
  bucket: Bucket,
  key: string,
  rule: RoutingRule,
): Promise<StoredObject | undefined> {
  const host = ctx.host;
  const started = Date.now();
  const r = rule.redirect;
  const fired: Fault[] = host.faults.check('MirrorFetch', key);
  const entry = {
    op: 'MirrorFetch',
    method: 'GET',
    url: '',
    bucket: bucket.name,
    key,
    status: 0,
    code: undefined as string | undefined,
    bytesIn: 0,
    headers: {} as Record<string, string>,
  };
  const log = () =>
    host.log.add({
      time: started,
      op: entry.op,
      method: entry.method,
      url: entry.url,
      bucket: entry.bucket,
      key: entry.key,
      status: entry.status,
      ...(entry.code !== undefined ? { code: entry.code } : {}),
      bytesIn: entry.bytesIn,
      bytesOut: 0,
      durationMs: Date.now() - started,
      headers: entry.headers,
      ...(fired.length > 0 ? { faults: fired.map((f) => f.index) } : {}),
    });
  const fail = (err: OssError): never => {
    entry.code = err.code;
    log();
    throw err;
  };

  let url = new URL(
    `${str(r.MirrorURL)}${originKeyFor(rule, key)
      .split('/')
      .map((s) => rfc3986(s))
      .join(
        '/',
      )}${flag(r.MirrorPassQueryString) || flag(r.PassQueryString) ? (ctx.rawQuery ? `?${ctx.rawQuery}` : '') : ''}`,
  );
  entry.url = url.toString();

  for (const f of fired) {
    if (f.kind === 'latency') await new Promise((res) => setTimeout(res, f.latencyMs));
  }
  for (const f of fired) {
    if (f.kind === 'throttle') return fail(failed('Mirror request is rejected by QoS', '0041-00000105'));
    if (f.kind === 'error') {
      entry.status = f.status ?? 500;
      return fail(
        failed(`Error status : ${entry.status} from mirror host, should return 200 OK`, '0041-00000101'),
      );
    }
    if (f.kind === 'reset')
      return fail(failed('Mirroring failed, please check your mirror configuration', '0041-00000103'));
  }

  const forwarded = forwardedHeaders(ctx, rule);
  const auth = r.MirrorAuth as Record<string, unknown> | undefined;
  let res: IncomingMessage | undefined;
  for (let hop = 0; ; hop++) {
    let headers: Record<string, string>;
    if (auth && typeof auth === 'object' && str(auth.AccessKeyId)) {
      headers = signSigV4({
        method: 'GET',
        url: url.pathname + url.search,
        host: url.host,
        headers: forwarded,
        region: str(auth.Region) ?? 'us-east-1',
        service: 's3',
        accessKeyId: str(auth.AccessKeyId)!,
        secret: str(auth.AccessKeySecret) ?? '',
      });
    } else {
      headers = { ...forwarded, host: url.host };
    }
    entry.headers = headers;
    entry.url = url.toString();
    // null: an origin OSS could not reach in reality (the sandbox's Azure source): no fetch at all.
    const resolved = host.mirrorResolve?.(url);
    if (resolved === null)
      return fail(failed('Mirroring failed, please check your mirror configuration', '0041-00000103'));
    const target = resolved ?? url;
    try {
      res = await get(target, headers);
    } catch {
      return fail(failed('Mirroring failed, please check your mirror configuration', '0041-00000103'));
    }
    entry.status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (entry.status >= 300 && entry.status < 400 && location && str(r.MirrorFollowRedirect) !== 'false') {
      res.resume();
      if (hop + 1 >= MAX_REDIRECTS) {
        return fail(
          failed(`Error status : ${entry.status} from mirror host, should return 200 OK`, '0041-00000101'),
        );
      }
      url = new URL(location, url);
      continue;
    }
    break;
  }
  if (entry.status === 404) {
    res.resume();
    entry.code = 'NoSuchKey';
    log();
    return undefined;
  }
  if (entry.status !== 200 && entry.status !== 206) {
    res.resume();
    return fail(
      failed(`Error status : ${entry.status} from mirror host, should return 200 OK`, '0041-00000101'),
    );
  }

  const cl = res.headers['content-length'];
  const counted = (async function* () {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      entry.bytesIn += chunk.length;
      yield chunk;
    }
  })();
  let blob: Awaited<ReturnType<typeof host.blobs.put>>;
  try {
    blob = await host.blobs.put(
      counted,
      cl !== undefined && /^\d+$/.test(cl) ? { expectedLength: Number(cl) } : {},
    );
  } catch (err) {
    if (err instanceof BodyTooShortError)
      return fail(failed('Bytes read is not equal to expected', '0041-00000102'));
    return fail(failed('Read body from mirror host failed, please check your mirror host', '0041-00000104'));
  }
  const originMd5 = res.headers['content-md5'];
  if (flag(r.MirrorCheckMd5) && typeof originMd5 === 'string' && originMd5 !== blob.md5.toString('base64')) {
    host.blobs.release(blob);
    return fail(failed('MD5 in header() is not equal to MD5 calculated', '0041-00000106'));
  }

  const headers: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const v = res.headers[name];
    if (typeof v === 'string' && v !== '') headers[name] = v;
  }
  const meta: Record<string, string> = {};
  if (flag(r.MirrorSaveOssMeta)) {
    for (const [k, v] of Object.entries(res.headers)) {
      const m = /^x-(?:oss|amz|cos)-meta-(.+)$/.exec(k);
      if (m && typeof v === 'string') meta[m[1]!] = v;
    }
  }
  const now = host.now();
  const originLm = res.headers['last-modified'] ? new Date(res.headers['last-modified']) : undefined;
  const lastModified =
    flag(r.MirrorUserLastModified) && originLm && !Number.isNaN(originLm.getTime()) ? originLm : now;
  log();
  const existing = bucket.get(key);
  if (existing) {
    // Written while we were fetching: the newer write wins, the fetched copy is dropped.
    host.blobs.release(blob);
    return existing;
  }
  return bucket.put({
    key,
    size: blob.size,
    etag: blob.md5.toString('hex'),
    crc64: blob.crc64,
    lastModified,
    contentType:
      typeof res.headers['content-type'] === 'string'
        ? res.headers['content-type']
        : 'application/octet-stream',
    headers,
    meta,
    storageClass: bucketStorageClass(bucket),
    objectType: 'Normal',
    contentMd5: blob.md5.toString('base64'),
    segments: [{ blob, offset: 0, length: blob.size }],
  });
}
