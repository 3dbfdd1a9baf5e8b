/**
 * The data report.html is built from: the bounded time series (pure, and as the progress loop
 * records it during a real pass), rates from cumulative points, failures by class, capped lists,
 * and a page that escapes keys and allows no network.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { passReportModel, writeHtmlReport } from '../../runner/app/htmlReport/index.ts';
import {
  capList,
  groupFailures,
  migrationHeadline,
  type ReportModel,
  rates,
  workerRates,
} from '../../runner/app/htmlReport/model.ts';
import { addPoint, emptySeries, type SeriesPoint } from '../../runner/core/series.ts';
import { bytes, type Harness, harness, past } from '../helpers/engine.ts';

const pt = (t: number, b: number, objects = 0, workers?: Record<string, number>): SeriesPoint => ({
  t,
  bytes: b,
  objects,
  copied: objects,
  skipped: 0,
  deferred: 0,
  failed: 0,
  verified: 0,
  problems: 0,
  ...(workers ? { workers } : {}),
});

describe('report data: the time series', () => {
  it('stays within its bound whatever the length, keeps the latest sample and time order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10_000_000 }), { minLength: 1, maxLength: 400 }),
        fc.integer({ min: 2, max: 64 }),
        (ts, max) => {
          let s = emptySeries(1000);
          for (const t of ts) s = addPoint(s, pt(t, t), max);
          assert.ok(s.points.length <= max);
          const kept = s.points.map((p) => p.t);
          assert.deepEqual(
            kept,
            [...kept].sort((a, b) => a - b),
          );
          assert.equal(kept.at(-1), Math.max(...ts));
        },
      ),
    );
  });

  it('a 30-day pass sampled every second keeps 512 points', () => {
    let s = emptySeries(1000);
    for (let t = 0; t < 30 * 86_400_000; t += 60_000) s = addPoint(s, pt(t, t));
    assert.ok(s.points.length <= 512 && s.points.length > 256, `${s.points.length}`);
  });

  it('rates from cumulative points: the pass start is the origin, a counter going back is 0', () => {
    const r = rates([pt(2000, 100, 1), pt(4000, 500, 5), pt(5000, 400, 5)], 0);
    assert.deepEqual(
      r.map((x) => [x.t, x.bytesPerSec, x.objectsPerSec]),
      [
        [2000, 50, 0.5],
        [4000, 200, 2],
        [5000, 0, 0],
      ],
    );
    const w = workerRates([
      pt(0, 0, 0, { a: 0 }),
      pt(1000, 0, 0, { a: 300, b: 10 }),
      pt(3000, 0, 0, { a: 700, b: 30 }),
    ]);
    assert.deepEqual(w.get('a'), [
      [1000, 300],
      [3000, 200],
    ]);
    assert.deepEqual(w.get('b'), [[3000, 10]], 'a worker appears from its second sample');
  });
});

describe('report data: recorded while the pass runs', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
    for (let i = 0; i < 30; i++) h.src.put(`o/${i}`, bytes(2000 + i, i + 1), { lastModified: past(60) });
  });
  after(() => h.close());

  it('a copy pass leaves its series in the job state, ending at the final counters', async () => {
    const r = await h.run('copy', { phase: 'full', t1: new Date() });
    const s = await h.state.series(r.pass.id);
    assert.ok(s, 'a series was recorded');
    const last = s.points.at(-1)!;
    const c = await h.state.counters(r.pass.id);
    assert.equal(last.copied, 30);
    assert.equal(last.bytes, c.bytes);
    assert.equal(last.objects, 30);
    assert.ok(last.t >= Date.parse(r.pass.startedAt));
  });
});

describe('report data: what proved each match', () => {
  it('a verify pass report carries the per-method counts and the page says the mix', async () => {
    const h = await harness();
    try {
      for (let i = 0; i < 9; i++) h.src.put(`m/${i}`, bytes(700 + i, i + 3), { lastModified: past(60) });
      const t1 = past(30);
      await h.run('copy', { phase: 'full', t1 });
      delete h.dst.objects.get('m/8')!.crc64; // the destination reports no CRC-64: MD5 ETags prove it
      // --deep: by HEAD (the ledger join would vouch for m/8 by its copy's CRC-64).
      const r = await h.run('verify', { phase: 'full', t1 }, { spec: { verify: { deep: true } } });
      const m = passReportModel({
        job: 'j',
        source: 'cos://b/',
        destination: 'oss://d/',
        summary: r.summary,
        verify: r,
        series: {},
        failures: [],
        problemList: { rows: [], total: 0 },
        dir: h.dir,
        journal: h.dir,
      });
      assert.deepEqual(m.verification?.methods, { crc64: 8, md5: 1, size: 0 });
      const w = await writeHtmlReport(h.dir, m);
      assert.match(await readFile(w.path, 'utf8'), /8 proven by CRC-64, 1 by MD5, 0 by size only/);
    } finally {
      await h.close();
    }
  });
});

describe('report data: failures, lists, headline, page', () => {
  it('groups failures by class, largest first, with the class fix and the first five keys', () => {
    const f = (key: string, failureClass: 'NETWORK' | 'ACCESS_DENIED') => ({
      key,
      failureClass,
      reason: `r ${key}`,
    });
    const g = groupFailures([
      f('a', 'ACCESS_DENIED'),
      ...Array.from({ length: 7 }, (_, i) => f(`n${i}`, 'NETWORK')),
    ]);
    assert.deepEqual(
      g.map((x) => [x.cls, x.count, x.keys.length]),
      [
        ['NETWORK', 7, 5],
        ['ACCESS_DENIED', 1, 1],
      ],
    );
    assert.ok(g[0]!.fix.length > 0);
  });

  it('caps a long list and says how many rows there were', () => {
    const l = capList(
      't',
      ['k'],
      (function* () {
        for (let i = 0; i < 5000; i++) yield [`k${i}`];
      })(),
      { fullList: '/x/objects.ndjson' },
    );
    assert.equal(l.rows.length, 1000);
    assert.equal(l.total, 5000);
  });

  it('the headline says N of N when all is well, and what is wrong otherwise', () => {
    const ok = migrationHeadline({
      ok: true,
      sourceObjects: 9,
      migrated: 9,
      verified: 9,
      kept: 0,
      problems: 0,
      exitCode: 0,
    });
    assert.match(ok.text, /Migrated and verified 9 of 9 objects/);
    const bad = migrationHeadline({
      ok: false,
      sourceObjects: 9,
      migrated: 8,
      verified: 8,
      kept: 0,
      problems: 1,
      exitCode: 5,
    });
    assert.match(bad.text, /1 object\(s\) need attention \(exit code 5\)/);
  });

  it('writes one self-contained page: keys escaped, no network allowed, a chart per data set', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-html-'));
    try {
      const evil = '<script>alert(1)</script>&"\'';
      const m: ReportModel = {
        title: 't',
        job: 'j',
        source: 'cos://b/',
        destination: 'oss://d/',
        generatedAt: new Date(0).toISOString(),
        headline: migrationHeadline({
          ok: false,
          sourceObjects: 2,
          migrated: 1,
          verified: 1,
          kept: 0,
          problems: 1,
          exitCode: 4,
        }),
        phases: [
          {
            label: 'full copy',
            passId: 'full-1',
            mode: 'copy',
            startedAt: 0,
            finishedAt: 4000,
            series: { intervalMs: 1000, points: [pt(1000, 10, 1), pt(4000, 40, 2)] },
            outcomes: { copied: 1, skipped: 0, deferred: 0, kept: 0, failed: 1 },
          },
        ],
        failures: groupFailures([{ key: evil, failureClass: 'ACCESS_DENIED' }]),
        lists: [capList('objects', ['key'], [[evil]])],
        files: [],
        notes: [],
      };
      const w = await writeHtmlReport(dir, m);
      const html = await readFile(w.path, 'utf8');
      assert.ok(!html.includes('<script>alert'), 'keys are escaped');
      assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;&amp;&quot;&#39;/);
      assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
      assert.deepEqual(w.charts, ['timeline', 'bytes', 'objects', 'outcomes', 'failures']);
      assert.equal(w.bytes, Buffer.byteLength(html));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
