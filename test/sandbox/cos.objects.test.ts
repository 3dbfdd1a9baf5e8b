/** COS emulator: object operations (PUT, HEAD, GET, Copy, DELETE, restore, downloadFile) via cos-nodejs-sdk-v5. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { crc64 } from '../../runner/core/crc64.ts';
import { patternBytes } from './common/blobs.ts';
import { B, BUCKET, type Harness, harness, opsSince, REGION, sdkError } from './cos/testkit.ts';

const md5b64 = (b: Buffer | string) => createHash('md5').update(b).digest('base64');
const md5hex = (b: Buffer | string) => createHash('md5').update(b).digest('hex');
const bytes = (size: number, seed: number) => Buffer.concat([...patternBytes(size, seed)]);
const copySource = (key: string, bucket = BUCKET, region = REGION) =>
  `${bucket}.cos.${region}.myqcloud.com/${encodeURIComponent(key)}`;

describe('COS emulator: PUT and HEAD', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  it('stores a Buffer with Content-MD5 and answers ETag and x-cos-hash-crc64ecma', async () => {
    const cos = h.client({ UploadCheckContentMd5: true });
    const body = bytes(70_000, 1);
    const mark = h.emu.log.mark();
    const put = await cos.putObject({ ...B, Key: 'buf.bin', Body: body });
    assert.equal(put.ETag, `"${md5hex(body)}"`);
    assert.equal(put.headers?.['x-cos-hash-crc64ecma'], crc64(body));
    const [entry] = opsSince(h.emu, mark, 'PutObject');
    assert.equal(entry?.headers['content-md5'], md5b64(body));
    assert.equal(entry?.bytesIn, body.length);
    const head = await cos.headObject({ ...B, Key: 'buf.bin' });
    assert.equal(head.ETag, put.ETag);
    assert.equal(head.headers?.['x-cos-hash-crc64ecma'], crc64(body));
    assert.equal(head.headers?.['content-type'], 'application/octet-stream');
    assert.equal(head.headers?.['accept-ranges'], 'bytes');
    // STANDARD objects carry no x-cos-storage-class; the SDK's empty Cache-Control is not stored.
    assert.equal(head.headers?.['x-cos-storage-class'], undefined);
    assert.equal(head.headers?.['cache-control'], undefined);
  });

  it('stores a stream sent chunked', async () => {
    const parts = [bytes(100_000, 2), bytes(3, 3), bytes(200_001, 4)];
    const mark = h.emu.log.mark();
    const put = await h.cos.putObject({ ...B, Key: 'stream.bin', Body: Readable.from(parts) });
    const whole = Buffer.concat(parts);
    assert.equal(put.ETag, `"${md5hex(whole)}"`);
    const [entry] = opsSince(h.emu, mark, 'PutObject');
    assert.equal(entry?.headers['transfer-encoding'], 'chunked');
    assert.equal(entry?.headers['content-length'], undefined);
    const got = await h.cos.getObject({ ...B, Key: 'stream.bin' });
    assert.deepEqual(got.Body, whole);
  });

  it('rejects a wrong Content-MD5 with BadDigest and a malformed one with InvalidDigest', async () => {
    const bad = await sdkError(
      h.cos.putObject({
        ...B,
        Key: 'digest.bin',
        Body: Buffer.from('payload'),
        Headers: { 'Content-MD5': md5b64('other') },
      }),
    );
    assert.equal(bad.code, 'BadDigest');
    assert.equal(bad.statusCode, 400);
    const malformed = await sdkError(
      h.cos.putObject({
        ...B,
        Key: 'digest.bin',
        Body: Buffer.from('payload'),
        Headers: { 'Content-MD5': 'nope' },
      }),
    );
    assert.equal(malformed.code, 'InvalidDigest');
    assert.equal((await sdkError(h.cos.headObject({ ...B, Key: 'digest.bin' }))).code, '404');
  });

  it('sends seeded non-ASCII metadata as UTF-8 bytes', async () => {
    await h.emu.seed(BUCKET, {
      key: 'utf8-meta',
      body: 'x',
      meta: { note: 'ü 中文' },
      lastModified: new Date(0),
    });
    const head = await h.cos.headObject({ ...B, Key: 'utf8-meta' });
    assert.equal(Buffer.from(head.headers?.['x-cos-meta-note'] ?? '', 'latin1').toString('utf8'), 'ü 中文');
    assert.equal(head.headers?.['last-modified'], 'Thu, 01 Jan 1970 00:00:00 GMT');
  });

  it('keeps metadata, standard headers and the storage class', async () => {
    await h.cos.putObject({
      ...B,
      Key: 'meta.txt',
      Body: 'meta',
      ContentType: 'text/plain; charset=utf-8',
      ContentDisposition: 'attachment; filename="m.txt"',
      ContentEncoding: 'identity',
      CacheControl: 'max-age=60',
      Expires: 'Wed, 21 Oct 2037 07:28:00 GMT',
      StorageClass: 'STANDARD_IA',
      Headers: { 'x-cos-meta-owner': 'team-a', 'x-cos-meta-Mixed-Case': 'V', 'Content-Language': 'zh-CN' },
    });
    const head = await h.cos.headObject({ ...B, Key: 'meta.txt' });
    const hd = head.headers ?? {};
    assert.equal(hd['content-type'], 'text/plain; charset=utf-8');
    assert.equal(hd['content-disposition'], 'attachment; filename="m.txt"');
    assert.equal(hd['content-encoding'], 'identity');
    assert.equal(hd['content-language'], 'zh-CN');
    assert.equal(hd['cache-control'], 'max-age=60');
    assert.equal(hd.expires, 'Wed, 21 Oct 2037 07:28:00 GMT');
    assert.equal(hd['x-cos-meta-owner'], 'team-a');
    assert.equal(hd['x-cos-meta-mixed-case'], 'V');
    assert.equal(hd['x-cos-storage-class'], 'STANDARD_IA');
    const err = await sdkError(
      h.cos.putObject({ ...B, Key: 'x', Body: 'x', StorageClass: 'GLACIER' as 'STANDARD' }),
    );
    assert.equal(err.code, 'InvalidStorageClass');
  });
});

describe('COS emulator: GET', () => {
  let h: Harness;
  const body = bytes(300_000, 7);
  let etag: string;
  before(async () => {
    h = await harness();
    etag = `"${(await h.emu.seed(BUCKET, { key: 'get.bin', body, lastModified: new Date('2024-05-01T08:00:00Z') })).etag}"`;
  });
  after(() => h.close());

  it('serves ranges as 206 with Content-Range and the whole-object CRC', async () => {
    const got = await h.cos.getObject({ ...B, Key: 'get.bin', Range: 'bytes=100-199' });
    assert.equal(got.statusCode, 206);
    assert.equal(got.headers?.['content-range'], `bytes 100-199/${body.length}`);
    assert.equal(got.headers?.['content-length'], '100');
    assert.equal(got.headers?.['x-cos-hash-crc64ecma'], crc64(body));
    assert.deepEqual(got.Body, body.subarray(100, 200));
    const suffix = await h.cos.getObject({ ...B, Key: 'get.bin', Range: 'bytes=-10' });
    assert.deepEqual(suffix.Body, body.subarray(body.length - 10));
    const open = await h.cos.getObject({ ...B, Key: 'get.bin', Range: `bytes=${body.length - 5}-` });
    assert.deepEqual(open.Body, body.subarray(body.length - 5));
    const clamped = await h.cos.getObject({ ...B, Key: 'get.bin', Range: `bytes=0-${body.length + 100}` });
    assert.equal(clamped.Body.length, body.length);
    const malformed = await h.cos.getObject({ ...B, Key: 'get.bin', Range: 'bytes=abc' });
    assert.equal(malformed.statusCode, 200);
    const headRange = await h.cos.headObject({ ...B, Key: 'get.bin', Headers: { Range: 'bytes=0-9' } });
    assert.equal(headRange.statusCode, 206);
  });

  it('answers an unsatisfiable range with 416 InvalidRange', async () => {
    const err = await sdkError(h.cos.getObject({ ...B, Key: 'get.bin', Range: `bytes=${body.length}-` }));
    assert.equal(err.code, 'InvalidRange');
    assert.equal(err.statusCode, 416);
    assert.equal(err.headers?.['content-range'], `bytes */${body.length}`);
  });

  it('checks If-Match, If-None-Match, If-Modified-Since and If-Unmodified-Since', async () => {
    const ok = await h.cos.getObject({ ...B, Key: 'get.bin', IfMatch: etag });
    assert.equal(ok.statusCode, 200);
    const wrong = await sdkError(h.cos.getObject({ ...B, Key: 'get.bin', IfMatch: '"0123"' }));
    assert.equal(wrong.code, 'PreconditionFailed');
    assert.equal(wrong.statusCode, 412);
    const headWrong = await sdkError(
      h.cos.headObject({ ...B, Key: 'get.bin', Headers: { 'If-Match': '"0123"' } }),
    );
    assert.equal(headWrong.code, '412');
    const same = await sdkError(h.cos.getObject({ ...B, Key: 'get.bin', IfNoneMatch: etag }));
    assert.equal(same.statusCode, 304);
    const other = await h.cos.getObject({ ...B, Key: 'get.bin', IfNoneMatch: '"0123"' });
    assert.equal(other.statusCode, 200);
    const notModified = await h.cos.getObject({
      ...B,
      Key: 'get.bin',
      IfModifiedSince: 'Wed, 01 May 2024 08:00:00 GMT',
    });
    assert.equal((notModified as { NotModified?: boolean }).NotModified, true);
    const modified = await h.cos.getObject({
      ...B,
      Key: 'get.bin',
      IfModifiedSince: 'Tue, 30 Apr 2024 08:00:00 GMT',
    });
    assert.equal(modified.statusCode, 200);
    const unmodified = await sdkError(
      h.cos.getObject({ ...B, Key: 'get.bin', IfUnmodifiedSince: 'Tue, 30 Apr 2024 08:00:00 GMT' }),
    );
    assert.equal(unmodified.code, 'PreconditionFailed');
  });

  it('applies response-* overrides', async () => {
    const got = await h.cos.getObject({
      ...B,
      Key: 'get.bin',
      ResponseContentType: 'image/png',
      ResponseContentDisposition: 'attachment; filename="x.png"',
      ResponseCacheControl: 'no-cache',
      ResponseContentLanguage: 'en',
      ResponseExpires: 'Thu, 01 Jan 2037 00:00:00 GMT',
      ResponseContentEncoding: 'identity',
    });
    assert.equal(got.headers?.['content-type'], 'image/png');
    assert.equal(got.headers?.['content-disposition'], 'attachment; filename="x.png"');
    assert.equal(got.headers?.['cache-control'], 'no-cache');
    assert.equal(got.headers?.['content-language'], 'en');
    assert.equal(got.headers?.expires, 'Thu, 01 Jan 2037 00:00:00 GMT');
    assert.equal(got.headers?.['content-encoding'], 'identity');
  });

  it('streams with getObjectStream', async () => {
    const stream = h.cos.getObjectStream({ ...B, Key: 'get.bin' }) as unknown as Readable;
    assert.deepEqual(await buffer(stream), body);
  });

  it('serves seeded multipart objects (ETag <md5>-N, combined CRC) and downloadFile reads them in ranges', async () => {
    const big = bytes(3 * 1024 * 1024 + 12345, 9);
    const obj = await h.emu.seed(BUCKET, { key: 'multi.bin', body: big, partSize: 1024 * 1024 });
    assert.match(obj.etag, /^[0-9a-f]{32}-4$/);
    assert.equal(obj.crc64, crc64(big));
    const head = await h.cos.headObject({ ...B, Key: 'multi.bin' });
    assert.equal(head.ETag, `"${obj.etag}"`);
    assert.equal(head.headers?.['x-cos-hash-crc64ecma'], crc64(big));
    const mark = h.emu.log.mark();
    const file = join(h.tmp, 'multi.download');
    await h.cos.downloadFile({
      ...B,
      Key: 'multi.bin',
      FilePath: file,
      ChunkSize: 1024 * 1024,
      onProgress: () => {},
    });
    assert.deepEqual(await readFile(file), big);
    const gets = opsSince(h.emu, mark, 'GetObject');
    assert.equal(gets.length, 4);
    assert.ok(gets.every((g) => g.status === 206 && g.headers.range?.startsWith('bytes=')));
  });
});

describe('COS emulator: Copy and DELETE', () => {
  let h: Harness;
  const src = bytes(50_000, 11);
  before(async () => {
    h = await harness();
    await h.emu.seed(BUCKET, {
      key: 'src/ü file.bin',
      body: src,
      contentType: 'application/x-src',
      meta: { origin: 'seed' },
      headers: { 'Cache-Control': 'max-age=5' },
    });
  });
  after(() => h.close());

  it('copies with the Copy directive (metadata kept) and answers CopyObjectResult', async () => {
    const res = await h.cos.putObjectCopy({
      ...B,
      Key: 'dst/copy.bin',
      CopySource: copySource('src/ü file.bin'),
    });
    assert.equal(res.ETag, `"${md5hex(src)}"`);
    assert.equal((res as { CRC64?: string }).CRC64, crc64(src));
    assert.match(res.LastModified ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const head = await h.cos.headObject({ ...B, Key: 'dst/copy.bin' });
    assert.equal(head.headers?.['content-type'], 'application/x-src');
    assert.equal(head.headers?.['x-cos-meta-origin'], 'seed');
    assert.equal(head.headers?.['cache-control'], 'max-age=5');
    assert.deepEqual((await h.cos.getObject({ ...B, Key: 'dst/copy.bin' })).Body, src);
  });

  it('replaces metadata with the Replaced directive, across buckets', async () => {
    h.emu.createBucket('dst-1250000000', 'ap-shanghai');
    await h.cos.putObjectCopy({
      Bucket: 'dst-1250000000',
      Region: 'ap-shanghai',
      Key: 'replaced.bin',
      CopySource: copySource('src/ü file.bin'),
      MetadataDirective: 'Replaced',
      ContentType: 'text/x-new',
      Headers: { 'x-cos-meta-new': '1' },
    });
    const head = await h.cos.headObject({
      Bucket: 'dst-1250000000',
      Region: 'ap-shanghai',
      Key: 'replaced.bin',
    });
    assert.equal(head.headers?.['content-type'], 'text/x-new');
    assert.equal(head.headers?.['x-cos-meta-new'], '1');
    assert.equal(head.headers?.['x-cos-meta-origin'], undefined);
  });

  it('refuses bad copies: missing source, wrong region, self-copy, failed conditions', async () => {
    const missing = await sdkError(h.cos.putObjectCopy({ ...B, Key: 'd', CopySource: copySource('nope') }));
    assert.equal(missing.code, 'NoSuchKey');
    const region = await sdkError(
      h.cos.putObjectCopy({ ...B, Key: 'd', CopySource: copySource('src/ü file.bin', BUCKET, 'ap-beijing') }),
    );
    assert.equal(region.code, 'NoSuchBucket');
    const self = await sdkError(
      h.cos.putObjectCopy({ ...B, Key: 'src/ü file.bin', CopySource: copySource('src/ü file.bin') }),
    );
    assert.equal(self.code, 'InvalidRequest');
    const cond = await sdkError(
      h.cos.putObjectCopy({
        ...B,
        Key: 'd',
        CopySource: copySource('src/ü file.bin'),
        CopySourceIfMatch: '"0000"',
      }),
    );
    assert.equal(cond.code, 'PreconditionFailed');
  });

  it('deletes with 204, also for a missing key; deletes several at once', async () => {
    await h.cos.putObject({ ...B, Key: 'del/1', Body: '1' });
    await h.cos.putObject({ ...B, Key: 'del/2', Body: '2' });
    const del = await h.cos.deleteObject({ ...B, Key: 'del/1' });
    assert.equal(del.statusCode, 204);
    assert.equal((await h.cos.deleteObject({ ...B, Key: 'del/1' })).statusCode, 204);
    const multi = await h.cos.deleteMultipleObject({
      ...B,
      Objects: [{ Key: 'del/2' }, { Key: 'del/none' }],
    });
    assert.deepEqual(
      multi.Deleted.map((d) => d.Key),
      ['del/2', 'del/none'],
    );
    assert.equal((await h.cos.getBucket({ ...B, Prefix: 'del/' })).Contents.length, 0);
  });
});

describe('COS emulator: archive and restore', () => {
  let h: Harness;
  before(async () => {
    h = await harness({ restoreDelayMs: 60_000 });
    await h.emu.seed(BUCKET, { key: 'cold.bin', body: 'frozen bytes', storageClass: 'ARCHIVE' });
    await h.emu.seed(BUCKET, { key: 'deep.bin', body: 'deep', storageClass: 'DEEP_ARCHIVE' });
  });
  after(() => h.close());

  it('refuses GET (and downloadFile) until restored; HEAD works', async () => {
    const err = await sdkError(h.cos.getObject({ ...B, Key: 'cold.bin' }));
    assert.equal(err.code, 'InvalidObjectState');
    assert.equal(err.statusCode, 403);
    const head = await h.cos.headObject({ ...B, Key: 'cold.bin' });
    assert.equal(head.headers?.['x-cos-storage-class'], 'ARCHIVE');
    assert.equal(head.headers?.['x-cos-restore'], undefined);
    const dl = await sdkError(
      h.cos.downloadFile({ ...B, Key: 'cold.bin', FilePath: join(h.tmp, 'cold'), onProgress: () => {} }),
    );
    assert.equal(dl.code, 'CannotDownload');
    const copy = await sdkError(
      h.cos.putObjectCopy({ ...B, Key: 'warm', CopySource: copySource('cold.bin') }),
    );
    assert.equal(copy.code, 'InvalidObjectState');
  });

  it('restores: 202, then 409 while ongoing, then readable, then 200', async () => {
    const req = {
      ...B,
      Key: 'cold.bin',
      RestoreRequest: { Days: 1, CASJobParameters: { Tier: 'Expedited' as const } },
    };
    const first = await h.cos.restoreObject(req);
    assert.equal(first.statusCode, 202);
    const again = await sdkError(h.cos.restoreObject(req));
    assert.equal(again.code, 'RestoreAlreadyInProgress');
    assert.equal(again.statusCode, 409);
    assert.equal(
      (await h.cos.headObject({ ...B, Key: 'cold.bin' })).headers?.['x-cos-restore'],
      'ongoing-request="true"',
    );
    assert.equal((await sdkError(h.cos.getObject({ ...B, Key: 'cold.bin' }))).code, 'InvalidObjectState');
    // Let a minute pass on the server (well inside the signatures' 15-minute window).
    h.emu.clockSkewMs = 61_000;
    const head = await h.cos.headObject({ ...B, Key: 'cold.bin' });
    assert.match(head.headers?.['x-cos-restore'] ?? '', /^ongoing-request="false", expiry-date=".+ GMT"$/);
    assert.equal((await h.cos.getObject({ ...B, Key: 'cold.bin' })).Body.toString(), 'frozen bytes');
    const extended = await h.cos.restoreObject(req);
    assert.equal(extended.statusCode, 200);
    h.emu.clockSkewMs = 0;
  });

  it('restores on the next request when restoreDelayMs is 0', async () => {
    h.emu.restoreDelayMs = 0;
    await h.emu.seed(BUCKET, { key: 'instant.bin', body: 'instant', storageClass: 'DEEP_ARCHIVE' });
    const req = {
      ...B,
      Key: 'instant.bin',
      RestoreRequest: { Days: 2, CASJobParameters: { Tier: 'Bulk' as const } },
    };
    assert.equal((await h.cos.restoreObject(req)).statusCode, 202);
    assert.equal((await h.cos.getObject({ ...B, Key: 'instant.bin' })).Body.toString(), 'instant');
    assert.equal((await h.cos.restoreObject(req)).statusCode, 200);
    h.emu.restoreDelayMs = 60_000;
  });

  it('validates restore requests', async () => {
    const tier = await sdkError(
      h.cos.restoreObject({
        ...B,
        Key: 'deep.bin',
        RestoreRequest: { Days: 1, CASJobParameters: { Tier: 'Expedited' as const } },
      }),
    );
    assert.equal(tier.code, 'InvalidArgument');
    const days = await sdkError(
      h.cos.restoreObject({
        ...B,
        Key: 'deep.bin',
        RestoreRequest: { Days: 0, CASJobParameters: { Tier: 'Standard' } },
      }),
    );
    assert.equal(days.code, 'InvalidArgument');
    await h.emu.seed(BUCKET, { key: 'hot.bin', body: 'hot' });
    const hot = await sdkError(
      h.cos.restoreObject({
        ...B,
        Key: 'hot.bin',
        RestoreRequest: { Days: 1, CASJobParameters: { Tier: 'Standard' } },
      }),
    );
    assert.equal(hot.code, 'InvalidObjectState');
    const missing = await sdkError(
      h.cos.restoreObject({
        ...B,
        Key: 'none.bin',
        RestoreRequest: { Days: 1, CASJobParameters: { Tier: 'Standard' } },
      }),
    );
    assert.equal(missing.code, 'NoSuchKey');
  });
});
