/**
 * One conformance suite for every JobState: the standalone SQLite file and the fleet's Redis.
 * The engine relies on exactly these behaviours (atomic counters under concurrency, failures that
 * accumulate attempts and clear on success, UTF-8 key order, insert-once restores and surveys,
 * field-wise live control).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { compareKeys } from '../../runner/core/keys.ts';
import type { SeriesPoint } from '../../runner/core/series.ts';
import { addToSurvey, emptySurvey } from '../../runner/core/survey.ts';
import type { ObjectResult } from '../../runner/core/types.ts';
import type { JobState, MultipartCheckpoint, PassInfo } from '../../runner/ports/jobState.ts';

export type JobStateFixture = {
  /** A fresh, empty state (each test gets its own). */
  make(): Promise<JobState>;
  close(): Promise<void>;
};

const pass = (id: string, o: Partial<PassInfo> = {}): PassInfo => ({
  id,
  phase: 'full',
  t1: '2026-11-20T00:00:00.000Z',
  mode: 'copy',
  startedAt: '2026-11-21T00:00:00.000Z',
  status: 'running',
  ...o,
});

const failed = (key: string, attempts = 1, cls: ObjectResult['failureClass'] = 'NETWORK'): ObjectResult => ({
  key,
  dstKey: key,
  outcome: 'failed',
  size: 10,
  bytes: 0,
  failureClass: cls,
  reason: `reason ${key}`,
  fix: 'fix it',
  attempts,
  ms: 1,
});
const copied = (key: string): ObjectResult => ({
  key,
  dstKey: key,
  outcome: 'copied',
  size: 10,
  bytes: 10,
  attempts: 1,
  ms: 1,
});

const point = (t: number, bytes = t): SeriesPoint => ({
  t,
  bytes,
  objects: t / 1000,
  copied: t / 1000,
  skipped: 0,
  deferred: 0,
  failed: 0,
  verified: 0,
  problems: 0,
});

/** Keys whose UTF-8 order differs from UTF-16 code-unit order (astral vs. high BMP). */
const AWKWARD_KEYS = ['b', 'a/😀', 'a/\uffef', 'a/z', 'A', 'a b', 'a/中文'];

export function defineJobStateSuite(name: string, setup: () => Promise<JobStateFixture>): void {
  describe(`JobState conformance: ${name}`, () => {
    let fx: JobStateFixture;
    let s: JobState;
    before(async () => {
      fx = await setup();
    });
    after(() => fx.close());
    const fresh = async () => {
      s = await fx.make();
      return s;
    };

    it('stores the job definition', async () => {
      await fresh();
      assert.equal(await s.getJob(), undefined);
      const job = { name: 'j', spec: '{"a":1}', submittedAt: '2026-11-21T00:00:00.000Z' };
      await s.putJob(job);
      assert.deepEqual(await s.getJob(), job);
      await s.putJob({ ...job, spec: '{"a":2}' });
      assert.equal((await s.getJob())?.spec, '{"a":2}');
    });

    it('keeps passes in start order and patches them', async () => {
      await fresh();
      assert.equal(await s.currentPass(), undefined);
      assert.deepEqual(await s.passes(), []);
      await s.beginPass(pass('full-1'));
      await s.beginPass(pass('verify-full-1-1', { mode: 'verify' }));
      await s.beginPass(pass('incremental-2', { phase: 'incremental', t2: '2026-11-22T00:00:00.000Z' }));
      assert.deepEqual(
        (await s.passes()).map((p) => p.id),
        ['full-1', 'verify-full-1-1', 'incremental-2'],
      );
      assert.equal((await s.currentPass())?.id, 'incremental-2');
      assert.equal((await s.currentPass())?.t2, '2026-11-22T00:00:00.000Z');
      await s.updatePass('full-1', { status: 'done', finishedAt: '2026-11-21T01:00:00.000Z' });
      const full = (await s.passes())[0]!;
      assert.deepEqual(full, { ...pass('full-1'), status: 'done', finishedAt: '2026-11-21T01:00:00.000Z' });
      await assert.rejects(s.updatePass('nope', { status: 'done' }));
    });

    it('adds counters atomically under concurrency', async () => {
      await fresh();
      const zero = await s.counters('p');
      assert.ok(Object.values(zero).every((v) => v === 0));
      await Promise.all(
        Array.from({ length: 200 }, (_, i) => s.addCounters('p', { copied: 1, bytes: i, plannedObjects: 0 })),
      );
      const c = await s.counters('p');
      assert.equal(c.copied, 200);
      assert.equal(c.bytes, (199 * 200) / 2);
      assert.equal(c.plannedObjects, 0);
      assert.equal((await s.counters('other')).copied, 0, 'counters are per pass');
    });

    it('counts verify matches by method (CRC-64, MD5, size only) beside the total, from concurrent tasks', async () => {
      await fresh();
      const zero = await s.counters('v');
      assert.deepEqual([zero.verifiedCrc64, zero.verifiedMd5, zero.verifiedSize], [0, 0, 0]);
      // What verify tasks running at once add: each its own mix.
      await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          s.addCounters('v', {
            verified: 3,
            verifiedCrc64: i % 3 === 0 ? 3 : 2,
            verifiedMd5: i % 3 === 1 ? 1 : 0,
            verifiedSize: i % 3 === 2 ? 1 : 0,
            unverifiable: 1,
          }),
        ),
      );
      const c = await s.counters('v');
      assert.equal(c.verified, 180);
      assert.equal(c.verifiedCrc64, 20 * 3 + 40 * 2);
      assert.equal(c.verifiedMd5, 20);
      assert.equal(c.verifiedSize, 20);
      assert.equal(c.verifiedCrc64 + c.verifiedMd5 + c.verifiedSize, c.verified);
      assert.equal(c.unverifiable, 60, 'unverifiable objects are in no method count');
    });

    it('keeps failures with accumulated attempts until a success clears them', async () => {
      await fresh();
      // A batch applies in order: x's two failures add up, the later class wins.
      await s.recordOutcomes('p1', [failed('x', 2), failed('x', 3, 'THROTTLED'), failed('y')]);
      await s.recordOutcomes('p2', [failed('x')]);
      let f = await s.failures('p1');
      assert.deepEqual(
        f.map((r) => [r.key, r.attempts, r.failureClass, r.passId]),
        [
          ['x', 5, 'THROTTLED', 'p1'],
          ['y', 1, 'NETWORK', 'p1'],
        ],
      );
      assert.equal(f[0]!.reason, 'reason x');
      assert.equal(f[0]!.fix, 'fix it');
      assert.ok(!Number.isNaN(Date.parse(f[0]!.at)));
      assert.equal(await s.failureCount('p1'), 2);
      assert.equal(await s.failureCount(), 3, 'all passes');
      await s.recordOutcomes('p1', [copied('x')]);
      f = await s.failures('p1');
      assert.deepEqual(
        f.map((r) => r.key),
        ['y'],
      );
      await s.recordOutcomes('p1', [failed('z'), copied('z'), failed('x', 1)]);
      assert.equal(
        (await s.failures('p1')).find((r) => r.key === 'x')?.attempts,
        1,
        'a success resets attempts',
      );
      assert.deepEqual(
        (await s.failures('p1')).map((r) => r.key),
        ['x', 'y'],
        'z failed then succeeded within one batch',
      );
    });

    it('orders failures, verify problems and restores by UTF-8 key order', async () => {
      await fresh();
      for (const k of AWKWARD_KEYS) {
        await s.recordOutcomes('p', [failed(k)]);
        await s.addRestoreWait('p', k, 1);
      }
      const expected = [...AWKWARD_KEYS].sort(compareKeys);
      assert.deepEqual(
        (await s.failures('p')).map((r) => r.key),
        expected,
      );
      assert.deepEqual(
        (await s.restoreWaits('p')).map((r) => r.key),
        expected,
      );
    });

    it('keeps multipart checkpoints by destination key', async () => {
      await fresh();
      const cp: MultipartCheckpoint = {
        dstKey: 'big/😀.bin',
        uploadId: 'u1',
        srcKey: 'big/😀.bin',
        srcEtag: 'e1',
        size: 30,
        partSize: 10,
        srcCrc64: '123',
        parts: [{ partNumber: 1, etag: 'p1', size: 10, crc64: '9' }],
      };
      assert.equal(await s.getMultipart(cp.dstKey), undefined);
      await s.putMultipart(cp);
      await s.putMultipart({ ...cp, dstKey: 'other' });
      await s.putMultipart({ ...cp, parts: [...cp.parts, { partNumber: 2, etag: 'p2', size: 10 }] });
      assert.equal((await s.getMultipart(cp.dstKey))?.parts.length, 2);
      assert.equal((await s.allMultipart()).length, 2);
      await s.deleteMultipart(cp.dstKey);
      assert.equal(await s.getMultipart(cp.dstKey), undefined);
      assert.deepEqual(
        (await s.allMultipart()).map((c) => c.dstKey),
        ['other'],
      );
    });

    it('adds a restore wait once and removes it', async () => {
      await fresh();
      await s.addRestoreWait('p', 'k', 5);
      const first = (await s.restoreWaits('p'))[0]!;
      await new Promise((r) => setTimeout(r, 5));
      await s.addRestoreWait('p', 'k', 6);
      const again = await s.restoreWaits('p');
      assert.equal(again.length, 1);
      assert.equal(again[0]!.size, 5, 'insert once');
      assert.equal(again[0]!.since, first.since);
      await s.removeRestoreWait('p', 'k');
      assert.deepEqual(await s.restoreWaits('p'), []);
    });

    it('merges surveys, counting each scan task once', async () => {
      await fresh();
      const one = emptySurvey();
      addToSurvey(one, { key: 'a', size: 100, lastModified: new Date('2026-01-01') }, 'a', undefined);
      const two = emptySurvey();
      addToSurvey(two, { key: 'b', size: 5, lastModified: new Date('2026-01-02') }, 'b', undefined);
      await s.addSurvey('plan', 't1', one);
      await s.addSurvey('plan', 't1', one);
      await s.addSurvey('plan', 't2', two);
      const m = await s.survey('plan');
      assert.equal(m.objects, 2);
      assert.equal(m.bytes, 105);
      assert.equal((await s.survey('none')).objects, 0);
    });

    it('keeps a bounded time series per pass, merging neighbours as it grows', async () => {
      await fresh();
      assert.equal(await s.series('p'), undefined);
      const added: number[] = [];
      let interval = 0;
      for (let i = 0; i < 100; i++) {
        added.push(i * 1000);
        interval = await s.addSample('p', point(i * 1000), { intervalMs: 1000, maxPoints: 8 });
      }
      const got = (await s.series('p'))!;
      assert.ok(got.points.length <= 8, `${got.points.length} points kept`);
      assert.equal(got.intervalMs, interval, 'the interval in force is returned');
      assert.equal(got.intervalMs, 16_000, 'doubled until 100 s fit in 8 buckets');
      assert.equal(got.points.at(-1)!.t, 99_000, 'the latest sample is kept');
      const ts = got.points.map((p) => p.t);
      assert.deepEqual(
        ts,
        [...ts].sort((a, b) => a - b),
      );
      assert.ok(
        ts.every((t) => added.includes(t)),
        'merging keeps real samples (cumulative values)',
      );
      assert.equal(await s.series('other'), undefined, 'series are per pass');
    });

    it('keeps one sample per bucket (the later), in time order, with big byte counts exact', async () => {
      await fresh();
      const big = 500_000_000_000_001; // 500 TB and a byte: more digits than a Lua number prints
      await s.addSample('p', point(10_000), { intervalMs: 1000 });
      await s.addSample('p', point(10_400, big), { intervalMs: 1000 });
      await s.addSample('p', point(10_100), { intervalMs: 1000 });
      await s.addSample('p', point(9_000), { intervalMs: 1000 });
      await s.addSample('p', { ...point(11_000), workers: { w1: 7, w2: big } });
      const got = (await s.series('p'))!;
      assert.deepEqual(
        got.points.map((p) => [p.t, p.bytes]),
        [
          [9_000, 9_000],
          [10_400, big],
          [11_000, 11_000],
        ],
      );
      assert.deepEqual(got.points[2]!.workers, { w1: 7, w2: big });
    });

    it('loses no sample when several writers add at once', async () => {
      await fresh();
      await Promise.all(Array.from({ length: 40 }, (_, i) => s.addSample('p', point(i * 1000))));
      const got = (await s.series('p'))!;
      assert.deepEqual(
        got.points.map((p) => p.t),
        Array.from({ length: 40 }, (_, i) => i * 1000),
      );
    });

    it('patches live control settings field by field', async () => {
      await fresh();
      assert.deepEqual(await s.getControl(), { paused: false, stopRequested: false });
      assert.deepEqual(await s.setControl({ bandwidth: '20M' }), {
        bandwidth: '20M',
        paused: false,
        stopRequested: false,
      });
      await Promise.all([s.setControl({ paused: true }), s.setControl({ stopRequested: true })]);
      assert.deepEqual(await s.getControl(), { bandwidth: '20M', paused: true, stopRequested: true });
      const next = await s.setControl({ bandwidth: undefined, stopRequested: false });
      assert.deepEqual(next, { paused: true, stopRequested: false });
      assert.deepEqual(await s.getControl(), next);
    });
  });
}
