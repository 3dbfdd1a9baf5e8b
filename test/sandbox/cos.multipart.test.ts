/** COS emulator: multipart uploads, UploadPartCopy, and the SDK's sliceUploadFile (with resume). */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { crc64 } from '../../runner/core/crc64.ts';
import { patternBytes } from './common/blobs.ts';
import { B, BUCKET, type Harness, harness, opsSince, REGION, sdkError } from './cos/testkit.ts';

const MiB = 1024 * 1024;
type ListParams = Parameters<Harness['cos']['multipartList']>[0];
const md5hex = (b: Buffer) => createHash('md5').update(b).digest('hex');
const bytes = (size: number, seed: number) => Buffer.concat([...patternBytes(size, seed)]);
const multipartEtag = (parts: Buffer[]) =>
  `"${parts.reduce((h, p) => h.update(createHash('md5').update(p).digest()), createHash('md5')).digest('hex')}-${parts.length}"`;

describe('COS emulator: multipart upload', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  async function init(Key: string, extra: Record<string, unknown> = {}) {
    const r = await h.cos.multipartInit({ ...B, Key, ...extra });
    const result = r as typeof r & { Bucket: string; Key: string };
    assert.equal(result.Bucket, BUCKET);
    assert.equal(result.Key, Key);
    assert.match(r.UploadId, /^[0-9A-F]{32}$/);
    return r.UploadId;
  }

  it('assembles parts; the combined CRC equals crc64 of the whole object', async () => {
    const Key = 'mp/ü whole.bin';
    const UploadId = await init(Key, {
      ContentType: 'application/x-mp',
      StorageClass: 'STANDARD_IA',
      Headers: { 'x-cos-meta-kind': 'multipart' },
    });
    const parts = [bytes(MiB, 1), bytes(MiB, 2), bytes(100_000, 3)];
    const etags: string[] = [];
    for (const [i, Body] of parts.entries()) {
      const r = await h.cos.multipartUpload({ ...B, Key, UploadId, PartNumber: i + 1, Body });
      assert.equal(r.ETag, `"${md5hex(Body)}"`);
      assert.equal(r.headers?.['x-cos-hash-crc64ecma'], crc64(Body));
      etags.push(r.ETag);
    }
    const listed = await h.cos.multipartListPart({ ...B, Key, UploadId, MaxParts: 2 });
    assert.equal(listed.IsTruncated, 'true');
    assert.equal(listed.NextPartNumberMarker, '2');
    assert.deepEqual(
      listed.Part.map((p) => [p.PartNumber, p.ETag, p.Size]),
      [
        ['1', etags[0], String(MiB)],
        ['2', etags[1], String(MiB)],
      ],
    );
    const rest = await h.cos.multipartListPart({ ...B, Key, UploadId, PartNumberMarker: '2' });
    assert.equal(rest.IsTruncated, 'false');
    assert.deepEqual(
      rest.Part.map((p) => p.PartNumber),
      ['3'],
    );
    const done = await h.cos.multipartComplete({
      ...B,
      Key,
      UploadId,
      Parts: etags.map((ETag, i) => ({ PartNumber: i + 1, ETag })),
    });
    const whole = Buffer.concat(parts);
    assert.equal(done.ETag, multipartEtag(parts));
    assert.equal(done.headers?.['x-cos-hash-crc64ecma'], crc64(whole));
    assert.equal((done as { Bucket?: string }).Bucket, BUCKET);
    const head = await h.cos.headObject({ ...B, Key });
    assert.equal(head.headers?.['x-cos-hash-crc64ecma'], crc64(whole));
    assert.equal(head.headers?.['content-type'], 'application/x-mp');
    assert.equal(head.headers?.['x-cos-meta-kind'], 'multipart');
    assert.equal(head.headers?.['x-cos-storage-class'], 'STANDARD_IA');
    assert.deepEqual((await h.cos.getObject({ ...B, Key })).Body, whole);
    assert.equal((await sdkError(h.cos.multipartListPart({ ...B, Key, UploadId }))).code, 'NoSuchUpload');
  });

  it('validates Complete: InvalidPart, InvalidPartOrder, EntityTooSmall, NoSuchUpload', async () => {
    const Key = 'mp/bad.bin';
    const UploadId = await init(Key);
    const small = bytes(1000, 4);
    const big = bytes(MiB, 5);
    const e1 = (await h.cos.multipartUpload({ ...B, Key, UploadId, PartNumber: 1, Body: small })).ETag;
    const e2 = (await h.cos.multipartUpload({ ...B, Key, UploadId, PartNumber: 2, Body: big })).ETag;
    const complete = (Parts: Array<{ PartNumber: number; ETag: string }>, id = UploadId) =>
      sdkError(h.cos.multipartComplete({ ...B, Key, UploadId: id, Parts }));
    const wrongEtag = await complete([{ PartNumber: 2, ETag: `"${'0'.repeat(32)}"` }]);
    assert.equal(wrongEtag.code, 'InvalidPart');
    assert.equal(wrongEtag.statusCode, 400);
    assert.equal((await complete([{ PartNumber: 3, ETag: e2 }])).code, 'InvalidPart');
    assert.equal(
      (
        await complete([
          { PartNumber: 2, ETag: e2 },
          { PartNumber: 1, ETag: e1 },
        ])
      ).code,
      'InvalidPartOrder',
    );
    assert.equal(
      (
        await complete([
          { PartNumber: 1, ETag: e1 },
          { PartNumber: 2, ETag: e2 },
        ])
      ).code,
      'EntityTooSmall',
    );
    const unknown = await complete([{ PartNumber: 1, ETag: e1 }], 'F'.repeat(32));
    assert.equal(unknown.code, 'NoSuchUpload');
    assert.equal(unknown.statusCode, 404);
    const badMd5 = await sdkError(
      h.cos.multipartUpload({
        ...B,
        Key,
        UploadId,
        PartNumber: 3,
        Body: big,
        Headers: { 'Content-MD5': createHash('md5').update('x').digest('base64') },
      }),
    );
    assert.equal(badMd5.code, 'BadDigest');
    const badNumber = await sdkError(
      h.cos.multipartUpload({ ...B, Key, UploadId, PartNumber: 10001, Body: small }),
    );
    assert.equal(badNumber.code, 'InvalidArgument');
    // A small last part is fine.
    const ok = await h.cos.multipartComplete({
      ...B,
      Key,
      UploadId,
      Parts: [{ PartNumber: 2, ETag: e2 }],
    });
    assert.equal(ok.ETag, multipartEtag([big]));
  });

  it('aborts with 204; the upload is then gone', async () => {
    const Key = 'mp/abort.bin';
    const UploadId = await init(Key);
    await h.cos.multipartUpload({ ...B, Key, UploadId, PartNumber: 1, Body: bytes(10, 6) });
    const r = await h.cos.multipartAbort({ ...B, Key, UploadId });
    assert.equal(r.statusCode, 204);
    assert.equal((await sdkError(h.cos.multipartAbort({ ...B, Key, UploadId }))).code, 'NoSuchUpload');
    const part = await sdkError(
      h.cos.multipartUpload({ ...B, Key, UploadId, PartNumber: 2, Body: bytes(10, 6) }),
    );
    assert.equal(part.code, 'NoSuchUpload');
  });

  it('lists uploads with prefix, delimiter and key/upload-id markers', async () => {
    const lister = await harness();
    try {
      const ids: Array<[string, string]> = [];
      for (const Key of ['l/a', 'l/b', 'l/b', 'l/dir/x', 'l/dir/y', 'other']) {
        ids.push([Key, (await lister.cos.multipartInit({ ...B, Key })).UploadId]);
      }
      const seen: Array<[string, string]> = [];
      let KeyMarker: string | undefined;
      let UploadIdMarker: string | undefined;
      for (let i = 0; i < 10; i++) {
        const page = await lister.cos.multipartList({
          ...B,
          Prefix: 'l/',
          MaxUploads: 2,
          ...(KeyMarker ? { KeyMarker, UploadIdMarker } : {}),
        } as ListParams);
        seen.push(...page.Upload.map((u): [string, string] => [u.Key, u.UploadId]));
        if (page.IsTruncated !== 'true') break;
        KeyMarker = page.NextKeyMarker;
        UploadIdMarker = page.NextUploadIdMarker;
      }
      assert.deepEqual(seen, ids.slice(0, 5));
      const rolled = await lister.cos.multipartList({ ...B, Prefix: 'l/', Delimiter: '/' });
      assert.deepEqual(
        rolled.Upload.map((u) => u.Key),
        ['l/a', 'l/b', 'l/b'],
      );
      assert.deepEqual((rolled as unknown as { CommonPrefixes: { Prefix: string } }).CommonPrefixes, {
        Prefix: 'l/dir/',
      });
      assert.equal(rolled.Upload[0]?.StorageClass, 'STANDARD');
    } finally {
      await lister.close();
    }
  });

  it('copies ranges of another object into parts (UploadPartCopy)', async () => {
    const src = bytes(2 * MiB + 500, 8);
    await h.emu.seed(BUCKET, { key: 'mp/copy-src', body: src, partSize: MiB });
    const Key = 'mp/copied';
    const UploadId = await init(Key);
    const CopySource = `${BUCKET}.cos.${REGION}.myqcloud.com/mp%2Fcopy-src`;
    const p1 = await h.cos.uploadPartCopy({
      ...B,
      Key,
      UploadId,
      PartNumber: 1,
      CopySource,
      CopySourceRange: `bytes=0-${MiB + 99}`,
    });
    assert.equal(p1.ETag, `"${md5hex(src.subarray(0, MiB + 100))}"`);
    assert.match((p1 as { LastModified?: string }).LastModified ?? '', /Z$/);
    const p2 = await h.cos.uploadPartCopy({
      ...B,
      Key,
      UploadId,
      PartNumber: 2,
      CopySource,
      CopySourceRange: `bytes=${MiB + 100}-${src.length - 1}`,
    });
    const bad = await sdkError(
      h.cos.uploadPartCopy({
        ...B,
        Key,
        UploadId,
        PartNumber: 3,
        CopySource,
        CopySourceRange: `bytes=0-${src.length}`,
      }),
    );
    assert.equal(bad.code, 'InvalidArgument');
    const done = await h.cos.multipartComplete({
      ...B,
      Key,
      UploadId,
      Parts: [
        { PartNumber: 1, ETag: p1.ETag },
        { PartNumber: 2, ETag: p2.ETag },
      ],
    });
    assert.equal(done.headers?.['x-cos-hash-crc64ecma'], crc64(src));
    assert.deepEqual((await h.cos.getObject({ ...B, Key })).Body, src);
  });
});

describe('COS emulator: sliceUploadFile', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  it('uploads a multi-MB file: ListMultipartUploads, Initiate, parts with Content-MD5, Complete', async () => {
    const data = bytes(5 * MiB + 1234, 21);
    const file = join(h.tmp, 'slice.bin');
    await writeFile(file, data);
    const mark = h.emu.log.mark();
    const res = await h.cos.sliceUploadFile({ ...B, Key: 'slice/file.bin', FilePath: file });
    assert.match(res.ETag, /^"[0-9a-f]{32}-6"$/);
    const ops = opsSince(h.emu, mark).map((e) => e.op);
    assert.equal(ops[0], 'ListMultipartUploads');
    assert.equal(ops[1], 'InitiateMultipartUpload');
    assert.equal(ops.at(-1), 'CompleteMultipartUpload');
    const parts = opsSince(h.emu, mark, 'UploadPart');
    assert.equal(parts.length, 6);
    assert.ok(parts.every((p) => p.status === 200 && p.headers['content-md5']));
    const head = await h.cos.headObject({ ...B, Key: 'slice/file.bin' });
    assert.equal(head.headers?.['x-cos-hash-crc64ecma'], crc64(data));
    // multipartInit sent empty Cache-Control: and Content-Type: headers, which count as absent.
    const init = opsSince(h.emu, mark, 'InitiateMultipartUpload')[0];
    assert.equal(init?.headers['cache-control'], '');
    assert.equal(init?.headers['content-type'], '');
    assert.equal(head.headers?.['content-type'], 'application/octet-stream');
    assert.equal(head.headers?.['cache-control'], undefined);
    assert.deepEqual((await h.cos.getObject({ ...B, Key: 'slice/file.bin' })).Body, data);
  });

  it('resumes an interrupted upload from ListMultipartUploads + ListParts without re-sending parts', async () => {
    const data = bytes(6 * MiB + 77, 22);
    const file = join(h.tmp, 'resume.bin');
    await writeFile(file, data);
    const Key = 'slice/resume.bin';
    // Two parts get through, then every UploadPart fails: the first run gives up.
    h.emu.faults.set({ rules: [{ kind: 'error', ops: ['UploadPart'], skip: 2 }] });
    let taskId = '';
    const first = await sdkError(
      h.cos.sliceUploadFile({
        ...B,
        Key,
        FilePath: file,
        onTaskReady: (id: string) => {
          taskId = id;
        },
      }),
    );
    assert.equal(first.code, 'InternalError');
    await sleep(50);
    h.emu.faults.clear();
    // Cancelling the failed task releases its upload id for reuse (the SDK keeps it "in use" otherwise).
    h.cos.cancelTask(taskId);
    const uploads = await h.cos.multipartList({ ...B, Prefix: Key } as ListParams);
    assert.equal(uploads.Upload.length, 1);
    const storedParts = await h.cos.multipartListPart({ ...B, Key, UploadId: uploads.Upload[0]!.UploadId });
    assert.equal(storedParts.Part.length, 2);

    // Resume from a copy of the file: the SDK's local upload-id cache (keyed by path) has no entry,
    // so it must find the upload remotely and check every listed part's ETag and size.
    const copy = join(h.tmp, 'resume-copy.bin');
    await writeFile(copy, data);
    const mark = h.emu.log.mark();
    const res = await h.cos.sliceUploadFile({ ...B, Key, FilePath: copy });
    assert.match(res.ETag, /^"[0-9a-f]{32}-7"$/);
    const ops = opsSince(h.emu, mark);
    assert.equal(ops.filter((e) => e.op === 'InitiateMultipartUpload').length, 0, 'the old upload is reused');
    assert.ok(ops.some((e) => e.op === 'ListParts'));
    assert.equal(ops.filter((e) => e.op === 'UploadPart').length, 5, 'only the missing parts are sent');
    assert.deepEqual((await h.cos.getObject({ ...B, Key })).Body, data);
    assert.equal((await h.cos.multipartList({ ...B, Prefix: Key } as ListParams)).Upload.length, 0);
  });
});
