/**
 * The report from task summaries (issue #17) says what the report from every ledger line said:
 * same summary.json, summary.txt, failed.ndjson and report.html on the same job, and journals
 * written before summaries existed (plain ledger.ndjson, no summary) still give the same report.
 */
import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { writeReport } from '../../runner/app/report.ts';
import { parseJob } from '../../runner/config/job.ts';
import { MigrationError } from '../../runner/core/errors.ts';
import { listOpen } from '../../runner/core/ledger.ts';
import type { PassRun } from '../../runner/engine/run.ts';
import { ledgerTotals, summarize } from '../../runner/engine/summary.ts';
import { passTotals } from '../../runner/ports/journal.ts';
import { baseSpec, type Harness, harness, past } from '../helpers/engine.ts';

const spec = parseJob(baseSpec);

/** A finished full copy with every kind of outcome, over several tasks. */
async function mixedJob(h: Harness): Promise<PassRun> {
  const t1 = past(10);
  for (let i = 0; i < 23; i++)
    h.src.put(`a/${String(i).padStart(2, '0')}`, `body-${i}`, { lastModified: past(60) });
  for (let i = 0; i < 4; i++) {
    h.src.put(`b/same-${i}`, 'same', { lastModified: past(60) });
    h.dst.put(`b/same-${i}`, 'same');
  }
  h.src.put('b/late', 'changed after T1', { lastModified: past(1) });
  h.src.put('b/denied', 'no', { lastModified: past(60) });
  h.src.put('\\backslash', 'x', { lastModified: past(60) });
  h.dst.hook = (op, key) => {
    if (op === 'write' && key === 'b/denied')
      throw new MigrationError('ACCESS_DENIED', 'AccessDenied', { status: 403 });
  };
  return h.run('copy', { phase: 'full', t1 });
}

/** Report files of one job, with what differs by design (dirs, the clock) taken out. */
async function reportFiles(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const f of await readdir(dir))
    out[f] = (await readFile(join(dir, f), 'utf8'))
      .replaceAll(dir, '<dir>')
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z/g, '<time>')
      // ECharts numbers its SVG ids per process, not per report.
      .replace(/zr\d+-(cls-)?c?\d+/g, 'zr');
  return out;
}

async function writeBoth(h: Harness, newRun: PassRun, oldRun: PassRun) {
  const write = (name: string, r: PassRun) =>
    writeReport({
      dir: join(h.dir, name),
      job: 'j',
      spec,
      summary: r.summary,
      copy: r,
      failures: [],
      journal: h.journal.location(r.pass.id),
      state: h.state,
    });
  return [await reportFiles(await write('new', newRun)), await reportFiles(await write('old', oldRun))];
}

/** The old path: every ledger line through ledgerTotals. */
async function oldPathRun(h: Harness, r: PassRun): Promise<PassRun> {
  const totals = await ledgerTotals(h.journal.ledger(r.pass.id));
  const summary = {
    ...r.summary,
    copied: totals.copied,
    skipped: totals.skipped,
    failed: totals.failed,
    deferred: totals.deferred,
    deferredAfterWindow: totals.deferredAfterWindow,
    bytes: totals.bytes,
    failuresByClass: totals.failuresByClass,
  };
  return { ...r, totals, summary };
}

describe('report from task summaries', () => {
  it('writes the same report files as the report from every ledger line', async () => {
    const h = await harness();
    try {
      const r = await mixedJob(h);
      assert.deepEqual(
        [r.summary.copied, r.summary.skipped, r.summary.deferred, r.summary.failed],
        [23, 4, 1, 2],
      );
      const tasks = join(h.journal.location(r.pass.id), 'tasks');
      const names = await readdir(join(tasks, (await readdir(tasks))[0]!));
      assert.ok(names.includes('summary.json') && names.includes('attention.ndjson'), names.join(' '));
      assert.ok(
        names.includes('ledger.0.ndjson.gz') && !names.includes('ledger.ndjson'),
        'ledger compressed',
      );
      const [now, old] = await writeBoth(h, r, await oldPathRun(h, r));
      assert.deepEqual(Object.keys(now!).sort(), [
        'failed.ndjson',
        'report.html',
        'summary.json',
        'summary.txt',
      ]);
      for (const f of Object.keys(old!)) assert.ok(now![f] === old![f], `${f} differs`);
    } finally {
      await h.close();
    }
  });

  it('a job journaled before summaries existed (plain ledger.ndjson only) reports the same', async () => {
    const h = await harness();
    try {
      const r = await mixedJob(h);
      const fromSummaries = await passTotals(h.journal, r.pass.id);
      // Rewrite every task as the old journal left it.
      const tasks = join(h.journal.location(r.pass.id), 'tasks');
      for (const t of await readdir(tasks)) {
        const dir = join(tasks, t);
        let text = '';
        for (const f of (await readdir(dir)).filter((n) => /^ledger\..*\.gz$/.test(n)).sort())
          text += gunzipSync(await readFile(join(dir, f))).toString('utf8');
        for (const f of await readdir(dir))
          if (/^(ledger\.|summary|attention)/.test(f)) await rm(join(dir, f));
        await writeFile(join(dir, 'ledger.ndjson'), text);
      }
      const old = await summarize(r.pass, h.journal, h.state, r.summary.elapsedMs, r.summary.exitCode);
      assert.deepEqual(
        { ...old.totals, open: await listOpen(old.totals.open) },
        { ...fromSummaries, open: await listOpen(fromSummaries.open) },
      );
      assert.deepEqual(old.summary, r.summary);
    } finally {
      await h.close();
    }
  });
});
