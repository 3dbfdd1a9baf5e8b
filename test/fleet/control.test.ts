/**
 * Steering a running fleet: a live bandwidth limit that holds fleet-wide and a pause (both
 * measured on the OSS emulator's request log), and `ossmigrate stop` then `start` from the work
 * dir's pointer.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BullWorkQueue } from '../../runner/adapters/queue/bullQueue.ts';
import { RedisJobState } from '../../runner/adapters/state/redisState.ts';
import { events } from '../helpers/cli.ts';
import type { Sandbox } from '../sandbox/sandbox.ts';
import { duplicateWrites, startFleet, summaryOf, until } from './harness.ts';

const MiB = 1024 * 1024;

/** Bytes the destination received in [from, to), each request's body spread over its duration. */
function bytesIn(sb: Sandbox, from: number, to: number): number {
  let total = 0;
  for (const r of sb.oss.log.all()) {
    if (r.bucket !== sb.info.oss.bucket || (r.op !== 'PutObject' && r.op !== 'UploadPart')) continue;
    const start = r.time;
    const end = r.time + Math.max(1, r.durationMs);
    const overlap = Math.max(0, Math.min(end, to) - Math.max(start, from));
    total += (r.bytesIn * overlap) / (end - start);
  }
  return total;
}

describe('fleet: control', () => {
  it('a live bandwidth limit set with `ossmigrate limit` holds across the whole fleet; --pause holds it', async () => {
    const f = await startFleet();
    try {
      // 48 MB at 2 MiB/s, then 1 MiB/s: it outlasts the test even when the CLI is slow to start
      // on a loaded machine (32 MB did not, at a load average of 15 on 2 cores).
      await f.seedSmall(120, 400_000);
      await f.startWorkers(3);
      const job = await f.jobFile({ bandwidth: { limit: '2M' } });
      const coord = f.coordinate(job, { journals: true });
      const state = new RedisJobState(f.client, 'fleet');
      const pass = await f.copyPass();
      await until('some objects copied', async () => (await state.counters(pass)).copied >= 2, 30_000);
      const set = await f.cli(['limit', '1M', '--queue', f.redis.url, '--workdir', join(f.dir, 'coord')])
        .done;
      assert.equal(set.code, 0, set.stderr);
      assert.match(set.stderr, /whole fleet applies it within seconds \(3 live workers: 341 KiB\/s each\)/);
      const t0 = Date.now();
      // Workers re-read the control every 2 s; measure from 3 s on, for 5 s.
      const from = t0 + 3000;
      const to = from + 5000;
      await new Promise((r) => setTimeout(r, to - Date.now() + 200));
      assert.equal(coord.child.exitCode, null, 'the job was still copying during the whole window');
      // Pause: every worker holds its transfers within seconds.
      const pause = await f.cli([
        'limit',
        '--pause',
        '--queue',
        f.redis.url,
        '--workdir',
        join(f.dir, 'coord'),
      ]).done;
      assert.equal(pause.code, 0, pause.stderr);
      const p0 = Date.now();
      await new Promise((r) => setTimeout(r, 5200));
      const paused = bytesIn(f.sb, p0 + 3000, p0 + 5000);
      assert.ok(paused <= 512 * 1024, `${Math.round(paused)} bytes moved while paused`);
      assert.equal(coord.child.exitCode, null);
      // Enough measured: stop everything (requests cut short are logged with the bytes they got).
      for (const w of f.workers) w.child.kill('SIGKILL');
      coord.child.kill('SIGKILL');
      await Promise.all([coord.done, ...f.workers.map((w) => w.done)]);
      const got = bytesIn(f.sb, from, to);
      const limit = 1 * MiB * 5;
      // Each worker may hold a quarter second of burst; 25 % for timing noise. Without the
      // fleet-wide division every worker would take the full 1 MiB/s: three times the limit.
      const bound = limit * 1.25 + 3 * 256 * 1024;
      assert.ok(
        got <= bound,
        `${Math.round(got)} bytes in 5 s at a 1 MiB/s fleet limit (bound ${Math.round(bound)})`,
      );
      const bw = events(coord.stdout()).filter((e) => e.type === 'bandwidth');
      assert.ok(bw.length > 0);
    } finally {
      await f.close();
    }
  });

  it('`ossmigrate stop` stops the fleet (exit 6); `start` from the work dir resumes it to the end', async () => {
    const f = await startFleet();
    try {
      await f.seedSmall(80, 200_000);
      await f.startWorkers(2);
      // 16 MB at 1 MiB/s: time enough for `stop` to land even on a loaded machine (10 MB was not,
      // at a load average of 15 on 2 cores).
      const job = await f.jobFile({ bandwidth: { limit: '1M' } });
      const coord = f.coordinate(job, { journals: true });
      const state = new RedisJobState(f.client, 'fleet');
      const pass = await f.copyPass();
      await until('some objects copied', async () => (await state.counters(pass)).copied >= 2, 30_000);
      const stop = await f.cli(['stop', '--queue', f.redis.url, '--workdir', join(f.dir, 'coord')]).done;
      assert.equal(stop.code, 0, stop.stderr);
      assert.match(stop.stderr, /asked job fleet to stop \(coordinator pid \d+/);
      const first = await coord.done;
      assert.equal(first.code, 6, first.stderr);
      const before = summaryOf(first.stdout);
      assert.ok((before.copied as number) < 80);
      const q = new BullWorkQueue(f.client, 'fleet');
      assert.equal((await q.counts(pass)).running, 0, 'the workers put their tasks back');
      await q.close();
      for (const w of f.workers) assert.equal(w.child.exitCode, null, 'workers stay up, waiting');
      // No --queue: the work dir remembers the fleet (its URL, never a password).
      const again = await f.cli(['start', '--workdir', join(f.dir, 'coord'), '--json', '--yes'], {
        env: { OSSMIGRATE_REDIS_URL: '' },
      }).done;
      assert.equal(again.code, 0, again.stderr);
      const s = summaryOf(again.stdout);
      assert.equal(s.copied, 80, 'copied once in total, across both runs');
      assert.equal(s.skipped, 0);
      assert.equal(s.verified, 80);
      assert.deepEqual(duplicateWrites(f.sb), []);

      // clean forgets the job in Redis too (definition, passes, queues); the objects stay.
      const clean = await f.cli(['clean', '--workdir', join(f.dir, 'coord'), '--yes', '--json']).done;
      assert.equal(clean.code, 0, clean.stderr);
      const left = [...(await f.client.keys('ossm:job:fleet:*')), ...(await f.client.keys('ossmq:fleet.*'))];
      assert.deepEqual(left, []);
      assert.equal(await f.client.sismember('ossm:jobs', 'fleet'), 0);
      assert.equal(f.sb.oss.buckets.get(f.sb.info.oss.bucket)!.objects.size >= 80, true);
    } finally {
      await f.close();
    }
  });
});
