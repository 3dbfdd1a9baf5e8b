/** OSS emulator conformance: routing, V1/V4 signatures, errors shape, service and bucket operations. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import OSS from 'ali-oss';
import type { OssEmulator } from './oss/index.ts';
import { AK, type AliOss, BUCKET, client, raw, rejects, SK, startEmu, xmlField } from './oss/testkit.ts';

const AWKWARD = [
  "we!rd'(x)*~.bin",
  'sp ace+plus%25pct?q#h&a=b.txt',
  'ü/中文/ключ',
  'a//b',
  'trail/',
  ' lead space',
];

describe('OSS emulator: signatures and routing', () => {
  let emu: OssEmulator;
  before(async () => {
    emu = await startEmu();
    emu.createBucket('sh-bucket', 'oss-cn-shanghai');
  });
  after(() => emu.close());

  for (const v4 of [false, true]) {
    it(`${v4 ? 'V4' : 'V1'}: put/get/head/list/delete round trip with awkward keys`, async () => {
      const c = client(emu, { authorizationV4: v4 });
      const prefix = v4 ? 'v4/' : 'v1/';
      for (const k of AWKWARD) {
        const key = prefix + k;
        const put = await c.put(key, Buffer.from(`body of ${key}`));
        assert.equal(put.res.status, 200);
        const got = await c.get(key);
        assert.equal(got.content.toString(), `body of ${key}`);
        const head = await c.head(key);
        assert.equal(head.res.status, 200);
        assert.equal(emu.buckets.get(BUCKET)!.get(key)?.key, key);
      }
      const listed = await c.list({ prefix, 'max-keys': 100 }, {});
      assert.deepEqual(listed.objects.map((o) => o.name).sort(), AWKWARD.map((k) => prefix + k).sort());
      // Sub-resources and ordinary parameters together (uploads + prefix; uploadId + partNumber).
      const init = await c.initMultipartUpload(`${prefix}${AWKWARD[0]}`);
      const ups = await c.listUploads({ prefix, 'max-uploads': 10 });
      assert.equal(ups.uploads.length, 1);
      await c.abortMultipartUpload(`${prefix}${AWKWARD[0]}`, init.uploadId);
      for (const k of AWKWARD) assert.equal((await c.delete(prefix + k)).res.status, 204);
    });

    it(`${v4 ? 'V4' : 'V1'}: a wrong secret gives SignatureDoesNotMatch with the string to sign`, async () => {
      const c = client(emu, { authorizationV4: v4, accessKeySecret: 'wrong-secret' });
      const err = await rejects(c.get('anything.txt'), { status: 403, code: 'SignatureDoesNotMatch' });
      assert.equal(err.ecCode, v4 ? '0002-00000044' : '0002-00000040');
      assert.match(err.requestId ?? '', /^[0-9A-F]{24}$/);
      // The body carries StringToSign & co (read through a plain request).
      const r = await raw(emu, { method: 'GET', path: '/x.txt', key: 'x.txt', secret: 'nope' });
      assert.equal(r.status, 403);
      const sts = xmlField(r.body, 'StringToSign') ?? '';
      assert.match(sts, /^GET\n\n\n.+GMT\nx-oss-date:.+\n\/dst\/x\.txt$/);
      assert.equal(xmlField(r.body, 'OSSAccessKeyId'), AK);
      assert.ok(xmlField(r.body, 'SignatureProvided'));
      assert.equal(
        xmlField(r.body, 'StringToSignBytes'),
        [...Buffer.from(sts)].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' '),
      );
      assert.equal(r.headers['x-oss-ec'], '0002-00000040');
      assert.equal(r.headers['content-type'], 'application/xml');
    });

    it(`${v4 ? 'V4' : 'V1'}: an unknown access key gives InvalidAccessKeyId`, async () => {
      const c = client(emu, { authorizationV4: v4, accessKeyId: 'LTAInobody' });
      await rejects(c.get('x'), { status: 403, code: 'InvalidAccessKeyId' });
    });

    it(`${v4 ? 'V4' : 'V1'}: clock skew over 15 minutes gives RequestTimeTooSkewed`, async () => {
      const c = client(emu, { authorizationV4: v4 });
      emu.clockSkewMs = 16 * 60 * 1000;
      try {
        const err = await rejects(c.get('x'), { status: 403, code: 'RequestTimeTooSkewed' });
        assert.equal(err.ecCode, '0002-00000504');
        emu.clockSkewMs = 14 * 60 * 1000;
        await rejects(c.get('x'), { status: 404, code: 'NoSuchKey' });
      } finally {
        emu.clockSkewMs = 0;
      }
      const r = await raw(emu, {
        method: 'GET',
        path: '/x',
        key: 'x',
        headers: { 'x-oss-date': new Date(Date.now() - 3_600_000).toUTCString() },
      });
      assert.equal(r.status, 403);
      assert.equal(xmlField(r.body, 'Code'), 'RequestTimeTooSkewed');
      assert.equal(xmlField(r.body, 'MaxAllowedSkewMilliseconds'), '900000');
      assert.ok(xmlField(r.body, 'RequestTime'));
      assert.ok(xmlField(r.body, 'ServerTime'));
    });

    it(`${v4 ? 'V4' : 'V1'}: the wrong region endpoint gives AccessDenied naming the right one`, async () => {
      const c = client(emu, { authorizationV4: v4, bucket: 'sh-bucket' });
      const err = await rejects(c.put('k', Buffer.from('x')), { status: 403, code: 'AccessDenied' });
      assert.match(err.message, /must be addressed using the specified endpoint/);
      const r = await raw(emu, { method: 'GET', path: '/k', key: 'k', bucket: 'sh-bucket' });
      assert.equal(xmlField(r.body, 'Endpoint'), 'oss-cn-shanghai.aliyuncs.com');
      const right = client(emu, { authorizationV4: v4, bucket: 'sh-bucket', region: 'oss-cn-shanghai' });
      assert.equal((await right.put('k', Buffer.from('x'))).res.status, 200);
      // The internal endpoint is named as such.
      const internal = client(emu, { authorizationV4: v4, bucket: 'sh-bucket', internal: true });
      await rejects(internal.get('k'), { status: 403, code: 'AccessDenied' });
      const r2 = await raw(emu, {
        method: 'GET',
        path: '/k',
        key: 'k',
        bucket: 'sh-bucket',
        host: 'sh-bucket.oss-cn-hangzhou-internal.aliyuncs.com',
      });
      assert.equal(xmlField(r2.body, 'Endpoint'), 'oss-cn-shanghai-internal.aliyuncs.com');
    });
  }

  it('V4: a declared x-oss-content-sha256 is checked against the body', async () => {
    // ali-oss always sends UNSIGNED-PAYLOAD (its copy-to keeps its own header), so sign with its V4 signer directly.
    const body = Buffer.from('hashed body');
    const put = (sha: string) =>
      raw(emu, {
        method: 'PUT',
        path: '/sha.txt',
        key: 'sha.txt',
        sign: 'v4',
        body,
        headers: { 'x-oss-content-sha256': sha },
      });
    const good = await put(createHash('sha256').update(body).digest('hex'));
    assert.equal(good.status, 200, good.body.toString());
    const bad = await put(createHash('sha256').update('other').digest('hex'));
    assert.equal(bad.status, 400);
    assert.equal(xmlField(bad.body, 'Code'), 'InvalidDigest');
    const wrongSecret = await raw(emu, {
      method: 'GET',
      path: '/sha.txt',
      key: 'sha.txt',
      sign: 'v4',
      secret: 'x',
    });
    assert.equal(xmlField(wrongSecret.body, 'Code'), 'SignatureDoesNotMatch');
    assert.match(xmlField(wrongSecret.body, 'CanonicalRequest') ?? '', /^GET\n\/dst\/sha\.txt\n/);
  });

  it('V4: empty query values are accepted bare or as k= (ali-oss signs prefix= for list)', async () => {
    const c = client(emu, { authorizationV4: true });
    const r = await c.list({ prefix: '', 'max-keys': 5 }, {});
    assert.equal(r.res.status, 200);
  });

  it('an unknown bucket gives NoSuchBucket with BucketName', async () => {
    const c = client(emu, { bucket: 'nope-bucket' });
    await rejects(c.get('x'), { status: 404, code: 'NoSuchBucket' });
    const r = await raw(emu, { method: 'GET', path: '/', bucket: 'nope-bucket' });
    assert.equal(xmlField(r.body, 'BucketName'), 'nope-bucket');
    assert.equal(xmlField(r.body, 'HostId'), 'nope-bucket.oss-cn-hangzhou.aliyuncs.com');
  });

  it('missing authorization gives AccessDenied; every response carries request id, Date, Server', async () => {
    const r = await raw(emu, { method: 'GET', path: '/x', sign: false });
    assert.equal(r.status, 403);
    assert.equal(xmlField(r.body, 'Code'), 'AccessDenied');
    assert.equal(xmlField(r.body, 'EC'), '0003-00000001');
    assert.match(String(r.headers['x-oss-request-id']), /^[0-9A-F]{24}$/);
    assert.equal(xmlField(r.body, 'RequestId'), r.headers['x-oss-request-id']);
    assert.equal(r.headers.server, 'AliyunOSS');
    assert.ok(!Number.isNaN(new Date(String(r.headers.date)).getTime()));
    const ok = await raw(emu, { method: 'GET', path: '/', query: 'location', subres: { location: null } });
    assert.equal(ok.status, 200);
    assert.match(String(ok.headers['x-oss-request-id']), /^[0-9A-F]{24}$/);
    assert.equal(ok.headers.server, 'AliyunOSS');
  });

  it('the Date server header follows the skewed server clock', async () => {
    emu.clockSkewMs = 10 * 60 * 1000;
    try {
      const r = await raw(emu, { method: 'GET', path: '/', query: 'location', subres: { location: null } });
      const skew = new Date(String(r.headers.date)).getTime() - Date.now();
      assert.ok(skew > 9 * 60 * 1000 && skew < 11 * 60 * 1000, `skew ${skew}`);
    } finally {
      emu.clockSkewMs = 0;
    }
  });

  it('ListBuckets, PutBucket, GetBucketInfo, GetBucketLocation', async () => {
    const c = client(emu);
    const hz = client(emu, { region: 'oss-cn-beijing' });
    await hz.putBucket('new-bj-bucket');
    assert.equal(emu.buckets.get('new-bj-bucket')?.region, 'oss-cn-beijing');
    await rejects(hz.putBucket('new-bj-bucket'), { status: 409, code: 'BucketAlreadyExists' });
    await rejects(hz.putBucket('Bad_Name'), {});
    const list = await c.listBuckets({});
    const names = (list.buckets ?? []).map((b) => b.name);
    assert.ok(names.includes(BUCKET) && names.includes('new-bj-bucket') && names.includes('sh-bucket'));
    const bj = (list.buckets ?? []).find((b) => b.name === 'new-bj-bucket')!;
    assert.equal(bj.region, 'oss-cn-beijing');
    const paged = await c.listBuckets({ 'max-keys': 1 });
    assert.equal(paged.buckets?.length, 1);
    assert.equal(paged.isTruncated, true);
    const info = await c.getBucketInfo(BUCKET);
    const b = info.bucket as unknown as Record<string, unknown>;
    assert.equal(b.Location, 'oss-cn-hangzhou');
    assert.equal(b.Name, BUCKET);
    assert.equal(b.ExtranetEndpoint, 'oss-cn-hangzhou.aliyuncs.com');
    assert.equal(b.IntranetEndpoint, 'oss-cn-hangzhou-internal.aliyuncs.com');
    assert.equal(b.StorageClass, 'Standard');
    assert.ok(b.CreationDate);
    const loc = await c.getBucketLocation(BUCKET);
    assert.equal(loc.location, 'oss-cn-hangzhou');
    const v4 = new OSS({
      accessKeyId: AK,
      accessKeySecret: SK,
      endpoint: emu.endpoint,
      region: 'oss-cn-hangzhou',
      authorizationV4: true,
    } as never) as unknown as AliOss;
    assert.ok(((await v4.listBuckets({})).buckets ?? []).length >= 3);
    const wrong = client(emu, { region: 'oss-cn-beijing' });
    await rejects(wrong.getBucketInfo(BUCKET), { status: 403, code: 'AccessDenied' });
  });

  it('unsupported APIs answer NotImplemented (signed, so they never pass for success)', async () => {
    const c = client(emu);
    await rejects(c.putBucketACL(BUCKET, 'public-read'), { status: 501, code: 'NotImplemented' });
  });

  it('V1 presigned URLs (ali-oss signatureUrl) are verified, including expiry', async () => {
    await client(emu).put('signed/ü x.txt', Buffer.from('presigned'));
    // signatureUrl refuses IP endpoints: sign for the real host name, then send it to the emulator.
    const named = client(emu, { endpoint: 'http://oss-cn-hangzhou.aliyuncs.com' });
    const get = async (u: string, secretOk = true) => {
      const url = new URL(u);
      return raw(emu, {
        method: 'GET',
        path: url.pathname,
        query: url.search.slice(1),
        sign: false,
        ...(secretOk ? {} : {}),
      });
    };
    const ok = await get(named.signatureUrl('signed/ü x.txt', { expires: 60 }));
    assert.equal(ok.status, 200);
    assert.equal(ok.body.toString(), 'presigned');
    const overridden = await get(
      named.signatureUrl('signed/ü x.txt', { expires: 60, response: { 'content-type': 'text/x' } }),
    );
    assert.equal(overridden.headers['content-type'], 'text/x');
    const expired = await get(named.signatureUrl('signed/ü x.txt', { expires: -10 }));
    assert.equal(expired.status, 403);
    assert.equal(xmlField(expired.body, 'Message'), 'Request has expired.');
    const forged = client(emu, { endpoint: 'http://oss-cn-hangzhou.aliyuncs.com', accessKeySecret: 'nope' });
    const bad = await get(forged.signatureUrl('signed/ü x.txt', { expires: 60 }));
    assert.equal(xmlField(bad.body, 'Code'), 'SignatureDoesNotMatch');
  });

  it('admin endpoint on the IP host', async () => {
    const res = await fetch(`${emu.endpoint}/__sandbox__/health`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { kind: string; buckets: string[] };
    assert.equal(body.kind, 'oss');
    assert.ok(body.buckets.includes(BUCKET));
  });
});
