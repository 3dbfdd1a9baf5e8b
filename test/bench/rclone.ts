/**
 * ossmigrate against rclone, the tool a migration engineer would pick instead (issue #16): the
 * same objects from the sandbox's COS emulator to its OSS emulator, rclone through both
 * emulators' S3 APIs (`rclone copy --transfers 32`), ossmigrate with `import` at default
 * settings (verification on). Each copy is its own process; the emulators live in this one.
 *
 * Client CPU is user + sys of the child as its parent's wait4 sees it: the copier runs under
 * `bash -c '"$@"; times'`, whose second `times` line is the rusage of the children bash waited
 * for (rclone's threads, Node's threads and the execve'd re-start included). The same wrapper
 * for both tools, so neither is measured by a hook the other lacks.
 *
 * Sets: an empty prefix (the fixed cost of a job), 8 × 64 MiB and 16 × 64 MiB (the difference is
 * the marginal CPU per GB), 3,000 × 4 KiB (marginal per small object over the empty run). A
 * repetition runs every set with both tools back to back; ratios are medians of per-repetition
 * ratios (this VM's speed drifts by tens of percent over minutes, adjacent runs much less).
 * After every copy the OSS emulator's contents are compared with the source (size + CRC-64).
 *
 * Node's own floor for the byte path, in the same repetitions: pipe.ts (a bare keep-alive
 * node:http GET → PUT pipe between the same emulators, 16 at a time, signed inline, no SDK, no
 * hash, no state, the CLI's runtime flags) copying the same 8 and 16 objects. Its CPU per
 * additional GB against rclone's is what any Node program pays; ossmigrate's against it is what
 * this project's code adds.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { RUNTIME_FLAGS } from '../../bin/runtimeFlags.js';
import { buildCli } from '../../scripts/build.ts';
import { patternBytes } from '../sandbox/common/blobs.ts';
import type { LoggedRequest } from '../sandbox/common/requestLog.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';
import { pipeClouds } from './limit.ts';
import { type BenchRow, BIN, cliStart, MiB, median, row } from './util.ts';

export type Run = {
  code: number | null;
  ms: number;
  cpuMs: number;
  /** The user and sys parts of cpuMs (sys: mostly socket and file syscalls). */
  userMs: number;
  sysMs: number;
  stdout: string;
  stderr: string;
};

/** Figures the `--json` line reports under issue #16's names. */
export type RcloneFigures = Record<string, number | Record<string, number>>;

type SetName = 'empty' | 'big8' | 'big16' | 'small';
type SetDef = { name: SetName; prefix: string; n: number; size: number };

const SETS: SetDef[] = [
  { name: 'empty', prefix: 'nothing-here/', n: 0, size: 0 },
  { name: 'big8', prefix: 'big/a/', n: 8, size: 64 * MiB },
  { name: 'big16', prefix: 'big/', n: 16, size: 64 * MiB },
  { name: 'small', prefix: 'small/', n: 3000, size: 4096 },
];

const TIMES = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/;

/** Run argv under bash, whose `times` reports the children's user and sys CPU when it ends. */
export function timed(argv: string[], env: Record<string, string>, cwd: string): Promise<Run> {
  const started = performance.now();
  const child = spawn('/bin/bash', ['-c', '"$@"; rc=$?; echo >&2; times >&2; exit $rc', 'bash', ...argv], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = stderr.trimEnd().split('\n');
      const m = TIMES.exec(lines.at(-1) ?? '');
      const s = (min: string, sec: string) => Number(min) * 60_000 + Number(sec) * 1000;
      resolve({
        code,
        ms: performance.now() - started,
        cpuMs: m ? s(m[1]!, m[2]!) + s(m[3]!, m[4]!) : Number.NaN,
        userMs: m ? s(m[1]!, m[2]!) : Number.NaN,
        sysMs: m ? s(m[3]!, m[4]!) : Number.NaN,
        stdout,
        stderr: lines.slice(0, -3).join('\n'),
      });
    });
  });
}

export function check(r: Run, what: string): Run {
  if (r.code !== 0 || Number.isNaN(r.cpuMs))
    throw new Error(`${what} failed (exit ${r.code}):\n${(r.stderr || r.stdout).slice(-2000)}`);
  return r;
}

async function seed(sb: Sandbox): Promise<void> {
  const old = new Date(Date.now() - 3600_000);
  const put = (key: string, size: number, seedNo: number) =>
    sb.cos.seed(sb.info.cos.bucket, { key, body: patternBytes(size, seedNo), size, lastModified: old });
  for (let i = 0; i < 8; i++) await put(`big/a/${i}`, 64 * MiB, i + 1);
  for (let i = 0; i < 8; i++) await put(`big/b/${i}`, 64 * MiB, i + 101);
  for (let i = 0; i < 3000; i++) await put(`small/${String(i).padStart(5, '0')}`, 4096, i + 1001);
}

/** rclone's remotes come from RCLONE_CONFIG_* (secrets never in argv); nothing else is inherited. */
function rcloneEnv(sb: Sandbox, home: string): Record<string, string> {
  const { cos, oss } = sb.info;
  const remote = (name: string, r: { endpoint: string; region: string; id: string; secret: string }) => ({
    [`RCLONE_CONFIG_${name}_TYPE`]: 's3',
    [`RCLONE_CONFIG_${name}_PROVIDER`]: 'Other',
    [`RCLONE_CONFIG_${name}_ENV_AUTH`]: 'false',
    [`RCLONE_CONFIG_${name}_ACCESS_KEY_ID`]: r.id,
    [`RCLONE_CONFIG_${name}_SECRET_ACCESS_KEY`]: r.secret,
    [`RCLONE_CONFIG_${name}_ENDPOINT`]: r.endpoint,
    [`RCLONE_CONFIG_${name}_REGION`]: r.region,
    [`RCLONE_CONFIG_${name}_FORCE_PATH_STYLE`]: 'true',
  });
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    RCLONE_CONFIG: join(home, 'rclone.conf'),
    RCLONE_CACHE_DIR: join(home, 'rclone-cache'),
    ...remote('SRC', { endpoint: cos.endpoint, region: cos.region, id: cos.secretId, secret: cos.secretKey }),
    ...remote('DST', {
      endpoint: oss.endpoint,
      region: oss.region,
      id: oss.accessKeyId,
      secret: oss.accessKeySecret,
    }),
  };
}

async function rclone(sb: Sandbox, dir: string, set: SetDef, dst: string): Promise<Run> {
  const argv = [
    'rclone',
    'copy',
    `src:${sb.info.cos.bucket}/${set.prefix}`,
    `dst:${sb.info.oss.bucket}/${dst}`,
    '--transfers',
    '32',
    // The bucket exists; rclone would otherwise try to create it first.
    '--s3-no-check-bucket',
  ];
  return check(await timed(argv, rcloneEnv(sb, dir), dir), `rclone copy (${set.name})`);
}

async function ours(sb: Sandbox, dir: string, set: SetDef, dst: string): Promise<Run> {
  const job = join(dir, `${dst.replaceAll('/', '')}.yaml`);
  await writeFile(
    job,
    stringify({ name: dst.replaceAll('/', ''), ...sb.jobSpec({ srcPrefix: set.prefix, dstPrefix: dst }) }),
  );
  const { argv, env } = cliStart(
    BIN,
    ['import', job, '--workdir', join(dir, `w-${dst.replaceAll('/', '')}`)],
    {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      ...sb.env(),
    },
  );
  return check(await timed(argv, env, dir), `ossmigrate import (${set.name})`);
}

const PIPE = fileURLToPath(new URL('./pipe.ts', import.meta.url));

/**
 * The bare Node pipe (pipe.ts) copying the set's objects to `${dst}${key}`, timed as the tools are;
 * compare(sb, set, dst + set.prefix) then checks them.
 */
async function nodePipe(sb: Sandbox, dir: string, set: SetDef, dst: string): Promise<Run> {
  const src = sb.cos.buckets.get(sb.info.cos.bucket)!;
  const keys = src.list({ prefix: set.prefix, maxKeys: 100_000 }).contents.map((o) => o.key);
  const arg = JSON.stringify({
    clouds: pipeClouds(sb, dst),
    keyPrefix: '',
    keys,
    count: keys.length,
    pad: 0,
    concurrency: 16,
    crc: false,
  });
  const argv = [process.execPath, ...RUNTIME_FLAGS, '--import', import.meta.resolve('tsx'), PIPE, arg];
  return check(
    await timed(argv, { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir }, dir),
    `node pipe (${set.name})`,
  );
}

/** Every source object of the set is at dst with the same size and CRC-64; nothing else is there. */
function compare(sb: Sandbox, set: SetDef, dst: string, tool: string): void {
  const src = sb.cos.buckets.get(sb.info.cos.bucket)!;
  const out = sb.oss.buckets.get(sb.info.oss.bucket)!;
  const want = src.list({ prefix: set.prefix, maxKeys: 100_000 }).contents;
  const got = out.list({ prefix: dst, maxKeys: 100_000 }).contents;
  if (got.length !== want.length)
    throw new Error(`${tool} (${set.name}): ${got.length} objects at ${dst}, expected ${want.length}`);
  for (const w of want) {
    const g = out.get(dst + w.key.slice(set.prefix.length));
    const wc = w.crc64;
    if (!g || g.size !== w.size || !wc || g.crc64 !== wc)
      throw new Error(`${tool} (${set.name}): ${w.key} is missing or differs at the destination`);
  }
}

function drop(sb: Sandbox, prefix: string): void {
  const b = sb.oss.buckets.get(sb.info.oss.bucket)!;
  for (const o of b.list({ prefix, maxKeys: 100_000 }).contents) b.delete(o.key);
}

/** Requests the OSS emulator served that write no object data: preflight, listing, verification. */
const WRITES = new Set([
  'PutObject',
  'InitiateMultipartUpload',
  'CreateMultipartUpload',
  'UploadPart',
  'CompleteMultipartUpload',
]);
function readOps(log: readonly LoggedRequest[]): Record<string, number> {
  const by: Record<string, number> = {};
  for (const e of log) if (!WRITES.has(e.op)) by[e.op] = (by[e.op] ?? 0) + 1;
  return by;
}
const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);

type Pair = { rclone: Run; ours: Run; oursReads: Record<string, number> };

export async function benchRclone(
  o: { quick: boolean; reps?: number },
  figures: RcloneFigures = {},
): Promise<BenchRow[]> {
  const probe = await timed(['rclone', 'version'], { PATH: process.env.PATH ?? '' }, tmpdir()).catch(
    () => undefined,
  );
  if (probe?.code !== 0)
    throw new Error('rclone is not installed: run `apt-get update && apt-get install -y rclone`');
  // What `npm install` leaves: the prebuilt CLI, fresh (after an edit bin/ would run the sources).
  await buildCli();
  const reps = o.reps ?? (o.quick ? 1 : 3);
  const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-bench-rclone-'));
  const sb = await startSandbox();
  const rows: BenchRow[] = [];
  try {
    await seed(sb);
    const runs: Record<SetName, Pair>[] = [];
    const pipes: { p8: Run; p16: Run }[] = [];
    for (let r = 0; r < reps; r++) {
      const rep = {} as Record<SetName, Pair>;
      for (const set of SETS) {
        const rc = await rclone(sb, dir, set, `rc${r}-${set.name}/`);
        compare(sb, set, `rc${r}-${set.name}/`, 'rclone');
        drop(sb, `rc${r}-${set.name}/`);
        const mark = sb.oss.log.mark();
        const us = await ours(sb, dir, set, `om${r}-${set.name}/`);
        const oursReads = readOps(sb.oss.log.since(mark));
        compare(sb, set, `om${r}-${set.name}/`, 'ossmigrate');
        drop(sb, `om${r}-${set.name}/`);
        rep[set.name] = { rclone: rc, ours: us, oursReads };
        process.stderr.write(
          `  rep ${r + 1}/${reps} ${set.name.padEnd(6)} rclone ${(rc.cpuMs / 1000).toFixed(2)} CPU-s ${(rc.ms / 1000).toFixed(1)} s` +
            `  ossmigrate ${(us.cpuMs / 1000).toFixed(2)} CPU-s ${(us.ms / 1000).toFixed(1)} s\n`,
        );
      }
      const pipe: Partial<Record<SetName, Run>> = {};
      for (const set of SETS.filter((x) => x.name === 'big8' || x.name === 'big16')) {
        const dst = `np${r}-${set.name}/`;
        pipe[set.name] = await nodePipe(sb, dir, set, dst);
        compare(sb, set, dst + set.prefix, 'node pipe');
        drop(sb, dst);
      }
      const p8 = pipe.big8!;
      const p16 = pipe.big16!;
      pipes.push({ p8, p16 });
      process.stderr.write(
        `  rep ${r + 1}/${reps} node pipe 8 × 64 MiB ${(p8.cpuMs / 1000).toFixed(2)} CPU-s, 16 × ${(p16.cpuMs / 1000).toFixed(2)}\n`,
      );
      runs.push(rep);
    }
    const gb = (8 * 64 * MiB) / 1e9;
    const per = (rep: Record<SetName, Pair>, tool: 'rclone' | 'ours') => ({
      fixed: rep.empty[tool].cpuMs / 1000,
      whole8: rep.big8[tool].cpuMs / 1000,
      whole16: rep.big16[tool].cpuMs / 1000,
      perGb: (rep.big16[tool].cpuMs - rep.big8[tool].cpuMs) / 1000 / gb,
      userPerGb: (rep.big16[tool].userMs - rep.big8[tool].userMs) / 1000 / gb,
      wholeSmall: rep.small[tool].cpuMs / 1000,
      perSmallUs: ((rep.small[tool].cpuMs - rep.empty[tool].cpuMs) * 1000) / 3000,
      wall8: rep.big8[tool].ms / 1000,
      wall16: rep.big16[tool].ms / 1000,
      wallSmall: rep.small[tool].ms / 1000,
      wallEmpty: rep.empty[tool].ms / 1000,
    });
    const rc = runs.map((r) => per(r, 'rclone'));
    const us = runs.map((r) => per(r, 'ours'));
    type K = keyof ReturnType<typeof per>;
    const med = (xs: ReturnType<typeof per>[], k: K) => median(xs.map((x) => x[k]));
    const ratio = (k: K) => median(runs.map((_, i) => us[i]![k] / rc[i]![k]));
    const spread = (k: K) =>
      reps > 1 ? `; per rep ${runs.map((_, i) => (us[i]![k] / rc[i]![k]).toFixed(2)).join(', ')}` : '';
    const verifyPerObject = median(runs.map((r) => sum(r.small.oursReads) / 3000));
    // Node's floor (pipe.ts): CPU per additional GB, against rclone's and against ossmigrate's.
    const pipeGb = pipes.map((p) => (p.p16.cpuMs - p.p8.cpuMs) / 1000 / gb);
    const pipeUser = pipes.map((p) => (p.p16.userMs - p.p8.userMs) / 1000 / gb);
    const pipeVsRclone = median(pipeGb.map((v, i) => v / rc[i]!.perGb));
    const oursVsPipe = median(pipeGb.map((v, i) => us[i]!.perGb / v));
    Object.assign(figures, {
      node_pipe_cpu_per_gb: median(pipeGb),
      node_pipe_user_cpu_per_gb: median(pipeUser),
      node_pipe_vs_rclone_cpu_per_gb_ratio: pipeVsRclone,
      ossmigrate_vs_node_pipe_cpu_per_gb_ratio: oursVsPipe,
      rclone_cpu_per_gb_ratio: ratio('perGb'),
      rclone_cpu_per_small_object_ratio: ratio('perSmallUs'),
      rclone_fixed_cost_ratio: ratio('fixed'),
      verify_requests_per_object: verifyPerObject,
      rclone_whole_8x64mib_ratio: ratio('whole8'),
      rclone_whole_3000x4kib_ratio: ratio('wholeSmall'),
      rclone_repetitions: reps,
    });
    for (const [tool, xs] of [
      ['rclone', rc],
      ['ossmigrate', us],
    ] as const) {
      for (const k of Object.keys(xs[0]!) as K[]) figures[`${tool}_${k}`] = med(xs, k);
    }
    figures.ossmigrate_oss_read_requests_3000x4kib = runs.at(-1)!.small.oursReads;
    figures.ossmigrate_oss_read_requests_empty = runs.at(-1)!.empty.oursReads;

    const add = (name: string, k: K, unit: string, target?: number) =>
      rows.push(
        row({
          suite: 'rclone',
          name: `${name} (vs rclone copy --transfers 32)`,
          value: med(us, k),
          unit,
          baseline: med(rc, k),
          ratio: ratio(k),
          note: `${target !== undefined ? `target ≤ ${target}×` : 'whole process'}${spread(k)}`,
        }),
      );
    add('8 × 64 MiB, whole process: CPU', 'whole8', 'CPU-s');
    add('per additional GB (8 → 16 × 64 MiB): CPU', 'perGb', 'CPU-s/GB', 1.3);
    const perRep = (xs: number[]) => (reps > 1 ? `; per rep ${xs.map((v) => v.toFixed(2)).join(', ')}` : '');
    rows.push(
      row({
        suite: 'rclone',
        name: "per additional GB: CPU of Node's floor, a bare node:http pipe (pipe.ts, no SDK, no hash) (vs rclone)",
        value: median(pipeGb),
        unit: 'CPU-s/GB',
        baseline: med(rc, 'perGb'),
        ratio: pipeVsRclone,
        note: `what any Node program pays${perRep(pipeGb.map((v, i) => v / rc[i]!.perGb))}`,
      }),
      row({
        suite: 'rclone',
        name: "per additional GB: CPU of ossmigrate (vs Node's floor, the bare pipe)",
        value: med(us, 'perGb'),
        unit: 'CPU-s/GB',
        baseline: median(pipeGb),
        ratio: oursVsPipe,
        note: `what this project's code adds${perRep(pipeGb.map((v, i) => us[i]!.perGb / v))}`,
      }),
    );
    add('fixed cost of one job (empty set): CPU', 'fixed', 'CPU-s', 1.5);
    add('3,000 × 4 KiB, whole process: CPU', 'wholeSmall', 'CPU-s');
    add('per small object (3,000 × 4 KiB over empty): CPU', 'perSmallUs', 'CPU-µs', 1.0);
    add('16 × 64 MiB: wall', 'wall16', 's');
    add('3,000 × 4 KiB: wall', 'wallSmall', 's');
    rows.push(
      row({
        suite: 'rclone',
        name: 'OSS requests per object beyond the writes (3,000 × 4 KiB import: preflight, listing, verification)',
        value: verifyPerObject,
        unit: 'req/obj',
        note: `target ≤ 0.01; ${Object.entries(runs.at(-1)!.small.oursReads)
          .map(([op, n]) => `${op} ${n}`)
          .join(', ')}`,
      }),
    );
    printTable(rc, us, ratio, { perGb: median(pipeGb), vsRclone: pipeVsRclone });
  } finally {
    await sb.close();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

/** The issue's table, from this run's medians. */
function printTable(
  rc: Record<string, number>[],
  us: Record<string, number>[],
  ratio: (k: never) => number,
  pipe: { perGb: number; vsRclone: number },
): void {
  const m = (xs: Record<string, number>[], k: string) => median(xs.map((x) => x[k]!));
  const r = ratio as (k: string) => number;
  const line = (work: string, k: string, unit: string) =>
    `  | ${work} | ${m(rc, k).toFixed(2)} ${unit} | ${m(us, k).toFixed(2)} ${unit} | ${r(k).toFixed(2)}× |\n`;
  process.stderr.write(
    '\n  | work | rclone | ossmigrate | ratio |\n  |---|---|---|---|\n' +
      line('8 × 64 MiB, whole process', 'whole8', 'CPU-s') +
      line('per additional GB (8 → 16 objects)', 'perGb', 'CPU-s') +
      `  | per additional GB, bare Node pipe (Node's floor) | ${m(rc, 'perGb').toFixed(2)} CPU-s | ${pipe.perGb.toFixed(2)} CPU-s | ${pipe.vsRclone.toFixed(2)}× |\n` +
      line('fixed cost of one job', 'fixed', 'CPU-s') +
      line('3,000 × 4 KiB, whole process', 'wholeSmall', 'CPU-s') +
      line('per small object (over fixed)', 'perSmallUs', 'CPU-µs') +
      '\n',
  );
}
