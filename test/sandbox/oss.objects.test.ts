/** OSS emulator conformance: object PUT/GET/HEAD/meta/copy/delete, conditions, ranges, names, disk mode. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { crc64 } from '../../runner/core/crc64.ts';
import { DiskBlobStore } from './common/blobs.ts';
import type { OssEmulator } from './oss/index.ts';
import { BUCKET, bytes, chunksOf, client, raw, rejects, signV1, startEmu, xmlField } from './oss/testkit.ts';

const md5 = (b: Buffer) => createHash('md5').update(b).digest();
const etagOf = (b: Buffer) => `"${md5(b).toString('hex').toUpperCase()}"`;

describe('OSS emulator: objects', () => {
  let emu: OssEmulator;
  before(async () => {
    emu = await startEmu();
    emu.createBucket('other');
  });
  after(() => emu.close());

  it('put(Buffer) sends Content-MD5 and gets ETag, CRC-64 and Content-MD5 back', async () => {
    const c = client(emu);
    const body = bytes(5000);
    const r = await c.put('put/buffer.bin', body);
    const h = r.res.headers as Record<string, string>;
    assert.equal(h.etag, etagOf(body));
    assert.equal(h['x-oss-hash-crc64ecma'], crc64(body));
    assert.equal(h['content-md5'], md5(body).toString('base64'));
    const logged = emu.log.find({ op: 'PutObject', key: 'put/buffer.bin' }).at(-1)!;
    assert.equal(logged.headers['content-md5'], md5(body).toString('base64'));
    assert.equal(logged.bytesIn, 5000);
    assert.equal(logged.status, 200);
  });

  it('putStream without a length goes chunked and is stored whole', async () => {
    const c = client(emu);
    const body = bytes(300_000, 7);
    await c.putStream('put/chunked.bin', Readable.from(chunksOf(body, 17_000)));
    const logged = emu.log.find({ op: 'PutObject', key: 'put/chunked.bin' }).at(-1)!;
    assert.equal(logged.headers['transfer-encoding'], 'chunked');
    assert.equal(logged.headers['content-length'], undefined);
    const got = await c.get('put/chunked.bin');
    assert.ok(Buffer.compare(got.content as Buffer, body) === 0);
    const withLength = await c.putStream('put/sized.bin', Readable.from(chunksOf(body, 50_000)), {
      contentLength: body.length,
    });
    assert.equal((withLength.res.headers as Record<string, string>)['x-oss-hash-crc64ecma'], crc64(body));
  });

  it('a wrong Content-MD5 is rejected with InvalidDigest and nothing is stored', async () => {
    const c = client(emu);
    const err = await rejects(
      c.put('put/bad-md5.bin', Buffer.from('abc'), {
        headers: { 'Content-MD5': md5(Buffer.from('xyz')).toString('base64') },
      }),
      { status: 400, code: 'InvalidDigest' },
    );
    assert.equal(err.ecCode, '0016-00000402');
    assert.equal(emu.buckets.get(BUCKET)!.get('put/bad-md5.bin'), undefined);
  });

  it('x-oss-forbid-overwrite: true gives FileAlreadyExists on put and copy', async () => {
    const c = client(emu);
    const forbid = { headers: { 'x-oss-forbid-overwrite': 'true' } };
    await c.put('fo/a', Buffer.from('1'), forbid);
    await rejects(c.put('fo/a', Buffer.from('2'), forbid), { status: 409, code: 'FileAlreadyExists' });
    assert.equal((await c.get('fo/a')).content.toString(), '1');
    await c.put('fo/b', Buffer.from('b'));
    await rejects(c.copy('fo/a', 'fo/b', forbid), { status: 409, code: 'FileAlreadyExists' });
    await c.copy('fo/new', 'fo/b', forbid);
    assert.equal((await c.get('fo/new')).content.toString(), 'b');
    await c.put('fo/a', Buffer.from('3'), { headers: { 'x-oss-forbid-overwrite': 'false' } });
    assert.equal((await c.get('fo/a')).content.toString(), '3');
  });

  it('user metadata, standard headers, storage class and SSE are stored and returned', async () => {
    const c = client(emu);
    const r = await c.put('meta/a.txt', Buffer.from('hello'), {
      meta: { Color: 'Blue', 'x-Size': '42' },
      mime: 'text/x-custom',
      headers: {
        'Cache-Control': 'max-age=60',
        'Content-Disposition': 'attachment; filename="a.txt"',
        'Content-Encoding': 'identity',
        'Content-Language': 'zh-CN',
        Expires: 'Wed, 21 Oct 2026 07:28:00 GMT',
        'x-oss-storage-class': 'IA',
        'x-oss-server-side-encryption': 'AES256',
      },
    });
    assert.equal((r.res.headers as Record<string, string>)['x-oss-server-side-encryption'], 'AES256');
    const head = await c.head('meta/a.txt');
    assert.deepEqual(head.meta, { color: 'Blue', 'x-size': '42' });
    const h = head.res.headers as Record<string, string>;
    assert.equal(h['content-type'], 'text/x-custom');
    assert.equal(h['cache-control'], 'max-age=60');
    assert.equal(h['content-disposition'], 'attachment; filename="a.txt"');
    assert.equal(h['content-encoding'], 'identity');
    assert.equal(h['content-language'], 'zh-CN');
    assert.equal(h.expires, 'Wed, 21 Oct 2026 07:28:00 GMT');
    assert.equal(h['x-oss-storage-class'], 'IA');
    assert.equal(h['x-oss-server-side-encryption'], 'AES256');
    assert.equal(h['x-oss-object-type'], 'Normal');
    assert.equal(h['accept-ranges'], 'bytes');
    assert.equal(h['content-length'], '5');
    assert.equal(h['content-md5'], md5(Buffer.from('hello')).toString('base64'));
    assert.equal(h['x-oss-hash-crc64ecma'], crc64('hello'));
    assert.ok(h['last-modified']);
    await rejects(c.put('meta/b', Buffer.from('x'), { headers: { 'x-oss-storage-class': 'Glacier' } }), {
      status: 400,
      code: 'InvalidArgument',
    });
  });

  it('HEAD/GET headers of a multipart object: no Content-MD5, type Multipart, combined CRC', async () => {
    const body = bytes(250_000, 3);
    const obj = await emu.seed(BUCKET, { key: 'mp/seeded.bin', body, partSize: 102_400 });
    assert.equal(obj.objectType, 'Multipart');
    const head = await client(emu).head('mp/seeded.bin');
    const h = head.res.headers as Record<string, string>;
    assert.equal(h['x-oss-object-type'], 'Multipart');
    assert.equal(h['content-md5'], undefined);
    assert.equal(h['x-oss-hash-crc64ecma'], crc64(body));
    assert.match(h.etag!, /^"[0-9A-F]{32}-3"$/);
    const parts = [body.subarray(0, 102_400), body.subarray(102_400, 204_800), body.subarray(204_800)];
    const expected = createHash('md5')
      .update(Buffer.concat(parts.map(md5)))
      .digest('hex')
      .toUpperCase();
    assert.equal(h.etag, `"${expected}-3"`);
    const got = await client(emu).get('mp/seeded.bin');
    assert.ok(Buffer.compare(got.content as Buffer, body) === 0);
  });

  it('seed keeps Last-Modified, storage class, headers and metadata', async () => {
    const lastModified = new Date('2023-03-04T05:06:07.000Z');
    await emu.seed(BUCKET, {
      key: 'seed/x',
      body: 'seeded',
      lastModified,
      storageClass: 'IA',
      contentType: 'text/seed',
      headers: { 'Cache-Control': 'no-cache' },
      meta: { Owner: 'me' },
    });
    const head = await client(emu).head('seed/x');
    const h = head.res.headers;
    assert.equal(h['last-modified'], lastModified.toUTCString());
    assert.equal(h['x-oss-storage-class'], 'IA');
    assert.equal(h['content-type'], 'text/seed');
    assert.equal(h['cache-control'], 'no-cache');
    assert.deepEqual(head.meta, { owner: 'me' });
    const listed = await client(emu).list({ prefix: 'seed/' });
    assert.equal(listed.objects[0]?.lastModified, '2023-03-04T05:06:07.000Z');
    await assert.rejects(emu.seed(BUCKET, { key: 'seed/y', body: 'abc', size: 4 }));
    await assert.rejects(emu.seed(BUCKET, { key: 'seed/y', body: 'abc', storageClass: 'GLACIER' }));
  });

  it('getObjectMeta returns ETag, size, Last-Modified and CRC', async () => {
    const c = client(emu);
    await c.put('meta/m.bin', Buffer.from('meta!'));
    const m = await c.getObjectMeta('meta/m.bin');
    const h = m.res.headers as Record<string, string>;
    assert.equal(h.etag, etagOf(Buffer.from('meta!')));
    assert.equal(h['content-length'], '5');
    assert.equal(h['x-oss-hash-crc64ecma'], crc64('meta!'));
    assert.ok(h['last-modified']);
    assert.equal(emu.log.find({ key: 'meta/m.bin' }).at(-1)?.op, 'GetObjectMeta');
    await rejects(c.getObjectMeta('meta/missing'), { status: 404, code: 'NoSuchKey' });
  });

  it('HEAD errors carry the code in x-oss-err', async () => {
    const bad = client(emu, { accessKeySecret: 'wrong' });
    const err = await rejects(bad.head('meta/m.bin'), { status: 403, code: 'SignatureDoesNotMatch' });
    assert.match(err.requestId ?? '', /^[0-9A-F]{24}$/);
    const r = await raw(emu, { method: 'HEAD', path: '/meta/m.bin', key: 'meta/m.bin', secret: 'x' });
    assert.equal(r.body.length, 0);
    const decoded = Buffer.from(String(r.headers['x-oss-err']), 'base64').toString();
    assert.equal(xmlField(decoded, 'Code'), 'SignatureDoesNotMatch');
    await rejects(client(emu).head('meta/none'), { status: 404, code: 'NoSuchKey' });
  });

  it('conditional GET and HEAD: If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since', async () => {
    const c = client(emu);
    const body = Buffer.from('conditional');
    await c.put('cond/x', body);
    const etag = etagOf(body);
    const past = new Date(Date.now() - 3_600_000).toUTCString();
    const future = new Date(Date.now() + 3_600_000).toUTCString();
    for (const verb of ['get', 'head'] as const) {
      const call = (headers: Record<string, string>) =>
        verb === 'get' ? c.get('cond/x', { headers }) : c.head('cond/x', { headers });
      assert.equal((await call({ 'If-Match': etag })).res.status, 200);
      assert.equal((await call({ 'If-Match': etag.toLowerCase() })).res.status, 200);
      await rejects(call({ 'If-Match': '"0000"' }), { status: 412, code: 'PreconditionFailed' });
      assert.equal((await call({ 'If-None-Match': etag })).res.status, 304);
      assert.equal((await call({ 'If-None-Match': '"0000"' })).res.status, 200);
      assert.equal((await call({ 'If-Modified-Since': future })).res.status, 304);
      assert.equal((await call({ 'If-Modified-Since': past })).res.status, 200);
      await rejects(call({ 'If-Unmodified-Since': past }), { status: 412, code: 'PreconditionFailed' });
      assert.equal((await call({ 'If-Unmodified-Since': future })).res.status, 200);
    }
    const r = await raw(emu, {
      method: 'GET',
      path: '/cond/x',
      key: 'cond/x',
      headers: { 'if-match': '"0000"' },
    });
    assert.equal(xmlField(r.body, 'Condition'), 'If-Match');
  });

  it('Range: 206 with Content-Range; invalid or past-the-end → 200 whole; standard behaviour clamps or 416', async () => {
    const c = client(emu);
    const body = bytes(1000, 11);
    await c.put('range/x', body);
    const get = (range: string, standard = false) =>
      c.get('range/x', {
        headers: { Range: range, ...(standard ? { 'x-oss-range-behavior': 'standard' } : {}) },
      });
    const a = await get('bytes=0-9');
    assert.equal(a.res.status, 206);
    const ah = a.res.headers as Record<string, string>;
    assert.equal(ah['content-range'], 'bytes 0-9/1000');
    assert.equal(ah['content-length'], '10');
    assert.equal(ah['x-oss-hash-crc64ecma'], crc64(body));
    assert.ok(Buffer.compare(a.content as Buffer, body.subarray(0, 10)) === 0);
    const b = await get('bytes=990-');
    assert.equal(b.res.status, 206);
    assert.ok(Buffer.compare(b.content as Buffer, body.subarray(990)) === 0);
    const s = await get('bytes=-5');
    assert.ok(Buffer.compare(s.content as Buffer, body.subarray(995)) === 0);
    const multi = await get('bytes=0-1,5-6');
    assert.equal(multi.res.status, 206);
    assert.equal((multi.content as Buffer).length, 2);
    for (const bad of [
      'bytes=0-1000',
      'bytes=1000-2000',
      'bytes=1000-',
      'bytes=-2000',
      'byte=0-1',
      'bytes=9-3',
    ]) {
      const w = await get(bad);
      assert.equal(w.res.status, 200, bad);
      assert.equal((w.content as Buffer).length, 1000, bad);
    }
    const clamped = await get('bytes=500-2000', true);
    assert.equal(clamped.res.status, 206);
    assert.equal((clamped.res.headers as Record<string, string>)['content-range'], 'bytes 500-999/1000');
    await rejects(get('bytes=1000-2000', true), { status: 416, code: 'InvalidRange' });
  });

  it('response-* query parameters override response headers', async () => {
    const c = client(emu);
    await c.put('resp/x.txt', Buffer.from('x'));
    const r = await c.get('resp/x.txt', {
      subres: {
        'response-content-type': 'application/x-test',
        'response-content-disposition': 'inline',
        'response-cache-control': 'no-store',
      },
    });
    const h = r.res.headers as Record<string, string>;
    assert.equal(h['content-type'], 'application/x-test');
    assert.equal(h['content-disposition'], 'inline');
    assert.equal(h['cache-control'], 'no-store');
  });

  it('delete answers 204, also for a missing key', async () => {
    const c = client(emu);
    await c.put('del/x', Buffer.from('x'));
    assert.equal((await c.delete('del/x')).res.status, 204);
    assert.equal((await c.delete('del/x')).res.status, 204);
    await rejects(c.get('del/x'), { status: 404, code: 'NoSuchKey' });
    const r = await raw(emu, { method: 'GET', path: '/del/x', key: 'del/x' });
    assert.equal(xmlField(r.body, 'Key'), 'del/x');
    assert.equal(xmlField(r.body, 'EC'), '0026-00000001');
    assert.equal(r.headers['x-oss-ec'], '0026-00000001');
  });

  it('deleteMulti removes several keys (XML entities, missing keys, quiet mode)', async () => {
    const c = client(emu);
    for (const k of ['dm/a', 'dm/b&<c>', 'dm/d']) await c.put(k, Buffer.from(k));
    const r = await c.deleteMulti(['dm/a', 'dm/b&<c>', 'dm/missing']);
    assert.equal(r.res.status, 200);
    const bucket = emu.buckets.get(BUCKET)!;
    assert.equal(bucket.get('dm/a'), undefined);
    assert.equal(bucket.get('dm/b&<c>'), undefined);
    assert.ok(Array.isArray(r.deleted) && r.deleted.length === 3);
    const quiet = await c.deleteMulti(['dm/d'], { quiet: true });
    assert.deepEqual(quiet.deleted, []);
    assert.equal(bucket.get('dm/d'), undefined);
  });

  it('copy: COPY keeps metadata, REPLACE replaces it, cross-bucket, conditions, missing source', async () => {
    const c = client(emu);
    await c.put('copy/src ü.txt', Buffer.from('copy me'), { meta: { a: '1' }, mime: 'text/plain' });
    const r = await c.copy('copy/dst1', 'copy/src ü.txt');
    assert.equal(r.data?.etag, etagOf(Buffer.from('copy me')));
    assert.ok(r.data?.lastModified);
    const h1 = await c.head('copy/dst1');
    assert.deepEqual(h1.meta, { a: '1' });
    assert.equal((h1.res.headers as Record<string, string>)['content-type'], 'text/plain');
    assert.equal((h1.res.headers as Record<string, string>)['x-oss-hash-crc64ecma'], crc64('copy me'));
    await c.copy('copy/dst2', 'copy/src ü.txt', { meta: { b: '2' }, headers: { 'Content-Type': 'text/x' } });
    const h2 = await c.head('copy/dst2');
    assert.deepEqual(h2.meta, { b: '2' });
    assert.equal((h2.res.headers as Record<string, string>)['content-type'], 'text/x');
    const logged = emu.log.find({ op: 'CopyObject', key: 'copy/dst2' }).at(-1)!;
    assert.equal(logged.headers['x-oss-metadata-directive'], 'REPLACE');
    assert.equal(logged.headers['x-oss-copy-source'], `/${BUCKET}/${encodeURIComponent('copy/src ü.txt')}`);
    assert.ok(
      logged.headers['x-oss-copy-source-content-type'],
      'ali-oss duplicates headers; they are ignored',
    );
    await c.copy('copy/from-other', 'o.txt', 'other').catch((e: unknown) => {
      assert.equal((e as { code: string }).code, 'NoSuchKey');
    });
    await client(emu, { bucket: 'other' }).put('o.txt', Buffer.from('other bucket'));
    await c.copy('copy/from-other', 'o.txt', 'other');
    assert.equal((await c.get('copy/from-other')).content.toString(), 'other bucket');
    await rejects(c.copy('copy/dst3', 'copy/src ü.txt', { headers: { 'If-Match': '"00"' } }), {
      status: 412,
      code: 'PreconditionFailed',
    });
    await c.copy('copy/dst3', 'copy/src ü.txt', { headers: { 'If-Match': etagOf(Buffer.from('copy me')) } });
    const notModified = await c.copy('copy/dst4', 'copy/src ü.txt', {
      headers: { 'If-None-Match': etagOf(Buffer.from('copy me')) },
    });
    assert.equal(notModified.res.status, 304);
    await rejects(c.copy('copy/dst5', 'copy/missing'), { status: 404, code: 'NoSuchKey' });
    await rejects(c.copy('copy/dst5', 'x', 'no-such-bucket'), { status: 404, code: 'NoSuchBucket' });
    // CopyObject handles sources up to 1 GB (a sparse stand-in: the size check comes before any byte is read).
    const bucket = emu.buckets.get(BUCKET)!;
    const small = bucket.get('copy/dst1')!;
    bucket.put({ ...small, key: 'copy/huge', size: 1024 ** 3 + 1, segments: [] });
    await rejects(c.copy('copy/dst6', 'copy/huge'), { status: 400, code: 'InvalidArgument' });
    bucket.delete('copy/huge');
    // Deleting the source does not affect the copy (shared blobs are reference counted).
    await c.delete('copy/src ü.txt');
    assert.equal((await c.get('copy/dst1')).content.toString(), 'copy me');
  });

  it('invalid object names: backslash, > 1023 bytes, invalid UTF-8, leading slash', async () => {
    const c = client(emu);
    const e1 = await rejects(c.put('\\x', Buffer.from('x')), { status: 400, code: 'InvalidObjectName' });
    assert.equal(e1.ecCode, '0016-00000005');
    const long = 'k'.repeat(1024);
    const e2 = await rejects(c.put(long, Buffer.from('x')), { status: 400, code: 'InvalidObjectName' });
    assert.equal(e2.ecCode, '0016-00000002');
    assert.equal(
      (await c.put('é'.repeat(511) + 'k', Buffer.from('x'))).res.status,
      200,
      '1023 bytes is fine',
    );
    await rejects(c.put('é'.repeat(512), Buffer.from('x')), { status: 400, code: 'InvalidObjectName' });
    const bad = await raw(emu, { method: 'PUT', path: '/bad%FF%FEutf8', key: 'bad\uFFFDutf8', body: 'x' });
    assert.equal(bad.status, 400);
    assert.equal(xmlField(bad.body, 'Code'), 'InvalidObjectName');
    assert.equal(bad.headers['x-oss-ec'], '0016-00000002');
    // A leading '/' sent raw reaches the service and is rejected…
    const lead = await raw(emu, { method: 'PUT', path: '//lead', key: '/lead', body: 'x' });
    assert.equal(lead.status, 400);
    assert.equal(xmlField(lead.body, 'EC'), '0016-00000005');
    // …but ali-oss silently strips it: '/lead' becomes 'lead' (the runner must catch this itself).
    await c.put('/lead', Buffer.from('stripped'));
    assert.equal(emu.buckets.get(BUCKET)!.get('lead')?.size, 8);
    assert.equal(emu.buckets.get(BUCKET)!.get('/lead'), undefined);
  });

  it('PUT without Content-Length or chunked encoding gives MissingContentLength', async () => {
    // Node's client always adds one of the two, so speak HTTP on a bare socket.
    const headers: Record<string, string> = {
      'x-oss-date': new Date().toUTCString(),
      host: `${BUCKET}.oss-cn-hangzhou.aliyuncs.com`,
    };
    headers.authorization = signV1('PUT', `/${BUCKET}/nolen`, headers);
    const url = new URL(emu.endpoint);
    const answer = await new Promise<string>((resolve, reject) => {
      const sock = connect(Number(url.port), url.hostname, () => {
        sock.write(
          `PUT /nolen HTTP/1.1\r\n${Object.entries(headers)
            .map(([k, v]) => `${k}: ${v}\r\n`)
            .join('')}connection: close\r\n\r\n`,
        );
      });
      let text = '';
      sock.on('data', (d) => {
        text += d.toString();
      });
      sock.on('end', () => resolve(text));
      sock.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1\.1 411 /);
    assert.equal(xmlField(answer, 'Code'), 'MissingContentLength');
  });
});

describe('OSS emulator: --data-dir mode', () => {
  let emu: OssEmulator;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oss-emu-'));
    emu = await startEmu({ dataDir: dir });
  });
  after(async () => {
    await emu.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('streams a multi-MB object in and out through files, not memory', async () => {
    assert.ok(emu.blobs instanceof DiskBlobStore);
    const c = client(emu);
    const size = 24 * 1024 * 1024 + 123;
    const src = Readable.from(
      (function* () {
        for (let o = 0, i = 0; o < size; o += 1 << 20, i++) yield bytes(Math.min(1 << 20, size - o), i + 1);
      })(),
    );
    const whole = createHash('md5');
    const put = await c.putStream(
      'big/disk.bin',
      src.on('data', (d: Buffer) => whole.update(d)),
    );
    const etag = (put.res.headers as Record<string, string>).etag;
    assert.equal(etag, `"${whole.digest('hex').toUpperCase()}"`);
    const files = await readdir(join(dir, 'blobs'));
    const sizes = await Promise.all(files.map(async (f) => (await stat(join(dir, 'blobs', f))).size));
    assert.ok(sizes.includes(size), `a blob file of ${size} bytes holds the body (${sizes})`);
    const got = await c.getStream('big/disk.bin');
    const back = createHash('md5');
    let n = 0;
    for await (const chunk of got.stream as AsyncIterable<Buffer>) {
      n += chunk.length;
      back.update(chunk);
    }
    assert.equal(n, size);
    assert.equal(`"${back.digest('hex').toUpperCase()}"`, etag);
    const ranged = await c.get('big/disk.bin', { headers: { Range: `bytes=${size - 10}-` } });
    assert.equal((ranged.content as Buffer).length, 10);
    await c.delete('big/disk.bin');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await readdir(join(dir, 'blobs'))).length, files.length - 1, 'deleting frees the file');
  });
});
