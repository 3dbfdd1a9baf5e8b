/** OSS emulator conformance: multipart upload through ali-oss (and raw requests for what it refuses to send). */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { crc64 } from '../../runner/core/crc64.ts';
import type { OssEmulator } from './oss/index.ts';
import { BUCKET, bytes, chunksOf, client, raw, rejects, startEmu, xmlField } from './oss/testkit.ts';

const KiB = 1024;
const md5 = (b: Buffer) => createHash('md5').update(b).digest();

describe('OSS emulator: multipart', () => {
  let emu: OssEmulator;
  before(async () => {
    emu = await startEmu();
  });
  after(() => emu.close());

  it('initMultipartUpload + uploadPart(stream) + complete: ETag headers and combined CRC-64', async () => {
    const c = client(emu);
    const body = bytes(330 * KiB, 5);
    const cuts = [0, 120 * KiB, 240 * KiB, body.length];
    const init = await c.initMultipartUpload('mp/streamed.bin', {
      mime: 'application/x-test',
      meta: { m: 'v' },
    });
    assert.match(init.uploadId, /^[0-9A-F]{32}$/);
    const parts: Array<{ number: number; etag: string }> = [];
    for (let i = 0; i < 3; i++) {
      const piece = body.subarray(cuts[i], cuts[i + 1]);
      const r = await c.uploadPart(
        'mp/streamed.bin',
        init.uploadId,
        i + 1,
        Readable.from(chunksOf(piece, 10_000)),
        0,
        piece.length,
      );
      assert.equal(r.etag, `"${md5(piece).toString('hex').toUpperCase()}"`);
      assert.equal((r.res.headers as Record<string, string>)['x-oss-hash-crc64ecma'], crc64(piece));
      parts.push({ number: i + 1, etag: r.etag });
    }
    const done = await c.completeMultipartUpload('mp/streamed.bin', init.uploadId, parts);
    const h = done.res.headers as Record<string, string>;
    assert.equal(h['x-oss-hash-crc64ecma'], crc64(body));
    const expected = createHash('md5')
      .update(Buffer.concat([0, 1, 2].map((i) => md5(body.subarray(cuts[i], cuts[i + 1])))))
      .digest('hex')
      .toUpperCase();
    assert.equal(done.etag, `"${expected}-3"`);
    const head = await c.head('mp/streamed.bin');
    const hh = head.res.headers as Record<string, string>;
    assert.equal(hh['x-oss-hash-crc64ecma'], crc64(body));
    assert.equal(hh['x-oss-object-type'], 'Multipart');
    assert.equal(hh['content-type'], 'application/x-test');
    assert.deepEqual(head.meta, { m: 'v' });
    const got = await c.get('mp/streamed.bin');
    assert.ok(Buffer.compare(got.content as Buffer, body) === 0);
  });

  it('the multipartUpload helper (Buffer, parallel parts)', async () => {
    const c = client(emu);
    const body = bytes(700 * KiB, 9);
    const r = await c.multipartUpload('mp/helper.bin', body, { partSize: 200 * KiB, parallel: 3 });
    assert.equal(r.res.status, 200);
    assert.equal(emu.log.count({ op: 'UploadPart', key: 'mp/helper.bin' }), 4);
    const head = await c.head('mp/helper.bin');
    assert.equal((head.res.headers as Record<string, string>)['x-oss-hash-crc64ecma'], crc64(body));
  });

  it('uploadPartCopy: CopyPartResult body and ETag header; ranges; source kept intact', async () => {
    const c = client(emu);
    const src = bytes(300 * KiB, 13);
    await c.put('mp/copy-src.bin', src);
    const init = await c.initMultipartUpload('mp/copied.bin');
    const r1 = await c.uploadPartCopy('mp/copied.bin', init.uploadId, 1, `0-${200 * KiB - 1}`, {
      sourceKey: 'mp/copy-src.bin',
      sourceBucketName: BUCKET,
    });
    const r2 = await c.uploadPartCopy('mp/copied.bin', init.uploadId, 2, `${200 * KiB}-${src.length - 1}`, {
      sourceKey: 'mp/copy-src.bin',
      sourceBucketName: BUCKET,
    });
    assert.equal(
      r1.etag,
      `"${md5(src.subarray(0, 200 * KiB))
        .toString('hex')
        .toUpperCase()}"`,
    );
    const logged = emu.log.find({ op: 'UploadPartCopy' }).at(-1)!;
    assert.equal(logged.headers['x-oss-copy-source-range'], `bytes=${200 * KiB}-${src.length - 1}`);
    const done = await c.completeMultipartUpload('mp/copied.bin', init.uploadId, [
      { number: 1, etag: r1.etag as string },
      { number: 2, etag: r2.etag as string },
    ]);
    assert.equal((done.res.headers as Record<string, string>)['x-oss-hash-crc64ecma'], crc64(src));
    const rawCopy = await raw(emu, {
      method: 'PUT',
      path: '/mp/copied2.bin',
      query: `partNumber=1&uploadId=${(await c.initMultipartUpload('mp/copied2.bin')).uploadId}`,
      headers: {
        'x-oss-copy-source': `/${BUCKET}/mp%2Fcopy-src.bin`,
        'x-oss-copy-source-range': 'bytes=0-9',
      },
    });
    // partNumber / uploadId are sub-resources: a signature that leaves them out does not match.
    assert.equal(rawCopy.status, 403);
    assert.equal(xmlField(rawCopy.body, 'Code'), 'SignatureDoesNotMatch');
    const init2 = await c.initMultipartUpload('mp/copied3.bin');
    const rr = await raw(emu, {
      method: 'PUT',
      path: '/mp/copied3.bin',
      key: 'mp/copied3.bin',
      query: `partNumber=1&uploadId=${init2.uploadId}`,
      subres: { partNumber: '1', uploadId: init2.uploadId },
      headers: {
        'x-oss-copy-source': `/${BUCKET}/mp%2Fcopy-src.bin`,
        'x-oss-copy-source-range': 'bytes=0-9',
      },
    });
    assert.equal(rr.status, 200);
    assert.equal(xmlField(rr.body, 'ETag'), rr.headers.etag);
    assert.ok(xmlField(rr.body, 'LastModified'));
    const badRange = await raw(emu, {
      method: 'PUT',
      path: '/mp/copied3.bin',
      key: 'mp/copied3.bin',
      query: `partNumber=2&uploadId=${init2.uploadId}`,
      subres: { partNumber: '2', uploadId: init2.uploadId },
      headers: {
        'x-oss-copy-source': `/${BUCKET}/mp%2Fcopy-src.bin`,
        'x-oss-copy-source-range': `bytes=0-${src.length}`,
      },
    });
    assert.equal(badRange.status, 400);
    assert.equal(xmlField(badRange.body, 'Code'), 'InvalidArgument');
  });

  it('listParts with max-parts / part-number-marker paging and HashCrc64ecma per part', async () => {
    const c = client(emu);
    const init = await c.initMultipartUpload('mp/listed.bin');
    const pieces = [1, 2, 3, 4, 5].map((i) => bytes(1000 + i, i));
    for (const [i, p] of pieces.entries())
      await c.uploadPart('mp/listed.bin', init.uploadId, i + 1, p, 0, p.length);
    const page1 = await c.listParts('mp/listed.bin', init.uploadId, { 'max-parts': 2 });
    const parts1 = page1.parts as unknown as Array<Record<string, string>>;
    assert.deepEqual(
      parts1.map((p) => p.PartNumber),
      ['1', '2'],
    );
    assert.equal(page1.isTruncated as unknown, 'true');
    assert.equal(page1.nextPartNumberMarker as unknown, '2');
    assert.equal(parts1[0]!.HashCrc64ecma, crc64(pieces[0]!));
    assert.equal(parts1[0]!.Size, String(pieces[0]!.length));
    assert.equal(parts1[0]!.ETag, `"${md5(pieces[0]!).toString('hex').toUpperCase()}"`);
    const page3 = await c.listParts('mp/listed.bin', init.uploadId, {
      'max-parts': 2,
      'part-number-marker': 4,
    });
    const single = page3.parts as unknown as Record<string, string>;
    assert.equal(single.PartNumber, '5', 'a single Part comes back as an object (xml2js)');
    assert.equal(page3.isTruncated as unknown, 'false');
    await rejects(c.listParts('mp/listed.bin', 'NOPE', {}), { status: 404, code: 'NoSuchUpload' });
    await c.abortMultipartUpload('mp/listed.bin', init.uploadId);
  });

  it('listUploads paging with key-marker / upload-id-marker, and abort', async () => {
    const c = client(emu);
    const ids: string[] = [];
    for (const k of ['up/a', 'up/a', 'up/b', 'up/c']) ids.push((await c.initMultipartUpload(k)).uploadId);
    const seen: string[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (let i = 0; i < 10; i++) {
      const r = await c.listUploads({
        prefix: 'up/',
        'max-uploads': 1,
        ...(keyMarker ? { 'key-marker': keyMarker, 'upload-id-marker': uploadIdMarker } : {}),
      });
      seen.push(...r.uploads.map((u) => `${u.name}:${u.uploadId}`));
      if (!r.isTruncated) break;
      keyMarker = r.nextKeyMarker;
      uploadIdMarker = r.nextUploadIdMarker;
    }
    assert.deepEqual(
      seen,
      ['up/a', 'up/a', 'up/b', 'up/c'].map((k, i) => `${k}:${ids[i]}`),
    );
    const abort = await c.abortMultipartUpload('up/b', ids[2]!);
    assert.equal(abort.res.status, 204);
    await rejects(c.abortMultipartUpload('up/b', ids[2]!), { status: 404, code: 'NoSuchUpload' });
    await rejects(c.abortMultipartUpload('up/a', ids[3]!), { status: 404, code: 'NoSuchUpload' });
    const left = await c.listUploads({ prefix: 'up/' });
    assert.equal(left.uploads.length, 3);
  });

  it('complete: wrong ETag → InvalidPart; too-small part → EntityTooSmall; unknown id → NoSuchUpload', async () => {
    const c = client(emu);
    const init = await c.initMultipartUpload('mp/bad.bin');
    const p1 = await c.uploadPart('mp/bad.bin', init.uploadId, 1, bytes(50 * KiB), 0, 50 * KiB);
    const p2 = await c.uploadPart('mp/bad.bin', init.uploadId, 2, bytes(10), 0, 10);
    await rejects(
      c.completeMultipartUpload('mp/bad.bin', init.uploadId, [
        { number: 1, etag: '"00000000000000000000000000000000"' },
        { number: 2, etag: p2.etag },
      ]),
      { status: 400, code: 'InvalidPart' },
    );
    await rejects(c.completeMultipartUpload('mp/bad.bin', init.uploadId, [{ number: 3, etag: p2.etag }]), {
      status: 400,
      code: 'InvalidPart',
    });
    await rejects(
      c.completeMultipartUpload('mp/bad.bin', init.uploadId, [
        { number: 1, etag: p1.etag },
        { number: 2, etag: p2.etag },
      ]),
      { status: 400, code: 'EntityTooSmall' },
    );
    // A single small part is fine (only the last part may be small).
    await c.completeMultipartUpload('mp/bad.bin', init.uploadId, [{ number: 2, etag: p2.etag }]);
    assert.equal(emu.buckets.get(BUCKET)!.get('mp/bad.bin')?.size, 10);
    await rejects(c.completeMultipartUpload('mp/bad.bin', init.uploadId, [{ number: 2, etag: p2.etag }]), {
      status: 404,
      code: 'NoSuchUpload',
    });
    await rejects(c.uploadPart('mp/bad.bin', init.uploadId, 1, bytes(10), 0, 10), {
      status: 404,
      code: 'NoSuchUpload',
    });
  });

  it('complete with parts out of order → InvalidPartOrder (ali-oss sorts, so sent raw)', async () => {
    const c = client(emu);
    const init = await c.initMultipartUpload('mp/order.bin');
    const e1 = (await c.uploadPart('mp/order.bin', init.uploadId, 1, bytes(100 * KiB), 0, 100 * KiB)).etag;
    const e2 = (await c.uploadPart('mp/order.bin', init.uploadId, 2, bytes(10), 0, 10)).etag;
    const xml = `<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>${e2}</ETag></Part><Part><PartNumber>1</PartNumber><ETag>${e1}</ETag></Part></CompleteMultipartUpload>`;
    const r = await raw(emu, {
      method: 'POST',
      path: '/mp/order.bin',
      key: 'mp/order.bin',
      query: `uploadId=${init.uploadId}`,
      subres: { uploadId: init.uploadId },
      body: xml,
      headers: { 'content-type': 'application/xml', 'content-md5': md5(Buffer.from(xml)).toString('base64') },
    });
    assert.equal(r.status, 400);
    assert.equal(xmlField(r.body, 'Code'), 'InvalidPartOrder');
    const malformed = await raw(emu, {
      method: 'POST',
      path: '/mp/order.bin',
      key: 'mp/order.bin',
      query: `uploadId=${init.uploadId}`,
      subres: { uploadId: init.uploadId },
      body: '<CompleteMultipartUpload><Part>',
    });
    assert.equal(xmlField(malformed.body, 'Code'), 'MalformedXML');
    const digest = await raw(emu, {
      method: 'POST',
      path: '/mp/order.bin',
      key: 'mp/order.bin',
      query: `uploadId=${init.uploadId}`,
      subres: { uploadId: init.uploadId },
      body: xml,
      headers: { 'content-md5': md5(Buffer.from('other')).toString('base64') },
    });
    assert.equal(xmlField(digest.body, 'Code'), 'InvalidDigest');
    // x-oss-complete-all: yes assembles every uploaded part in order.
    const all = await raw(emu, {
      method: 'POST',
      path: '/mp/order.bin',
      key: 'mp/order.bin',
      query: `uploadId=${init.uploadId}`,
      subres: { uploadId: init.uploadId },
      headers: { 'x-oss-complete-all': 'yes' },
    });
    assert.equal(all.status, 200, all.body.toString());
    assert.equal(emu.buckets.get(BUCKET)!.get('mp/order.bin')?.size, 100 * KiB + 10);
  });

  it('part numbers outside 1..10000 are rejected', async () => {
    const c = client(emu);
    const init = await c.initMultipartUpload('mp/num.bin');
    await rejects(c.uploadPart('mp/num.bin', init.uploadId, 10_001, bytes(1), 0, 1), {
      status: 400,
      code: 'InvalidArgument',
    });
    await rejects(c.uploadPart('mp/num.bin', init.uploadId, 0, bytes(1), 0, 1), {
      status: 400,
      code: 'InvalidArgument',
    });
    assert.equal((await c.uploadPart('mp/num.bin', init.uploadId, 10_000, bytes(1), 0, 1)).res.status, 200);
  });

  it('x-oss-forbid-overwrite on initiate and on complete', async () => {
    const c = client(emu);
    const forbid = { headers: { 'x-oss-forbid-overwrite': 'true' } };
    await c.put('mp/exists.bin', Buffer.from('x'));
    await rejects(c.initMultipartUpload('mp/exists.bin', forbid), { status: 409, code: 'FileAlreadyExists' });
    const init = await c.initMultipartUpload('mp/later.bin');
    const p = await c.uploadPart('mp/later.bin', init.uploadId, 1, bytes(10), 0, 10);
    await c.put('mp/later.bin', Buffer.from('written meanwhile'));
    const err = await rejects(
      c.completeMultipartUpload('mp/later.bin', init.uploadId, [{ number: 1, etag: p.etag }], forbid),
      { status: 409, code: 'FileAlreadyExists' },
    );
    assert.equal(err.ecCode, '0042-00000214');
    assert.equal((await c.get('mp/later.bin')).content.toString(), 'written meanwhile');
  });
});
