/**
 * The fleet end to end: real redis-server, the sandbox, worker processes started with the real
 * CLI, and `ossmigrate import --queue` coordinating. A job completes exactly; a worker started
 * mid-job takes work and shows up in `stat`.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { RedisJobState } from '../../runner/adapters/state/redisState.ts';
import { events } from '../helpers/cli.ts';
import { CONTROL_BUCKET, duplicateWrites, mismatches, startFleet, summaryOf, until } from './harness.ts';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) out.push(join(e.parentPath, e.name));
  return out;
}

describe('fleet: three workers', () => {
  it('completes a job exactly: every object written once, verified, counted; no secret leaks', async () => {
    const password = 'fleet-pass-7c1d9e';
    const f = await startFleet({ sandbox: { seed: 'demo', restoreDelayMs: 200 }, redisPassword: password });
    try {
      await f.seedSmall(40, 3000);
      // Cloud-style workers: the password from its own variable, journals in the control bucket.
      const workerEnv = {
        OSSMIGRATE_REDIS_URL: f.redis.url.replace(`:${password}@`, ''),
        OSSMIGRATE_REDIS_PASSWORD: password,
        OSSMIGRATE_CONTROL_BUCKET: CONTROL_BUCKET,
      };
      await f.startWorkers(3, { env: workerEnv });
      // The password never goes on a command line (argv is visible to every user): environment.
      const coordEnv = { OSSMIGRATE_REDIS_URL: '', OSSMIGRATE_REDIS_PASSWORD: password };
      const job = await f.jobFile();
      const r = await f.cli(
        [
          'import',
          job,
          '--queue',
          workerEnv.OSSMIGRATE_REDIS_URL,
          '--workdir',
          join(f.dir, 'coord'),
          '--json',
          '--yes',
        ],
        { env: coordEnv },
      ).done;
      assert.equal(r.code, 0, r.stderr);
      const total = f.sb.cos.buckets.get(f.sb.info.cos.bucket)!.objects.size;
      const s = summaryOf(r.stdout);
      assert.equal(s.copied, total, 'every object copied, counted once');
      assert.equal(s.skipped, 0);
      assert.equal(s.failed, 0);
      assert.equal(s.verified, total);
      assert.equal((s.missing as number) + (s.different as number) + (s.extra as number), 0);
      assert.deepEqual(duplicateWrites(f.sb), [], 'no destination object written twice');
      assert.deepEqual(mismatches(f.sb), []);
      const ev = events(r.stdout);
      assert.equal(ev[ev.length - 1]!.type, 'summary');
      // The workers' own events reach the coordinator's --json stream.
      const objectEvents = ev.filter((e) => e.type === 'object' && e.outcome === 'copied');
      assert.equal(new Set(objectEvents.map((e) => e.key)).size, total);
      const workersEvents = ev.filter((e) => e.type === 'workers');
      assert.ok(
        workersEvents.some(
          (e) => (e.workers as Array<{ state: string }>).filter((w) => w.state !== 'gone').length === 3,
        ),
        'the coordinator reports the three workers',
      );
      // Journals: batched chunks in the control bucket, gathered into the report.
      const ctl = f.sb.oss.buckets.get(CONTROL_BUCKET)!;
      const chunks = [...ctl.objects.keys()].filter(
        (k) => k.startsWith('journals/fleet/') && k.includes('/ledger/'),
      );
      assert.ok(
        chunks.length > 0 && chunks.length < total / 2,
        `ledger lines are batched (${chunks.length} chunks)`,
      );
      const report = JSON.parse(await readFile(join(s.report as string, 'summary.json'), 'utf8'));
      assert.equal(report.summary.copied, total);
      // The Redis password shows nowhere: output, logs, reports, work dirs.
      const texts = [r.stdout, r.stderr, ...f.workers.map((w) => w.stderr() + w.stdout())];
      for (const file of await filesUnder(f.dir)) {
        if (!file.endsWith('.yaml')) texts.push(await readFile(file, 'utf8'));
      }
      for (const t of texts) assert.ok(!t.includes(password), 'the Redis password leaked');
      assert.match(r.stderr, /fleet: 3 workers live/);
      // Graceful stop: SIGTERM drains and exits 0; the heartbeat says gone.
      for (const w of f.workers) w.child.kill('SIGTERM');
      for (const w of f.workers) assert.equal((await w.done).code, 0);
      const recs = await f.records();
      assert.ok(recs.every((w) => w.state === 'gone'));
      // Their last records hold their totals: each object went through exactly one worker (the
      // archived one is deferred there, then copied by the coordinator once restored).
      assert.ok(
        recs.filter((w) => w.objects > 0).length >= 2,
        `the work was spread: ${recs.map((w) => `${w.id}:${w.objects}`).join(' ')}`,
      );
      assert.equal(
        recs.reduce((a, w) => a + w.objects, 0),
        total,
      );
    } finally {
      await f.close();
    }
  });

  it('a worker started mid-job takes work and shows in stat', async () => {
    const f = await startFleet();
    try {
      await f.seedSmall(60, 400_000);
      const env = { OSSMIGRATE_CONTROL_BUCKET: CONTROL_BUCKET };
      const first = await f.startWorker({ env });
      // Before any job: stat shows the fleet's workers.
      const empty = await f.cli(['stat', '--queue', f.redis.url, '--workdir', join(f.dir, 'none'), '--json'])
        .done;
      assert.equal(empty.code, 0, empty.stderr);
      const idle = events(empty.stdout).find((e) => e.type === 'stat') as {
        job: null;
        fleet: { live: number };
      };
      assert.equal(idle.job, null);
      assert.equal(idle.fleet.live, 1);
      // 24 MB at 2 MiB/s fleet-wide: long enough for a second worker to join, even on a busy machine.
      const job = await f.jobFile({ bandwidth: { limit: '2M' }, tasks: { maxObjects: 4 } });
      const coord = f.coordinate(job);
      const state = new RedisJobState(f.client, 'fleet');
      const pass = await f.copyPass();
      await until('some objects copied', async () => (await state.counters(pass)).copied >= 2, 30_000);
      const second = await f.startWorker({ env });
      // It shows up in `stat` (its heartbeat), beside the first.
      const stat = await until(
        'stat showing both workers',
        async () => {
          const r = await f.cli(['stat', '--queue', f.redis.url, '--workdir', join(f.dir, 'coord'), '--json'])
            .done;
          assert.equal(r.code, 0, r.stderr);
          const out = events(r.stdout).find((e) => e.type === 'stat') as {
            fleet: {
              live: number;
              workers: Array<{ id: string; host: string; pid: number; state: string; lastSeen: string }>;
            };
          };
          const live = out.fleet.workers.filter((w) => w.state !== 'gone').map((w) => w.id);
          return live.includes(first.id) && live.includes(second.id) ? out : undefined;
        },
        20_000,
        300,
      );
      assert.equal(stat.fleet.live, 2);
      for (const w of stat.fleet.workers) {
        assert.ok(w.host && w.pid > 0 && !Number.isNaN(Date.parse(w.lastSeen)));
      }
      const human = await f.cli(['stat', '--queue', f.redis.url, '--workdir', join(f.dir, 'coord')]).done;
      assert.match(human.stderr, /workers\s+2 live of 2 known/);
      assert.match(human.stderr, /host\s+pid\s+state\s+tasks\s+MB\/s\s+errors\s+last seen/);
      const r = await coord.done;
      assert.equal(r.code, 0, r.stderr);
      const s = summaryOf(r.stdout);
      assert.equal(s.copied, 60);
      assert.equal(s.verified, 60);
      const late = (await f.records()).find((w) => w.id === second.id)!;
      assert.ok(late.objects > 0, `the late worker copied objects (${late.objects})`);
      // Its ledger chunks carry its id: it wrote journal lines for what it copied.
      const ctl = f.sb.oss.buckets.get(CONTROL_BUCKET)!;
      assert.ok([...ctl.objects.keys()].some((k) => k.includes('/ledger/') && k.includes(second.id)));
      assert.deepEqual(duplicateWrites(f.sb), []);
      assert.deepEqual(mismatches(f.sb), []);
      // The survey runs on the fleet too (scan tasks are queue jobs).
      const plan = await f.cli([
        'plan',
        job,
        '--queue',
        f.redis.url,
        '--workdir',
        join(f.dir, 'coord'),
        '--json',
      ]).done;
      assert.equal(plan.code, 0, plan.stderr);
      const survey = events(plan.stdout).find((e) => e.type === 'plan')!;
      assert.equal(survey.objects, 60);
      assert.equal(survey.bytes, 60 * 400_000 + (59 * 60) / 2);
    } finally {
      await f.close();
    }
  });
});
