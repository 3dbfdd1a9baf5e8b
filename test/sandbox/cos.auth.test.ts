/** COS emulator: Host routing, q-sign-algorithm=sha1 verification, clock skew, errors — via cos-nodejs-sdk-v5. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import COS from 'cos-nodejs-sdk-v5';
import { compareKeys } from '../../runner/core/keys.ts';
import { startCosEmulator } from './cos/index.ts';
import { B, BUCKET, CRED, type Harness, harness, opsSince, REGION, raw, sdkError } from './cos/testkit.ts';

const AWKWARD_KEYS = [
  "we!rd'(x)*~.bin",
  'sp ace+plus%25pct?q#h&a=b.txt',
  'ü/中文/ключ',
  'a//b',
  'trail/',
  ' lead space',
  '+',
  '%',
  `long/${'k'.repeat(845)}`, // exactly 850 bytes, the COS maximum
];

/** Headers for a raw request signed the way the SDK signs (Host included). */
function signed(
  method: COS.Method,
  key: string,
  o: {
    headers?: Record<string, string>;
    query?: Record<string, string>;
    secret?: string;
    expires?: number;
  } = {},
) {
  const headers = { Host: `${BUCKET}.cos.${REGION}.myqcloud.com`, ...o.headers };
  const auth = COS.getAuthorization({
    SecretId: CRED.accessKeyId,
    SecretKey: o.secret ?? CRED.secret,
    Method: method,
    Key: key,
    Query: o.query ?? {},
    Headers: headers,
    ...(o.expires !== undefined ? { Expires: o.expires } : {}),
  });
  return { ...headers, Authorization: auth };
}

describe('COS emulator: routing and signatures', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  it('round-trips awkward keys through put, head, get, list and delete', async () => {
    for (const Key of AWKWARD_KEYS) {
      const body = Buffer.from(`body of ${Key}`);
      const put = await h.cos.putObject({ ...B, Key, Body: body });
      assert.equal(put.statusCode, 200, Key);
      const head = await h.cos.headObject({ ...B, Key });
      assert.equal(head.headers?.['content-length'], String(body.length), Key);
      const get = await h.cos.getObject({ ...B, Key });
      assert.deepEqual(get.Body, body, Key);
      assert.equal(get.ETag, put.ETag);
    }
    const listed = await h.cos.getBucket({ ...B, MaxKeys: 1000 });
    const keys = listed.Contents.map((c) => c.Key);
    assert.deepEqual(keys, [...AWKWARD_KEYS].sort(compareKeys));
    for (const Key of AWKWARD_KEYS) {
      const del = await h.cos.deleteObject({ ...B, Key });
      assert.equal(del.statusCode, 204, Key);
    }
    assert.equal((await h.cos.getBucket({ ...B })).Contents.length, 0);
  });

  it('refuses keys over 850 bytes with KeyTooLong', async () => {
    const err = await sdkError(h.cos.putObject({ ...B, Key: 'x'.repeat(851), Body: Buffer.from('x') }));
    assert.equal(err.code, 'KeyTooLong');
    assert.equal(err.statusCode, 400);
  });

  it('lists in UTF-8 byte order: U+FF5E before an emoji', async () => {
    const keys = ['order/\u{1F600}', 'order/\uFF5E', 'order/z'];
    for (const Key of keys) await h.cos.putObject({ ...B, Key, Body: 'x' });
    const listed = await h.cos.getBucket({ ...B, Prefix: 'order/' });
    assert.deepEqual(
      listed.Contents.map((c) => c.Key),
      ['order/z', 'order/\uFF5E', 'order/\u{1F600}'],
    );
  });

  it('answers with x-cos-request-id, Date and Server; errors are COS XML with a trace id', async () => {
    const ok = await h.cos.headBucket({ ...B });
    assert.ok(ok.headers?.['x-cos-request-id']);
    assert.equal(ok.headers?.server, 'tencent-cos');
    assert.ok(ok.headers?.date);
    assert.equal(ok.headers?.['x-cos-bucket-region'], REGION);

    const err = await sdkError(h.cos.getObject({ ...B, Key: 'missing/key' }));
    assert.equal(err.code, 'NoSuchKey');
    assert.equal(err.statusCode, 404);
    assert.equal(err.error?.Message, 'The specified key does not exist.');
    assert.equal(err.error?.Resource, `${BUCKET}.cos.${REGION}.myqcloud.com/missing/key`);
    assert.equal(err.error?.RequestId, err.headers?.['x-cos-request-id']);
    assert.equal(err.error?.TraceId, err.headers?.['x-cos-trace-id']);

    const r = await raw(h.emu.port, { method: 'GET', path: '/missing', headers: signed('GET', 'missing') });
    assert.equal(r.status, 404);
    assert.equal(r.headers['content-type'], 'application/xml');
    assert.match(
      r.body.toString(),
      /^<\?xml version='1\.0' encoding='utf-8' \?>\n<Error><Code>NoSuchKey<\/Code>/,
    );
    assert.ok(r.headers['x-cos-trace-id']);

    // HEAD errors have no body: the SDK only sees the status.
    const headErr = await sdkError(h.cos.headObject({ ...B, Key: 'missing/key' }));
    assert.equal(headErr.code, '404');
    assert.equal(headErr.statusCode, 404);
  });

  it('rejects a wrong SecretKey with SignatureDoesNotMatch', async () => {
    const bad = h.client({ SecretKey: 'not-the-secret' });
    const err = await sdkError(bad.getBucket({ ...B }));
    assert.equal(err.code, 'SignatureDoesNotMatch');
    assert.equal(err.statusCode, 403);
    const headErr = await sdkError(bad.headObject({ ...B, Key: 'x' }));
    assert.equal(headErr.code, '403');
  });

  it('rejects an unknown SecretId with InvalidAccessKeyId', async () => {
    const err = await sdkError(h.client({ SecretId: 'AKIDunknown' }).getBucket({ ...B }));
    assert.equal(err.code, 'InvalidAccessKeyId');
    assert.equal(err.statusCode, 403);
  });

  it('rejects anonymous requests with AccessDenied', async () => {
    const r = await raw(h.emu.port, {
      method: 'GET',
      path: '/',
      headers: { Host: `${BUCKET}.cos.${REGION}.myqcloud.com` },
    });
    assert.equal(r.status, 403);
    assert.match(r.body.toString(), /<Code>AccessDenied<\/Code>/);
  });

  it('signs exactly the listed headers and parameters', async () => {
    await h.cos.putObject({ ...B, Key: 'signed.txt', Body: 'signed' });
    const headers = signed('GET', 'signed.txt', {
      headers: { 'x-cos-meta-tag': 'a', Range: 'bytes=0-1' },
      query: { 'response-content-type': 'text/x-signed' },
    });
    const ok = await raw(h.emu.port, {
      method: 'GET',
      path: '/signed.txt?response-content-type=text%2Fx-signed',
      headers: { ...headers, 'x-unsigned-extra': 'ignored' },
    });
    assert.equal(ok.status, 206);
    assert.equal(ok.headers['content-type'], 'text/x-signed');
    assert.equal(ok.body.toString(), 'si');

    const tamperedHeader = await raw(h.emu.port, {
      method: 'GET',
      path: '/signed.txt?response-content-type=text%2Fx-signed',
      headers: { ...headers, Range: 'bytes=0-2' },
    });
    assert.equal(tamperedHeader.status, 403);
    assert.match(tamperedHeader.body.toString(), /SignatureDoesNotMatch/);

    const tamperedQuery = await raw(h.emu.port, {
      method: 'GET',
      path: '/signed.txt?response-content-type=text%2Fhtml',
      headers,
    });
    assert.match(tamperedQuery.body.toString(), /SignatureDoesNotMatch/);

    const otherKey = await raw(h.emu.port, { method: 'GET', path: '/other.txt', headers });
    assert.match(otherKey.body.toString(), /SignatureDoesNotMatch/);
    assert.equal(h.emu.lastSignatureMismatch?.scheme, 'cos');
    assert.match(h.emu.lastSignatureMismatch?.canonical ?? '', /^get\n\/other\.txt\n/);
  });

  it('accepts presigned URLs (getObjectUrl) and refuses expired ones', async () => {
    await h.cos.putObject({ ...B, Key: 'pre signed.txt', Body: 'presigned' });
    const url = await new Promise<string>((resolve, reject) =>
      h.cos.getObjectUrl({ ...B, Key: 'pre signed.txt', Sign: true }, (err, data) =>
        err ? reject(err) : resolve(data.Url),
      ),
    );
    const u = new URL(url);
    const r = await raw(h.emu.port, {
      method: 'GET',
      path: u.pathname + u.search,
      headers: { Host: u.host },
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'presigned');

    const expired = COS.getAuthorization({
      SecretId: CRED.accessKeyId,
      SecretKey: CRED.secret,
      Method: 'GET',
      Key: 'pre signed.txt',
      Headers: { Host: u.host },
      KeyTime: `${Math.floor(Date.now() / 1000) - 3600};${Math.floor(Date.now() / 1000) - 1800}`,
    });
    const old = await raw(h.emu.port, {
      method: 'GET',
      path: `${u.pathname}?${expired}`,
      headers: { Host: u.host },
    });
    assert.equal(old.status, 403);
    assert.match(old.body.toString(), /<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/);
  });

  it('answers NoSuchBucket for a region that is not the bucket’s, and for unknown buckets', async () => {
    const wrongRegion = await sdkError(h.cos.getBucket({ Bucket: BUCKET, Region: 'ap-beijing' }));
    assert.equal(wrongRegion.code, 'NoSuchBucket');
    assert.equal(wrongRegion.statusCode, 404);
    const unknown = await sdkError(h.cos.getBucket({ Bucket: 'nope-1250000000', Region: REGION }));
    assert.equal(unknown.code, 'NoSuchBucket');
    const head = await sdkError(h.cos.headBucket({ Bucket: 'nope-1250000000', Region: REGION }));
    assert.equal(head.code, '404');
    // DeleteObject turns a 404 into success, as the SDK does.
    const del = await h.cos.deleteObject({ Bucket: 'nope-1250000000', Region: REGION, Key: 'x' });
    assert.equal((del as { BucketNotFound?: boolean }).BucketNotFound, true);
  });

  it('falls back to path style on an IP Host, and serves the admin endpoint there', async () => {
    await h.cos.putObject({ ...B, Key: 'path/style.txt', Body: 'path style' });
    const path = `/${BUCKET}/path/style.txt`;
    const auth = COS.getAuthorization({
      SecretId: CRED.accessKeyId,
      SecretKey: CRED.secret,
      Method: 'GET',
      Pathname: path,
      Headers: { Host: `127.0.0.1:${h.emu.port}` },
    });
    const r = await raw(h.emu.port, { method: 'GET', path, headers: { Authorization: auth } });
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'path style');
    const entry = h.emu.log.find({ key: 'path/style.txt', op: 'GetObject' }).at(-1);
    assert.equal(entry?.bucket, BUCKET);

    const health = await raw(h.emu.port, { method: 'GET', path: '/__sandbox__/health' });
    assert.equal(health.status, 200);
    assert.deepEqual(JSON.parse(health.body.toString()).buckets, [BUCKET]);
  });

  it('lists buckets (GetService), optionally by region', async () => {
    const other = 'other-1250000000';
    h.emu.createBucket(other, 'ap-shanghai');
    const all = await h.cos.getService({});
    assert.deepEqual(
      all.Buckets.map((b) => [b.Name, b.Location]),
      [
        [other, 'ap-shanghai'],
        [BUCKET, REGION],
      ],
    );
    const gz = await h.cos.getService({ Region: REGION });
    assert.deepEqual(
      gz.Buckets.map((b) => b.Name),
      [BUCKET],
    );
  });

  it('validates bucket names on createBucket', () => {
    assert.throws(() => h.emu.createBucket('noappid'), /<name>-<APPID>/);
    assert.throws(() => h.emu.createBucket('UPPER-1250000000'), /<name>-<APPID>/);
    assert.throws(() => h.emu.createBucket(BUCKET, 'ap-beijing'), /already exists in ap-guangzhou/);
  });
});

describe('COS emulator: clock skew', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
    await h.emu.seed(BUCKET, { key: 'skew.txt', body: 'skew' });
  });
  after(() => h.close());

  it('lets the SDK recover from a server 5 minutes behind (RequestTimeTooSkewed + Date)', async () => {
    h.emu.clockSkewMs = -5 * 60_000;
    const cos = h.client();
    const mark = h.emu.log.mark();
    const list = await cos.getBucket({ ...B });
    assert.equal(list.Contents.length, 1);
    const tries = opsSince(h.emu, mark, 'ListObjects');
    assert.deepEqual(
      tries.map((t) => [t.status, t.code, t.headers['x-cos-sdk-retry']]),
      [
        [403, 'RequestTimeTooSkewed', undefined],
        [200, undefined, 'true'],
      ],
    );
    const offset = (cos as unknown as { options: { SystemClockOffset: number } }).options.SystemClockOffset;
    assert.ok(Math.abs(offset + 5 * 60_000) < 2_000, `SystemClockOffset ${offset}`);
    h.emu.clockSkewMs = 0;
  });

  it('lets the SDK recover from a server 20 minutes ahead on GET (Request has expired)', async () => {
    h.emu.clockSkewMs = 20 * 60_000;
    const cos = h.client();
    const mark = h.emu.log.mark();
    const got = await cos.getObject({ ...B, Key: 'skew.txt' });
    assert.equal(got.Body.toString(), 'skew');
    const tries = opsSince(h.emu, mark, 'GetObject');
    assert.deepEqual(
      tries.map((t) => [t.status, t.code]),
      [
        [403, 'AccessDenied'],
        [200, undefined],
      ],
    );
    h.emu.clockSkewMs = 0;
  });

  it('gives a HEAD 20 minutes skewed only the status: err.code === "403"', async () => {
    h.emu.clockSkewMs = 20 * 60_000;
    const cos = h.client();
    const err = await sdkError(cos.headObject({ ...B, Key: 'skew.txt' }));
    assert.equal(err.code, '403');
    assert.equal(err.statusCode, 403);
    // The server's Date header carries its own clock.
    const date = Date.parse(err.headers?.date ?? '');
    assert.ok(Math.abs(date - (Date.now() + 20 * 60_000)) < 5_000);
    h.emu.clockSkewMs = 0;
  });
});

describe('COS emulator: options', () => {
  it('enforces the APPID suffix when appId is given, and reports it as owner', async () => {
    const emu = await startCosEmulator({ credentials: [CRED], appId: '1300000000' });
    try {
      assert.throws(() => emu.createBucket(BUCKET), /does not belong to APPID 1300000000/);
      assert.equal(emu.createBucket('mine-1300000000').region, 'ap-guangzhou');
      assert.match(emu.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(emu.kind, 'cos');
    } finally {
      await emu.close();
    }
  });
});
