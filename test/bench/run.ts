/**
 * `npm run bench [-- --quick] [-- --only crc64,copy,listing,big-object,fleet]`
 * Every number comes with a baseline measured in the same run; results print as a table and
 * land in bench-results/latest.json (and a dated copy).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { benchBigObject, benchCopy, benchListing } from './copy.ts';
import { benchCrc } from './crc.ts';
import { benchLimit } from './limit.ts';
import type { BenchRow } from './util.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.find((a) => a.startsWith('--only'))?.split('=')[1] ?? args[args.indexOf('--only') + 1];
const only =
  args.includes('--only') || args.some((a) => a.startsWith('--only='))
    ? new Set(onlyArg?.split(','))
    : undefined;

type Suite = { name: string; run: (o: { quick: boolean }) => Promise<BenchRow[]> };
const suites: Suite[] = [
  { name: 'crc64', run: benchCrc },
  { name: 'limit', run: (o) => benchLimit(o) },
  { name: 'copy', run: benchCopy },
  { name: 'listing', run: benchListing },
  { name: 'big-object', run: benchBigObject },
];
// The fleet benchmark needs redis-server; it lives with the fleet code.
const fleetModule = fileURLToPath(new URL('./fleet.ts', import.meta.url));
if (existsSync(fleetModule)) {
  suites.push({
    name: 'fleet',
    run: async (o) => ((await import(fleetModule)) as { benchFleet: Suite['run'] }).benchFleet(o),
  });
}

const fmt = (n: number | undefined) =>
  n === undefined || Number.isNaN(n) ? '' : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);

const all: BenchRow[] = [];
const started = new Date();
process.stderr.write(
  `ossmigrate benchmarks (${quick ? 'quick' : 'full'}) on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load ${loadavg()[0]!.toFixed(2)}\n`,
);
for (const s of suites) {
  if (only && !only.has(s.name)) continue;
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
  rows: all,
};
await writeFile('bench-results/latest.json', `${JSON.stringify(out, null, 2)}\n`);
await writeFile(
  `bench-results/${started.toISOString().replace(/[:.]/g, '-')}.json`,
  `${JSON.stringify(out, null, 2)}\n`,
);
process.stderr.write('\nresults: bench-results/latest.json\n');
