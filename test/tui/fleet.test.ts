/**
 * The TUI driving a fleet: `ossmigrate tui --queue` (unattended, no terminal) coordinates two
 * `ossmigrate worker` processes over a real redis-server through every phase; the workers do
 * the copying, the plain lines show them, and the report verifies every object, each written
 * once.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CONTROL_BUCKET, duplicateWrites, MiB, mismatches, startFleet } from '../fleet/harness.ts';

describe('ossmigrate tui with a fleet (Redis + workers)', () => {
  it('runs every phase on the workers; the report verifies every object, none written twice', async () => {
    const f = await startFleet();
    try {
      await f.seedSmall(40, 3000);
      await f.seedBig(1, 5 * MiB);
      const env = { OSSMIGRATE_CONTROL_BUCKET: CONTROL_BUCKET };
      const workers = await f.startWorkers(2, { env });
      const job = await f.jobFile();
      const r = await f.cli(
        [
          'tui',
          job,
          '--infra',
          'sandbox',
          '--yes',
          '--queue',
          f.redis.url,
          '--workdir',
          join(f.dir, 'coord'),
        ],
        { env },
      ).done;
      assert.equal(r.code, 0, r.stderr);
      for (let n = 1; n <= 10; n++) assert.match(r.stderr, new RegExp(`\\[${n}/10\\] `), `phase ${n}`);
      // The plan, provisioning and teardown say who copies: the workers, not this process.
      assert.match(r.stderr, /sandbox fleet: the workers on the queue copy/);
      assert.match(r.stderr, /✔ provision: bucket demo-dst ready; the workers on the queue copy/);
      assert.match(r.stderr, /no machines to remove \(the workers on the queue were started by hand/);
      assert.doesNotMatch(r.stderr, /this machine copies|engine in this process/);
      const fleetLines = r.stderr.split('\n').filter((l) => /^ {2}fleet: 2 workers, \d active — /.test(l));
      assert.ok(fleetLines.length > 0, 'the workers are shown');
      for (const w of workers) assert.ok(fleetLines[0]!.includes(w.id), `worker ${w.id} listed`);

      const total = f.sb.cos.buckets.get(f.sb.info.cos.bucket)!.objects.size;
      assert.equal(total, 41);
      const report = JSON.parse(await readFile(join(r.stdout.trim(), 'report.json'), 'utf8'));
      assert.equal(report.verdict.ok, true);
      assert.equal(report.verdict.verified, total);
      assert.deepEqual(duplicateWrites(f.sb), [], 'no destination object written twice');
      assert.deepEqual(mismatches(f.sb), []);
      // The copying was the workers' (the coordinator only scans, waits and reports): the bytes
      // they moved add up to the source, each object once (the incremental pass moved none).
      const srcBytes = [...f.sb.cos.buckets.get(f.sb.info.cos.bucket)!.objects.values()].reduce(
        (a, o) => a + o.size,
        0,
      );
      const recs = (await f.records()).filter((w) => workers.some((x) => x.id === w.id));
      assert.equal(
        recs.reduce((a, w) => a + w.bytes, 0),
        srcBytes,
        `bytes by worker: ${recs.map((w) => `${w.id}:${w.bytes}`).join(' ')}`,
      );
    } finally {
      await f.close();
    }
  });
});
