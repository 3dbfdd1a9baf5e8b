/**
 * Issues #13 / #16: a source whose evidence is an MD5 (an S3 single-part MD5 ETag, Azure's or
 * UpYun's Content-MD5, a URL list's) is proven on a single PUT by the destination checking that
 * MD5 sent as Content-MD5: the client hashes nothing (neither MD5 nor CRC-64). A body changed in
 * flight is refused with nothing committed; transfer.clientCrc (--client-crc) hashes as before;
 * a multipart copy still recomputes the evidence on the client.
 */
import assert from 'node:assert/strict';
import { Readable, Transform } from 'node:stream';
import { describe, it } from 'node:test';
import { MemoryStore, type MemoryStoreOptions } from '../../runner/adapters/memory/memoryStore.ts';
import { PROVENANCE } from '../../runner/core/copyPolicy.ts';
import { Crc64 } from '../../runner/core/crc64.ts';
import { EvidenceHasher } from '../../runner/core/evidence.ts';
import type { ObjectResult } from '../../runner/core/types.ts';
import { bytes, type Harness, harness, past } from '../helpers/engine.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const t1 = past(30);
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

/** An S3-like source (MD5 ETags, no CRC-64), or an Azure-like one (opaque ETags, Content-MD5). */
const S3_LIKE: MemoryStoreOptions = { crc64: false };
const AZURE_LIKE: MemoryStoreOptions = { crc64: false, md5Etags: false };
const seed = (opts: MemoryStoreOptions) => ({
  lastModified: past(60),
  ...(opts.md5Etags === false ? { contentMd5: true } : {}),
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

/** The first `times` GETs of any key arrive with one bit flipped at byte 1000. */
function corruptReads(h: Harness, times: number): void {
  const read = h.src.read.bind(h.src);
  let left = times;
  h.src.read = async (k, o) => {
    const r = await read(k, o);
    if (left <= 0) return r;
    left--;
    return { ...r, body: Readable.from(r.body).pipe(corrupting(1000)) };
  };
}

/** Counts the bytes the client's evidence hash and every CRC-64 see while `fn` runs. */
async function counting<T>(fn: () => Promise<T>): Promise<{ value: T; md5: number; crc: number }> {
  const crcUpdate = Crc64.prototype.update;
  const evUpdate = EvidenceHasher.prototype.update;
  let crc = 0;
  let md5 = 0;
  Crc64.prototype.update = function (this: Crc64, data: Uint8Array) {
    crc += data.length;
    return crcUpdate.call(this, data);
  };
  EvidenceHasher.prototype.update = function (this: EvidenceHasher, chunk: Buffer) {
    md5 += chunk.length;
    return evUpdate.call(this, chunk);
  };
  try {
    return { value: await fn(), md5, crc };
  } finally {
    Crc64.prototype.update = crcUpdate;
    EvidenceHasher.prototype.update = evUpdate;
  }
}

async function withSource(opts: MemoryStoreOptions, fn: (h: Harness) => Promise<void>): Promise<void> {
  const h = await harness();
  h.src = new MemoryStore('mem://src', opts);
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

for (const [name, opts, method] of [
  ['an MD5 ETag (S3)', S3_LIKE, 'md5'],
  ['a Content-MD5 (Azure, UpYun)', AZURE_LIKE, 'content-md5'],
] as const) {
  describe(`engine: a single PUT from a source with ${name} is checked by the destination`, () => {
    const sizes = { small: 4 * KiB, single: 600 * KiB };
    const total = sizes.small + sizes.single;

    const copyAll = (clientCrc: boolean) =>
      withSource(opts, async (h) => {
        let n = 1;
        for (const [k, size] of Object.entries(sizes)) h.src.put(k, bytes(size, n++), seed(opts));
        let sent: (string | undefined)[] = [];
        const write = h.dst.write.bind(h.dst);
        h.dst.write = async (k, b, o) => {
          sent.push(o.contentMd5);
          return write(k, b, o);
        };
        const {
          value: r,
          md5,
          crc,
        } = await counting(() => h.run('copy', { phase: 'full', t1 }, { spec: spec({ clientCrc }) }));
        assert.equal(r.summary.copied, 2);
        const l = await ledger(h, r.pass.id);
        for (const [k, size] of Object.entries(sizes)) {
          const stored = h.dst.objects.get(k)!;
          assert.ok(stored.body.equals(h.src.objects.get(k)!.body), `${k}: the source's bytes`);
          assert.equal(stored.size, size);
          const line = l.get(k)!;
          assert.equal(line.evidence, method);
          assert.equal(line.dstCrc64, stored.crc64, `${k}: the ledger has the destination's CRC-64`);
          assert.equal(stored.meta[PROVENANCE.evidence], method);
          if (clientCrc) {
            assert.equal(line.evidenceCheckedBy, undefined);
            assert.equal(line.srcCrc64, stored.crc64, 'the client counted the CRC-64 of what it read');
          } else {
            assert.equal(line.evidenceCheckedBy, 'destination');
            assert.equal(line.srcCrc64, undefined, 'no CRC-64 of the source exists: none is claimed');
          }
        }
        sent = sent.sort();
        assert.equal(sent.length, 2);
        for (const v of sent) assert.match(v ?? '', /^[A-Za-z0-9+/]{22}==$/, 'every PUT carried Content-MD5');
        // The memory destination counts CRC-64 over what it stores either way; the rest is the client.
        if (clientCrc) {
          assert.equal(md5, total, 'the client recomputed the MD5 of every byte');
          assert.equal(crc, 2 * total, 'and its CRC-64');
        } else {
          assert.equal(md5, 0, 'the client computed no MD5');
          assert.equal(crc, total, 'only the destination computed a CRC-64');
        }
      });

    it('the client hashes no byte by default', () => copyAll(false));
    it('transfer.clientCrc hashes every byte (MD5 and CRC-64) as before', () => copyAll(true));

    it('a body changed in flight is refused by the destination, nothing committed; retried it is copied', () =>
      withSource(opts, async (h) => {
        const small = bytes(4 * KiB, 7);
        const single = bytes(600 * KiB, 8);
        h.src.put('small', small, seed(opts));
        h.src.put('single', single, seed(opts));
        corruptReads(h, 99);
        const { value: r, md5 } = await counting(() =>
          h.run('copy', { phase: 'full', t1 }, { spec: spec() }),
        );
        assert.deepEqual(r.summary.failuresByClass, { CRC_MISMATCH: 2 });
        const l = await ledger(h, r.pass.id);
        for (const k of ['small', 'single']) assert.match(l.get(k)!.reason!, /Content-MD5 mismatch/);
        assert.equal(md5, 0, 'caught without a client hash');
        assert.equal(h.dst.objects.size, 0, 'nothing committed');

        // Once, then clean: the retry copies the source's bytes.
        h.src = new MemoryStore('mem://src', opts);
        h.src.put('small', small, seed(opts));
        h.src.put('single', single, seed(opts));
        corruptReads(h, 2);
        const again = await h.run('copy', { phase: 'full', t1: past(29) }, { spec: spec({ retries: 2 }) });
        assert.equal(again.summary.copied, 2);
        const a = await ledger(h, again.pass.id);
        assert.equal(a.get('small')!.attempts, 2);
        assert.equal(a.get('single')!.attempts, 2);
        assert.ok(h.dst.objects.get('small')!.body.equals(small));
        assert.ok(h.dst.objects.get('single')!.body.equals(single));
      }));

    it('with transfer.clientCrc the client catches it first and the PUT never completes', () =>
      withSource(opts, async (h) => {
        h.src.put('single', bytes(600 * KiB, 9), seed(opts));
        corruptReads(h, 99);
        const r = await h.run('copy', { phase: 'full', t1 }, { spec: spec({ clientCrc: true }) });
        const l = await ledger(h, r.pass.id);
        const label = method === 'md5' ? 'MD5 ETag' : 'Content-MD5';
        assert.match(l.get('single')!.reason!, new RegExp(`the ${label} of the bytes read`));
        assert.equal(h.dst.objects.size, 0);
      }));
  });
}

describe('engine: a multipart copy of an MD5 source still hashes on the client', () => {
  it('recomputes the MD5: a wrong one is caught before Complete', () =>
    withSource(S3_LIKE, async (h) => {
      const body = bytes(3 * MiB + 5, 11);
      h.src.put('multi', body, seed(S3_LIKE));
      // An ETag that is not the MD5 of the body: only a client hash can tell before Complete.
      h.src.put('lying', bytes(3 * MiB, 12), { ...seed(S3_LIKE), etag: 'f'.repeat(32) });
      const { value: r } = await counting(() => h.run('copy', { phase: 'full', t1 }, { spec: spec() }));
      assert.equal(r.summary.copied, 1);
      const l = await ledger(h, r.pass.id);
      const line = l.get('multi')!;
      assert.equal(line.multipart, true);
      assert.equal(line.evidence, 'md5');
      assert.equal(line.evidenceCheckedBy, undefined);
      assert.ok(h.dst.objects.get('multi')!.body.equals(body));
      assert.match(
        l.get('lying')!.reason!,
        /the MD5 ETag of the bytes read is [0-9a-f]{32}, the source reports f{32}/,
      );
      assert.equal(h.dst.objects.has('lying'), false);
    }));
});
