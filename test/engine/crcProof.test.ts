/**
 * Issue #16: a CRC-64 source (COS, OSS) is proven by the destination's CRC-64 of what it stored,
 * not by a client hash. A body changed in flight, either way, is still caught before anything is
 * committed; transfer.clientCrc (--client-crc) brings the client's CRC-64 back.
 */
import assert from 'node:assert/strict';
import { Readable, Transform } from 'node:stream';
import { describe, it } from 'node:test';
import { Crc64 } from '../../runner/core/crc64.ts';
import type { ObjectResult } from '../../runner/core/types.ts';
import type { ReadResult } from '../../runner/ports/objectStore.ts';
import { bytes, type Harness, harness, past } from '../helpers/engine.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const old = { lastModified: past(60) };
const t1 = past(30);
/** Multipart above 1 MiB, parts of 1 MiB, no retries unless a test asks. */
const spec = (transfer: Record<string, unknown> = {}) => ({
  transfer: {
    concurrency: 4,
    multipartThreshold: MiB,
    partSize: MiB,
    partConcurrency: 2,
    retries: 0,
    ...transfer,
  },
});

async function ledger(h: Harness, passId: string): Promise<Map<string, ObjectResult>> {
  const out = new Map<string, ObjectResult>();
  for await (const r of h.journal.ledger(passId)) out.set(r.key, r);
  return out;
}

/** Flip one bit at byte `at` of a stream (a faulty proxy; the stored bytes stay as they are). */
function corrupting(at: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      const i = at - seen;
      seen += chunk.length;
      if (i < 0 || i >= chunk.length) return cb(null, chunk);
      const out = Buffer.from(chunk);
      out[i]! ^= 1;
      cb(null, out);
    },
  });
}

/** The first `times` GETs of `key` arrive with one bit flipped. */
function corruptReads(h: Harness, key: string, times: number): void {
  const read = h.src.read.bind(h.src);
  let left = times;
  h.src.read = async (k, o) => {
    const r: ReadResult = await read(k, o);
    if (k !== key || left <= 0) return r;
    left--;
    return { ...r, body: r.body.pipe(corrupting(1000)) };
  };
}

async function withHarness(fn: (h: Harness) => Promise<void>): Promise<void> {
  const h = await harness();
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

describe('engine: a CRC-64 source is proven by the destination’s CRC-64', () => {
  it('the client hashes no byte by default, every byte once with transfer.clientCrc', async () => {
    const sizes = { small: 4 * KiB, single: 600 * KiB, multi: 3 * MiB + 5 };
    const total = Object.values(sizes).reduce((a, b) => a + b, 0);
    const hashed = async (clientCrc: boolean) => {
      const h = await harness();
      const update = Crc64.prototype.update;
      let n = 0;
      try {
        let seed = 1;
        for (const [k, size] of Object.entries(sizes)) h.src.put(k, bytes(size, seed++), old);
        Crc64.prototype.update = function (this: Crc64, data: Uint8Array) {
          n += data.length;
          return update.call(this, data);
        };
        const r = await h.run('copy', { phase: 'full', t1 }, { spec: spec({ clientCrc }) });
        assert.equal(r.summary.copied, 3);
        const l = await ledger(h, r.pass.id);
        for (const [k, size] of Object.entries(sizes)) {
          const stored = h.dst.objects.get(k)!;
          assert.equal(stored.size, size);
          assert.equal(l.get(k)!.evidence, 'crc64');
          assert.equal(l.get(k)!.srcCrc64, h.src.objects.get(k)!.crc64);
          assert.equal(l.get(k)!.dstCrc64, stored.crc64, `${k}: the ledger has the destination's CRC-64`);
        }
        assert.equal(l.get('multi')!.multipart, true);
      } finally {
        Crc64.prototype.update = update;
        await h.close();
      }
      return n;
    };
    const trusting = await hashed(false);
    const paranoid = await hashed(true);
    // The memory destination hashes what it stores either way; the difference is the client's.
    assert.equal(paranoid - trusting, total);
  });

  it('a source body changed in flight: a single PUT is refused, a multipart upload aborted, nothing committed', async () =>
    withHarness(async (h) => {
      h.src.put('single', bytes(600 * KiB, 1), old);
      h.src.put('multi', bytes(3 * MiB, 2), old);
      corruptReads(h, 'single', 99);
      corruptReads(h, 'multi', 99);
      const r = await h.run('copy', { phase: 'full', t1 }, { spec: spec() });
      assert.deepEqual(r.summary.failuresByClass, { CRC_MISMATCH: 2 });
      const l = await ledger(h, r.pass.id);
      assert.match(l.get('single')!.reason!, /Content-MD5 mismatch/);
      assert.match(
        l.get('multi')!.reason!,
        /CRC-64 of the parts the destination stored is \d+, the source reports/,
      );
      assert.equal(h.dst.objects.size, 0, 'nothing committed');
      assert.equal(h.dst.openUploads, 0, 'the upload was aborted');
      assert.equal(await h.state.getMultipart('multi'), undefined);
    }));

  it('a change in flight that passes is retried and the object copied byte for byte', async () =>
    withHarness(async (h) => {
      const single = bytes(600 * KiB, 3);
      const multi = bytes(3 * MiB + 7, 4);
      h.src.put('single', single, old);
      h.src.put('multi', multi, old);
      corruptReads(h, 'single', 1);
      corruptReads(h, 'multi', 1);
      const r = await h.run('copy', { phase: 'full', t1 }, { spec: spec({ retries: 2 }) });
      assert.equal(r.summary.copied, 2);
      const l = await ledger(h, r.pass.id);
      assert.equal(l.get('single')!.attempts, 2);
      assert.equal(l.get('multi')!.attempts, 2);
      assert.ok(h.dst.objects.get('single')!.body.equals(single));
      assert.ok(h.dst.objects.get('multi')!.body.equals(multi));
    }));

  it('a destination that stores other bytes than sent: caught before Complete; per part with clientCrc', async () =>
    withHarness(async (h) => {
      h.src.put('multi', bytes(3 * MiB, 5), old);
      const part = h.dst.multipartPart.bind(h.dst);
      h.dst.multipartPart = (key, id, n, body, size) =>
        part(key, id, n, n === 2 ? body.pipe(corrupting(10)) : body, size);
      const r = await h.run('copy', { phase: 'full', t1 }, { spec: spec() });
      const l = await ledger(h, r.pass.id);
      assert.match(l.get('multi')!.reason!, /parts the destination stored/);
      assert.equal(h.dst.objects.size, 0);
      assert.equal(h.dst.openUploads, 0);
      // A new pass: its id is T1's whole second.
      const paranoid = await h.run(
        'copy',
        { phase: 'full', t1: past(29) },
        { spec: spec({ clientCrc: true }) },
      );
      const p = await ledger(h, paranoid.pass.id);
      assert.match(
        p.get('multi')!.reason!,
        /multi part 2: the destination reports CRC-64 \d+, the bytes sent have \d+/,
      );
      assert.equal(h.dst.objects.size, 0);
    }));

  it('a destination that reports no part CRC-64: the part is sent again, hashed by the client', async () =>
    withHarness(async (h) => {
      const body = bytes(3 * MiB, 6);
      h.src.put('multi', body, old);
      const part = h.dst.multipartPart.bind(h.dst);
      h.dst.multipartPart = async (key, id, n, b, size) => {
        const { crc64: _dropped, ...rest } = await part(key, id, n, b, size);
        return rest;
      };
      const r = await h.run(
        'copy',
        { phase: 'full', t1 },
        { spec: spec({ retries: 1, partConcurrency: 1 }) },
      );
      assert.equal(r.summary.copied, 1);
      assert.equal(h.dst.calls.part, 4, 'three parts, the first sent twice');
      assert.ok(h.dst.objects.get('multi')!.body.equals(body));
    }));

  it('a source without CRC-64 is hashed by the client with transfer.clientCrc', async () =>
    withHarness(async (h) => {
      const { MemoryStore } = await import('../../runner/adapters/memory/memoryStore.ts');
      h.src = new MemoryStore('mem://src', { crc64: false });
      h.src.put('single', bytes(600 * KiB, 7), old);
      const read = h.src.read.bind(h.src);
      h.src.read = async (k, o) => {
        const r = await read(k, o);
        return { ...r, body: Readable.from(r.body).pipe(corrupting(5)) };
      };
      const write = h.dst.write.bind(h.dst);
      let written = 0;
      h.dst.write = async (k, b, o) => {
        written++;
        return write(k, b, o);
      };
      // (By default OSS checks the MD5 itself, sent as Content-MD5: test/engine/md5Proof.test.ts.)
      const r = await h.run('copy', { phase: 'full', t1 }, { spec: spec({ clientCrc: true }) });
      const l = await ledger(h, r.pass.id);
      // The MD5 ETag is recomputed on the client; the last chunk was held back, so the PUT never finished.
      assert.match(l.get('single')!.reason!, /MD5 ETag of the bytes read/);
      assert.equal(written, 1);
      assert.equal(h.dst.objects.size, 0);
    }));
});
