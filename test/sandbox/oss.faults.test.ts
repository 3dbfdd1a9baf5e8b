/** OSS emulator conformance: injected faults as ali-oss sees them, and the request log. */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { OssEmulator } from './oss/index.ts';
import { BUCKET, bytes, client, raw, rejects, startEmu, xmlField } from './oss/testkit.ts';

async function drainStream(s: AsyncIterable<Buffer>): Promise<{ data: Buffer; error?: unknown }> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of s) chunks.push(c);
    return { data: Buffer.concat(chunks) };
  } catch (error) {
    return { data: Buffer.concat(chunks), error };
  }
}

describe('OSS emulator: faults', () => {
  let emu: OssEmulator;
  const big = bytes(200_000, 21);
  before(async () => {
    emu = await startEmu({ faults: { seed: 7, rules: [] } });
  });
  after(() => emu.close());
  beforeEach(async () => {
    emu.faults.clear();
    await emu.seed(BUCKET, { key: 'f/big.bin', body: big });
    await emu.seed(BUCKET, { key: 'f/small.txt', body: 'small' });
  });

  it('throttle → 503 ServiceUnavailable by default, visible to get() and head(); streaming GET sees the status', async () => {
    const c = client(emu);
    emu.faults.add({ kind: 'throttle', ops: ['GetObject', 'HeadObject'] });
    const e = await rejects(c.get('f/small.txt'), { status: 503, code: 'ServiceUnavailable' });
    assert.equal(e.ecCode, '0004-00000301');
    await rejects(c.head('f/small.txt'), { status: 503, code: 'ServiceUnavailable' });
    const s = await rejects(c.getStream('f/small.txt'), { status: 503 });
    assert.equal(s.name, 'UnknownError', 'ali-oss does not read error bodies of streaming GETs');
    await c.put('f/unaffected', Buffer.from('put is not throttled'));
  });

  it('throttle with code QpsLimitExceeded → 429, Retry-After when asked', async () => {
    const c = client(emu);
    emu.faults.add({
      kind: 'throttle',
      ops: ['PutObject'],
      code: 'QpsLimitExceeded',
      retryAfterSeconds: 3,
      times: 1,
    });
    const e = await rejects(c.put('f/q', Buffer.from('x')), { status: 429, code: 'QpsLimitExceeded' });
    assert.equal(e.ecCode, '0004-00000302');
    assert.match(e.message, /reduce your request rate/);
    emu.faults.add({
      kind: 'throttle',
      ops: ['GetObject'],
      code: 'DownloadTrafficRateLimitExceeded',
      retryAfterSeconds: 2,
      times: 1,
    });
    const r = await raw(emu, { method: 'GET', path: '/f/small.txt', key: 'f/small.txt' });
    assert.equal(r.status, 503);
    assert.equal(r.headers['retry-after'], '2');
    assert.equal(xmlField(r.body, 'Code'), 'DownloadTrafficRateLimitExceeded');
    assert.equal((await c.put('f/q', Buffer.from('x'))).res.status, 200, 'times: 1');
  });

  it('error → 500 InternalError, or the rule status/code', async () => {
    const c = client(emu);
    emu.faults.add({ kind: 'error', ops: ['ListObjects'], times: 1 });
    await rejects(c.list({}, {}), { status: 500, code: 'InternalError' });
    emu.faults.add({
      kind: 'error',
      ops: ['CompleteMultipartUpload'],
      status: 502,
      code: 'BadGateway',
      times: 1,
    });
    const init = await c.initMultipartUpload('f/mp');
    const p = await c.uploadPart('f/mp', init.uploadId, 1, Buffer.from('abc'), 0, 3);
    await rejects(c.completeMultipartUpload('f/mp', init.uploadId, [{ number: 1, etag: p.etag }]), {
      status: 502,
      code: 'BadGateway',
    });
    await c.completeMultipartUpload('f/mp', init.uploadId, [{ number: 1, etag: p.etag }]);
  });

  it('latency delays the response', async () => {
    const c = client(emu);
    emu.faults.add({ kind: 'latency', ops: ['HeadObject'], latencyMs: 150 });
    const t = Date.now();
    await c.head('f/small.txt');
    assert.ok(Date.now() - t >= 140);
  });

  it('reset before the response: the request fails and nothing is written', async () => {
    const c = client(emu);
    emu.faults.add({ kind: 'reset', ops: ['PutObject'], keyPrefix: 'f/reset', times: 1 });
    await assert.rejects(c.put('f/reset-me', Buffer.from('x')));
    assert.equal(emu.buckets.get(BUCKET)!.get('f/reset-me'), undefined);
    const logged = emu.log.find({ op: 'PutObject', key: 'f/reset-me' }).at(-1)!;
    assert.equal(logged.status, 0);
    assert.deepEqual(logged.faults, [0]);
    emu.faults.add({ kind: 'reset', ops: ['GetObject'], times: 1 });
    await assert.rejects(c.get('f/small.txt'));
    assert.equal((await c.get('f/small.txt')).content.toString(), 'small');
  });

  it('reset mid-body cuts a GET after afterBytes', async () => {
    const c = client(emu);
    emu.faults.add({ kind: 'reset', ops: ['GetObject'], afterBytes: 70_000, times: 1 });
    const r = await c.getStream('f/big.bin');
    assert.equal(r.res.status, 200);
    const { data, error } = await drainStream(r.stream as AsyncIterable<Buffer>);
    assert.ok(error, 'the stream errors');
    assert.ok(data.length < big.length, `got ${data.length}`);
    assert.ok(Buffer.compare(data, big.subarray(0, data.length)) === 0);
    await assert.rejects(async () => {
      emu.faults.add({ kind: 'reset', ops: ['GetObject'], afterBytes: 10, times: 1 });
      await c.get('f/big.bin');
    });
  });

  it('rewrite mid-body: the reader gets the old bytes, the object changes (same size), If-Match then fails', async () => {
    const c = client(emu);
    const before = emu.buckets.get(BUCKET)!.get('f/big.bin')!;
    emu.faults.add({ kind: 'rewrite', ops: ['GetObject'], afterBytes: 50_000, times: 1 });
    const r = await c.getStream('f/big.bin');
    const oldEtag = (r.res.headers as Record<string, string>).etag!;
    const { data, error } = await drainStream(r.stream as AsyncIterable<Buffer>);
    assert.equal(error, undefined);
    assert.ok(Buffer.compare(data, big) === 0, 'the old bytes keep streaming');
    const head = await c.head('f/big.bin');
    const h = head.res.headers as Record<string, string>;
    assert.notEqual(h.etag, oldEtag);
    assert.equal(h['content-length'], String(big.length));
    assert.notEqual(h['x-oss-hash-crc64ecma'], before.crc64);
    assert.ok(new Date(h['last-modified']!).getTime() > before.lastModified.getTime() - 1000);
    await rejects(c.get('f/big.bin', { headers: { 'If-Match': oldEtag } }), {
      status: 412,
      code: 'PreconditionFailed',
    });
    const now = await c.get('f/big.bin', { headers: { 'If-Match': h.etag! } });
    assert.equal((now.content as Buffer).length, big.length);
  });

  it('delete mid-body: the reader finishes with the old bytes, the key is gone afterwards', async () => {
    const c = client(emu);
    emu.faults.add({ kind: 'delete', ops: ['GetObject'], afterBytes: 1, times: 1 });
    const r = await c.getStream('f/big.bin');
    const { data, error } = await drainStream(r.stream as AsyncIterable<Buffer>);
    assert.equal(error, undefined);
    assert.ok(Buffer.compare(data, big) === 0);
    await rejects(c.get('f/big.bin'), { status: 404, code: 'NoSuchKey' });
  });

  it('rules match by key prefix / pattern, skip and times; stats count firings', async () => {
    const c = client(emu);
    emu.faults.add({ kind: 'error', ops: ['*'], keyPattern: '^f/small', skip: 1, times: 2 });
    assert.equal((await c.get('f/small.txt')).res.status, 200);
    await rejects(c.get('f/small.txt'), { status: 500 });
    await rejects(c.head('f/small.txt'), { status: 500 });
    assert.equal((await c.get('f/small.txt')).res.status, 200);
    assert.equal((await c.get('f/big.bin')).res.status, 200);
    assert.equal(emu.faults.stats()[0]!.fired, 2);
  });

  it('the request log records op, bucket, key, status, code, bytes, headers and faults', async () => {
    const c = client(emu);
    const mark = emu.log.mark();
    await c.put('f/log.txt', Buffer.from('12345'));
    await c.get('f/log.txt');
    await rejects(c.get('f/nope'), { status: 404 });
    emu.faults.add({ kind: 'latency', ops: ['ListObjectsV2'], latencyMs: 1 });
    await c.listV2({ prefix: 'f/' }, {});
    const entries = emu.log.since(mark);
    assert.deepEqual(
      entries.map((e) => [e.op, e.bucket, e.key, e.status, e.code]),
      [
        ['PutObject', BUCKET, 'f/log.txt', 200, undefined],
        ['GetObject', BUCKET, 'f/log.txt', 200, undefined],
        ['GetObject', BUCKET, 'f/nope', 404, 'NoSuchKey'],
        ['ListObjectsV2', BUCKET, undefined, 200, undefined],
      ],
    );
    assert.equal(entries[0]!.bytesIn, 5);
    assert.equal(entries[1]!.bytesOut, 5);
    assert.equal(entries[0]!.method, 'PUT');
    assert.equal(entries[0]!.url, '/f/log.txt');
    assert.match(entries[0]!.headers.authorization ?? '', /^OSS /);
    assert.equal(entries[0]!.headers.host, `${BUCKET}.oss-cn-hangzhou.aliyuncs.com`);
    assert.deepEqual(entries[3]!.faults, [0]);
    assert.ok(entries.every((e) => e.durationMs >= 0 && e.seq > mark));
  });

  it('faults and the log over the admin endpoint', async () => {
    const c = client(emu);
    const put = await fetch(`${emu.endpoint}/__sandbox__/faults`, {
      method: 'PUT',
      body: JSON.stringify({
        seed: 1,
        rules: [{ kind: 'throttle', ops: ['DeleteObject'], code: 'QpsLimitExceeded' }],
      }),
    });
    assert.equal(put.status, 200);
    await rejects(c.delete('f/small.txt'), { status: 429, code: 'QpsLimitExceeded' });
    const stats = (await (await fetch(`${emu.endpoint}/__sandbox__/faults`)).json()) as Array<{
      fired: number;
    }>;
    assert.equal(stats[0]!.fired, 1);
    await fetch(`${emu.endpoint}/__sandbox__/faults`, { method: 'DELETE' });
    assert.equal((await c.delete('f/small.txt')).res.status, 204);
    const log = (await (await fetch(`${emu.endpoint}/__sandbox__/log?op=DeleteObject`)).json()) as Array<{
      status: number;
    }>;
    assert.deepEqual(log.map((e) => e.status).slice(-2), [429, 204]);
  });
});
