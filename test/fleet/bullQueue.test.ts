/**
 * The BullMQ work queue against a real redis-server: dedup and exact counts, interrupted tasks
 * re-queued (never completed), retries then `errored`, resume, and stalled-job recovery after a
 * consumer process is SIGKILLed mid-task.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { BullWorkQueue } from '../../runner/adapters/queue/bullQueue.ts';
import type { CopyTask, ScanTask, Task } from '../../runner/core/types.ts';
import type { TaskOutcome } from '../../runner/ports/workQueue.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

const copy = (id: string): CopyTask => ({
  kind: 'copy',
  id,
  range: { prefix: `${id}/` },
  objects: 1,
  bytes: 1,
  seenObjects: 1,
  seenBytes: 1,
});
const scan = (id: string): ScanTask => ({ kind: 'scan', id, range: { prefix: `${id}/` }, depth: 0 });
const done = (): TaskOutcome => ({ status: 'done', objects: 1, bytes: 1 });
const fast = { lockMs: 2000, stalledMs: 500, attempts: 2, backoffMs: 50 };

describe('BullWorkQueue', () => {
  let server: TestRedis;
  let redis: Redis;
  const queues: BullWorkQueue[] = [];
  const make = () => {
    const q = new BullWorkQueue(redis, `job-${randomBytes(3).toString('hex')}`, { lease: fast, pollMs: 50 });
    queues.push(q);
    return q;
  };
  before(async () => {
    server = await startRedis();
    redis = new Redis(server.url, { maxRetriesPerRequest: null });
  });
  after(async () => {
    for (const q of queues) await q.close();
    redis.disconnect();
    await server.close();
  });

  it('returns only new task ids, once, even under concurrent enqueues', async () => {
    const q = make();
    assert.deepEqual(
      (await q.enqueue('p', [copy('a'), copy('b'), copy('b')])).map((t) => t.id),
      ['a', 'b'],
    );
    assert.deepEqual(
      (await q.enqueue('p', [copy('b'), copy('c')])).map((t) => t.id),
      ['c'],
    );
    const racing = await Promise.all(
      Array.from({ length: 6 }, () => q.enqueue('p', ['d', 'e', 'f'].map(copy))),
    );
    assert.deepEqual(
      racing
        .flat()
        .map((t) => t.id)
        .sort(),
      ['d', 'e', 'f'],
    );
    assert.deepEqual(await q.counts('p', 'copy'), { pending: 6, running: 0, done: 0, failed: 0 });
    assert.deepEqual(await q.counts('p'), { pending: 6, running: 0, done: 0, failed: 0 });
    assert.deepEqual(await q.counts('other', 'copy'), { pending: 0, running: 0, done: 0, failed: 0 });
  });

  it('drains a pass whose scans enqueue more tasks; counts per kind are exact', async () => {
    const q = make();
    await q.enqueue('p', [scan('root')]);
    const ran: string[] = [];
    let peakRunning = 0;
    await q.drain(
      'p',
      async (t: Task) => {
        ran.push(t.id);
        peakRunning = Math.max(peakRunning, (await q.counts('p', t.kind)).running);
        if (t.kind === 'scan' && t.id === 'root') {
          await q.enqueue('p', [scan('s1'), scan('s2')]);
        } else if (t.kind === 'scan') {
          await q.enqueue('p', [copy(`${t.id}-c1`), copy(`${t.id}-c2`), copy('shared')]);
        } else if (t.id === 'shared') {
          return { status: 'failed', objects: 1, bytes: 0 };
        }
        await new Promise((r) => setTimeout(r, 10));
        return done();
      },
      { concurrency: 3, signal: new AbortController().signal },
    );
    assert.equal(ran.length, 8, `each task once: ${ran.join(' ')}`);
    assert.equal(new Set(ran).size, 8);
    assert.ok(peakRunning >= 1);
    assert.deepEqual(await q.counts('p', 'scan'), { pending: 0, running: 0, done: 3, failed: 0 });
    assert.deepEqual(await q.counts('p', 'copy'), { pending: 0, running: 0, done: 4, failed: 1 });
    assert.deepEqual(await q.counts('p'), { pending: 0, running: 0, done: 7, failed: 1 });
    assert.equal(await q.idle('p'), true);
    // Completed jobs are not kept in Redis; the dedup still holds.
    assert.equal(await q.queue('p').getCompletedCount(), 0);
    assert.deepEqual(await q.enqueue('p', [copy('s1-c1')]), []);
  });

  it('re-queues an interrupted task instead of completing it', async () => {
    const q = make();
    await q.enqueue('p', [copy('x'), copy('y')]);
    const runs = new Map<string, number>();
    const stop = new AbortController();
    let interruptedSeen = false;
    const consumer = q.consume(
      'p',
      async (t) => {
        const n = (runs.get(t.id) ?? 0) + 1;
        runs.set(t.id, n);
        if (t.id === 'x' && n === 1) return { status: 'interrupted', objects: 0, bytes: 0 };
        return done();
      },
      {
        concurrency: 1,
        onTask: (t, r) => {
          if (t.id === 'x' && r.outcome?.status === 'interrupted') interruptedSeen = true;
        },
      },
    );
    // After the interruption x is pending again, not done.
    for (let i = 0; i < 100 && !interruptedSeen; i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(interruptedSeen);
    const mid = await q.counts('p', 'copy');
    assert.ok(mid.done <= 1, `x not done after its interruption: ${JSON.stringify(mid)}`);
    await q.waitIdle('p', stop.signal);
    await consumer.close();
    assert.equal(runs.get('x'), 2, 'x ran again');
    assert.equal(runs.get('y'), 1);
    assert.deepEqual(await q.counts('p', 'copy'), { pending: 0, running: 0, done: 2, failed: 0 });
  });

  it('retries a throwing task, then counts it failed; resume runs it again', async () => {
    const q = make();
    await q.enqueue('p', [copy('boom'), copy('ok')]);
    let fail = true;
    const runs: string[] = [];
    const handler = async (t: Task) => {
      runs.push(t.id);
      if (t.id === 'boom' && fail) throw new Error('kaboom');
      return done();
    };
    await q.drain('p', handler, { concurrency: 2, signal: new AbortController().signal });
    assert.equal(runs.filter((r) => r === 'boom').length, fast.attempts, 'retried up to its attempts');
    assert.deepEqual(await q.counts('p', 'copy'), { pending: 0, running: 0, done: 1, failed: 1 });
    fail = false;
    assert.equal(await q.requeueUnfinished('p'), 1);
    assert.deepEqual(await q.counts('p', 'copy'), { pending: 1, running: 0, done: 1, failed: 0 });
    await q.drain('p', handler, { concurrency: 2, signal: new AbortController().signal });
    assert.deepEqual(await q.counts('p', 'copy'), { pending: 0, running: 0, done: 2, failed: 0 });
    assert.equal(await q.requeueUnfinished('p'), 0);
  });

  it('re-runs the tasks of a SIGKILLed consumer elsewhere (stalled-job recovery)', async () => {
    const q = make();
    const ids = ['k1', 'k2', 'k3', 'k4', 'k5'];
    await q.enqueue('p', ids.map(copy));
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(new URL('./stuckConsumer.ts', import.meta.url)),
        server.url,
        q.job,
        'p',
        String(fast.lockMs),
        String(fast.stalledMs),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const taken: string[] = [];
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        for (const m of d.toString().matchAll(/start (\S+)/g)) taken.push(m[1]!);
        if (taken.length >= 2) resolve();
      });
      child.once('exit', () => reject(new Error('the consumer exited early')));
    });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.equal((await q.counts('p', 'copy')).running, 2, 'its tasks are still leased');
    const ran: string[] = [];
    await q.drain(
      'p',
      async (t) => {
        ran.push(t.id);
        return done();
      },
      { concurrency: 2, signal: AbortSignal.timeout(20_000) },
    );
    assert.deepEqual([...ran].sort(), ids, 'every task ran to completion, the stalled ones here');
    for (const id of taken) assert.ok(ran.includes(id), `${id} was re-run`);
    assert.deepEqual(await q.counts('p', 'copy'), { pending: 0, running: 0, done: 5, failed: 0 });
    assert.equal(await q.queue('p').getFailedCount(), 0, 'a stall is not a failure');
  });
});
