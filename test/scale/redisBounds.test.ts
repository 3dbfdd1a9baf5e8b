/**
 * What the fleet puts in Redis stays bounded by tasks and batches, never by objects: relayed
 * events are one stream entry per batch, a batch of successes is one HDEL, a finished task
 * leaves no owner entry, and a retry task's key list never makes a job payload of megabytes.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { BullWorkQueue, MAX_TASK_PAYLOAD } from '../../runner/adapters/queue/bullQueue.ts';
import { connectFleet } from '../../runner/adapters/queue/fleetConnection.ts';
import { FleetStore } from '../../runner/adapters/queue/fleetStore.ts';
import { BULL_PREFIX, passKeys, queueName } from '../../runner/adapters/queue/keys.ts';
import { RedisJobState } from '../../runner/adapters/state/redisState.ts';
import type { EngineEvent } from '../../runner/core/events.ts';
import { emptySummary } from '../../runner/core/ledger.ts';
import type { CopyTask, ObjectResult } from '../../runner/core/types.ts';
import { CoordinatorQueue } from '../../runner/fleet/coordinator.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';
import { keyOf } from './syntheticStore.ts';

const job = () => `bounds-${randomBytes(3).toString('hex')}`;

async function calls(redis: Redis, command: string): Promise<number> {
  const info = await redis.info('commandstats');
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
}

describe('Redis stays bounded by tasks, not objects', () => {
  let server: TestRedis;
  let redis: Redis;
  before(async () => {
    server = await startRedis();
    redis = new Redis(server.url, { maxRetriesPerRequest: null });
  });
  after(async () => {
    redis.disconnect();
    await server.close();
  });

  it('a batch of relayed events is one stream entry, read back whole and in order', async () => {
    const fleet = new FleetStore(redis);
    const j = job();
    const events: EngineEvent[] = Array.from({ length: 300 }, (_, i) => ({
      type: 'object',
      key: keyOf('flat', i),
      outcome: 'copied',
      size: i,
      bytes: i,
    }));
    await fleet.publish(j, 'p1', events);
    assert.equal(await redis.xlen(passKeys(j, 'p1').events), 1);
    const r = await fleet.readEvents(j, 'p1', '0-0');
    assert.deepEqual(r.events, events);
    assert.equal(r.entries, 1);
    // A reader that starts after the batch sees nothing more.
    assert.deepEqual((await fleet.readEvents(j, 'p1', r.lastId)).events, []);
  });

  it('recording 1,000 successes clears their failures with one HDEL per hash, not one per object', async () => {
    const state = new RedisJobState(redis, job());
    const ok = (i: number): ObjectResult => ({
      key: keyOf('flat', i),
      dstKey: keyOf('flat', i),
      outcome: 'copied',
      size: 1,
      bytes: 1,
      attempts: 1,
      ms: 1,
    });
    // A failure first, then its success in a later batch: it must be cleared.
    await state.recordOutcomes('p1', [{ ...ok(3), outcome: 'failed', failureClass: 'NETWORK' }]);
    assert.equal(await state.failureCount('p1'), 1);
    const before = await calls(redis, 'hdel');
    await state.recordOutcomes(
      'p1',
      Array.from({ length: 1000 }, (_, i) => ok(i)),
    );
    assert.ok((await calls(redis, 'hdel')) - before <= 2, 'at most one HDEL per hash for the batch');
    assert.equal(await state.failureCount('p1'), 0);
    // Order within a batch still holds: a success then a failure of the same key leaves the failure.
    await state.recordOutcomes('p1', [ok(7), { ...ok(7), outcome: 'failed', failureClass: 'NETWORK' }]);
    assert.deepEqual(
      (await state.failures('p1')).map((f) => f.key),
      [keyOf('flat', 7)],
    );
  });

  it('a finished task leaves no owner entry behind', async () => {
    const j = job();
    const q = new BullWorkQueue(redis, j, { pollMs: 50 });
    const tasks: CopyTask[] = Array.from({ length: 5 }, (_, i) => ({
      kind: 'copy',
      id: `copy-${i}`,
      range: { prefix: `p${i}/` },
      objects: 1,
      bytes: 1,
      seenObjects: 1,
      seenBytes: 1,
    }));
    await q.enqueue('p1', tasks);
    const ac = new AbortController();
    await q.drain('p1', async () => ({ status: 'done', objects: 1, bytes: 1 }), {
      concurrency: 2,
      signal: ac.signal,
    });
    assert.equal((await q.counts('p1', 'copy')).done, 5);
    assert.equal(await redis.hlen(passKeys(j, 'p1').owner), 0);
    await q.close();
  });

  it('a retry task of 10,000 keys becomes jobs of at most 64 KiB that hold every key once', async () => {
    const j = job();
    const q = new BullWorkQueue(redis, j, { pollMs: 50 });
    const keys = Array.from({ length: 10_000 }, (_, i) => `photos/2024/${keyOf('deep', i * 7919)}`);
    const retry: CopyTask = {
      kind: 'copy',
      id: 'retry-00000000000001-000000',
      range: { prefix: '' },
      keys,
      objects: keys.length,
      bytes: 0,
      seenObjects: keys.length,
      seenBytes: 0,
    };
    assert.ok(JSON.stringify(retry).length > 4 * MAX_TASK_PAYLOAD, 'the task itself is far larger');
    const fresh = await q.enqueue('p1', [retry]);
    assert.ok(fresh.length > 1);
    assert.equal(
      fresh.reduce((a, t) => a + (t.kind === 'scan' ? 0 : t.objects), 0),
      keys.length,
      'planned counts add up to the task',
    );
    const seen: string[] = [];
    for (const t of fresh) {
      const data = await redis.hget(`${BULL_PREFIX}:${queueName(j, 'p1')}:${t.id}`, 'data');
      assert.ok(data, `job ${t.id} is in BullMQ`);
      assert.ok(Buffer.byteLength(data) <= MAX_TASK_PAYLOAD, `${t.id}: ${Buffer.byteLength(data)} bytes`);
      seen.push(...((JSON.parse(data) as CopyTask).keys ?? []));
    }
    assert.deepEqual(seen, keys);
    // Enqueued again (a resumed retry): nothing new.
    assert.deepEqual(await q.enqueue('p1', [retry]), []);
    await q.close();
  });
});

describe('a finished pass drops its per-task hashes (closePass)', () => {
  it('keeps counts, rollup sums and errored tasks; a zombie ending late changes nothing; retry re-opens it', async () => {
    const server = await startRedis();
    const redis = new Redis(server.url, { maxRetriesPerRequest: null });
    try {
      const j = job();
      const k = passKeys(j, 'p1');
      const q = new BullWorkQueue(redis, j, { pollMs: 50, lease: { attempts: 1 } });
      const state = new RedisJobState(redis, j);
      const range = (i: number): CopyTask => ({
        kind: 'copy',
        id: `copy-${String(i).padStart(16, '0')}`,
        range: { prefix: `p${i}/` },
        objects: 1,
        bytes: 1,
        seenObjects: 1,
        seenBytes: 1,
      });
      const summary = { ...emptySummary(), objects: 1, copied: 1, bytes: 1, copiedBytes: 1, lines: 1 };
      const bad = range(9).id;
      let failBad = true;
      const handler = async (t: { id: string }) => {
        if (t.id === bad && failBad) throw new Error('boom');
        await state.rollupTaskEnded('p1', t.id, summary);
        return { status: 'done' as const, objects: 1, bytes: 1 };
      };
      const drain = () => q.drain('p1', handler, { concurrency: 2, signal: new AbortController().signal });
      await q.enqueue('p1', [...Array.from({ length: 5 }, (_, i) => range(i)), range(9)]);
      await drain();
      assert.deepEqual(await q.counts('p1', 'copy'), { pending: 0, running: 0, done: 5, failed: 1 });
      assert.equal(await redis.hlen(k.ids), 6);
      assert.equal(await redis.hlen(k.rollupShare), 5);
      const rollup = await state.passRollup('p1');

      await q.closePass('p1');
      // Only the errored task's entries stay (resume and retry re-queue it).
      assert.deepEqual(await redis.hkeys(k.ids), [bad]);
      assert.deepEqual(await redis.hgetall(k.state), { [bad]: 'e' });
      assert.equal(await redis.exists(k.owner), 0);
      assert.equal(await redis.hlen(k.rollupShare), 0);
      assert.deepEqual(await q.counts('p1', 'copy'), { pending: 0, running: 0, done: 5, failed: 1 }, 'stat');
      assert.deepEqual(await state.passRollup('p1'), rollup, 'the report reads the same rollup');

      // A zombie of task 0 (its lease expired, another worker finished it) ends now.
      await state.rollupTaskEnded('p1', range(0).id, summary);
      assert.deepEqual(await state.passRollup('p1'), rollup, 'its share is not counted twice');
      // A zombie scan enqueues the range again: refused, no BullMQ job.
      assert.deepEqual(await q.enqueue('p1', [range(0)]), []);
      assert.equal(await redis.exists(`${BULL_PREFIX}:${queueName(j, 'p1')}:${range(0).id}`), 0);
      assert.equal((await q.counts('p1', 'copy')).done, 5);

      // retry: re-open (requeueUnfinished), the errored task and a new retry task run.
      failBad = false;
      assert.equal(await q.requeueUnfinished('p1'), 1);
      const retry: CopyTask = { ...range(1), id: 'retry-00000000000001-000000', keys: ['p1/x'] };
      assert.equal((await q.enqueue('p1', [retry])).length, 1);
      await drain();
      assert.deepEqual(await q.counts('p1', 'copy'), { pending: 0, running: 0, done: 7, failed: 0 });
      assert.equal((await state.passRollup('p1'))?.tasks, 7);
      await q.closePass('p1');
      assert.equal(await redis.exists(k.ids), 0);
      assert.equal(await redis.exists(k.state), 0);
      await q.close();
    } finally {
      redis.disconnect();
      await server.close();
    }
  });
});

describe('the coordinator drops a finished pass’s relayed events', () => {
  it('relays what the workers published, then leaves no stream behind', async () => {
    const server = await startRedis();
    const conn = await connectFleet(server.url);
    try {
      const j = job();
      const state = conn.jobState(j);
      const got: EngineEvent[] = [];
      const q = new CoordinatorQueue(conn, j, state, {
        emit: (e) => got.push(e),
        log: pino({ level: 'silent' }),
        hard: new AbortController().signal,
        pollMs: 20,
        workersEveryMs: 60_000,
      });
      const ev: EngineEvent = { type: 'object', key: 'k', outcome: 'copied', size: 1, bytes: 1 };
      // Workers publish while the pass runs.
      const drained = q.drain('p1', async () => ({ status: 'done', objects: 0, bytes: 0 }), {
        concurrency: 1,
        signal: new AbortController().signal,
      });
      await conn.fleet.publish(j, 'p1', [ev, ev]);
      await drained;
      assert.equal(await conn.redis.exists(passKeys(j, 'p1').events), 0);
      await q.close();
    } finally {
      await conn.close();
      await server.close();
    }
  });
});
