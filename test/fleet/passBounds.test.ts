/**
 * Redis across a plan (issue #17), end to end on a fleet: scans pause while more than
 * listing.maxWaitingTasks copy tasks wait, and finished passes drop their per-task hashes while
 * `retry` and `report` still work from what stays.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { passKeys } from '../../runner/adapters/queue/keys.ts';
import { RedisJobState } from '../../runner/adapters/state/redisState.ts';
import { events } from '../helpers/cli.ts';
import { startFleet } from './harness.ts';

describe('fleet: Redis bounded across passes', () => {
  it('the scan waits for the queue to drain; finished passes leave no per-task hashes; retry and report still work', async () => {
    const f = await startFleet({ sandbox: { seed: 'demo' } });
    try {
      await f.seedSmall(400, 100);
      await f.startWorkers(2);
      // One flat range (listers 1), 2 objects per task: 200 copy tasks for 400 objects.
      const job = await f.jobFile({ tasks: { maxObjects: 2 }, listing: { listers: 1, maxWaitingTasks: 10 } });
      f.sb.oss.faults.set({
        rules: [
          { kind: 'error', ops: ['PutObject'], keyPrefix: 'small/0007', status: 403, code: 'AccessDenied' },
        ],
      });
      const coord = f.coordinate(job, { journals: true });
      const pass = await f.copyPass().catch(async (e) => {
        const d = await coord.done;
        throw new Error(`${e}: ${d.code} ${d.stderr.slice(-2000)}`);
      });
      const tc = passKeys('fleet', pass).taskCounts;
      let peak = 0;
      let total = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const c = await f.client.hgetall(tc);
          const n = (x: string) => Number(c[`copy:${x}`] ?? 0);
          total = n('total');
          peak = Math.max(peak, total - n('running') - n('done') - n('failed'));
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const r = await coord.done;
      sampling = false;
      await sampler;
      // The object that cannot be written fails (its automatic retry too): exit 4.
      assert.equal(r.code, 4, r.stderr);
      assert.ok(total >= 200, `${total} copy tasks`);
      // A scan adds only the room it saw left, so the 8 task slots (2 workers × 4), each holding
      // a scan past the check at the same instant, add at most 8 × 10. Adding whole batches of
      // 50 once reached 125. Without the pause all 280 wait together.
      assert.ok(peak <= 8 * 10, `at most ${peak} copy tasks waited at once`);

      const state = new RedisJobState(f.client, 'fleet');
      const passes = await state.passes();
      assert.ok(passes.filter((p) => p.status === 'done').length >= 2, 'copy and verify passes');
      for (const p of passes) {
        const k = passKeys('fleet', p.id);
        assert.equal(await f.client.hget(k.taskCounts, 'closed'), '1', `${p.id} closed`);
        assert.equal(await f.client.exists(k.owner), 0);
        assert.equal(await f.client.hlen(k.rollupShare), 0, `${p.id}: no rollup shares`);
        // Only tasks that errored out stay (none here: the object failed, the task ended).
        assert.equal(await f.client.hlen(k.ids), await f.client.scard(k.errored));
        assert.equal(await f.client.hlen(k.state), await f.client.scard(k.errored));
      }
      const copyId = passes.find((p) => p.mode === 'copy')!.id;
      assert.equal((await state.failures(copyId)).length, 1, 'retry reads the failures');

      f.sb.oss.faults.clear();
      const workdir = join(f.dir, 'coord');
      const journals = ['--journal-dir', join(f.dir, 'journals')];
      const retry = await f.cli([
        'retry',
        '--queue',
        f.redis.url,
        ...journals,
        '--workdir',
        workdir,
        '--json',
      ]).done;
      assert.equal(retry.code, 0, retry.stderr);
      const s = events(retry.stdout).pop()!;
      assert.equal(s.failed, 0);
      assert.equal(await f.client.hlen(passKeys('fleet', copyId).ids), 0, 'closed again after the retry');
      assert.ok(f.sb.oss.buckets.get(f.sb.info.oss.bucket)!.objects.has('small/0007.bin'));

      const report = await f.cli([
        'report',
        '--queue',
        f.redis.url,
        ...journals,
        '--workdir',
        workdir,
        '--json',
      ]).done;
      assert.equal(report.code, 0, report.stderr);
      const total1 = f.sb.cos.buckets.get(f.sb.info.cos.bucket)!.objects.size;
      const rep = events(report.stdout).find((e) => e.type === 'report')!.summary as Record<string, unknown>;
      assert.equal(rep.failed, 0, JSON.stringify(rep));
      assert.ok((rep.copied as number) >= total1 - 1, `report: ${rep.copied} copied of ${total1}`);
    } finally {
      await f.close();
    }
  });
});
