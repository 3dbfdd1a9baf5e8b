/**
 * Scale: the real engine, BullMQ, Redis state, journals and coordinator on the synthetic store
 * (test/scale/harness.ts), at several object counts so the per-object figures show linearity.
 *   SCALE_OBJECTS=100000,1000000,10000000  counts to run (default 10⁵ with --quick, else 10⁵,10⁶)
 *   SCALE_WORKERS=16                        worker loops (default 16)
 * Plus what one waiting task costs in Redis (10⁴ range tasks enqueued, nothing consuming them):
 * with a scan ahead of the copy, every task of the pass can be waiting at once.
 */
import { Redis } from 'ioredis';
import { BullWorkQueue } from '../../runner/adapters/queue/bullQueue.ts';
import type { CopyTask } from '../../runner/core/types.ts';
import { taskId } from '../../runner/engine/taskRange.ts';
import { startRedis } from '../helpers/redis.ts';
import { runScale, scaleFigures } from '../scale/harness.ts';
import { keyOf } from '../scale/syntheticStore.ts';
import type { BenchRow } from './util.ts';

export type ScaleFigures = Record<string, number | null>;

function parseList(
  name: string,
  v: string | undefined,
  dflt: number[],
  min = 1000,
  what = 'object counts',
): number[] {
  if (v === undefined || v === '') return dflt;
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (xs.some((x) => !Number.isInteger(x) || x < min)) {
    process.stderr.write(
      `npm run bench: ${name}=${JSON.stringify(v)} is not a list of ${what}.\nFix: whole numbers ≥ ${min}, comma-separated (e.g. ${name}=${min === 1000 ? '100000,1000000' : '16'}), or unset it\n`,
    );
    process.exit(2);
  }
  return xs;
}

/** Redis bytes of one waiting copy task (BullMQ job + dedup + counts), from 10⁴ of them. */
async function waitingTaskBytes(): Promise<number> {
  const server = await startRedis();
  const redis = new Redis(server.url, { maxRetriesPerRequest: null });
  try {
    const q = new BullWorkQueue(redis, 'waiting');
    const mem = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0);
    await q.enqueue('p', []);
    const before = await mem();
    const n = 10_000;
    for (let b = 0; b < n; b += 1000) {
      const tasks: CopyTask[] = [];
      for (let i = b; i < b + 1000; i++) {
        const range = {
          prefix: 'img/',
          startAfter: keyOf('flat', i * 1000),
          endKey: keyOf('flat', i * 1000 + 999),
        };
        tasks.push({
          kind: 'copy',
          id: taskId('copy', range),
          range,
          objects: 1000,
          bytes: 31_457_280_000,
          seenObjects: 1000,
          seenBytes: 31_457_280_000,
        });
      }
      await q.enqueue('p', tasks);
    }
    const bytes = ((await mem()) - before) / n;
    await q.close();
    return bytes;
  } finally {
    redis.disconnect();
    await server.close();
  }
}

export async function benchScale(o: { quick: boolean }, out: ScaleFigures = {}): Promise<BenchRow[]> {
  const counts = parseList(
    'SCALE_OBJECTS',
    process.env.SCALE_OBJECTS,
    o.quick ? [100_000] : [100_000, 1_000_000],
  );
  // A worker count: at least 1, not the 1,000 an object count needs.
  const workers = parseList('SCALE_WORKERS', process.env.SCALE_WORKERS, [16], 1, 'worker counts')[0] ?? 16;
  const rows: BenchRow[] = [];
  let last: ScaleFigures = {};
  for (const n of counts) {
    const t = performance.now();
    const r = await runScale({ objects: n, workers, say: (l) => process.stderr.write(`  ${l}\n`) });
    const f = scaleFigures(r);
    const label = `${n.toExponential(0)} objects, ${workers} workers`;
    const add = (name: string, value: number | null, unit: string, note?: string) => {
      if (value !== null)
        rows.push({ suite: 'scale', name: `${label}: ${name}`, value, unit, ...(note ? { note } : {}) });
    };
    add('coordinator CPU per object (copy pass)', f.coordinator_cpu_us_per_object!, 'µs');
    add('coordinator CPU per object (verify pass)', f.verify_coordinator_cpu_us_per_object!, 'µs');
    add('coordinator summary (ledger read) CPU per object', f.coordinator_summary_cpu_us_per_object!, 'µs');
    add('events to the coordinator per object', f.coordinator_events_per_object!, 'events');
    add(
      'Redis kept per task after the pass',
      f.redis_bytes_left_per_task!,
      'B',
      'relayed-events stream apart',
    );
    add('Redis relayed-events stream', f.redis_event_stream_mib!, 'MiB', 'capped');
    add('Redis peak', f.redis_peak_mib!, 'MiB');
    add('BullMQ jobs left after the pass', f.bullmq_jobs_left!, 'jobs');
    add('requests per object (copy)', f.copy_requests_per_object!, 'req');
    add(
      'requests per object (verify)',
      f.verify_requests_per_object ?? null,
      'req',
      'listings without CRC-64: a HEAD each side',
    );
    add('copy throughput', f.copy_objects_per_s!, 'obj/s', 'CPU-bound: no request latency');
    add('journal bytes per object', f.journal_bytes_per_object_measured!, 'B');
    add('run wall time', (performance.now() - t) / 1000, 's');
    last = f;
  }
  const waiting = await waitingTaskBytes();
  rows.push({
    suite: 'scale',
    name: 'Redis bytes per waiting copy task (10⁴ enqueued)',
    value: waiting,
    unit: 'B',
  });
  Object.assign(out, last, {
    redis_bytes_per_task: Math.round(waiting),
    redis_bytes_per_task_pass_peak: last.redis_bytes_per_task ?? null,
  });
  return rows;
}

// Run directly: `node --import tsx test/bench/scale.ts [--quick]`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const out: ScaleFigures = {};
  const rows = await benchScale({ quick: process.argv.includes('--quick') }, out);
  for (const r of rows)
    process.stdout.write(`${r.name.padEnd(80)} ${r.value.toFixed(2).padStart(10)} ${r.unit}\n`);
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
}
