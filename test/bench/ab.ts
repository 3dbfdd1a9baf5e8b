/**
 * Same-run A/B of ossmigrate builds on the rclone suite's byte path (issue #16): every build
 * imports the same sets from one sandbox's COS emulator to its OSS emulator, builds alternating
 * (ABAB, then BABA), and each gets the rclone suite's marginal figures — CPU per additional GB
 * (16 − 8 × 64 MiB) and per small object (3,000 × 4 KiB over an empty prefix) — per repetition
 * and as medians. CPU is user + sys of the child, measured as in rclone.ts.
 *
 *   npx tsx test/bench/ab.ts <bin> [<bin> …]     (wrap in `flock /tmp/bench.lock`)
 *
 * A <bin> is a bin/ossmigrate.js, typically of a built copy of another commit (`git archive`,
 * a node_modules symlink, `npm run build`), optionally followed by `|`-separated Node flags
 * (`bin/ossmigrate.js|--no-memory-reducer`). Env: AB_REPS (3), AB_SMALL=0 skips the small set,
 * AB_BIG=0 the 64 MiB sets, AB_NODE_FLAGS (every build), AB_CPU_PROF=<dir> (--cpu-prof), AB_WRAP (a command line before
 * node, `%` → run number: `strace -f -c -o /tmp/st.%`, `perf record -o /tmp/p.% --`),
 * AB_SMALL=0 with AB_BIG=0 runs the empty prefix only (the fixed cost).
 * AB_GREP=<text> prints each run's stdout lines containing it (with --trace-gc: `Mark`). Each
 * build starts as its executable (with Node flags: node and its shebang's flags), or as `node <bin>` with BENCH_CLI=node
 * or a `node:` before its path (`node:/abs/bin/ossmigrate.js`: the re-exec'ing start).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { patternBytes } from '../sandbox/common/blobs.ts';
import { startSandbox } from '../sandbox/sandbox.ts';
import { check, type Run, timed } from './rclone.ts';
import { cliStart, MiB, median } from './util.ts';

const bins = process.argv.slice(2);
if (bins.length === 0) throw new Error('usage: tsx test/bench/ab.ts <bin/ossmigrate.js>[|--node-flag…] …');
const reps = Number(process.env.AB_REPS ?? 3);
const small = process.env.AB_SMALL !== '0';
const big = process.env.AB_BIG !== '0';
const words = (v: string | undefined) => (v ?? '').split(' ').filter(Boolean);
const sb = await startSandbox();
const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-ab-'));
const old = new Date(Date.now() - 3600_000);
const put = (key: string, size: number, seed: number) =>
  sb.cos.seed(sb.info.cos.bucket, { key, body: patternBytes(size, seed), size, lastModified: old });
if (big) for (let i = 0; i < 8; i++) await put(`big/a/${i}`, 64 * MiB, i + 1);
if (big) for (let i = 0; i < 8; i++) await put(`big/b/${i}`, 64 * MiB, i + 101);
if (small) for (let i = 0; i < 3000; i++) await put(`small/${String(i).padStart(5, '0')}`, 4096, i + 1001);

let runNo = 0;
async function importOnce(spec: string, prefix: string): Promise<Run> {
  const viaNode = spec.startsWith('node:');
  const [bin, ...binFlags] = spec.slice(viaNode ? 5 : 0).split('|');
  const n = runNo++;
  const dst = `ab${n}/`;
  const job = join(dir, `ab${n}.yaml`);
  await writeFile(job, stringify({ name: `ab${n}`, ...sb.jobSpec({ srcPrefix: prefix, dstPrefix: dst }) }));
  const prof = process.env.AB_CPU_PROF;
  const flags = [
    ...binFlags,
    ...words(process.env.AB_NODE_FLAGS),
    ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []),
  ];
  const wrap = words(process.env.AB_WRAP).map((w) => w.replace('%', String(n)));
  const cli = cliStart(
    bin!,
    ['import', job, '--workdir', join(dir, `w${n}`)],
    { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, ...sb.env() },
    flags,
    viaNode || process.env.BENCH_CLI === 'node' ? 'node' : 'exec',
  );
  const r = check(await timed([...wrap, ...cli.argv], cli.env, dir), `import ${prefix} (${spec})`);
  const grep = process.env.AB_GREP;
  if (grep)
    process.stderr.write(
      `${prefix}:\n${r.stdout
        .split('\n')
        .filter((l) => l.includes(grep))
        .join('\n')}\n`,
    );
  const b = sb.oss.buckets.get(sb.info.oss.bucket)!;
  for (const o of b.list({ prefix: dst, maxKeys: 100_000 }).contents) b.delete(o.key);
  return r;
}

const gb = (8 * 64 * MiB) / 1e9;
type Figures = {
  gb: number[];
  user: number[];
  sys: number[];
  small: number[];
  fixed: number[];
  whole8: number[];
};
const res = new Map<string, Figures>(
  bins.map((b) => [b, { gb: [], user: [], sys: [], small: [], fixed: [], whole8: [] }]),
);
const f = (x: number, d = 2) => x.toFixed(d);
try {
  for (let r = 0; r < reps; r++) {
    for (const bin of r % 2 ? [...bins].reverse() : bins) {
      // With neither set, the empty prefix alone: the fixed cost of a job.
      const empty = small || !big ? await importOnce(bin, 'nothing-here/') : undefined;
      const b8 = big ? await importOnce(bin, 'big/a/') : undefined;
      const b16 = big ? await importOnce(bin, 'big/') : undefined;
      const s = small ? await importOnce(bin, 'small/') : undefined;
      const x = res.get(bin)!;
      if (b8 && b16) {
        x.gb.push((b16.cpuMs - b8.cpuMs) / 1000 / gb);
        x.user.push((b16.userMs - b8.userMs) / 1000 / gb);
        x.sys.push((b16.sysMs - b8.sysMs) / 1000 / gb);
        x.whole8.push(b8.cpuMs / 1000);
      }
      if (empty) x.fixed.push(empty.cpuMs / 1000);
      if (s && empty) x.small.push(((s.cpuMs - empty.cpuMs) * 1000) / 3000);
      process.stderr.write(
        `rep ${r + 1} ${bin}: ` +
          (b8 && b16
            ? `${f(x.gb.at(-1)!)} CPU-s/GB (user ${f(x.user.at(-1)!)}, sys ${f(x.sys.at(-1)!)}; ` +
              `8 × 64 MiB ${f(b8.cpuMs / 1000)} CPU-s, 16 × ${f(b16.cpuMs / 1000)} in ${f(b16.ms / 1000, 1)} s)`
            : '') +
          (empty ? `, empty ${f(empty.cpuMs / 1000, 3)} CPU-s` : '') +
          (s ? `, ${f(x.small.at(-1)!, 0)} CPU-µs per small object` : '') +
          '\n',
      );
    }
  }
  for (const [bin, x] of res)
    console.log(
      `${bin}: ` +
        (x.gb.length
          ? `${f(median(x.gb))} CPU-s/GB [${x.gb.map((v) => f(v)).join(', ')}] (user ${f(median(x.user))}, sys ${f(median(x.sys))})`
          : '') +
        (x.fixed.length
          ? `; empty ${f(median(x.fixed), 3)} CPU-s [${x.fixed.map((v) => f(v, 3)).join(', ')}]`
          : '') +
        (x.small.length
          ? `; ${f(median(x.small), 0)} CPU-µs per small object [${x.small.map((v) => f(v, 0)).join(', ')}]`
          : ''),
    );
} finally {
  await sb.close();
}
process.exit(0);
