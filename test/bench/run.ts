/**
 * `npm run bench [-- --quick] [-- --json] [-- --only crc64,limit,copy,listing,big-object,rclone,fleet,listing-scale,scale,sources]`
 * With --json, one JSON line on stdout at the end: the headline figures (issue #7's keys) and
 * every raw figure they came from.
 * Every number comes with a baseline measured in the same run; results print as a table and
 * land in bench-results/latest.json (and a dated copy).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { benchBigObject, benchCopy, benchListing } from './copy.ts';
import { benchCrc } from './crc.ts';
import { benchLimit, type LimitFigures } from './limit.ts';
import { benchListingScale, listingScaleKeys } from './listingScale.ts';
import { benchRclone, type RcloneFigures } from './rclone.ts';
import { benchReportScale, reportScaleKeys } from './report.ts';
import { benchScale, type ScaleFigures } from './scale.ts';
import { benchSources, SOURCE_TYPES, type SourcesFigures } from './sources.ts';
import type { BenchRow } from './util.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const json = args.includes('--json');
const figures: LimitFigures = {};
const scaleFigures: ScaleFigures = {};
const rcloneFigures: RcloneFigures = {};
const sourcesFigures: SourcesFigures = {};
const onlyArg = args.find((a) => a.startsWith('--only'))?.split('=')[1] ?? args[args.indexOf('--only') + 1];
const only =
  args.includes('--only') || args.some((a) => a.startsWith('--only='))
    ? new Set(onlyArg?.split(','))
    : undefined;

type Suite = { name: string; run: (o: { quick: boolean }) => Promise<BenchRow[]> };
const suites: Suite[] = [
  { name: 'crc64', run: benchCrc },
  { name: 'limit', run: (o) => benchLimit({ ...o, ...(reps !== undefined ? { reps } : {}) }, figures) },
  { name: 'copy', run: benchCopy },
  { name: 'listing', run: benchListing },
  { name: 'big-object', run: benchBigObject },
  { name: 'listing-scale', run: benchListingScale },
  // Issue #17: only with --only scale (minutes; needs redis-server).
  { name: 'scale', run: (o) => benchScale(o, scaleFigures) },
  // Issue #16: the same copy with rclone and with `ossmigrate import` at default settings.
  {
    name: 'rclone',
    run: (o) => benchRclone({ ...o, ...(reps !== undefined ? { reps } : {}) }, rcloneFigures),
  },
  { name: 'report-scale', run: benchReportScale },
  // Issue #13: every source type against COS; only with --only sources (~35 minutes of imports here).
  {
    name: 'sources',
    run: (o) =>
      benchSources(
        { ...o, ...(reps !== undefined ? { reps } : {}), ...(sourceTypes ? { only: sourceTypes } : {}) },
        sourcesFigures,
      ),
  },
];
/** Suites that run only when --only names them. */
const OPT_IN = new Set(['scale', 'sources']);
// The fleet benchmark needs redis-server; it lives with the fleet code.
const fleetModule = fileURLToPath(new URL('./fleet.ts', import.meta.url));
if (existsSync(fleetModule)) {
  suites.push({
    name: 'fleet',
    run: async (o) => ((await import(fleetModule)) as { benchFleet: Suite['run'] }).benchFleet(o),
  });
}

// BENCH_REPS: how many times the limit, rclone and sources suites repeat each shape (default 3, quick 1).
const repsEnv = process.env.BENCH_REPS;
const reps = repsEnv === undefined || repsEnv === '' ? undefined : Number(repsEnv);
if (reps !== undefined && !(Number.isInteger(reps) && reps >= 1 && reps <= 20)) {
  process.stderr.write(
    `npm run bench: BENCH_REPS=${JSON.stringify(repsEnv)} is not a number of repetitions.\n` +
      'Fix: a whole number from 1 to 20 (e.g. BENCH_REPS=5), or unset it for the default (3; 1 with --quick)\n',
  );
  process.exit(2);
}

// BENCH_SOURCES: which sources the sources suite measures besides COS (default all).
const sourcesEnv = process.env.BENCH_SOURCES;
const sourceTypes = sourcesEnv ? sourcesEnv.split(',') : undefined;
const badSources = sourceTypes?.filter((t) => !(SOURCE_TYPES as readonly string[]).includes(t)) ?? [];
if (badSources.length) {
  process.stderr.write(
    `npm run bench: BENCH_SOURCES names ${badSources.map((t) => JSON.stringify(t)).join(', ')}, which the sources suite does not measure.\n` +
      `Fix: a comma-separated subset of ${SOURCE_TYPES.join(',')} (COS always runs: it is the baseline), or unset it for all\n`,
  );
  process.exit(2);
}

const unknown = [...(only ?? [])].filter((n) => !suites.some((s) => s.name === n));
if (only && (unknown.length || only.size === 0)) {
  process.stderr.write(
    `npm run bench: unknown suite ${unknown.map((n) => JSON.stringify(n)).join(', ') || '(none given)'} in --only.\n` +
      `Fix: pick from ${suites.map((s) => s.name).join(',')} (comma-separated), e.g. --only limit,listing\n`,
  );
  process.exit(2);
}

const fmt = (n: number | undefined) =>
  n === undefined || Number.isNaN(n) ? '' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);

const all: BenchRow[] = [];
const started = new Date();
process.stderr.write(
  `ossmigrate benchmarks (${quick ? 'quick' : 'full'}) on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load ${loadavg()[0]!.toFixed(2)}\n`,
);
for (const s of suites) {
  // `--only scale` is the whole #17 picture: the fleet simulation plus the listing and report suites.
  const inScale = only?.has('scale') && (s.name === 'listing-scale' || s.name === 'report-scale');
  if (only ? !only.has(s.name) && !inScale : OPT_IN.has(s.name)) continue;
  process.stderr.write(`\n== ${s.name}\n`);
  const t = performance.now();
  try {
    const rows = await s.run({ quick });
    all.push(...rows);
    for (const r of rows) {
      process.stderr.write(
        `  ${r.name.padEnd(78)} ${fmt(r.value).padStart(9)} ${r.unit.padEnd(9)}` +
          (r.baseline !== undefined
            ? ` baseline ${fmt(r.baseline).padStart(8)}  ratio ${fmt(r.ratio)}×`
            : '') +
          (r.note ? `  (${r.note})` : '') +
          '\n',
      );
    }
  } catch (e) {
    process.stderr.write(`  FAILED: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
  process.stderr.write(`  (${((performance.now() - t) / 1000).toFixed(1)} s)\n`);
}
await mkdir('bench-results', { recursive: true });
const out = {
  startedAt: started.toISOString(),
  quick,
  node: process.version,
  cpus: cpus().length,
  // The --json keys too: the file answers a grep for list_speedup_parallel like stdout does.
  keys: headline(all, figures),
  rows: all,
};
await writeFile('bench-results/latest.json', `${JSON.stringify(out, null, 2)}\n`);
await writeFile(
  `bench-results/${started.toISOString().replace(/[:.]/g, '-')}.json`,
  `${JSON.stringify(out, null, 2)}\n`,
);
process.stderr.write('\nresults: bench-results/latest.json\n');
if (json) process.stdout.write(`${JSON.stringify(out.keys)}\n`);

/** Issue #7's keys first (null when their suite did not run), then the raw figures and targets. */
function headline(rows: BenchRow[], f: LimitFigures): Record<string, unknown> {
  const find = (suite: string, re: RegExp) => rows.find((r) => r.suite === suite && re.test(r.name));
  const crc = rows.filter((r) => r.suite === 'crc64' && /64 KiB/.test(r.name));
  const big = find('big-object', /peak RSS/);
  const listing = rows.filter((r) => r.suite === 'listing' && r.unit === 'MiB').at(-1);
  const out = {
    cpu_per_gb_ratio: f.cpu_per_gb_ratio ?? null,
    cpu_per_small_object_ratio: f.cpu_per_small_object_ratio ?? null,
    peak_rss_mib_large_object: big?.value ?? null,
    peak_rss_mib_listing: listing?.value ?? null,
    crc64_mb_s: crc[0]?.value ?? null,
    ...listingScaleKeys(rows),
    ...f,
    ...scaleFigures,
    rclone_cpu_per_gb_ratio: rcloneFigures.rclone_cpu_per_gb_ratio ?? null,
    rclone_cpu_per_small_object_ratio: rcloneFigures.rclone_cpu_per_small_object_ratio ?? null,
    rclone_fixed_cost_ratio: rcloneFigures.rclone_fixed_cost_ratio ?? null,
    verify_requests_per_object: rcloneFigures.verify_requests_per_object ?? null,
    ...rcloneFigures,
    ...reportScaleKeys(rows),
    ...sourcesFigures,
    large_object_label: big?.name ?? null,
    listing_label: listing?.name ?? null,
    targets: {
      cpu_per_gb_ratio: 1.2,
      cpu_per_small_object_ratio: 2,
      peak_rss_mib_large_object: 256,
      peak_rss_mib_listing: 256,
      crc64_mb_s: 1000,
      list_speedup_parallel: 3.5,
      list_projected_hours_1e9_16_listers: 4,
      rclone_cpu_per_gb_ratio: 1.3,
      rclone_cpu_per_small_object_ratio: 1,
      rclone_fixed_cost_ratio: 1.5,
      verify_requests_per_object: 0.01,
    },
    quick,
    node: process.version,
    cpus: cpus().length,
  };
  return out;
}
