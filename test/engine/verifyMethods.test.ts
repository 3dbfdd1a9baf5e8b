/**
 * What proved each match (#15): a verify pass counts its matches by method — CRC-64 on both
 * sides, single-part MD5 ETags, or size only — and summary.txt / summary.json say the mix.
 * Unverifiable objects (no CRC-64, no single-part MD5) are in none of the three.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { summaryText, writeReport } from '../../runner/app/report.ts';
import { parseJob } from '../../runner/config/job.ts';
import { baseSpec, bytes, harness, past } from '../helpers/engine.ts';

const spec = parseJob(baseSpec);

describe('engine: verification counts its matches by method', () => {
  it('crc64 mode: CRC-64 where both sides report one, MD5 where the destination does not, none for unverifiable', async () => {
    const h = await harness();
    try {
      for (let i = 0; i < 6; i++) h.src.put(`k/${i}`, bytes(500 + i, i + 1), { lastModified: past(60) });
      const t1 = past(30);
      const copy = await h.run('copy', { phase: 'full', t1 });
      assert.equal(copy.summary.copied, 6);
      // A destination that reports no CRC-64 for k/4 (MD5 ETags still match), and none and a
      // multipart-style ETag for k/5 (nothing left to prove it but the size).
      delete h.dst.objects.get('k/4')!.crc64;
      const k5 = h.dst.objects.get('k/5')!;
      delete k5.crc64;
      k5.etag = `${k5.etag}-2`;

      // --deep: compared by HEAD as before (the ledger would vouch for k/4 by its copy's CRC-64).
      const r = await h.run('verify', { phase: 'full', t1 }, { spec: { verify: { deep: true } } });
      const c = await h.state.counters(r.pass.id);
      assert.equal(c.verified, 5);
      assert.equal(c.verifiedCrc64, 4);
      assert.equal(c.verifiedMd5, 1);
      assert.equal(c.verifiedSize, 0);
      assert.equal(c.unverifiable, 1);
      assert.deepEqual(r.summary.verifiedBy, { crc64: 4, md5: 1, size: 0 });

      const t = summaryText({ job: 'j', spec, summary: r.summary, verify: r });
      assert.match(t, /verified {2}5 match \(4 proven by CRC-64, 1 by MD5, 0 by size only; no download\)/);

      const dir = join(h.dir, 'report');
      await writeReport({ dir, job: 'j', spec, summary: r.summary, verify: r, journal: h.dir, html: false });
      const json = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8'));
      assert.deepEqual(json.summary.verifiedBy, { crc64: 4, md5: 1, size: 0 });
      assert.match(
        await readFile(join(dir, 'summary.txt'), 'utf8'),
        /4 proven by CRC-64, 1 by MD5, 0 by size only/,
      );
    } finally {
      await h.close();
    }
  });

  it('size mode (ossimport auditMode=simple): every match is proven by size only', async () => {
    const h = await harness();
    try {
      for (let i = 0; i < 7; i++) h.src.put(`s/${i}`, bytes(300 + i, i + 9), { lastModified: past(60) });
      const t1 = past(30);
      await h.run('copy', { phase: 'full', t1 });
      const r = await h.run('verify', { phase: 'full', t1 }, { spec: { verify: { mode: 'size' } } });
      const c = await h.state.counters(r.pass.id);
      assert.equal(c.verified, 7);
      assert.equal(c.verifiedSize, 7);
      assert.equal(c.verifiedCrc64, 0);
      assert.equal(c.verifiedMd5, 0);
      assert.deepEqual(r.summary.verifiedBy, { crc64: 0, md5: 0, size: 7 });
      assert.match(
        summaryText({ job: 'j', spec, summary: r.summary, verify: r }),
        /verified {2}7 match \(0 proven by CRC-64, 0 by MD5, 7 by size only; no download\)/,
      );
    } finally {
      await h.close();
    }
  });
});
