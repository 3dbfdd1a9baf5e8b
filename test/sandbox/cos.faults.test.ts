/** COS emulator: fault injection (throttle, error, 200-with-Error, latency, reset, rewrite, delete) and the request log. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, afterEach, before, describe, it } from 'node:test';
import { crc64 } from '../../runner/core/crc64.ts';
import { patternBytes } from './common/blobs.ts';
import { B, BUCKET, type Harness, harness, opsSince, REGION, raw, sdkError } from './cos/testkit.ts';

const bytes = (size: number, seed: number) => Buffer.concat([...patternBytes(size, seed)]);
const copySource = (key: string) => `${BUCKET}.cos.${REGION}.myqcloud.com/${encodeURIComponent(key)}`;

describe('COS emulator: faults', () => {
  let h: Harness;
  const big = bytes(1024 * 1024, 31);
  before(async () => {
    h = await harness();
    await h.emu.seed(BUCKET, { key: 'f/small.txt', body: 'small' });
  });
  afterEach(() => h.emu.faults.clear());
  after(() => h.close());

  it('throttles with 503 SlowDown; the SDK retries buffered requests 4 times with x-cos-sdk-retry', async () => {
    h.emu.faults.set({ rules: [{ kind: 'throttle', ops: ['GetObject'], retryAfterSeconds: 2 }] });
    const mark = h.emu.log.mark();
    const err = await sdkError(h.cos.getObject({ ...B, Key: 'f/small.txt' }));
    assert.equal(err.code, 'SlowDown');
    assert.equal(err.statusCode, 503);
    assert.equal(err.headers?.['retry-after'], '2');
    const tries = opsSince(h.emu, mark, 'GetObject');
    assert.deepEqual(
      tries.map((t) => [t.status, t.code, t.headers['x-cos-sdk-retry'], t.faults]),
      [
        [503, 'SlowDown', undefined, [0]],
        [503, 'SlowDown', 'true', [0]],
        [503, 'SlowDown', 'true', [0]],
        [503, 'SlowDown', 'true', [0]],
      ],
    );
  });

  it('recovers when the throttling stops before the retries run out', async () => {
    h.emu.faults.set({ rules: [{ kind: 'throttle', ops: ['PutObject'], times: 2 }] });
    const mark = h.emu.log.mark();
    await h.cos.putObject({ ...B, Key: 'f/retried.txt', Body: Buffer.from('retried') });
    assert.deepEqual(
      opsSince(h.emu, mark, 'PutObject').map((t) => t.status),
      [503, 503, 200],
    );
    assert.equal((await h.cos.getObject({ ...B, Key: 'f/retried.txt' })).Body.toString(), 'retried');
  });

  it('does not retry streamed bodies', async () => {
    h.emu.faults.set({ rules: [{ kind: 'throttle', ops: ['PutObject'] }] });
    const mark = h.emu.log.mark();
    const err = await sdkError(
      h.cos.putObject({ ...B, Key: 'f/stream.txt', Body: Readable.from([Buffer.from('s')]) }),
    );
    assert.equal(err.code, 'SlowDown');
    assert.equal(opsSince(h.emu, mark, 'PutObject').length, 1);
  });

  it('injects 500 InternalError, or the rule’s status and code', async () => {
    h.emu.faults.set({
      rules: [
        { kind: 'error', ops: ['HeadObject'] },
        { kind: 'error', ops: ['DeleteObject'], status: 403, code: 'AccessDenied' },
      ],
    });
    const head = await sdkError(h.cos.headObject({ ...B, Key: 'f/small.txt' }));
    assert.equal(head.code, '500');
    const mark = h.emu.log.mark();
    const del = await sdkError(h.cos.deleteObject({ ...B, Key: 'f/small.txt' }));
    assert.equal(del.code, 'AccessDenied');
    assert.equal(del.statusCode, 403);
    assert.equal(opsSince(h.emu, mark, 'DeleteObject').length, 1, '4xx is not retried');
    assert.equal(h.emu.log.find({ op: 'HeadObject' }).at(-1)?.code, 'InternalError');
  });

  it('answers Copy with 200 and an <Error> body: a failure the SDK retries for InternalError', async () => {
    h.emu.faults.set({ rules: [{ kind: 'error', ops: ['CopyObject'], status: 200 }] });
    const mark = h.emu.log.mark();
    const err = await sdkError(
      h.cos.putObjectCopy({ ...B, Key: 'f/copy', CopySource: copySource('f/small.txt') }),
    );
    assert.equal(err.code, 'InternalError');
    assert.equal(err.statusCode, 200);
    const tries = opsSince(h.emu, mark, 'CopyObject');
    assert.equal(tries.length, 4);
    assert.ok(tries.every((t) => t.status === 200 && t.code === 'InternalError'));
    assert.equal((await sdkError(h.cos.headObject({ ...B, Key: 'f/copy' }))).code, '404');

    h.emu.faults.set({ rules: [{ kind: 'error', ops: ['CopyObject'], status: 200, times: 1 }] });
    const ok = await h.cos.putObjectCopy({ ...B, Key: 'f/copy', CopySource: copySource('f/small.txt') });
    assert.equal(ok.statusCode, 200);

    h.emu.faults.set({ rules: [{ kind: 'error', ops: ['CopyObject'], status: 200, code: 'AccessDenied' }] });
    const mark2 = h.emu.log.mark();
    const denied = await sdkError(
      h.cos.putObjectCopy({ ...B, Key: 'f/copy2', CopySource: copySource('f/small.txt') }),
    );
    assert.equal(denied.code, 'AccessDenied');
    assert.equal(opsSince(h.emu, mark2, 'CopyObject').length, 1);
  });

  it('answers Complete with 200 and an <Error> body: the SDK reports a failure', async () => {
    const Key = 'f/mp';
    const { UploadId } = await h.cos.multipartInit({ ...B, Key });
    const part = await h.cos.multipartUpload({ ...B, Key, UploadId, PartNumber: 1, Body: Buffer.from('p') });
    h.emu.faults.set({ rules: [{ kind: 'error', ops: ['CompleteMultipartUpload'], status: 200, times: 1 }] });
    const Parts = [{ PartNumber: 1, ETag: part.ETag }];
    const err = await sdkError(h.cos.multipartComplete({ ...B, Key, UploadId, Parts }));
    assert.equal(err.code, 'InternalError');
    assert.equal(err.statusCode, 200);
    const done = await h.cos.multipartComplete({ ...B, Key, UploadId, Parts });
    assert.equal(done.statusCode, 200);
  });

  it('adds latency', async () => {
    h.emu.faults.set({ rules: [{ kind: 'latency', ops: ['HeadObject'], latencyMs: 150 }] });
    const t0 = Date.now();
    await h.cos.headObject({ ...B, Key: 'f/small.txt' });
    assert.ok(Date.now() - t0 >= 140);
    assert.ok((h.emu.log.find({ op: 'HeadObject' }).at(-1)?.durationMs ?? 0) >= 140);
  });

  it('resets the connection before the response (the SDK retries a buffered GET)', async () => {
    h.emu.faults.set({ rules: [{ kind: 'reset', ops: ['GetObject'], times: 1 }] });
    const mark = h.emu.log.mark();
    const got = await h.cos.getObject({ ...B, Key: 'f/small.txt' });
    assert.equal(got.Body.toString(), 'small');
    const tries = opsSince(h.emu, mark, 'GetObject');
    assert.deepEqual(
      tries.map((t) => [t.status, t.faults, t.headers['x-cos-sdk-retry']]),
      [
        [0, [0], undefined],
        [200, undefined, 'true'],
      ],
    );
  });

  it('resets mid-body after afterBytes: a stream errors, a buffered GET retries', async () => {
    await h.emu.seed(BUCKET, { key: 'f/big.bin', body: big });
    h.emu.faults.set({ rules: [{ kind: 'reset', ops: ['GetObject'], afterBytes: 200_000, times: 1 }] });
    const stream = h.cos.getObjectStream({ ...B, Key: 'f/big.bin' }) as unknown as Readable;
    let received = 0;
    stream.on('data', (c: Buffer) => {
      received += c.length;
    });
    await assert.rejects(
      new Promise((resolve, reject) => {
        stream.on('end', resolve);
        stream.on('error', reject);
      }),
    );
    assert.ok(received <= 200_000, `received ${received}`);
    const entry = h.emu.log.find({ op: 'GetObject', key: 'f/big.bin' }).at(-1);
    assert.equal(entry?.status, 200);
    assert.equal(entry?.bytesOut, 200_000);
    assert.deepEqual(entry?.faults, [0]);

    h.emu.faults.set({ rules: [{ kind: 'reset', ops: ['GetObject'], afterBytes: 200_000, times: 1 }] });
    const mark = h.emu.log.mark();
    const got = await h.cos.getObject({ ...B, Key: 'f/big.bin' });
    assert.deepEqual(got.Body, big);
    assert.equal(opsSince(h.emu, mark, 'GetObject').length, 2);
  });

  it('rewrites the object mid-body: the reader gets the old bytes, then If-Match fails with 412', async () => {
    const old = await h.emu.seed(BUCKET, { key: 'f/rewrite.bin', body: big });
    h.emu.faults.set({ rules: [{ kind: 'rewrite', ops: ['GetObject'], afterBytes: 100_000, times: 1 }] });
    const got = await h.cos.getObject({ ...B, Key: 'f/rewrite.bin' });
    assert.deepEqual(got.Body, big);
    assert.equal(got.ETag, `"${old.etag}"`);
    const err = await sdkError(h.cos.getObject({ ...B, Key: 'f/rewrite.bin', IfMatch: `"${old.etag}"` }));
    assert.equal(err.code, 'PreconditionFailed');
    assert.equal(err.statusCode, 412);
    const now = await h.cos.getObject({ ...B, Key: 'f/rewrite.bin' });
    assert.equal(now.Body.length, big.length);
    assert.notDeepEqual(now.Body, big);
    assert.equal(now.ETag, `"${createHash('md5').update(now.Body).digest('hex')}"`);
    assert.equal(now.headers?.['x-cos-hash-crc64ecma'], crc64(now.Body));
    assert.notEqual(now.headers?.['x-cos-hash-crc64ecma'], old.crc64);
    assert.ok(
      Date.parse(now.headers?.['last-modified'] ?? '') > Date.parse(got.headers?.['last-modified'] ?? ''),
    );
  });

  it('deletes the object mid-body: the reader finishes, the next GET is NoSuchKey', async () => {
    await h.emu.seed(BUCKET, { key: 'f/delete.bin', body: big });
    h.emu.faults.set({
      rules: [{ kind: 'delete', ops: ['GetObject'], keyPrefix: 'f/delete', afterBytes: 1 }],
    });
    const stream = h.cos.getObjectStream({ ...B, Key: 'f/delete.bin' }) as unknown as Readable;
    assert.deepEqual(await buffer(stream), big);
    assert.equal((await sdkError(h.cos.getObject({ ...B, Key: 'f/delete.bin' }))).code, 'NoSuchKey');
  });

  it('matches rules by key prefix and pattern only', async () => {
    h.emu.faults.set({
      rules: [
        { kind: 'error', ops: ['HeadObject'], keyPrefix: 'f/other' },
        { kind: 'error', ops: ['*'], keyPattern: '\\.never$' },
      ],
    });
    assert.equal((await h.cos.headObject({ ...B, Key: 'f/small.txt' })).statusCode, 200);
    assert.deepEqual(
      h.emu.faults.stats().map((s) => s.fired),
      [0, 0],
    );
  });
});

describe('COS emulator: request log and admin endpoint', () => {
  let h: Harness;
  before(async () => {
    h = await harness({ faults: { seed: 7, rules: [{ kind: 'error', ops: ['ListParts'], status: 503 }] } });
  });
  after(() => h.close());

  it('logs op, bucket, key, status, code, bytes, headers and fired faults', async () => {
    const mark = h.emu.log.mark();
    await h.cos.putObject({
      ...B,
      Key: 'log/ü.txt',
      Body: Buffer.from('twelve bytes'),
      Headers: { 'x-cos-meta-a': 'b' },
    });
    await h.cos.getObject({ ...B, Key: 'log/ü.txt' });
    await sdkError(h.cos.getObject({ ...B, Key: 'log/missing' }));
    const [put, get, missing] = opsSince(h.emu, mark);
    assert.equal(put?.op, 'PutObject');
    assert.equal(put?.method, 'PUT');
    assert.equal(put?.url, '/log/%C3%BC.txt');
    assert.equal(put?.bucket, BUCKET);
    assert.equal(put?.key, 'log/ü.txt');
    assert.equal(put?.status, 200);
    assert.equal(put?.bytesIn, 12);
    assert.equal(put?.bytesOut, 0);
    assert.equal(put?.headers['x-cos-meta-a'], 'b');
    assert.match(put?.headers.authorization ?? '', /^q-sign-algorithm=sha1&q-ak=/);
    assert.equal(get?.bytesOut, 12);
    assert.equal(missing?.status, 404);
    assert.equal(missing?.code, 'NoSuchKey');
    assert.ok((missing?.bytesOut ?? 0) > 0);
  });

  it('takes fault plans from the options and over the admin endpoint', async () => {
    const { UploadId } = await h.cos.multipartInit({ ...B, Key: 'adm' });
    const err = await sdkError(h.cos.multipartListPart({ ...B, Key: 'adm', UploadId }));
    assert.equal(err.code, 'ServiceUnavailable');

    const port = h.emu.port;
    const plan = { rules: [{ kind: 'throttle', ops: ['HeadBucket'] }] };
    const put = await raw(port, { method: 'PUT', path: '/__sandbox__/faults', body: JSON.stringify(plan) });
    assert.equal(put.status, 200);
    assert.equal((await sdkError(h.cos.headBucket({ ...B }))).code, '503');
    const stats = JSON.parse(
      (await raw(port, { method: 'GET', path: '/__sandbox__/faults' })).body.toString(),
    );
    assert.equal(stats[0].fired, 4);
    await raw(port, { method: 'DELETE', path: '/__sandbox__/faults' });
    assert.equal((await h.cos.headBucket({ ...B })).statusCode, 200);

    const log = JSON.parse(
      (await raw(port, { method: 'GET', path: '/__sandbox__/log?op=HeadBucket' })).body.toString(),
    ) as Array<{ op: string; status: number }>;
    assert.deepEqual(
      log.map((e) => e.status),
      [503, 503, 503, 503, 200],
    );
    const clock = await raw(port, { method: 'PUT', path: '/__sandbox__/clock', body: '{"skewMs": 1234}' });
    assert.equal(clock.status, 200);
    assert.equal(h.emu.clockSkewMs, 1234);
    h.emu.clockSkewMs = 0;
  });
});
