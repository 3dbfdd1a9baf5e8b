import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EngineEvent } from '../../runner/core/events.ts';
import { chooseSplits, keyAt } from '../../runner/core/keySplit.ts';
import { compareKeys } from '../../runner/core/keys.ts';
import { type Harness, harness, past } from '../helpers/engine.ts';

type ScanStart = Extract<EngineEvent, { type: 'task' }>;

/** Keys copied per key, from the pass's object events. */
function copiesPerKey(h: Harness): Map<string, number> {
  const n = new Map<string, number>();
  for (const e of h.events) {
    if (e.type === 'object' && e.outcome === 'copied') n.set(e.key, (n.get(e.key) ?? 0) + 1);
  }
  return n;
}

const scanStarts = (h: Harness) =>
  h.events.filter((e): e is ScanStart => e.type === 'task' && e.kind === 'scan' && e.state === 'start');

/** xorshift: the same keys for the same seed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** Random keys: ASCII, CJK, astral (emoji), keys that are prefixes of others, some with "/". */
function randomKeys(seed: number, n: number): string[] {
  const r = rng(seed);
  const alphabet = [
    'a',
    'b',
    'z',
    '0',
    '9',
    '~',
    ' ',
    '-',
    '/',
    'é',
    '中',
    '文',
    '\u{1F600}',
    '\uFFFD',
    '\uE000',
  ];
  const keys = new Set<string>();
  while (keys.size < n) {
    const len = 1 + Math.floor(r() * 8);
    let k = 'p/';
    for (let i = 0; i < len; i++) k += alphabet[Math.floor(r() * alphabet.length)];
    if (k.endsWith('/')) k += 'x';
    keys.add(k.replace(/\/\//g, '/x/'));
    // A key that is a prefix of another one.
    if (r() < 0.2) keys.add(`${k.replace(/\/\//g, '/x/')}${alphabet[Math.floor(r() * 5)]}`);
  }
  return [...keys];
}

describe('parallel listing of a flat prefix', () => {
  it('a flat 20,000-key prefix with listers=4 is listed by ≥ 4 range tasks and every key is copied once', async () => {
    const h = await harness();
    try {
      for (let i = 0; i < 20_000; i++)
        h.src.put(`flat/${String(i * 7919).padStart(9, '0')}.jpg`, 'x', { lastModified: past(5) });
      const r = await h.run(
        'copy',
        { phase: 'full', t1: new Date() },
        { spec: { listing: { listers: 4 }, tasks: { maxObjects: 1000 } } },
      );
      assert.equal(r.stopped, false);
      const ranges = scanStarts(h).length - 1;
      assert.ok(ranges >= 4, `split into ${ranges} range scans`);
      const copies = copiesPerKey(h);
      assert.equal(copies.size, 20_000);
      assert.ok(
        [...copies.values()].every((c) => c === 1),
        'no key copied twice',
      );
      assert.equal(r.summary.copied, 20_000);
      assert.equal(h.dst.objects.size, 20_000);
      const c = await h.state.counters(r.pass.id);
      assert.equal(c.scannedObjects, 20_000, 'the range scans count each key once');
    } finally {
      await h.close();
    }
  });

  it('lists a flat prefix with fewer sequential LIST pages per scan when split', async () => {
    const h = await harness();
    try {
      h.src.pageSize = 100;
      for (let i = 0; i < 4000; i++)
        h.src.put(`k${String(i).padStart(5, '0')}`, 'x', { lastModified: past(5) });
      const r = await h.run(
        'plan',
        { phase: 'full', t1: new Date() },
        { spec: { listing: { listers: 4, splitAfter: 100 } } },
      );
      assert.equal(r.stopped, false);
      const c = await h.state.counters(r.pass.id);
      // A plan pass counts nothing per task; the survey holds what every range scan saw.
      assert.ok(scanStarts(h).length >= 5, `${scanStarts(h).length} scans`);
      assert.equal(c.copied, 0);
    } finally {
      await h.close();
    }
  });

  for (const [seed, depth] of [
    [1, 0],
    [2, 1],
    [3, 0],
    [4, 1],
    [5, 1],
    [6, 0],
  ] as const) {
    it(`random keys (seed ${seed}, scan.depth ${depth}): every key copied once, verify finds no gap or overlap`, async () => {
      const h = await harness();
      try {
        const keys = randomKeys(seed, 400);
        for (const k of keys) h.src.put(k, k, { lastModified: past(5) });
        const spec = {
          listing: { listers: 2 + (seed % 4), splitAfter: 10 },
          scan: { depth, parallelism: 4 },
          tasks: { maxObjects: 7 },
        };
        const r = await h.run('copy', { phase: 'full', t1: new Date() }, { spec });
        assert.equal(r.stopped, false);
        assert.ok(scanStarts(h).length > 2, 'the prefix was split');
        const copies = copiesPerKey(h);
        const missing = keys.filter((k) => !copies.has(k));
        assert.deepEqual(missing, []);
        const twice = [...copies].filter(([, n]) => n > 1).map(([k]) => k);
        assert.deepEqual(twice, []);
        assert.equal(copies.size, keys.length);
        assert.equal((await h.state.counters(r.pass.id)).scannedObjects, keys.length);
        h.events.length = 0;
        const v = await h.run('verify', { phase: 'full', t1: new Date() }, { spec });
        assert.equal(v.summary.verified, keys.length);
        assert.equal(v.summary.missing + v.summary.extra + v.summary.different, 0);
      } finally {
        await h.close();
      }
    });
  }

  it('the incremental phase splits the same way and copies only what changed, once', async () => {
    const h = await harness();
    try {
      const t1 = new Date(Date.now() - 60_000);
      for (let i = 0; i < 3000; i++) {
        const late = i % 10 === 0;
        h.src.put(`f/${String(i).padStart(6, '0')}`, 'x', {
          lastModified: late ? new Date(Date.now() - 1000) : past(30),
        });
      }
      const r = await h.run(
        'copy',
        { phase: 'incremental', t1, t2: new Date() },
        { spec: { listing: { listers: 3, splitAfter: 200 }, tasks: { maxObjects: 100 } } },
      );
      assert.ok(scanStarts(h).length >= 4);
      const copies = copiesPerKey(h);
      assert.equal(copies.size, 300);
      assert.ok([...copies.values()].every((c) => c === 1));
      const c = await h.state.counters(r.pass.id);
      assert.equal(c.scannedObjects, 3000);
      assert.equal(c.unchanged, 2700);
    } finally {
      await h.close();
    }
  });

  it('resumes after a stop mid-scan: the re-run scan re-creates the same ranges, nothing is copied twice', async () => {
    const h = await harness();
    try {
      for (let i = 0; i < 3000; i++)
        h.src.put(`r/${String(i).padStart(6, '0')}`, 'x', { lastModified: past(5) });
      const spec = { listing: { listers: 4, splitAfter: 100 }, tasks: { maxObjects: 50 } };
      const soft = new AbortController();
      h.dst.hook = (op) => {
        if (op === 'write' && h.dst.calls.write === 200) soft.abort();
      };
      const t1 = new Date();
      const first = await h.run('copy', { phase: 'full', t1 }, { spec, softStop: soft.signal });
      assert.equal(first.stopped, true);
      h.dst.hook = undefined;
      const writes = h.dst.calls.write;
      const second = await h.run(
        'copy',
        { phase: 'full', t1 },
        { spec, resume: (await h.state.currentPass())! },
      );
      assert.equal(second.stopped, false);
      assert.equal(h.dst.objects.size, 3000);
      assert.equal(h.dst.calls.write, 3000, `${h.dst.calls.write - writes} writes after the resume`);
      assert.equal((await h.state.counters(second.pass.id)).scannedObjects, 3000);
    } finally {
      await h.close();
    }
  });
});

describe('keySplit.chooseSplits', () => {
  const sortedProbe = (keys: string[]) => {
    const sorted = [...keys].sort(compareKeys);
    return async (after: string) => sorted.find((k) => compareKeys(k, after) > 0);
  };

  it('cuts a uniform key space into n parts of about the same size', async () => {
    const keys = Array.from(
      { length: 100_000 },
      (_, i) => `u/${((i * 2654435761) % 2 ** 32).toString(16).padStart(8, '0')}`,
    );
    const sorted = [...keys].sort(compareKeys);
    const lo = sorted[999]!;
    const cuts = await chooseSplits({ prefix: 'u/', lo, n: 4, probe: sortedProbe(keys) });
    assert.equal(cuts.length, 3);
    const bounds = [lo, ...cuts];
    const sizes = bounds.map(
      (b, i) =>
        sorted.filter(
          (k) => compareKeys(k, b) > 0 && (i + 1 >= bounds.length || compareKeys(k, bounds[i + 1]!) <= 0),
        ).length,
    );
    const rest = sorted.length - 1000;
    for (const s of sizes) assert.ok(s > rest / 8 && s < rest / 2, `parts ${sizes.join(', ')}`);
  });

  it('gives ascending boundaries inside (lo, hi] for non-ASCII keys, and the same ones again', async () => {
    const keys = randomKeys(9, 2000);
    const sorted = [...keys].sort(compareKeys);
    const o = { prefix: 'p/', lo: sorted[100]!, hi: sorted[1900]!, n: 6, probe: sortedProbe(keys) };
    const a = await chooseSplits(o);
    assert.ok(a.length >= 2, `${a.length} cuts`);
    for (let i = 0; i < a.length; i++) {
      assert.ok(compareKeys(a[i]!, i ? a[i - 1]! : o.lo) > 0);
      assert.ok(compareKeys(a[i]!, o.hi) < 0);
      assert.ok(Buffer.from(a[i]!, 'utf8').toString('utf8') === a[i], 'valid UTF-8');
    }
    assert.deepEqual(await chooseSplits(o), a, 'deterministic: a re-run scan makes the same ranges');
  });

  it('keyAt rounds invalid UTF-8 positions to valid strings', () => {
    const base = Buffer.from('p/');
    assert.equal(keyAt(0x98n << 56n, base), 'p/\u0080');
    assert.equal(keyAt(0xffn << 56n, base), 'p/\u{10FFFF}');
    assert.equal(keyAt(0x61n << 56n, base), 'p/a');
  });
});
