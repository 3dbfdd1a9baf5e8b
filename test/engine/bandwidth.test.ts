import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytes, harness, past } from '../helpers/engine.ts';

describe('engine: bandwidth limit', () => {
  it('holds the job limit and follows a live change (upper bounds on the rate only)', async () => {
    const h = await harness();
    try {
      for (let i = 0; i < 6; i++) h.src.put(`b/${i}`, bytes(256 * 1024, i + 1), { lastModified: past(5) });
      const started = performance.now();
      const r = await h.run(
        'copy',
        { phase: 'full', t1: new Date() },
        { spec: { bandwidth: { limit: '1M' } } },
      );
      const seconds = (performance.now() - started) / 1000;
      assert.equal(r.summary.copied, 6);
      // 1.5 MiB at 1 MiB/s cannot take less than ~1.25 s (a quarter-second burst is allowed).
      assert.ok(seconds >= 1.2, `copied 1.5 MiB in ${seconds.toFixed(2)} s despite a 1 MiB/s limit`);
      const bw = h.events.find((e) => e.type === 'bandwidth');
      assert.deepEqual(bw && { limit: bw.limit, rate: bw.effectiveBytesPerSec }, {
        limit: '1M',
        rate: 1024 * 1024,
      });

      // A live override (ossmigrate limit) replaces the job's setting for the next pass too.
      await h.state.setControl({ bandwidth: '512k' });
      h.src.put('b/late', bytes(768 * 1024, 9), { lastModified: past(5) });
      const t = performance.now();
      const r2 = await h.run(
        'copy',
        { phase: 'full', t1: new Date(Date.now() + 1000) },
        { spec: { bandwidth: { limit: '1M' } } },
      );
      assert.ok(r2.summary.copied >= 1);
      assert.ok((performance.now() - t) / 1000 >= 1.2, '768 KiB at 512 KiB/s');
      assert.ok(h.events.some((e) => e.type === 'bandwidth' && e.limit === '512k'));
    } finally {
      await h.close();
    }
  });

  it('pause holds transfers until resumed', async () => {
    const h = await harness();
    try {
      h.src.put('p/0', bytes(64 * 1024, 1), { lastModified: past(5) });
      await h.state.setControl({ paused: true });
      setTimeout(() => void h.state.setControl({ paused: false }), 600);
      const t = performance.now();
      const r = await h.run('copy', { phase: 'full', t1: new Date() });
      assert.equal(r.summary.copied, 1);
      assert.ok(performance.now() - t >= 500, 'waited for the resume');
    } finally {
      await h.close();
    }
  });
});

describe('TokenBucket.tryConsume (the no-wait fast path)', () => {
  it('passes at once when unlimited, never while paused, and only with tokens in hand when limited', async () => {
    const { TokenBucket } = await import('../../runner/engine/limiter.ts');
    const b = new TokenBucket();
    assert.equal(b.tryConsume(1 << 30), true, 'unlimited');
    b.setPaused(true);
    assert.equal(b.tryConsume(1), false, 'paused');
    b.setPaused(false);
    b.setRate(1024 * 1024); // burst allowance: a quarter second = 256 KiB
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(b.tryConsume(200 * 1024), true, 'within the burst');
    assert.equal(b.tryConsume(200 * 1024), false, 'the rest must wait');
    // A refused try leaves the tokens: a small take still fits.
    assert.equal(b.tryConsume(32 * 1024), true);
  });
});
