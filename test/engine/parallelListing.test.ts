import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
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

describe('re-split of a range that stays large (it lists on while its rest is cut)', () => {
  const flat = (h: Harness, n: number) => {
    h.src.pageSize = 20;
    for (let i = 0; i < n; i++)
      h.src.put(`s/${String(i * 13).padStart(7, '0')}`, 'x', { lastModified: past(5) });
  };
  // splitAfter 20: the ranges split again after 50 pages (1,000 keys) of their own.
  const spec = { listing: { listers: 2, splitAfter: 20 }, tasks: { maxObjects: 30 } };

  it('every key is copied once and counted once, with ranges split again', async () => {
    const h = await harness();
    try {
      flat(h, 6000);
      const r = await h.run('copy', { phase: 'full', t1: new Date() }, { spec });
      assert.equal(r.stopped, false);
      // Root + 2 ranges, then at least one half split off each of them.
      assert.ok(scanStarts(h).length >= 5, `${scanStarts(h).length} scans`);
      const copies = copiesPerKey(h);
      assert.equal(copies.size, 6000);
      assert.ok([...copies.values()].every((c) => c === 1));
      assert.equal((await h.state.counters(r.pass.id)).scannedObjects, 6000);
      h.events.length = 0;
      const v = await h.run('verify', { phase: 'full', t1: new Date() }, { spec });
      assert.equal(v.summary.verified, 6000);
      assert.equal(v.summary.missing + v.summary.extra + v.summary.different, 0);
    } finally {
      await h.close();
    }
  });

  it('a stop after the cut, then a resume: the same cut again, nothing copied twice or missed', async () => {
    const h = await harness();
    try {
      flat(h, 6000);
      const soft = new AbortController();
      h.dst.hook = (op) => {
        // 1,500 writes: past the first re-splits (each range cut after its 1,000th key).
        if (op === 'write' && h.dst.calls.write === 1500) soft.abort();
      };
      const t1 = new Date();
      const first = await h.run('copy', { phase: 'full', t1 }, { spec, softStop: soft.signal });
      assert.equal(first.stopped, true);
      h.dst.hook = undefined;
      const second = await h.run(
        'copy',
        { phase: 'full', t1 },
        { spec, resume: (await h.state.currentPass())! },
      );
      assert.equal(second.stopped, false);
      assert.equal(h.dst.objects.size, 6000);
      assert.equal(h.dst.calls.write, 6000);
      assert.equal((await h.state.counters(second.pass.id)).scannedObjects, 6000);
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

  /** Probes that answer a page (the first up to 1,000 keys after the string), as scanTask's do. */
  const pageProbe = (sorted: string[], counter?: { n: number }) => async (after: string) => {
    if (counter) counter.n++;
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareKeys(sorted[mid]!, after) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return sorted.slice(lo, lo + 1000);
  };
  /** Keys in each of (bounds[i], bounds[i+1]] (the last one open-ended). */
  const partSizes = (sorted: string[], bounds: string[]) =>
    bounds.map(
      (b, i) =>
        sorted.filter(
          (k) => compareKeys(k, b) > 0 && (i + 1 >= bounds.length || compareKeys(k, bounds[i + 1]!) <= 0),
        ).length,
    );

  it('cuts hash, counter and UUID names into parts within 5 % of equal, learning their alphabet from the probe pages', async () => {
    const n = 100_000;
    const sets: Record<string, (i: number) => string> = {
      // Byte width alone gave 4 ranges of these names 21 %–31 % of the keys (issue #17).
      hex: (i) => `thumbs/${((i * 2654435761) >>> 0).toString(16).padStart(8, '0')}.jpg`,
      counter: (i) => `img/${String(i).padStart(9, '0')}.jpg`,
      uuid: (i) => {
        const h = ((i * 2654435761) >>> 0).toString(16).padStart(8, '0');
        return `u/${h}-${h.slice(0, 4)}-4${h.slice(1, 4)}-a${h.slice(5)}-${h}${h.slice(0, 4)}`;
      },
    };
    for (const [name, gen] of Object.entries(sets)) {
      const sorted = Array.from({ length: n }, (_, i) => gen(i)).sort(compareKeys);
      const prefix = sorted[0]!.slice(0, sorted[0]!.indexOf('/') + 1);
      const lo = sorted[999]!;
      const counter = { n: 0 };
      const cuts = await chooseSplits({
        prefix,
        lo,
        first: sorted[0]!,
        sample: sorted.slice(0, 1000),
        n: 4,
        probe: pageProbe(sorted, counter),
      });
      assert.equal(cuts.length, 3, name);
      const sizes = partSizes(sorted, [lo, ...cuts]);
      const ideal = (n - 1000) / 4;
      for (const s of sizes)
        assert.ok(Math.abs(s - ideal) < 0.05 * ideal, `${name}: parts ${sizes.join(', ')} (ideal ${ideal})`);
      assert.ok(counter.n <= 40, `${name}: ${counter.n} probes`);
    }
  });

  it('finds the cuts in 3 rounds of parallel probes (1 for the shared prefix), not one bisection step after another', async () => {
    const n = 200_000;
    const sets: Array<[string, (i: number) => string]> = [
      ['hex', (i) => `thumbs/${((i * 2654435761) >>> 0).toString(16).padStart(8, '0')}.jpg`],
      ['counter', (i) => `img/${String(i).padStart(9, '0')}.jpg`],
    ];
    for (const [name, gen] of sets) {
      const sorted = Array.from({ length: n }, (_, i) => gen(i)).sort(compareKeys);
      const prefix = sorted[0]!.slice(0, sorted[0]!.indexOf('/') + 1);
      for (const listers of [4, 16]) {
        // A round: probes sent while none is in flight (each answers on a later macrotask, so a
        // round's probes are all sent before any answers).
        let inFlight = 0;
        let rounds = 0;
        const page = pageProbe(sorted);
        const probe = async (after: string) => {
          if (inFlight === 0) rounds++;
          inFlight++;
          await new Promise<void>((r) => setImmediate(r));
          inFlight--;
          return (await page(after)).slice(0, 100);
        };
        const lo = sorted[999]!;
        const cuts = await chooseSplits({
          prefix,
          lo,
          first: sorted[0]!,
          sample: sorted.slice(900, 1000),
          n: listers,
          probe,
        });
        // Bisection took 10 rounds (hex) and 16 (counter) for 4 listers, 13 and 20 for 16: its
        // first rounds have 1-2 intervals open.
        assert.ok(rounds <= 3, `${name}, ${listers} listers: ${rounds} rounds`);
        const ideal = (n - 1000) / listers;
        const sizes = partSizes(sorted, [lo, ...cuts]);
        assert.equal(sizes.length, listers);
        for (const s of sizes)
          assert.ok(
            Math.abs(s - ideal) < 0.05 * ideal,
            `${name}, ${listers} listers: parts ${sizes.join(', ')}`,
          );
      }
    }
  });

  it('property: for random non-ASCII key sets the ranges tile (lo, hi] with no gap and no overlap', async () => {
    const alphabet = ['a', 'z', '0', '9', '-', '/', 'é', '中', '\u{1F600}', '\uFFFD', '\uE000', '~'];
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(
          fc
            .array(fc.constantFrom(...alphabet), { minLength: 1, maxLength: 6 })
            .map((a) => `p/${a.join('')}`),
          {
            minLength: 50,
            maxLength: 400,
          },
        ),
        fc.integer({ min: 2, max: 6 }),
        fc.boolean(),
        async (raw, n, bounded) => {
          const sorted = [...raw].sort(compareKeys);
          const lo = sorted[9]!;
          const hi = bounded ? sorted[sorted.length - 5] : undefined;
          const cuts = await chooseSplits({
            prefix: 'p/',
            lo,
            ...(hi !== undefined ? { hi } : {}),
            first: sorted[0]!,
            sample: sorted.slice(0, 10),
            n,
            probe: pageProbe(sorted),
          });
          assert.ok(cuts.length <= n - 1);
          const bounds = [lo, ...cuts, ...(hi !== undefined ? [hi] : [])];
          for (let i = 1; i < bounds.length; i++)
            assert.ok(compareKeys(bounds[i - 1]!, bounds[i]!) < 0, 'ascending');
          for (const c of cuts) assert.equal(Buffer.from(c, 'utf8').toString('utf8'), c, 'valid UTF-8');
          // Each key after lo (up to hi) falls in exactly one (b_i, b_{i+1}].
          const inScope = sorted.filter(
            (k) => compareKeys(k, lo) > 0 && (hi === undefined || compareKeys(k, hi) <= 0),
          );
          const parts = partSizes(inScope, [lo, ...cuts]);
          assert.equal(
            parts.reduce((a, b) => a + b, 0),
            inScope.length,
          );
        },
      ),
      { numRuns: 60, seed: 17 },
    );
  });

  it('keyAt rounds invalid UTF-8 positions to valid strings', () => {
    const base = Buffer.from('p/');
    assert.equal(keyAt(0x98n << 56n, base), 'p/\u0080');
    assert.equal(keyAt(0xffn << 56n, base), 'p/\u{10FFFF}');
    assert.equal(keyAt(0x61n << 56n, base), 'p/a');
  });
});
