/**
 * Redis restarted mid-job. A clean restart (shutdown, then start: the AOF is complete) shorter
 * than the task leases loses nothing and repeats nothing: exact counts. A crash (SIGKILL, AOF
 * fsynced every second) with leases shorter than the outage can lose Redis's last second and
 * hand running tasks to other workers: an object may be processed twice, but objects are
 * idempotent: the job still completes and every object is verified.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LocalJournal } from '../../runner/adapters/journal/localJournal.ts';
import { RedisJobState } from '../../runner/adapters/state/redisState.ts';
import { duplicateWrites, mismatches, startFleet, summaryOf, type TestFleet, until } from './harness.ts';

async function runWithRestart(f: TestFleet, kill: boolean) {
  await f.seedSmall(40, 300_000);
  const job = await f.jobFile({ bandwidth: { limit: '3M' } });
  const coord = f.coordinate(job, { journals: true });
  const state = new RedisJobState(f.client, 'fleet');
  const pass = await f.copyPass();
  await until('some objects copied', async () => (await state.counters(pass)).copied >= 8, 30_000);
  await f.redis.restart({ kill, downMs: 1500 });
  const r = await coord.done;
  assert.equal(r.code, 0, r.stderr);
  for (const w of f.workers) {
    assert.equal(w.child.exitCode, null, `${w.name} survived the restart`);
    assert.match(w.stderr(), /reconnected to Redis/);
  }
  assert.deepEqual(mismatches(f.sb), [], 'every object byte-identical (CRC-64)');
  return { r, s: summaryOf(r.stdout) };
}

describe('fleet: Redis restarts', () => {
  it('a clean Redis restart mid-job: the job completes, exactly', async () => {
    // Leases longer than the outage (as in production: 30 s): no task changes hands.
    const f = await startFleet({
      leases: {
        OSSMIGRATE_LOCK_MS: '10000',
        OSSMIGRATE_STALLED_MS: '2000',
        OSSMIGRATE_TASK_BACKOFF_MS: '200',
      },
    });
    try {
      await f.startWorkers(2);
      const { s } = await runWithRestart(f, false);
      assert.equal(s.copied, 40, JSON.stringify(s));
      assert.equal(s.skipped, 0);
      assert.equal(s.failed, 0);
      assert.equal(s.verified, 40);
      assert.deepEqual(duplicateWrites(f.sb), []);
    } finally {
      await f.close();
    }
  });

  it('Redis killed (SIGKILL) and restarted mid-job: the job completes and every object is verified', async () => {
    const f = await startFleet();
    try {
      await f.startWorkers(3);
      const { s } = await runWithRestart(f, true);
      assert.equal(s.failed, 0);
      assert.equal(s.verified, 40);
      assert.equal((s.missing as number) + (s.different as number), 0);
      // Each object is in the ledger (a task re-run after the crash may journal an object twice).
      const keys = new Set<string>();
      for await (const x of new LocalJournal(join(f.dir, 'journals', 'fleet')).ledger(s.passId as string))
        if (x.outcome === 'copied' || x.outcome === 'skipped') keys.add(x.key);
      assert.equal(keys.size, 40);
      assert.ok((s.copied as number) + (s.skipped as number) >= 40);
    } finally {
      await f.close();
    }
  });
});
