/**
 * Fleet scaling: N = 1..4 worker processes (the real `ossmigrate worker`), each capped at the same
 * bandwidth (a fleet-wide limit of N × cap, divided among the live workers), coordinated by
 * `ossmigrate import --queue` on a real redis-server and the sandbox. Throughput is measured on
 * the OSS emulator's request log (first byte in to last byte in of the destination writes), and
 * compared with N = 1 measured in the same run: ideal scaling is N×.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MiB, startFleet, type TestFleet } from '../fleet/harness.ts';
import { patternBytes } from '../sandbox/common/blobs.ts';
import type { BenchRow } from './util.ts';

async function seed(f: TestFleet, prefix: string, count: number, size: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await f.sb.cos.seed(f.sb.info.cos.bucket, {
      key: `${prefix}${String(i).padStart(5, '0')}.bin`,
      body: patternBytes(size, i + 7),
      size,
      lastModified: new Date(Date.now() - 3600_000),
    });
  }
}

/** Destination throughput of the writes under a prefix: bytes / (last end − first start). */
function measured(f: TestFleet, prefix: string): { bytes: number; seconds: number } {
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  let bytes = 0;
  for (const r of f.sb.oss.log.all()) {
    if (r.bucket !== f.sb.info.oss.bucket || !r.key?.startsWith(prefix) || r.status !== 200) continue;
    if (r.op !== 'PutObject' && r.op !== 'UploadPart') continue;
    first = Math.min(first, r.time);
    last = Math.max(last, r.time + r.durationMs);
    bytes += r.bytesIn;
  }
  return { bytes, seconds: Math.max(0.001, (last - first) / 1000) };
}

export async function benchFleet(o: { quick: boolean }): Promise<BenchRow[]> {
  const capMiB = o.quick ? 2 : 4;
  const seconds = o.quick ? 4 : 10;
  const size = 128 * 1024;
  const dataDir = await mkdtemp(join(tmpdir(), 'ossmigrate-bench-fleet-'));
  // Bodies on disk: the sandbox would otherwise hold every run's data in memory.
  const f = await startFleet({ sandbox: { dataDir } });
  const rows: BenchRow[] = [];
  try {
    let one: number | undefined;
    for (let n = 1; n <= 4; n++) {
      const prefix = `n${n}/`;
      const count = Math.ceil((n * capMiB * MiB * seconds) / size);
      await seed(f, prefix, count, size);
      const workers = [];
      for (let i = 0; i < n; i++)
        workers.push(await f.startWorker({ args: ['--tasks', '4', '--concurrency', '4'] }));
      const job = await f.jobFile({
        name: `bench-n${n}`,
        ...f.sb.jobSpec({ srcPrefix: prefix, dstPrefix: prefix }),
        tasks: { maxObjects: 8 },
        bandwidth: { limit: `${n * capMiB}M` },
      });
      const r = await f.coordinate(job, {
        journals: true,
        workdir: join(f.dir, `coord-${n}`),
        args: ['--no-verify'],
      }).done;
      if (r.code !== 0)
        throw new Error(`fleet bench N=${n}: import exited ${r.code}: ${r.stderr.slice(-500)}`);
      for (const w of workers) w.child.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.done));
      const m = measured(f, prefix);
      const mbps = m.bytes / 1e6 / m.seconds;
      one ??= mbps;
      rows.push({
        suite: 'fleet',
        name: `${n} worker${n === 1 ? '' : 's'}, each capped at ${capMiB} MiB/s (${count} × 128 KiB objects)`,
        value: mbps,
        unit: 'MB/s',
        baseline: one,
        ratio: mbps / one,
        note: `ideal ${n}×; cap ${((n * capMiB * MiB) / 1e6).toFixed(1)} MB/s fleet-wide`,
      });
    }
  } finally {
    await f.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  return rows;
}

// Run directly: `node --import tsx test/bench/fleet.ts [--quick]`.
if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await benchFleet({ quick: process.argv.includes('--quick') });
  for (const r of rows)
    process.stdout.write(
      `${r.name.padEnd(60)} ${r.value.toFixed(2).padStart(8)} ${r.unit}  ratio ${r.ratio?.toFixed(2)}×\n`,
    );
}
