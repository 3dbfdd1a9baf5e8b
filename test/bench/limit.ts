/**
 * ossmigrate against the machine's own limit, measured in the same run:
 *   baseline  — pipe.ts, a bare keep-alive GET → PUT pipe between two local HTTP servers, with and
 *               without CRC-64 over every byte;
 *   ossmigrate — `ossmigrate import` through the sandbox (COS emulator → OSS emulator), default
 *               settings but the same concurrency as the pipe.
 * Both copiers run as child processes and only their CPU is counted (servers and emulators live in
 * this process). Each copier's fixed cost — process start, module loading, preflight, planning — is
 * measured by the same command on an empty set and subtracted: what scales to 500 TB is the
 * marginal CPU per GB and per object. The raw totals are kept in the JSON too.
 * The full run repeats each shape three times (BENCH_REPS overrides; run.ts checks it): a
 * repetition takes both copiers' fixed and total runs back to back, and each ratio is the median
 * of the per-repetition ratios — this VM's speed drifts by tens of percent over minutes, a ratio
 * of adjacent runs less.
 */
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { Crc64 } from '../../runner/core/crc64.ts';
import { patternBytes } from '../sandbox/common/blobs.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';
import { type BenchRow, BIN, type ChildRun, MiB, median, row, runNode } from './util.ts';

const PIPE = fileURLToPath(new URL('./pipe.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

/** Figures the `--json` line reports under fixed names. */
export type LimitFigures = Record<string, number>;

type Shape = { name: 'large' | 'small'; n: number; size: number; concurrency: number };

function shapes(quick: boolean): Shape[] {
  return quick
    ? [
        { name: 'large', n: 6, size: 64 * MiB, concurrency: 4 },
        { name: 'small', n: 2000, size: 4096, concurrency: 64 },
      ]
    : [
        { name: 'large', n: 16, size: 64 * MiB, concurrency: 4 },
        { name: 'small', n: 10_000, size: 4096, concurrency: 64 },
      ];
}

function whole(size: number, seed: number): Buffer {
  return Buffer.concat([...patternBytes(size, seed)]);
}

/** Source: GET /<size>/<i> answers <size> bytes. Sink: PUT drains the body (CRC-64 if asked). */
async function startServers(): Promise<{ src: string; dst: string; close(): Promise<void> }> {
  const bodies = new Map<number, Buffer>();
  const src = createServer((req, res) => {
    const size = Number(req.url!.split('/')[1]);
    let body = bodies.get(size);
    if (!body) bodies.set(size, (body = whole(size, 1)));
    res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
    res.end(body);
  });
  const dst = createServer((req, res) => {
    const crc = req.headers['x-crc'] ? new Crc64() : undefined;
    req.on('data', (c: Buffer) => crc?.update(c));
    req.on('end', () => {
      res.writeHead(200, crc ? { 'x-crc64': crc.toString() } : {});
      res.end();
    });
  });
  const listen = async (s: Server) => {
    s.keepAliveTimeout = 60_000;
    s.listen(0, '127.0.0.1');
    await once(s, 'listening');
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  };
  const [a, b] = [await listen(src), await listen(dst)];
  return {
    src: a,
    dst: b,
    close: async () => {
      src.closeAllConnections();
      dst.closeAllConnections();
      await Promise.all([new Promise((r) => src.close(r)), new Promise((r) => dst.close(r))]);
    },
  };
}

function check(r: ChildRun, what: string): ChildRun {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stderr.slice(-2000)}`);
  return r;
}

async function pipe(
  servers: { src: string; dst: string },
  s: Shape,
  n: number,
  crc: boolean,
): Promise<ChildRun> {
  const arg = JSON.stringify({
    src: servers.src,
    dst: servers.dst,
    keyPrefix: `${s.size}/`,
    count: n,
    pad: 0,
    concurrency: s.concurrency,
    crc,
  });
  return check(await runNode(['--import', TSX, PIPE, arg]), `pipe (${s.name}, crc ${crc})`);
}

const keyOf = (s: Shape, i: number) => `${s.name}/${String(i).padStart(6, '0')}`;

/** The bare pipe through the sandbox's emulators: signed GET from COS, signed PUT into OSS. */
/** pipe.ts's `clouds` argument: the sandbox's COS and OSS emulators, writing under dstPrefix. */
export function pipeClouds(sb: Sandbox, dstPrefix: string) {
  const { cos, oss } = sb.info;
  return {
    cos: {
      endpoint: cos.endpoint,
      host: `${cos.bucket}.cos.${cos.region}.myqcloud.com`,
      secretId: cos.secretId,
      secretKey: cos.secretKey,
    },
    oss: {
      endpoint: oss.endpoint,
      host: `${oss.bucket}.${oss.region.startsWith('oss-') ? oss.region : `oss-${oss.region}`}.aliyuncs.com`,
      bucket: oss.bucket,
      accessKeyId: oss.accessKeyId,
      accessKeySecret: oss.accessKeySecret,
    },
    dstPrefix,
  };
}

async function pipeThroughClouds(
  sb: Sandbox,
  s: Shape,
  n: number,
  crc: boolean,
  dstPrefix: string,
): Promise<ChildRun> {
  // The seeded keys (keyOf), generated in the pipe: argv cannot hold 10,000 of them.
  const arg = JSON.stringify({
    clouds: pipeClouds(sb, dstPrefix),
    keyPrefix: `${s.name}/`,
    count: n,
    pad: 6,
    concurrency: s.concurrency,
    crc,
  });
  return check(
    await runNode(['--import', TSX, PIPE, arg]),
    `pipe through the emulators (${s.name}, crc ${crc})`,
  );
}

async function seed(sb: Sandbox, s: Shape): Promise<void> {
  const old = new Date(Date.now() - 3600_000);
  for (let i = 0; i < s.n; i++)
    await sb.cos.seed(sb.info.cos.bucket, {
      key: keyOf(s, i),
      body: patternBytes(s.size, i + 1),
      size: s.size,
      lastModified: old,
    });
}

async function ours(sb: Sandbox, dir: string, s: Shape, prefix: string, tag: string): Promise<ChildRun> {
  const job = join(dir, `${tag}.yaml`);
  await writeFile(
    job,
    stringify({
      name: tag,
      ...sb.jobSpec({ srcPrefix: prefix, dstPrefix: `${tag}/` }),
      transfer: { concurrency: s.concurrency },
      verify: { afterImport: false },
    }),
  );
  const args = [BIN, 'import', job, '--workdir', join(dir, `w-${tag}`), '--no-verify', '--json'];
  return check(await runNode(args, { env: sb.env(), cwd: dir }), `ossmigrate import (${tag})`);
}

/** Forget what a run wrote to the destination, so the next repetition copies again. */
function dropDestination(sb: Sandbox, prefix: string): void {
  const bucket = sb.oss.buckets.get(sb.info.oss.bucket);
  if (!bucket) return;
  for (;;) {
    const page = bucket.list({ prefix, maxKeys: 1000 });
    for (const obj of page.contents) bucket.delete(obj.key);
    if (!page.truncated || page.contents.length === 0) return;
  }
}

/** One repetition of a shape: both copiers' fixed and total runs, taken back to back. */
type Rep = {
  pipeFixed: ChildRun;
  oursFixed: ChildRun;
  /** The pipe between bare servers, without and with CRC-64. */
  plain: ChildRun;
  crc: ChildRun;
  /** The pipe through the emulators ossmigrate talks to, without and with CRC-64. */
  cloudPlain: ChildRun;
  cloudCrc: ChildRun;
  ours: ChildRun;
};

/** How each shape is measured and named: per GB for large objects, per object for small ones. */
const MEASURES: Record<
  Shape['name'],
  {
    cpuName: string;
    cpuUnit: string;
    /** Marginal CPU-ms of a set → the unit. */
    cpu: (cpuMs: number, s: Shape) => number;
    rateName: string;
    rateUnit: string;
    rate: (r: ChildRun, s: Shape) => number;
    /** JSON key stems (issue #7's names). */
    cpuKey: string;
    ratioKey: string;
    rateKey: string;
    target: number;
    fmt: (n: number) => string;
  }
> = {
  large: {
    cpuName: 'CPU per GB',
    cpuUnit: 'CPU-s/GB',
    cpu: (ms, s) => ms / 1000 / ((s.n * s.size) / 1e9),
    rateName: 'throughput',
    rateUnit: 'MB/s',
    rate: (r, s) => (s.n * s.size) / 1e6 / (r.ms / 1000),
    cpuKey: 'cpu_s_per_gb',
    ratioKey: 'cpu_per_gb_ratio',
    rateKey: 'mb_s',
    target: 1.2,
    fmt: (n) => n.toFixed(2),
  },
  small: {
    cpuName: 'CPU per object',
    cpuUnit: 'CPU-µs',
    cpu: (ms, s) => (ms * 1000) / s.n,
    rateName: 'objects/s',
    rateUnit: 'obj/s',
    rate: (r, s) => s.n / (r.ms / 1000),
    cpuKey: 'cpu_us_per_small_object',
    ratioKey: 'cpu_per_small_object_ratio',
    rateKey: 'objects_s',
    target: 2,
    fmt: (n) => n.toFixed(0),
  },
};

/** Marginal CPU-ms of a run: its total minus the same copier's fixed cost in the same repetition. */
const marginal = (r: ChildRun, fixed: ChildRun) => Math.max(0, r.cpuMs - fixed.cpuMs);

export async function benchLimit(
  o: { quick: boolean; reps?: number },
  figures: LimitFigures = {},
): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const reps = o.reps ?? (o.quick ? 1 : 3);
  const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-bench-limit-'));
  const servers = await startServers();
  const sb = await startSandbox();
  figures.repetitions = reps;
  try {
    const fixedAll: { pipe: number[]; ours: number[] } = { pipe: [], ours: [] };
    for (const s of shapes(o.quick)) {
      await seed(sb, s);
      // Each repetition is measured back to back (fixed costs included), and every ratio is the
      // median of the per-repetition ratios: this VM's speed drifts by tens of percent over
      // minutes, and a ratio of two runs taken seconds apart cancels most of that drift.
      const rs: Rep[] = [];
      for (let r = 0; r < reps; r++) {
        const tag = `${s.name}${r}`;
        const rep: Rep = {
          pipeFixed: await pipe(servers, s, 0, true),
          oursFixed: await ours(sb, dir, s, 'nothing-here/', `empty-${tag}`),
          plain: await pipe(servers, s, s.n, false),
          crc: await pipe(servers, s, s.n, true),
          cloudPlain: await pipeThroughClouds(sb, s, s.n, false, `pipe-${tag}/`),
          cloudCrc: await pipeThroughClouds(sb, s, s.n, true, `pipe-crc-${tag}/`),
          ours: await ours(sb, dir, s, `${s.name}/`, tag),
        };
        for (const p of [tag, `pipe-${tag}`, `pipe-crc-${tag}`]) dropDestination(sb, `${p}/`);
        fixedAll.pipe.push(rep.pipeFixed.cpuMs);
        fixedAll.ours.push(rep.oursFixed.cpuMs);
        rs.push(rep);
      }
      const m = (f: (r: Rep) => number) => median(rs.map(f));
      const cpu = {
        bare: (r: Rep) => marginal(r.plain, r.pipeFixed),
        bareCrc: (r: Rep) => marginal(r.crc, r.pipeFixed),
        pipe: (r: Rep) => marginal(r.cloudPlain, r.pipeFixed),
        crc: (r: Rep) => marginal(r.cloudCrc, r.pipeFixed),
        ours: (r: Rep) => marginal(r.ours, r.oursFixed),
      };
      // The headline ratio: against the pipe through the same emulators, with CRC-64 (the same
      // peers and the same end-to-end check). Against bare servers, which answer at once and let
      // a client batch its work, the ratio is reported too.
      const ratio = m((r) => cpu.ours(r) / cpu.crc(r));
      const ratioNoCrc = m((r) => cpu.ours(r) / cpu.pipe(r));
      const ratioBare = m((r) => cpu.ours(r) / cpu.bareCrc(r));
      const ratios = rs.map((r) => cpu.ours(r) / cpu.crc(r));
      figures[`${s.name}_ratio_min`] = Math.min(...ratios);
      figures[`${s.name}_ratio_max`] = Math.max(...ratios);
      const spread = reps > 1 ? `; per run ${ratios.map((x) => x.toFixed(2)).join(', ')}` : '';
      const k = MEASURES[s.name];
      const cpuOf = (f: (r: Rep) => number) => k.cpu(m(f), s);
      const rateOf = (f: (r: Rep) => ChildRun) => m((r) => k.rate(f(r), s));
      const v = {
        bare: cpuOf(cpu.bare),
        bareCrc: cpuOf(cpu.bareCrc),
        pipe: cpuOf(cpu.pipe),
        crc: cpuOf(cpu.crc),
        ours: cpuOf(cpu.ours),
      };
      const t = {
        bare: rateOf((r) => r.crc),
        plain: rateOf((r) => r.cloudPlain),
        crc: rateOf((r) => r.cloudCrc),
        ours: rateOf((r) => r.ours),
      };
      Object.assign(figures, {
        [`${k.cpuKey}_pipe`]: v.pipe,
        [`${k.cpuKey}_pipe_crc64`]: v.crc,
        [`${k.cpuKey}_bare_pipe`]: v.bare,
        [`${k.cpuKey}_bare_pipe_crc64`]: v.bareCrc,
        [`${k.cpuKey}_ossmigrate`]: v.ours,
        [k.ratioKey]: ratio,
        [`${k.ratioKey}_vs_no_crc`]: ratioNoCrc,
        [`${k.ratioKey}_vs_bare_servers`]: ratioBare,
        [`${k.rateKey}_pipe`]: t.plain,
        [`${k.rateKey}_pipe_crc64`]: t.crc,
        [`${k.rateKey}_bare_pipe_crc64`]: t.bare,
        [`${k.rateKey}_ossmigrate`]: t.ours,
      });
      const label = `${s.n} × ${s.size >= MiB ? `${s.size / MiB} MiB` : `${s.size / 1024} KiB`}, ${s.concurrency} at a time`;
      const cpuRow = (vs: string, baseline: number, r: number, note?: string) =>
        row({
          suite: 'limit',
          name: `${label}: ${k.cpuName} (vs ${vs})`,
          value: v.ours,
          unit: k.cpuUnit,
          baseline,
          ratio: r,
          ...(note ? { note } : {}),
        });
      rows.push(
        cpuRow('pipe with CRC-64, same emulators', v.crc, ratio, `target ≤ ${k.target}×${spread}`),
        cpuRow('pipe without CRC, same emulators', v.pipe, ratioNoCrc),
        cpuRow(
          'pipe with CRC-64, bare servers',
          v.bareCrc,
          ratioBare,
          `bare pipe without CRC ${k.fmt(v.bare)}`,
        ),
        row({
          suite: 'limit',
          name: `${label}: ${k.rateName} (vs pipe with CRC-64, same emulators)`,
          value: t.ours,
          unit: k.rateUnit,
          baseline: t.crc,
          note: `bare servers ${t.bare.toFixed(0)} ${k.rateUnit}; all share 2 cores with the emulators`,
        }),
      );
    }
    figures.pipe_fixed_cpu_ms = median(fixedAll.pipe);
    figures.ossmigrate_fixed_cpu_ms = median(fixedAll.ours);
    rows.unshift(
      row({
        suite: 'limit',
        name: 'fixed cost per process (start, load, preflight, plan): CPU (vs bare pipe)',
        value: median(fixedAll.ours),
        unit: 'CPU-ms',
        baseline: median(fixedAll.pipe),
        note: 'subtracted below, per repetition',
      }),
    );
  } finally {
    await sb.close();
    await servers.close();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}
