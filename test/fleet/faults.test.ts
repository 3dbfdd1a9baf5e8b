/**
 * Workers leaving mid-task: one SIGKILLed in the middle of a multipart upload (every object still
 * ends up migrated, byte-identical by CRC-64, and verified; uploads resume), one draining on
 * SIGTERM (unfinished tasks go back; nothing lost or copied twice). Redis restarts: restart.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BullWorkQueue } from '../../runner/adapters/queue/bullQueue.ts';
import { RedisJobState } from '../../runner/adapters/state/redisState.ts';
import type { Task } from '../../runner/core/types.ts';
import { duplicateWrites, MiB, mismatches, startFleet, summaryOf, until } from './harness.ts';

describe('fleet: faults', () => {
  it('a worker SIGKILLed mid-task: its tasks run elsewhere, multipart uploads resume, all verified', async () => {
    const f = await startFleet();
    try {
      await f.seedBig(3, 6 * MiB);
      await f.seedSmall(24, 2000);
      // Slow parts, so the kill lands inside an upload.
      f.sb.oss.faults.set({ rules: [{ kind: 'latency', ops: ['UploadPart'], latencyMs: 250 }] });
      await f.startWorkers(3);
      // One big object per task (maxBytes), shared journal directory.
      const job = await f.jobFile({ tasks: { maxObjects: 8, maxBytes: '5MiB' } });
      const coord = f.coordinate(job, { journals: true });
      const pass = await f.copyPass();
      const q = new BullWorkQueue(f.client, 'fleet');
      // The victim: a worker holding a big object's task after some of its parts are uploaded.
      const victim = await until(
        'a worker in the middle of a multipart upload',
        async () => {
          const parts = f.sb.oss.log.find({ op: 'UploadPart', status: 200 }).length;
          if (parts < 3) return undefined;
          for (const j of await q.queue(pass).getActive()) {
            const t = j.data as Task;
            if (t.kind === 'copy' && t.range.prefix.startsWith('big/') && j.processedBy) {
              const w = f.workers.find((x) => x.id === j.processedBy);
              if (w) return w;
            }
          }
          return undefined;
        },
        30_000,
        50,
      );
      const partsBefore = f.sb.oss.log.find({ op: 'UploadPart', status: 200 }).length;
      victim.child.kill('SIGKILL');
      assert.equal((await victim.done).signal, 'SIGKILL');
      const r = await coord.done;
      await q.close();
      assert.equal(r.code, 0, r.stderr);
      const total = 27;
      const s = summaryOf(r.stdout);
      // Objects the victim finished but had not journaled are found identical on the re-run.
      assert.equal((s.copied as number) + (s.skipped as number), total, JSON.stringify(s));
      assert.equal(s.failed, 0);
      assert.equal(s.verified, total);
      assert.equal((s.missing as number) + (s.different as number), 0);
      assert.deepEqual(mismatches(f.sb), [], 'every object byte-identical (CRC-64)');
      // The uploads the victim had started were resumed from their checkpoints, not restarted.
      const initiated = f.sb.oss.log
        .find({ op: 'InitiateMultipartUpload', status: 200 })
        .filter((x) => x.key?.startsWith('big/')).length;
      assert.equal(initiated, 3, 'one upload per big object');
      const parts = f.sb.oss.log.find({ op: 'UploadPart', status: 200 }).length;
      const needed = 3 * 6;
      assert.ok(
        parts >= needed && parts <= needed + 4,
        `parts uploaded: ${parts} (${partsBefore} before the kill)`,
      );
      assert.equal(await new RedisJobState(f.client, 'fleet').allMultipart().then((m) => m.length), 0);
    } finally {
      await f.close();
    }
  });

  it('a worker killed between Initiate and saving its answer: the next one adopts that upload', async () => {
    const f = await startFleet();
    try {
      await f.seedBig(1, 6 * MiB);
      // A slow Initiate, so the test can hold the answer's checkpoint back before it is written.
      f.sb.oss.faults.set({ rules: [{ kind: 'latency', ops: ['InitiateMultipartUpload'], latencyMs: 800 }] });
      await f.startWorkers(2);
      const job = await f.jobFile({});
      const coord = f.coordinate(job, { journals: true });
      const pass = await f.copyPass();
      const state = new RedisJobState(f.client, 'fleet');
      const q = new BullWorkQueue(f.client, 'fleet');
      const victim = await until(
        'an intent written before Initiate',
        async () => {
          if (!(await state.allMultipart()).some((cp) => cp.uploadId === '')) return undefined;
          // Redis takes no writes now (key expiry pauses too): the checkpoint after Initiate waits.
          await f.client.call('CLIENT', 'PAUSE', '10000', 'WRITE');
          for (const j of await q.queue(pass).getActive()) {
            const w = f.workers.find((x) => x.id === j.processedBy);
            if (w) return w;
          }
          throw new Error('no worker holds the task');
        },
        30_000,
        10,
      );
      const initiated = () =>
        f.sb.oss.log
          .find({ op: 'InitiateMultipartUpload', status: 200 })
          .filter((x) => x.key?.startsWith('big/'));
      await until('Initiate answered', async () => (initiated().length === 1 ? true : undefined), 10_000, 10);
      victim.child.kill('SIGKILL');
      await victim.done;
      await f.client.call('CLIENT', 'UNPAUSE');
      const r = await coord.done;
      await q.close();
      assert.equal(r.code, 0, r.stderr);
      const s = summaryOf(r.stdout);
      assert.equal(s.copied, 1, JSON.stringify(s));
      assert.equal(s.verified, 1);
      assert.deepEqual(mismatches(f.sb), [], 'byte-identical (CRC-64)');
      assert.equal(initiated().length, 1, 'the upload the victim started is the one completed');
      const dst = f.sb.oss.buckets.get(f.sb.info.oss.bucket)!;
      assert.equal(dst.uploads.size, 0, 'no upload left behind');
      assert.equal((await state.allMultipart()).length, 0);
    } finally {
      await f.client.call('CLIENT', 'UNPAUSE').catch(() => {});
      await f.close();
    }
  });

  it('a worker draining on SIGTERM puts unfinished tasks back; nothing is lost or copied twice', async () => {
    const f = await startFleet();
    try {
      await f.seedSmall(40, 200_000);
      const a = await f.startWorker({ args: ['--drain-timeout', '1'] });
      const job = await f.jobFile({ bandwidth: { limit: '2M' } });
      const coord = f.coordinate(job, { journals: true });
      const state = new RedisJobState(f.client, 'fleet');
      const pass = await f.copyPass();
      await until('some objects copied', async () => (await state.counters(pass)).copied >= 5, 30_000);
      const t0 = Date.now();
      a.child.kill('SIGTERM');
      const done = await a.done;
      assert.equal(done.code, 0, done.stderr);
      assert.ok(Date.now() - t0 < 15_000);
      assert.match(done.stderr, /draining: \d+ tasks? in flight/);
      assert.match(done.stderr, /drain deadline reached/);
      const q = new BullWorkQueue(f.client, 'fleet');
      const c = await q.counts(pass, 'copy');
      await q.close();
      assert.equal(c.running, 0);
      assert.ok(c.pending > 0, 'unfinished tasks are pending again, not done');
      await f.startWorker();
      const r = await coord.done;
      assert.equal(r.code, 0, r.stderr);
      const s = summaryOf(r.stdout);
      assert.equal(s.copied, 40);
      assert.equal(s.skipped, 0, 'the drained worker journaled everything it copied');
      assert.equal(s.verified, 40);
      assert.deepEqual(duplicateWrites(f.sb), []);
    } finally {
      await f.close();
    }
  });
});
