/**
 * Test fixture (run as a child process): takes tasks of a pass and never finishes them, printing
 * "start <id>" for each — the parent SIGKILLs it to leave stalled jobs behind.
 */
import { Redis } from 'ioredis';
import { BullWorkQueue } from '../../runner/adapters/queue/bullQueue.ts';

const [url, job, passId, lockMs, stalledMs] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const redis = new Redis(url, { maxRetriesPerRequest: null });
const q = new BullWorkQueue(redis, job, { lease: { lockMs: Number(lockMs), stalledMs: Number(stalledMs) } });
q.consume(
  passId,
  async (task) => {
    process.stdout.write(`start ${task.id}\n`);
    await new Promise(() => {});
    return { status: 'done', objects: 0, bytes: 0 };
  },
  { concurrency: 2 },
);
