/**
 * Scale: the real engine, BullMQ, Redis state, journals and coordinator on the synthetic store
 * (test/scale/harness.ts), at several object counts so the per-object figures show linearity.
 *   SCALE_OBJECTS=100000,1000000,10000000  counts to run (default 10⁵ with --quick, else 10⁵,10⁶)
 *   SCALE_WORKERS=16                        worker loops (default 16)
 *   SCALE_AUDIT_LOG=plain,gzip              journal.auditLog forms, each run at every count (default
 *                                           gzip; plain is the journal before issue #17: a baseline
 *                                           in the same run)
 * Each pass's figures go to stderr when the pass ends, each run's rows when the run ends, so a
 * run killed later keeps them.
 * Plus what one waiting task costs in Redis (10⁴ range tasks enqueued, nothing consuming them):
 * with a scan ahead of the copy, every task of the pass can be waiting at once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { LocalJournal } from '../../runner/adapters/journal/localJournal.ts';
import { BullWorkQueue } from '../../runner/adapters/queue/bullQueue.ts';
import { AUDIT_LOG_MODES } from '../../runner/config/job.ts';
import type { CopyTask, ObjectResult } from '../../runner/core/types.ts';
import { taskId } from '../../runner/engine/taskRange.ts';
import type { AuditLogMode } from '../../runner/ports/journal.ts';
import { startRedis } from '../helpers/redis.ts';
import { type JournalKind, journalKind, runScale, scaleFigures } from '../scale/harness.ts';
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

function parseAuditLogs(v: string | undefined): AuditLogMode[] {
  if (v === undefined || v === '') return ['gzip'];
  const xs = v.split(',').map((s) => s.trim());
  const bad = xs.filter((x) => !(AUDIT_LOG_MODES as readonly string[]).includes(x));
  if (bad.length) {
    process.stderr.write(
      `npm run bench: SCALE_AUDIT_LOG=${JSON.stringify(v)}: ${bad.join(', ')} is not a journal.auditLog form.\nFix: a comma-separated list of ${AUDIT_LOG_MODES.join(', ')} (e.g. SCALE_AUDIT_LOG=plain,gzip), or unset it\n`,
    );
    process.exit(2);
  }
  return xs as AuditLogMode[];
}

const rowLine = (r: BenchRow) => `${r.name.padEnd(80)} ${r.value.toFixed(2).padStart(10)} ${r.unit}\n`;

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

/**
 * Journal bytes per object with real-world entropy. The synthetic store has 64 bodies, so its
 * ETags and CRC-64s repeat and gzip folds them away; real ones are random (128 + 64 bits a line).
 * 10 tasks × 1,000 copied objects shaped as the engine journals them, random ETag and CRC-64,
 * through LocalJournal in batches of 16 (the scale run's), each task ended (ledger and audit packed).
 */
async function journalBytesRealistic(auditLog: AuditLogMode): Promise<Record<JournalKind, number>> {
  const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-journal-bytes-'));
  try {
    const j = new LocalJournal(dir, { auditLog });
    const t0 = Date.parse('2024-01-01T00:00:00Z');
    for (let t = 0; t < 10; t++) {
      const task = `copy-${String(t).padStart(6, '0')}`;
      await j.setStatus('p', task, 'Running');
      for (let b = 0; b < 1000; b += 16) {
        const rs: ObjectResult[] = [];
        for (let i = t * 1000 + b; i < Math.min(t * 1000 + b + 16, (t + 1) * 1000); i++) {
          const key = keyOf('flat', i);
          const etag = createHash('md5').update(randomBytes(16)).digest('hex');
          const crc = randomBytes(8).readBigUInt64LE().toString();
          rs.push({
            key,
            dstKey: key,
            size: 4096 + ((i * 7919) % 60_000),
            bytes: 4096 + ((i * 7919) % 60_000),
            srcEtag: etag,
            srcMtime: new Date(t0 + i * 1000).toISOString(),
            storageClass: 'STANDARD',
            attempts: 1,
            ms: 1 + (i % 9),
            outcome: 'copied',
            dstCrc64: crc,
            srcCrc64: crc,
            dstEtag: etag,
            evidence: 'crc64',
          });
        }
        await j.append('p', task, rs);
      }
      await j.setStatus('p', task, 'Completed');
    }
    await j.close();
    const n: Record<JournalKind, number> = { audit: 0, ledger: 0, summaries: 0, other: 0 };
    for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
      if (e.isFile()) n[journalKind(e.name)] += (await stat(join(e.parentPath, e.name))).size / 10_000;
    return n;
  } finally {
    await rm(dir, { recursive: true, force: true });
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
  const audits = parseAuditLogs(process.env.SCALE_AUDIT_LOG);
  const rows: BenchRow[] = [];
  let last: ScaleFigures = {};
  for (const n of counts)
    for (const auditLog of audits) {
      const t = performance.now();
      const r = await runScale({
        objects: n,
        workers,
        auditLog,
        say: (l) => process.stderr.write(`  ${l}\n`),
      });
      const f = scaleFigures(r);
      const first = rows.length;
      // The default form keeps the plain label (the JSON and docs rows); others name theirs.
      const label = `${n.toExponential(0)} objects, ${workers} workers${auditLog === 'gzip' ? '' : `, audit.log ${auditLog}`}`;
      const add = (name: string, value: number | null, unit: string, note?: string) => {
        if (value !== null)
          rows.push({ suite: 'scale', name: `${label}: ${name}`, value, unit, ...(note ? { note } : {}) });
      };
      add('coordinator CPU per object (copy pass)', f.coordinator_cpu_us_per_object!, 'µs');
      add('coordinator CPU per object (verify pass)', f.verify_coordinator_cpu_us_per_object!, 'µs');
      add(
        'coordinator pass summary CPU per object (journal reads it needs)',
        f.coordinator_summary_cpu_us_per_object!,
        'µs',
      );
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
      add('journal bytes per object (copy pass)', f.journal_copy_bytes_per_object!, 'B');
      add('journal audit.log bytes per object (copy pass)', f.journal_copy_audit_bytes_per_object!, 'B');
      add('journal ledger bytes per object (copy pass)', f.journal_copy_ledger_bytes_per_object!, 'B');
      add('run wall time', (performance.now() - t) / 1000, 's');
      for (const row of rows.slice(first)) process.stderr.write(`  ${rowLine(row)}`);
      if (auditLog === 'gzip' || audits.length === 1) last = f;
    }
  for (const auditLog of AUDIT_LOG_MODES) {
    const b = await journalBytesRealistic(auditLog);
    const name = `journal bytes per object, random ETags/CRC-64 (10⁴ objects), audit.log ${auditLog}`;
    const note = `audit ${b.audit.toFixed(1)} B, ledger ${b.ledger.toFixed(1)} B, summaries ${b.summaries.toFixed(2)} B`;
    const row: BenchRow = {
      suite: 'scale',
      name,
      value: b.audit + b.ledger + b.summaries + b.other,
      unit: 'B',
      note,
    };
    process.stderr.write(`  ${rowLine(row).trimEnd()} (${note})\n`);
    rows.push(row);
    out[`journal_bytes_per_object_random_${auditLog}`] = row.value;
    out[`journal_audit_bytes_per_object_random_${auditLog}`] = b.audit;
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
  for (const r of rows) process.stdout.write(rowLine(r));
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
}
