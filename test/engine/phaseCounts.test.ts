/**
 * Counters and wording per phase. In an incremental pass, objects older than T1 are "unchanged
 * since T1" (not work, not deferred) and objects after T2 are "modified after T2 (next
 * incremental)"; the progress line's done/planned counts only the phase's scope.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { summaryText, writeReport } from '../../runner/app/report.ts';
import { Console } from '../../runner/cli/shared.ts';
import { parseJob } from '../../runner/config/job.ts';
import type { EngineEvent } from '../../runner/core/events.ts';
import type { PassRun } from '../../runner/engine/run.ts';
import { baseSpec, type Harness, harness, past } from '../helpers/engine.ts';

type Progress = Extract<EngineEvent, { type: 'progress' }>;
const lastProgress = (h: Harness): Progress =>
  h.events.filter((e): e is Progress => e.type === 'progress').pop()!;
const spec = parseJob(baseSpec);
const text = (r: PassRun) => summaryText({ job: 'j', spec, summary: r.summary, copy: r });

describe('engine: counts and wording of each phase', () => {
  it('incremental: unchanged since T1 is not work, after T2 is "next incremental"', async () => {
    const h = await harness();
    try {
      for (let i = 0; i < 12; i++)
        h.src.put(`old/${String(i).padStart(2, '0')}`, 'x'.repeat(1000), { lastModified: past(120) });
      const t1 = past(60);
      await h.run('copy', { phase: 'full', t1 });
      h.src.put('new/a', 'aaaaaaaa', { lastModified: past(30) });
      h.src.put('new/b', 'bbbbbbbb', { lastModified: past(30) });
      const t2 = past(20);
      h.src.put('new/late', 'late', { lastModified: past(5) });
      h.events.length = 0;

      const r = await h.run('copy', { phase: 'incremental', t1, t2 });
      assert.equal(r.summary.copied, 2);
      assert.equal(r.summary.skipped, 0);
      assert.equal(r.summary.unchanged, 12, 'the old objects are unchanged since T1');
      assert.equal(r.summary.deferred, 1, 'only the object modified after T2 is deferred');
      assert.equal(r.summary.deferredAfterWindow, 1);

      const p = lastProgress(h);
      const done = p.copied + p.skipped + p.failed + p.deferred - p.afterWindow;
      assert.equal(p.plannedObjects, 2);
      assert.equal(done, 2, 'done counts the phase scope only');
      assert.equal(p.doneBytes - p.afterWindowBytes, p.plannedBytes);
      assert.equal(p.unchanged, 12);
      const line = Console.progressLine(p, 'incremental');
      assert.match(line, /^copy 2\/2 objects · 16 B\/16 B · /);
      assert.match(line, /12 unchanged since T1/);
      assert.match(line, /1 modified after T2 \(next incremental\)/);

      const t = text(r);
      assert.match(t, /unchanged 12 {2}\(not modified since T1/);
      assert.match(t, /deferred {2}1 {2}\(1 modified after T2: the next incremental pass copies them\)/);
      assert.doesNotMatch(t, /after T1/);

      // The report files say the same, with the new JSON fields next to the old ones.
      const dir = join(h.dir, 'report');
      await writeReport({ dir, job: 'j', spec, summary: r.summary, copy: r, journal: h.dir });
      const json = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8'));
      assert.equal(json.summary.deferred, 1);
      assert.equal(json.summary.deferredAfterWindow, 1);
      assert.equal(json.summary.unchanged, 12);
      const failed = (await readFile(join(dir, 'failed.ndjson'), 'utf8')).trim().split('\n');
      assert.equal(failed.length, 1);
      assert.equal(JSON.parse(failed[0]!).key, 'new/late');
      assert.equal(JSON.parse(failed[0]!).reason, 'modified after T2: the next incremental pass copies it');
      assert.match(await readFile(join(dir, 'summary.txt'), 'utf8'), /unchanged 12/);
    } finally {
      await h.close();
    }
  });

  it('full: modified after T1 is deferred to the incremental phase, outside done/planned', async () => {
    const h = await harness();
    try {
      for (let i = 0; i < 6; i++) h.src.put(`k${i}`, 'abcd', { lastModified: past(120) });
      const t1 = past(60);
      h.src.put('changed', 'after T1', { lastModified: past(5) });
      const r = await h.run('copy', { phase: 'full', t1 });
      assert.equal(r.summary.copied, 6);
      assert.equal(r.summary.deferred, 1);
      assert.equal(r.summary.deferredAfterWindow, 1);
      assert.equal(r.summary.unchanged, 0);
      const p = lastProgress(h);
      const line = Console.progressLine(p, 'full');
      assert.match(line, /^copy 6\/6 objects · 24 B\/24 B · /);
      assert.match(line, /1 modified after T1 \(→ incremental\)/);
      const t = text(r);
      assert.match(
        t,
        /deferred {2}1 {2}\(1 modified after T1: the incremental phase \(import --since T1\) copies them\)/,
      );
      assert.doesNotMatch(t, /unchanged/);
    } finally {
      await h.close();
    }
  });
});
