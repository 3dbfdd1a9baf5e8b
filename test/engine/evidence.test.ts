/**
 * Copy and verify by evidence (#13, #16): a source without CRC-64 (S3, Azure, URL lists — played
 * by the memory store) proves each copy with what it reports, checked against the bytes read;
 * verify joins both listings with the copy ledger and makes no request per object while both
 * sides are as copied.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStore } from '../../runner/adapters/memory/memoryStore.ts';
import type { ObjectResult } from '../../runner/core/types.ts';
import type { JobState } from '../../runner/ports/jobState.ts';
import { bytes, type Harness, harness, past, problemsOf } from '../helpers/engine.ts';

async function ledger(h: Harness, passId: string): Promise<ObjectResult[]> {
  const out: ObjectResult[] = [];
  for await (const r of h.journal.ledger(passId)) out.push(r);
  return out;
}

const KiB = 1024;
const t1 = past(30);
const old = { lastModified: past(60) };
/** Multipart copies at small sizes (the OSS minimum part size is 100 KiB). */
const multipart = {
  transfer: { concurrency: 8, retries: 1, multipartThreshold: 200 * KiB, partSize: 200 * KiB },
};

/** A harness whose destination lists no CRC-64, as OSS's listing (HEAD has it). */
async function ossLike(): Promise<Harness> {
  const h = await harness();
  h.dst = new MemoryStore('mem://dst', { listCrc64: false });
  return h;
}

async function withSource(
  o: ConstructorParameters<typeof MemoryStore>[1],
  fn: (h: Harness) => Promise<void>,
) {
  const h = await ossLike();
  h.src = new MemoryStore('mem://src', o);
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

describe('engine: copy proves each object with the evidence the source gives', () => {
  it('MD5 ETag: a body that does not match its ETag is refused, nothing committed', async () =>
    withSource({ crc64: false }, async (h) => {
      h.src.put('a/good', bytes(3000, 1), old);
      h.src.put('a/bad', bytes(3000, 2), old);
      h.src.put('a/big-bad', bytes(600 * KiB, 3), old);
      h.src.corrupt('a/bad', bytes(3000, 9)); // same size, other bytes, same ETag
      h.src.corrupt('a/big-bad', Buffer.concat([bytes(600 * KiB - 1, 3), Buffer.from('x')]));
      const r = await h.run('copy', { phase: 'full', t1 }, { spec: multipart });
      assert.equal(r.summary.copied, 1);
      assert.equal(r.summary.failed, 2);
      assert.ok(!h.dst.objects.has('a/bad') && !h.dst.objects.has('a/big-bad'));
      assert.equal(h.dst.openUploads, 0);
      const lines = await ledger(h, r.pass.id);
      const bad = lines.find((l) => l.key === 'a/bad')!;
      assert.equal(bad.failureClass, 'CRC_MISMATCH');
      // The PUT carried the ETag as Content-MD5: the destination refused the body (issue #13).
      assert.match(bad.reason!, /Content-MD5 mismatch/);
      const good = lines.find((l) => l.key === 'a/good')!;
      assert.equal(good.evidence, 'md5');
      assert.equal(good.dstEtag, h.dst.objects.get('a/good')!.etag);
      assert.equal(h.dst.objects.get('a/good')!.meta['ossmigrate-evidence'], 'md5');
    }));

  it('multipart ETag: recomputed from per-part MD5s (single PUT and multipart), a wrong part detected', async () =>
    withSource({ crc64: false, listEvidence: false }, async (h) => {
      h.src.put('m/small', bytes(50 * KiB, 4), { ...old, partSize: 16 * KiB });
      h.src.put('m/large', bytes(700 * KiB, 5), { ...old, partSize: 150 * KiB });
      h.src.put('m/wrong', bytes(700 * KiB, 6), { ...old, partSize: 150 * KiB });
      const w = bytes(700 * KiB, 6);
      w[160 * KiB] = (w[160 * KiB]! + 1) & 0xff; // part 2
      h.src.corrupt('m/wrong', w);
      const r = await h.run('copy', { phase: 'full', t1 }, { spec: multipart });
      const lines = await ledger(h, r.pass.id);
      const by = (k: string) => lines.find((l) => l.key === k)!;
      assert.equal(by('m/small').evidence, 'multipart-etag');
      assert.equal(by('m/large').evidence, 'multipart-etag');
      assert.equal(by('m/large').multipart, true);
      assert.equal(by('m/wrong').outcome, 'failed');
      assert.match(by('m/wrong').reason!, /multipart ETag of the bytes read .* 5 part\(s\) of 153600 bytes/);
      assert.ok(!h.dst.objects.has('m/wrong'));
      assert.equal(h.dst.openUploads, 0);
      assert.deepEqual(h.dst.objects.get('m/large')!.body, bytes(700 * KiB, 5));
    }));

  it('S3 checksums (sha256 full and composite, crc32c, crc32) and Azure Content-MD5', async () =>
    withSource({ crc64: false, md5Etags: false }, async (h) => {
      h.src.put('c/sha256', bytes(2000, 7), { ...old, checksum: ['sha256'] });
      h.src.put('c/sha256-bad', bytes(2000, 8), { ...old, checksum: ['sha256'] });
      h.src.corrupt('c/sha256-bad', bytes(2000, 18));
      h.src.put('c/composite', bytes(500 * KiB, 9), { ...old, checksum: ['sha256'], partSize: 120 * KiB });
      h.src.put('c/crc32c', bytes(1000, 10), { ...old, checksum: ['crc32c'] });
      h.src.put('c/crc32', bytes(300 * KiB, 11), { ...old, checksum: ['crc32'] });
      h.src.put('c/azure', bytes(1500, 12), { ...old, contentMd5: true });
      h.src.put('c/nothing', bytes(100, 13), old);
      const r = await h.run('copy', { phase: 'full', t1 }, { spec: multipart });
      const lines = await ledger(h, r.pass.id);
      const ev = Object.fromEntries(
        lines.map((l) => [l.key, l.outcome === 'copied' ? l.evidence : l.failureClass]),
      );
      assert.deepEqual(ev, {
        'c/azure': 'content-md5',
        'c/composite': 'sha256',
        'c/crc32': 'crc32',
        'c/crc32c': 'crc32c',
        'c/nothing': 'size',
        'c/sha256': 'sha256',
        'c/sha256-bad': 'CRC_MISMATCH',
      });
      const sha = lines.find((l) => l.key === 'c/sha256')!;
      assert.equal(sha.srcChecksum, `sha256:${h.src.objects.get('c/sha256')!.checksums!.sha256}`);
      assert.equal(h.dst.objects.get('c/sha256')!.meta['ossmigrate-src-checksum'], sha.srcChecksum);
    }));

  it('a CRC-64 source hashes nothing else (the client CRC-64 only with transfer.clientCrc)', async () => {
    const h = await harness();
    try {
      h.src.put('x/1', bytes(1000, 1), old);
      h.src.corrupt('x/1', bytes(1000, 2)); // MD5 ETag and CRC-64 both wrong now
      const r = await h.run('copy', { phase: 'full', t1 });
      const [l] = await ledger(h, r.pass.id);
      // No client hash: the destination refuses the body by the source's MD5 (Content-MD5).
      assert.equal(l!.failureClass, 'CRC_MISMATCH');
      assert.match(l!.reason!, /Content-MD5 mismatch/);
      // A new pass: its id is T1's whole second.
      const paranoid = await h.run(
        'copy',
        { phase: 'full', t1: past(29) },
        { spec: { transfer: { clientCrc: true } } },
      );
      const [p] = await ledger(h, paranoid.pass.id);
      assert.match(p!.reason!, /CRC-64 of the bytes read is \d+, the source reports/);
      assert.ok(!h.dst.objects.has('x/1'));
    } finally {
      await h.close();
    }
  });
});

describe('engine: verify joins the listings with the copy ledger', () => {
  const seed = (h: Harness, n: number) => {
    for (let i = 0; i < n; i++) h.src.put(`v/${String(i).padStart(4, '0')}`, bytes(200 + i, i + 1), old);
  };
  const requests = (h: Harness) => h.src.calls.head + h.src.calls.read + h.dst.calls.head + h.dst.calls.read;

  it('an intact job: no HEAD or GET, matches by the recorded evidence; --deep HEADs every object', async () =>
    withSource({ crc64: false }, async (h) => {
      seed(h, 40);
      await h.run('copy', { phase: 'full', t1 });
      const before = requests(h);
      const r = await h.run('verify', { phase: 'full', t1 });
      assert.equal(requests(h) - before, 0);
      const c = await h.state.counters(r.pass.id);
      assert.equal(c.verified, 40);
      assert.equal(c.verifiedMd5, 40);
      assert.deepEqual(r.summary.verifiedBy, { crc64: 0, md5: 40, size: 0 });

      const deepBefore = h.dst.calls.head;
      // Another window (pass ids derive from it); every object is inside both.
      const d = await h.run('verify', { phase: 'full', t1: past(29) }, { spec: { verify: { deep: true } } });
      assert.equal(h.dst.calls.head - deepBefore, 40);
      assert.equal((await h.state.counters(d.pass.id)).verified, 40);
    }));

  it('a rewritten destination (same size, new ETag) is different without --deep; a changed source is pending', async () => {
    const h = await ossLike();
    try {
      seed(h, 12);
      await h.run('copy', { phase: 'full', t1 });
      // Rewritten in OSS with other bytes of the same size.
      h.dst.put('v/0003', bytes(203, 99), { lastModified: past(20) });
      // Rewritten at the source after T1: the incremental phase copies it.
      h.src.put('v/0005', bytes(205, 98), { lastModified: past(10) });
      const headsBefore = h.dst.calls.head + h.src.calls.head;
      const r = await h.run('verify', { phase: 'full', t1 });
      const problems = await problemsOf(h, r.pass.id);
      const st = Object.fromEntries(problems.map((p) => [p.key, p.status]));
      assert.deepEqual(st, { 'v/0003': 'different', 'v/0005': 'pending' });
      assert.match(problems.find((p) => p.key === 'v/0003')!.detail!, /^CRC-64 \d+ vs \d+$/);
      // One HEAD, of the rewritten object (its CRC-64 shows the bytes changed).
      assert.equal(h.dst.calls.head + h.src.calls.head - headsBefore, 1);
      assert.equal((await h.state.counters(r.pass.id)).verifiedCrc64, 10);
    } finally {
      await h.close();
    }
  });

  it('objects the ledger does not know (copied by an earlier tool) take the HEAD path', async () => {
    const h = await ossLike();
    try {
      seed(h, 6);
      // Already in OSS before ossmigrate ran: the copy skips them (identical), the ledger has no commit.
      for (const k of ['v/0000', 'v/0001']) h.dst.put(k, h.src.objects.get(k)!.body, old);
      await h.run('copy', { phase: 'full', t1 });
      const before = h.dst.calls.head;
      const r = await h.run('verify', { phase: 'full', t1 });
      assert.equal(h.dst.calls.head - before, 2);
      assert.equal((await h.state.counters(r.pass.id)).verified, 6);
    } finally {
      await h.close();
    }
  });

  it('fleet (a state that keeps nothing per object): the copy task journal of the same range vouches', async () => {
    const h = await ossLike();
    try {
      seed(h, 23);
      await h.run('copy', { phase: 'full', t1 });
      // The state without its per-object index, as Redis: verify reads the journal instead.
      const real = h.state;
      h.state = new Proxy(real, {
        get: (t, p) => (p === 'committed' ? undefined : Reflect.get(t, p, t)),
      }) as typeof real & JobState;
      const before = requests(h);
      const r = await h.run('verify', { phase: 'full', t1 });
      assert.equal(requests(h) - before, 0);
      assert.equal((await real.counters(r.pass.id)).verifiedCrc64, 23);
      h.state = real;
    } finally {
      await h.close();
    }
  });
});

/** Counts the per-object requests (HEAD, GET) any store receives; listings are not counted. */
function counting(store: MemoryStore): { store: MemoryStore; perObject: () => number } {
  let n = 0;
  const wrapped = new Proxy(store, {
    get(t, p) {
      const v = Reflect.get(t, p, t);
      if ((p === 'head' || p === 'read') && typeof v === 'function')
        return (...a: unknown[]) => {
          n++;
          return (v as (...x: unknown[]) => unknown).apply(t, a);
        };
      return v;
    },
  });
  return { store: wrapped, perObject: () => n };
}

describe('engine: requests per verified object (#16 target ≤ 0.01 for an intact ledger)', () => {
  it('3,000 small objects from a COS-like source: ledger join vs --deep', async (t) => {
    const h = await harness();
    try {
      // COS and OSS list no CRC-64 (HEAD does): the verify of today HEADs both sides.
      h.src = new MemoryStore('mem://src', { listCrc64: false });
      h.dst = new MemoryStore('mem://dst', { listCrc64: false });
      const n = 3000;
      for (let i = 0; i < n; i++)
        h.src.put(`s/${String(i).padStart(5, '0')}`, bytes(64 + (i % 50), i + 1), old);
      const spec = { tasks: { maxObjects: 1000 }, transfer: { concurrency: 32, retries: 1 } };
      await h.run('copy', { phase: 'full', t1 }, { spec });
      const src = counting(h.src);
      const dst = counting(h.dst);
      h.src = src.store;
      h.dst = dst.store;
      const r = await h.run('verify', { phase: 'full', t1 }, { spec });
      const after = (src.perObject() + dst.perObject()) / n;
      assert.equal((await h.state.counters(r.pass.id)).verifiedCrc64, n);
      assert.ok(after <= 0.01, `${after} requests per verified object`);
      const mark = src.perObject() + dst.perObject();
      const d = await h.run(
        'verify',
        { phase: 'full', t1: past(29) },
        { spec: { ...spec, verify: { deep: true } } },
      );
      const deep = (src.perObject() + dst.perObject() - mark) / n;
      assert.equal((await h.state.counters(d.pass.id)).verifiedCrc64, n);
      assert.equal(deep, 2);
      t.diagnostic(`requests per verified object: ledger join ${after}, --deep (as before) ${deep}`);
    } finally {
      await h.close();
    }
  });
});
