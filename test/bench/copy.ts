/**
 * Throughput and memory through the sandbox (both emulators in this process on loopback, the
 * copier in a child process like a real deployment), each against a baseline in the same run:
 *   small / medium / large objects: `ossmigrate import` vs a naive SDK copier (GET into a Buffer,
 *     PUT, N at a time; no CRC, no verification, no resume)
 *   large listing: `ossmigrate plan` (streamed scan) vs listing everything into an array
 *   multi-GB object: `ossmigrate import` (multipart, parallel ranged GETs, CRC-64) vs a bare
 *     streaming pipe (getObjectStream → putStream)
 * Loopback makes CPU the limit, so rates are per 2-core machine shared with the emulators.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { patternBytes } from '../sandbox/common/blobs.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';
import { type BenchRow, BIN, MB, MiB, row, runNode } from './util.ts';

const NAIVE = fileURLToPath(new URL('./naive.ts', import.meta.url));
/** tsx's loader by absolute URL: children run in temp dirs, away from node_modules. */
const TSX = import.meta.resolve('tsx');

async function seedSet(
  sb: Sandbox,
  prefix: string,
  n: number,
  size: number,
  partSize?: number,
): Promise<void> {
  const old = new Date(Date.now() - 3600_000);
  for (let i = 0; i < n; i++) {
    await sb.cos.seed(sb.info.cos.bucket, {
      key: `${prefix}${String(i).padStart(7, '0')}`,
      body: patternBytes(size, i + 1),
      size,
      lastModified: old,
      ...(partSize ? { partSize } : {}),
    });
  }
}

async function jobFile(
  dir: string,
  sb: Sandbox,
  name: string,
  prefix: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const path = join(dir, `${name}.yaml`);
  await writeFile(
    path,
    stringify({
      name,
      ...sb.jobSpec({ srcPrefix: prefix, dstPrefix: `ours/${prefix}` }),
      tasks: { maxObjects: 1000 },
      transfer: { concurrency: 32, multipartThreshold: '64MiB', partSize: '16MiB', partConcurrency: 4 },
      verify: { afterImport: false },
      ...extra,
    }),
  );
  return path;
}

function naiveArgs(
  sb: Sandbox,
  mode: 'copy' | 'list' | 'pipe',
  prefix: string,
  extra: Record<string, unknown> = {},
): string[] {
  return [
    '--import',
    TSX,
    NAIVE,
    mode,
    JSON.stringify({
      cos: sb.info.cos,
      oss: sb.info.oss,
      prefix,
      dstPrefix: `naive/${prefix}`,
      concurrency: 32,
      ...extra,
    }),
  ];
}

function check(r: { code: number | null; stderr: string }, what: string): void {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stderr.slice(-2000)}`);
}

export async function benchCopy(o: { quick: boolean }): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-bench-'));
  const sb = await startSandbox();
  const env = sb.env();
  try {
    const sets = o.quick
      ? [
          { name: 'small', prefix: 'small/', n: 1000, size: 4 * 1024 },
          { name: 'medium', prefix: 'medium/', n: 100, size: MiB },
          { name: 'large', prefix: 'large/', n: 2, size: 96 * MiB, partSize: 16 * MiB },
        ]
      : [
          { name: 'small', prefix: 'small/', n: 5000, size: 4 * 1024 },
          { name: 'medium', prefix: 'medium/', n: 400, size: MiB },
          { name: 'large', prefix: 'large/', n: 4, size: 256 * MiB, partSize: 16 * MiB },
        ];
    for (const s of sets) {
      await seedSet(sb, s.prefix, s.n, s.size, s.partSize);
      const ours = await runNode(
        [
          BIN,
          'import',
          await jobFile(dir, sb, s.name, s.prefix),
          '--workdir',
          join(dir, `w-${s.name}`),
          '--no-verify',
          '--json',
        ],
        { env, cwd: dir },
      );
      check(ours, `ossmigrate import (${s.name})`);
      const naive = await runNode(naiveArgs(sb, 'copy', s.prefix), { env, cwd: dir });
      check(naive, `naive copier (${s.name})`);
      const bytes = s.n * s.size;
      const label = `${s.n} × ${s.size >= MiB ? `${s.size / MiB} MiB` : `${s.size / 1024} KiB`}`;
      if (s.size < MiB) {
        rows.push(
          row({
            suite: 'copy',
            name: `${label}: objects/s (vs naive SDK copier)`,
            value: s.n / (ours.ms / 1000),
            unit: 'obj/s',
            baseline: s.n / (naive.ms / 1000),
            note: 'ours adds CRC-64 end to end, the journal and the state',
          }),
        );
        const lean = await runNode(
          [
            BIN,
            'import',
            await jobFile(dir, sb, `${s.name}-lean`, s.prefix, {
              transfer: { concurrency: 32, checkSourceAfterCopy: true },
              destination: {
                bucket: sb.info.oss.bucket,
                region: sb.info.oss.region,
                prefix: `lean/${s.prefix}`,
                endpoint: sb.info.oss.endpoint,
              },
            }),
            '--workdir',
            join(dir, `w-${s.name}-lean`),
            '--no-verify',
          ],
          { env, cwd: dir },
        );
        check(lean, `ossmigrate import (${s.name}, checkSourceAfterCopy: true)`);
        rows.push(
          row({
            suite: 'copy',
            name: `${label}, checkSourceAfterCopy: true (a HEAD more): objects/s (vs naive)`,
            value: s.n / (lean.ms / 1000),
            unit: 'obj/s',
            baseline: s.n / (naive.ms / 1000),
          }),
        );
      } else {
        rows.push(
          row({
            suite: 'copy',
            name: `${label}: throughput (vs naive SDK copier)`,
            value: bytes / MB / (ours.ms / 1000),
            unit: 'MB/s',
            baseline: bytes / MB / (naive.ms / 1000),
          }),
        );
      }
      rows.push(
        row({
          suite: 'copy',
          name: `${label}: copier peak RSS (vs naive SDK copier)`,
          value: ours.maxRssMiB,
          unit: 'MiB',
          baseline: naive.maxRssMiB,
          note: 'lower is better',
        }),
      );
      rows.push(
        row({
          suite: 'copy',
          name: `${label}: copier CPU per GB (vs naive)`,
          value: ours.cpuMs / 1000 / (bytes / 1e9),
          unit: 'CPU-s/GB',
          baseline: naive.cpuMs / 1000 / (bytes / 1e9),
          note: 'lower is better',
        }),
      );
    }
    // Verification cost: HEAD both sides, no download.
    {
      const s = sets[0]!;
      const v = await runNode([BIN, 'verify', '--workdir', join(dir, `w-${s.name}`), '--json'], {
        env,
        cwd: dir,
      });
      check(v, 'ossmigrate verify');
      rows.push(
        row({
          suite: 'copy',
          name: `verify ${s.n} objects (HEAD both sides): objects/s`,
          value: s.n / (v.ms / 1000),
          unit: 'obj/s',
        }),
      );
    }
  } finally {
    await sb.close();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

export async function benchListing(o: { quick: boolean }): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const sizes = o.quick ? [20_000, 100_000] : [100_000, 1_000_000];
  for (const n of sizes) {
    const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-bench-list-'));
    const sb = await startSandbox();
    try {
      const body = Buffer.from('x');
      for (let i = 0; i < n; i++)
        await sb.cos.seed(sb.info.cos.bucket, {
          key: `d${String(i % 100).padStart(2, '0')}/obj-${String(i).padStart(8, '0')}`,
          body,
          lastModified: new Date(0),
        });
      const job = await jobFile(dir, sb, 'list', '', {
        tasks: { maxObjects: 10_000 },
        scan: { parallelism: 4, depth: 1 },
      });
      const ours = await runNode([BIN, 'plan', job, '--workdir', join(dir, 'w'), '--json'], {
        env: sb.env(),
        cwd: dir,
      });
      check(ours, 'ossmigrate plan');
      const naive = await runNode(naiveArgs(sb, 'list', ''), { env: sb.env(), cwd: dir });
      check(naive, 'naive lister');
      const label = n.toLocaleString('en');
      rows.push(
        row({
          suite: 'listing',
          name: `scan ${label} objects: peak RSS (vs listing into an array)`,
          value: ours.maxRssMiB,
          unit: 'MiB',
          baseline: naive.maxRssMiB,
          note: 'lower is better',
        }),
      );
      rows.push(
        row({
          suite: 'listing',
          name: `scan ${label} objects: rate (vs listing into an array)`,
          value: n / (ours.ms / 1000),
          unit: 'obj/s',
          baseline: n / (naive.ms / 1000),
        }),
      );
    } finally {
      await sb.close();
      await rm(dir, { recursive: true, force: true });
    }
  }
  const [a, b] = rows.filter((r) => r.unit === 'MiB');
  if (a && b)
    rows.push({
      suite: 'listing',
      name: `peak RSS growth, ${sizes[1]!.toLocaleString('en')} vs ${sizes[0]!.toLocaleString('en')} objects`,
      value: b.value / a.value,
      unit: '×',
      note: `naive: ${(b.baseline! / a.baseline!).toFixed(2)}×`,
    });
  return rows;
}

export async function benchBigObject(o: { quick: boolean }): Promise<BenchRow[]> {
  const size = o.quick ? 512 * MiB : 2 * 1024 * MiB;
  const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-bench-big-'));
  const sb = await startSandbox({ dataDir: join(dir, 'data') });
  try {
    await seedSet(sb, 'huge/', 1, size, 64 * MiB);
    const job = await jobFile(dir, sb, 'big', 'huge/', {
      transfer: { concurrency: 8, multipartThreshold: '64MiB', partSize: '32MiB', partConcurrency: 4 },
    });
    const ours = await runNode([BIN, 'import', job, '--workdir', join(dir, 'w'), '--no-verify'], {
      env: sb.env(),
      cwd: dir,
    });
    check(ours, 'ossmigrate import (big object)');
    const naive = await runNode(naiveArgs(sb, 'pipe', 'huge/', { key: 'huge/0000000' }), {
      env: sb.env(),
      cwd: dir,
    });
    check(naive, 'streaming pipe');
    const gb = (size / 1024 ** 3).toFixed(1);
    return [
      row({
        suite: 'big-object',
        name: `${gb} GiB object, disk-backed sandbox: throughput (vs bare streaming pipe)`,
        value: size / MB / (ours.ms / 1000),
        unit: 'MB/s',
        baseline: size / MB / (naive.ms / 1000),
        note: 'ours: 4 parallel parts + CRC-64 + resumable checkpoints',
      }),
      row({
        suite: 'big-object',
        name: `${gb} GiB object: copier peak RSS (vs bare streaming pipe)`,
        value: ours.maxRssMiB,
        unit: 'MiB',
        baseline: naive.maxRssMiB,
        note: 'lower is better; flat in the object size',
      }),
    ];
  } finally {
    await sb.close();
    await rm(dir, { recursive: true, force: true });
  }
}
