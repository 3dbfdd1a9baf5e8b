/**
 * CPU per GB and per small object of `ossmigrate import` from every source type, against the COS
 * path in the same run (issue #13): the same objects in each source's emulator — the COS emulator
 * (its COS API, and its S3 API as an S3 source), s3rver, Azurite, a plain web server behind a URL
 * list, the UpYun emulator, a local directory — copied into the sandbox's OSS emulator at default
 * settings (verification and report on). Each import is its own process; its CPU is user + sys
 * as the parent's wait4 sees it (rclone.ts's `timed`), the servers live in this process.
 *
 * Sets: N and 2N large objects (the difference is the marginal CPU per GB: start-up, preflight,
 * listing and report cancel), M and M' small ones (the difference over M' − M objects is the
 * marginal CPU per object). A repetition runs every source's pair back to back, COS first, big
 * sets then small; ratios are medians of per-repetition ratios (this VM drifts by tens of percent
 * over minutes, adjacent runs much less). Every run must exit 0 with every object copied and
 * verified, and the OSS emulator must hold every key with the source's size and CRC-64 (its own,
 * computed from the bytes it received): a broken run throws instead of reporting a number.
 * The evidence mix is each run's report summary (reports/<pass>/summary.json, `verifiedBy`).
 */
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { stringify } from 'yaml';
import { crc64 } from '../../runner/core/crc64.ts';
import { buildCli } from '../../scripts/build.ts';
import { startHttpListServer } from '../helpers/httpListServer.ts';
import { S3_KEY, startS3Server } from '../helpers/s3Server.ts';
import { startAzureSource } from '../sandbox/azureSource.ts';
import { patternBytes } from '../sandbox/common/blobs.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';
import { startUpyunEmulator } from '../sandbox/upyun/index.ts';
import { check, type Run, timed } from './rclone.ts';
import { type BenchRow, BIN, cliStart, MiB, median, row } from './util.ts';

/** Figures the `--json` line reports: sources_<type>_… (type with "-" as "_"). */
export type SourcesFigures = Record<string, number | string | Record<string, unknown>>;

type Obj = { key: string; body: Buffer; crc64: string };
type SetName = 'bigFew' | 'bigAll' | 'smallFew' | 'smallAll';
type SetDef = { name: SetName; prefix: string; objects: Obj[] };

/** Every source the suite measures, in run order (COS first: it is every ratio's baseline). */
export const SOURCE_TYPES = ['cos', 's3-cos', 's3', 'azure', 'http-list', 'upyun', 'local'] as const;

type Shape = {
  big: { few: number; all: number; size: number };
  small: { few: number; all: number; size: number };
};
const FULL: Shape = { big: { few: 4, all: 10, size: 32 * MiB }, small: { few: 500, all: 2000, size: 4096 } };
const QUICK: Shape = { big: { few: 2, all: 4, size: 8 * MiB }, small: { few: 60, all: 200, size: 4096 } };

/** One source type: its server seeded with every object, and how a job file names a prefix of it. */
type Source = {
  type: string;
  label: string;
  source(prefix: string): Record<string, unknown>;
  env: Record<string, string>;
  close(): Promise<void>;
};

const hourAgo = () => new Date(Date.now() - 3600_000);
const bytes = (size: number, seed: number) => Buffer.concat([...patternBytes(size, seed)]);

/** big/a/ holds the few, big/b/ the rest: the prefix big/ is all of them (the same for small/). */
function makeSets(s: Shape): { sets: SetDef[]; all: Obj[] } {
  const group = (kind: 'big' | 'small', n: { few: number; all: number; size: number }, seed0: number) => {
    const objs: Obj[] = [];
    for (let i = 0; i < n.all; i++) {
      const key = `${kind}/${i < n.few ? 'a' : 'b'}/${String(i).padStart(5, '0')}`;
      const body = bytes(n.size, seed0 + i);
      objs.push({ key, body, crc64: crc64(body) });
    }
    return objs;
  };
  const big = group('big', s.big, 1);
  const small = group('small', s.small, 10_001);
  const sets: SetDef[] = [
    { name: 'bigFew', prefix: 'big/a/', objects: big.filter((o) => o.key.startsWith('big/a/')) },
    { name: 'bigAll', prefix: 'big/', objects: big },
    { name: 'smallFew', prefix: 'small/a/', objects: small.filter((o) => o.key.startsWith('small/a/')) },
    { name: 'smallAll', prefix: 'small/', objects: small },
  ];
  return { sets, all: [...big, ...small] };
}

async function cosSources(sb: Sandbox, all: Obj[]): Promise<Source[]> {
  const { cos } = sb.info;
  for (const o of all)
    await sb.cos.seed(cos.bucket, { key: o.key, body: o.body, size: o.body.length, lastModified: hourAgo() });
  const at = { bucket: cos.bucket, region: cos.region, endpoint: cos.endpoint };
  return [
    {
      type: 'cos',
      label: 'COS (COS emulator)',
      source: (prefix) => ({ type: 'cos', ...at, prefix }),
      env: { TENCENTCLOUD_SECRET_ID: cos.secretId, TENCENTCLOUD_SECRET_KEY: cos.secretKey },
      close: async () => {},
    },
    {
      // The same objects through the emulator's S3 API (SigV4, path style), as sandbox --source s3.
      type: 's3-cos',
      label: 'S3 (COS emulator S3 API)',
      source: (prefix) => ({ type: 's3', provider: 'minio', ...at, prefix }),
      env: { AWS_ACCESS_KEY_ID: cos.secretId, AWS_SECRET_ACCESS_KEY: cos.secretKey },
      close: async () => {},
    },
  ];
}

async function s3Source(all: Obj[]): Promise<Source> {
  const s3 = await startS3Server();
  const bucket = 'bench-src';
  await s3.createBucket(bucket);
  for (const o of all)
    await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: o.key, Body: o.body }));
  return {
    type: 's3',
    label: 'S3 (s3rver)',
    // s3rver speaks ListObjects V1 only on Node 24 (docs/sources/s3.md): provider other.
    source: (prefix) => ({ type: 's3', provider: 'other', bucket, endpoint: s3.endpoint, prefix }),
    env: { AWS_ACCESS_KEY_ID: S3_KEY.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_KEY.secretAccessKey },
    close: () => s3.close(),
  };
}

async function azureSource(all: Obj[]): Promise<Source> {
  const az = await startAzureSource({ container: 'bench-src', seed: 'none' });
  const c = await az.azurite.container(az.container);
  for (const o of all) await c.getBlockBlobClient(o.key).upload(o.body, o.body.length);
  return {
    type: 'azure',
    label: 'Azure Blob (Azurite)',
    source: (prefix) => az.jobSource(prefix),
    env: az.env(),
    close: () => az.close(),
  };
}

/** One list file per set, each line `<origin>/<set prefix>\t<rest of the key>`. */
async function httpListSource(all: Obj[], sets: SetDef[], dir: string): Promise<Source> {
  const srv = await startHttpListServer();
  // Content-MD5 on every file: the copy hashes MD5 (an origin without it gives size-only
  // evidence, which hashes nothing but CRC-64).
  for (const o of all) srv.put(`/${o.key}`, o.body, { mtime: hourAgo(), contentMd5: true });
  const lists = new Map<string, string>();
  for (const s of sets) {
    const file = join(dir, `list-${s.name}.txt`);
    await writeFile(
      file,
      s.objects.map((o) => `${srv.origin}/${s.prefix}\t${o.key.slice(s.prefix.length)}\n`).join(''),
    );
    lists.set(s.prefix, file);
  }
  return {
    type: 'http-list',
    label: 'URL list (node:http, Content-MD5)',
    source: (prefix) => ({ type: 'http-list', listFile: lists.get(prefix)! }),
    env: {},
    close: () => srv.close(),
  };
}

async function upyunSource(all: Obj[]): Promise<Source> {
  const password = 'bench-upyun-password';
  const up = await startUpyunEmulator({ operators: { bench: password } });
  up.createService('bench');
  for (const o of all)
    up.seed('bench', o.key, o.body, { mtime: hourAgo(), contentType: 'application/octet-stream' });
  return {
    type: 'upyun',
    label: 'UpYun (emulator)',
    source: (prefix) => ({ type: 'upyun', service: 'bench', prefix, endpoint: up.endpoint }),
    env: { UPYUN_OPERATOR: 'bench', UPYUN_PASSWORD: password },
    close: () => up.close(),
  };
}

async function localSource(all: Obj[], dir: string): Promise<Source> {
  const root = join(dir, 'local');
  for (const o of all) {
    const path = join(root, o.key);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, o.body);
    // Modified before the job's T1, like every other source's objects.
    await utimes(path, hourAgo(), hourAgo());
  }
  return {
    type: 'local',
    label: 'local directory',
    source: (prefix) => ({ type: 'local', path: join(root, prefix) }),
    env: {},
    close: async () => {},
  };
}

type Evidence = Record<string, number>;
type Measured = { run: Run; evidence: Evidence };

/** The run's report summary: every object copied and verified, and by what. */
async function evidenceOf(work: string, set: SetDef, what: string): Promise<Evidence> {
  const jobs = join(work, 'jobs');
  const [job] = await readdir(jobs);
  const reports = join(jobs, job!, 'reports');
  const [pass] = await readdir(reports);
  const s = JSON.parse(await readFile(join(reports, pass!, 'summary.json'), 'utf8')) as {
    summary: {
      copied: number;
      verified: number;
      failed: number;
      different: number;
      missing: number;
      verifiedBy?: Evidence;
    };
  };
  const n = set.objects.length;
  const x = s.summary;
  if (x.copied !== n || x.verified !== n || x.failed || x.different || x.missing)
    throw new Error(
      `${what}: summary says copied ${x.copied}, verified ${x.verified}, failed ${x.failed}, different ${x.different}, missing ${x.missing} of ${n}`,
    );
  const ev: Evidence = {};
  for (const [k, v] of Object.entries(x.verifiedBy ?? {})) if (v > 0) ev[k] = v;
  return ev;
}

/** Every object of the set is at dst with the source's size and CRC-64; nothing else is there. */
function compare(sb: Sandbox, set: SetDef, dst: string, what: string): void {
  const out = sb.oss.buckets.get(sb.info.oss.bucket)!;
  const got = out.list({ prefix: dst, maxKeys: 100_000 }).contents;
  if (got.length !== set.objects.length)
    throw new Error(`${what}: ${got.length} objects at ${dst}, expected ${set.objects.length}`);
  for (const w of set.objects) {
    const g = out.get(dst + w.key.slice(set.prefix.length));
    if (!g || g.size !== w.body.length || g.crc64 !== w.crc64)
      throw new Error(`${what}: ${w.key} is missing or differs at ${dst}`);
  }
  for (const o of got) out.delete(o.key);
}

async function importOnce(
  sb: Sandbox,
  dir: string,
  src: Source,
  set: SetDef,
  tag: string,
): Promise<Measured> {
  const name = `${src.type}-${tag}-${set.name}`.toLowerCase();
  const dst = `${name}/`;
  const job = join(dir, `${name}.yaml`);
  await writeFile(
    job,
    stringify({
      name,
      source: src.source(set.prefix),
      destination: sb.jobSpec({ dstPrefix: dst }).destination,
    }),
  );
  const work = join(dir, `w-${name}`);
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    // The URL lists' sorted copies stay in the bench's dir.
    TMPDIR: dir,
    ALIBABA_CLOUD_ACCESS_KEY_ID: sb.info.oss.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: sb.info.oss.accessKeySecret,
    ...src.env,
    ...(process.env.BENCH_CPU_PROF
      ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_CPU_PROF}/${name}` }
      : {}),
  };
  const what = `ossmigrate import from ${src.label} (${set.name})`;
  const cli = cliStart(BIN, ['import', job, '--workdir', work], env);
  const run = check(await timed(cli.argv, cli.env, dir), what);
  compare(sb, set, dst, what);
  const evidence = await evidenceOf(work, set, what);
  await rm(work, { recursive: true, force: true });
  return { run, evidence };
}

export async function benchSources(
  o: { quick: boolean; reps?: number; only?: readonly string[] },
  figures: SourcesFigures = {},
): Promise<BenchRow[]> {
  await buildCli();
  const shape = o.quick ? QUICK : FULL;
  const reps = o.reps ?? (o.quick ? 1 : 3);
  const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-bench-sources-'));
  const { sets, all } = makeSets(shape);
  const sb = await startSandbox();
  const sources: Source[] = [];
  const rows: BenchRow[] = [];
  try {
    // Only the servers measured are started and seeded (COS always: it is the baseline).
    const want = (t: (typeof SOURCE_TYPES)[number]) => t === 'cos' || !o.only || o.only.includes(t);
    sources.push(...(await cosSources(sb, all)).filter((s) => want(s.type as 'cos' | 's3-cos')));
    if (want('s3')) sources.push(await s3Source(all));
    if (want('azure')) sources.push(await azureSource(all));
    if (want('http-list')) sources.push(await httpListSource(all, sets, dir));
    if (want('upyun')) sources.push(await upyunSource(all));
    if (want('local')) sources.push(await localSource(all, dir));
    // rep → source type → set → measurement
    const runs: Record<string, Record<SetName, Measured>>[] = [];
    for (let r = 0; r < reps; r++) {
      const rep: Record<string, Record<SetName, Measured>> = {};
      for (const pair of [
        ['bigFew', 'bigAll'],
        ['smallFew', 'smallAll'],
      ] as const) {
        for (const src of sources) {
          const m = (rep[src.type] ??= {} as Record<SetName, Measured>);
          for (const name of pair) {
            m[name] = await importOnce(sb, dir, src, sets.find((s) => s.name === name)!, `r${r}`);
            process.stderr.write(
              `  rep ${r + 1}/${reps} ${src.type.padEnd(9)} ${name.padEnd(8)} ${(m[name].run.cpuMs / 1000).toFixed(2)} CPU-s (sys ${(m[name].run.sysMs / 1000).toFixed(2)}) ${(m[name].run.ms / 1000).toFixed(1)} s\n`,
            );
          }
        }
      }
      runs.push(rep);
    }
    const big = sets.find((s) => s.name === 'bigAll')!;
    const bigFew = sets.find((s) => s.name === 'bigFew')!;
    const small = sets.find((s) => s.name === 'smallAll')!;
    const smallFew = sets.find((s) => s.name === 'smallFew')!;
    const gb = ((big.objects.length - bigFew.objects.length) * shape.big.size) / 1e9;
    const nSmall = small.objects.length - smallFew.objects.length;
    const perGb = (m: Record<SetName, Measured>) => (m.bigAll.run.cpuMs - m.bigFew.run.cpuMs) / 1000 / gb;
    const perObj = (m: Record<SetName, Measured>) =>
      ((m.smallAll.run.cpuMs - m.smallFew.run.cpuMs) * 1000) / nSmall;
    const bigLabel = `${bigFew.objects.length} → ${big.objects.length} × ${shape.big.size / MiB} MiB`;
    const smallLabel = `${smallFew.objects.length} → ${small.objects.length} × ${shape.small.size / 1024} KiB`;
    const table: string[] = [];
    for (const src of sources) {
      const k = src.type.replaceAll('-', '_');
      const gbs = runs.map((rep) => perGb(rep[src.type]!));
      const us = runs.map((rep) => perObj(rep[src.type]!));
      const ratioGb = median(runs.map((rep) => perGb(rep[src.type]!) / perGb(rep.cos!)));
      const ratioSmall = median(runs.map((rep) => perObj(rep[src.type]!) / perObj(rep.cos!)));
      const last = runs.at(-1)![src.type]!;
      const mix = (e: Evidence) =>
        Object.entries(e)
          .map(([m, n]) => `${m} ${n}`)
          .join(', ') || 'none';
      Object.assign(figures, {
        [`sources_${k}_cpu_s_per_gb`]: median(gbs),
        [`sources_${k}_cpu_us_per_small_object`]: median(us),
        [`sources_${k}_ratio_gb`]: ratioGb,
        [`sources_${k}_ratio_small`]: ratioSmall,
        [`sources_${k}_cpu_s_whole_big`]: median(runs.map((rep) => rep[src.type]!.bigAll.run.cpuMs / 1000)),
        [`sources_${k}_cpu_s_whole_small`]: median(
          runs.map((rep) => rep[src.type]!.smallAll.run.cpuMs / 1000),
        ),
        [`sources_${k}_evidence_big`]: last.bigAll.evidence,
        [`sources_${k}_evidence_small`]: last.smallAll.evidence,
      });
      const spread = (xs: number[], d: number) =>
        reps > 1 ? `; per rep ${xs.map((x) => x.toFixed(d)).join(', ')}` : '';
      const cosGb = median(runs.map((rep) => perGb(rep.cos!)));
      const cosUs = median(runs.map((rep) => perObj(rep.cos!)));
      rows.push(
        row({
          suite: 'sources',
          name: `${src.label}: CPU per GB (${bigLabel}) vs COS`,
          value: median(gbs),
          unit: 'CPU-s/GB',
          baseline: cosGb,
          ratio: ratioGb,
          note: `evidence ${mix(last.bigAll.evidence)}${spread(gbs, 2)}`,
        }),
        row({
          suite: 'sources',
          name: `${src.label}: CPU per small object (${smallLabel}) vs COS`,
          value: median(us),
          unit: 'CPU-µs',
          baseline: cosUs,
          ratio: ratioSmall,
          note: `evidence ${mix(last.smallAll.evidence)}${spread(us, 0)}`,
        }),
      );
      table.push(
        `  | ${src.type} | ${src.label} | ${median(gbs).toFixed(2)} | ${ratioGb.toFixed(2)}× | ${median(us).toFixed(0)} | ${ratioSmall.toFixed(2)}× | ${mix(last.bigAll.evidence)} | ${mix(last.smallAll.evidence)} |\n`,
      );
    }
    figures.sources_repetitions = reps;
    figures.sources_sets = `${bigLabel}; ${smallLabel}`;
    process.stderr.write(
      `\n  | source | server | CPU-s per GB | vs COS | CPU-µs per small object | vs COS | evidence (${big.objects.length} large) | evidence (${small.objects.length} small) |\n` +
        '  |---|---|---|---|---|---|---|---|\n' +
        table.join('') +
        '\n',
    );
  } finally {
    await Promise.all(sources.map((s) => s.close()));
    await sb.close();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}
