/**
 * A full-phase verify's check.txt lists at most PENDING_LISTED objects modified after T1 (the
 * incremental copies them) and counts every one: a busy week is millions of lines that need no
 * fix. The journal keeps them all (one file per verify task), the state none.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { writeReport } from '../../runner/app/report.ts';
import { parseJob } from '../../runner/config/job.ts';
import { PENDING_LISTED } from '../../runner/core/types.ts';
import { passProblems } from '../../runner/ports/journal.ts';
import { baseSpec, harness, past, problemsOf } from '../helpers/engine.ts';

describe('engine: verify lists modified-after-T1 objects up to a bound', () => {
  it(`lists ${PENDING_LISTED} of ${PENDING_LISTED + 37} pending objects, counts them all, and says so in check.txt`, async () => {
    const h = await harness();
    try {
      const t1 = past(30);
      const n = PENDING_LISTED + 37;
      for (let i = 0; i < n; i++) {
        const key = `p/${String(i).padStart(6, '0')}`;
        h.src.put(key, 'v', { lastModified: past(5) });
        h.dst.put(key, 'v', { lastModified: past(5) });
      }
      const spec = { tasks: { maxObjects: 1000 } };
      const r = await h.run('verify', { phase: 'full', t1 }, { spec });
      const problems = await problemsOf(h, r.pass.id);
      assert.equal(problems.filter((p) => p.status === 'pending').length, n, 'the journal keeps every one');
      assert.equal((await h.state.counters(r.pass.id)).pending, n, 'the count is exact');
      const dir = join(h.dir, 'report');
      await writeReport({
        dir,
        job: 'j',
        spec: parseJob({ ...baseSpec, ...spec }),
        summary: r.summary,
        verify: r,
        verifyProblems: passProblems(h.journal, r.pass.id),
        journal: h.dir,
        state: h.state,
      });
      const check = await readFile(join(dir, 'check.txt'), 'utf8');
      assert.match(check, /^# … and 37 more modified after T1, not listed/m);
      assert.equal(check.split('\n').filter(Boolean).length, PENDING_LISTED + 1);
      // report.html: the exact count, and a list that says how many there are.
      const html = await readFile(join(dir, 'report.html'), 'utf8');
      assert.match(html, new RegExp(`${n.toLocaleString('en-US')}|${n}`));
    } finally {
      await h.close();
    }
  });
});
