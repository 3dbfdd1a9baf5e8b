/**
 * `report-scale`: the pass report over a large journal, before (every ledger line through
 * ledgerTotals, the journal as it was: plain ledger.ndjson per task) and after (task summaries).
 * Journals for 10⁵ (quick) or 10⁶ and 10⁷ (BENCH_REPORT_OBJECTS=…) objects across ~10⁴ tasks,
 * a realistic outcome mix, 3 % needing attention (BENCH_REPORT_ATTENTION=0.03,0.1 for more mixes);
 * the report runs in a child process (wall time, peak RSS, its own time after start-up).
 */
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalJournal } from '../../runner/adapters/journal/localJournal.ts';
import { SqliteStore } from '../../runner/adapters/state/sqliteStore.ts';
import type { ObjectResult, VerifyResult } from '../../runner/core/types.ts';
import { withRollup } from '../../runner/ports/journal.ts';
import { type BenchRow, row, runNode } from './util.ts';

const CHILD = fileURLToPath(new URL('./reportChild.ts', import.meta.url));
export const TASKS = 10_000;
const PASS = 'full-20260101T000000Z';

/**
 * Deterministic outcome mix. `attention` (default 0.03) is the share that needs attention: two
 * thirds deferred after T1, a sixth kept (DEST_NEWER), a sixth failed; of the rest 93 % copied,
 * 6.7 % identical, 0.5 % gone. At 0.03: 90 % copied, 6.5 % identical, 2 % after T1, 0.5 % kept,
 * 0.5 % gone, 0.5 % failed.
 */
export function syntheticResult(i: number, task: number, attention = 0.03): ObjectResult {
  const key = `d${String(task).padStart(5, '0')}/2026/03/img-${String(i).padStart(10, '0')}.jpg`;
  const size = 1000 + ((i * 7919) % 2_000_000);
  const base = {
    key,
    dstKey: key,
    size,
    srcEtag: (i * 2654435761).toString(16).padStart(32, '0'),
    attempts: 1,
    ms: 12,
  };
  const m = i % 1000;
  const a = Math.round(attention * 1000);
  const fine = 1000 - a;
  const copied = Math.round((fine * 900) / 970);
  const identical = fine - copied - Math.round((fine * 5) / 970);
  if (m < copied) return { ...base, outcome: 'copied', bytes: size, dstCrc64: String(i * 31) };
  if (m < copied + identical) return { ...base, outcome: 'skipped', skipReason: 'identical', bytes: 0 };
  if (m < fine) return { ...base, outcome: 'skipped', failureClass: 'SOURCE_GONE', bytes: 0 };
  const k = m - fine;
  if (k < a - 2 * Math.round(a / 6))
    return { ...base, outcome: 'deferred', skipReason: 'outside-window', bytes: 0 };
  if (k < a - Math.round(a / 6)) return { ...base, outcome: 'skipped', failureClass: 'DEST_NEWER', bytes: 0 };
  return {
    ...base,
    outcome: 'failed',
    failureClass: 'NETWORK',
    bytes: 0,
    attempts: 4,
    reason: 'connection reset by peer',
    fix: 'check the network path; run `ossmigrate retry`',
  };
}

async function dirBytes(dir: string): Promise<number> {
  let n = 0;
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile() && /ledger|summary|attention/.test(e.name))
      n += (await stat(join(e.parentPath, e.name))).size;
  return n;
}

/** Both layouts of the same pass: `old` (plain ledgers, no summaries) and `new` (as journals now end tasks). */
export async function generate(root: string, objects: number, attention = 0.03): Promise<void> {
  const tasks = Math.min(TASKS, Math.max(1, Math.floor(objects / 10)));
  const per = Math.ceil(objects / tasks);
  // As the engine writes it: ended tasks fold into the pass rollup in the job state.
  const state = new SqliteStore(join(root, 'state.db'));
  const local = new LocalJournal(join(root, 'new'));
  const j = withRollup(local, state);
  for (let t = 0, i = 0; t < tasks && i < objects; t++) {
    const rs: ObjectResult[] = [];
    for (let k = 0; k < per && i < objects; k++, i++) rs.push(syntheticResult(i, t, attention));
    // Content-derived range task ids (taskRange.ts): disjoint ranges, no settler ledgers to read.
    const id = `copy-${t.toString(16).padStart(16, '0')}`;
    const dir = join(root, 'old', PASS, 'tasks', id);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'ledger.ndjson'), rs.map((r) => `${JSON.stringify(r)}\n`).join(''));
    await j.append(PASS, id, rs);
    await j.setStatus(PASS, id, rs.some((r) => r.outcome === 'failed') ? 'Failed' : 'Completed');
  }
  await local.close();
  await state.close();
}

const VERIFY_PASS = 'verify-full-20260101T000000Z-1';

/** A verify pass's journal: `problems` over tasks of 1,000 (missing, extra, pending), task ids unrelated to ranges. */
async function generateProblems(root: string, problems: number): Promise<void> {
  const j = new LocalJournal(join(root, 'verify'));
  const tasks = Math.ceil(problems / 1000);
  for (let t = 0; t < tasks; t++) {
    const ps: VerifyResult[] = [];
    for (let i = 0; i < 1000 && t * 1000 + i < problems; i++) {
      const key = `d${String(t).padStart(6, '0')}/img-${String(i).padStart(4, '0')}.jpg`;
      const status = (['missing', 'extra', 'pending'] as const)[i % 3]!;
      ps.push({
        key,
        dstKey: key,
        status,
        detail: status === 'extra' ? 'in the destination only' : 'not in the destination',
      });
    }
    await j.putVerify(
      VERIFY_PASS,
      `verify-${((t * 2654435761) >>> 0).toString(16).padStart(8, '0')}-${t}`,
      ps,
    );
  }
}

/** `verify problems`: a verify pass's report over its tasks' verify.ndjson (BENCH_VERIFY_PROBLEMS, default 10⁶; quick 10⁵). */
async function benchVerifyProblems(o: { quick: boolean }): Promise<BenchRow[]> {
  const n = Number(process.env.BENCH_VERIFY_PROBLEMS ?? (o.quick ? 100_000 : 1_000_000));
  const root = await mkdtemp(join(tmpdir(), 'ossmigrate-bench-verify-'));
  try {
    await generateProblems(root, n);
    const state = new SqliteStore(join(root, 'state.db'));
    await state.close();
    const run = async (mode: 'verify-old' | 'verify-new') => {
      const r = await runNode([
        '--import',
        'tsx',
        CHILD,
        mode,
        join(root, 'verify'),
        VERIFY_PASS,
        join(root, `report-${mode}`),
        join(root, 'state.db'),
      ]);
      if (r.code !== 0) throw new Error(`report (${mode}) exited ${r.code}: ${r.stderr.slice(-800)}`);
      return r;
    };
    const before = await run('verify-old');
    const after = await run('verify-new');
    const label = `${n.toExponential(0).replace('e+', 'e')} verify problems, ${Math.ceil(n / 1000)} tasks`;
    return [
      row({
        suite: 'report-scale',
        name: `verify report peak RSS (${label})`,
        value: after.maxRssMiB,
        unit: 'MiB',
        baseline: before.maxRssMiB,
        note: 'streamed from verify.ndjson; baseline: every problem in memory, sorted (as read from the state before)',
      }),
      row({
        suite: 'report-scale',
        name: `verify report s per million problems (${label})`,
        value: after.ms / 1000 / (n / 1e6),
        unit: 's/M',
        baseline: before.ms / 1000 / (n / 1e6),
        note: 'wall time of the report process, check.txt included',
      }),
    ];
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** BENCH_REPORT_ATTENTION: shares of objects that need attention, e.g. 0.03,0.1 (default 0.03). */
function attentionMixes(v: string | undefined): number[] {
  if (v === undefined || v === '') return [0.03];
  const xs = v.split(',').map((x) => Number(x.trim()));
  if (xs.some((x) => !(x >= 0.006 && x <= 0.5))) {
    process.stderr.write(
      `npm run bench: BENCH_REPORT_ATTENTION=${JSON.stringify(v)} is not a list of shares.\nFix: fractions from 0.006 to 0.5, comma-separated (e.g. BENCH_REPORT_ATTENTION=0.03,0.1), or unset it (0.03)\n`,
    );
    process.exit(2);
  }
  return xs;
}

const pct = (a: number) => `${+(a * 100).toFixed(1)} % attention`;

export async function benchReportScale(o: { quick: boolean }): Promise<BenchRow[]> {
  const sizes = process.env.BENCH_REPORT_OBJECTS
    ? process.env.BENCH_REPORT_OBJECTS.split(',').map(Number)
    : o.quick
      ? [100_000]
      : [1_000_000];
  const mixes = attentionMixes(process.env.BENCH_REPORT_ATTENTION);
  const rows: BenchRow[] = [];
  for (const n of sizes)
    for (const a of mixes) {
      const root = await mkdtemp(join(tmpdir(), 'ossmigrate-bench-report-'));
      try {
        const g = performance.now();
        await generate(root, n, a);
        process.stderr.write(
          `  (${n} objects, ${pct(a)}, generated in ${((performance.now() - g) / 1000).toFixed(0)} s)\n`,
        );
        const run = async (mode: 'old' | 'new' | 'fixed') => {
          const r = await runNode([
            '--import',
            'tsx',
            CHILD,
            mode,
            join(root, mode === 'fixed' ? 'new' : mode),
            PASS,
            join(root, `report-${mode}`),
            join(root, 'state.db'),
          ]);
          if (r.code !== 0) throw new Error(`report (${mode}) exited ${r.code}: ${r.stderr.slice(-800)}`);
          const { workMs } = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { workMs: number };
          return { ...r, workMs };
        };
        const before = await run('old');
        const after = await run('new');
        const fixed = await run('fixed');
        const tasks = Math.min(TASKS, Math.max(1, Math.floor(n / 10)));
        const label = `${n.toExponential(0).replace('e+', 'e')} objects, ${tasks} tasks, ${pct(a)}`;
        const perM = (ms: number) => ms / 1000 / (n / 1e6);
        rows.push(
          row({
            suite: 'report-scale',
            name: `report s per million objects (${label})`,
            value: perM(after.ms),
            unit: 's/M',
            baseline: perM(before.ms),
            note: 'baseline: every ledger line; lower is better',
          }),
          row({
            suite: 'report-scale',
            name: `report work s per million objects (${label})`,
            value: perM(Math.max(0, after.workMs - fixed.workMs)),
            unit: 's/M',
            baseline: perM(Math.max(0, before.workMs - fixed.workMs)),
            note: 'what grows with the objects: process start-up and the empty report taken out',
          }),
          row({
            suite: 'report-scale',
            name: `report peak RSS (${label})`,
            value: after.maxRssMiB,
            unit: 'MiB',
            baseline: before.maxRssMiB,
            note: 'VmHWM of the report process',
          }),
          row({
            suite: 'report-scale',
            name: `report fixed RSS (${label})`,
            value: fixed.maxRssMiB,
            unit: 'MiB',
            note: 'the same process loading its modules (tsx, ECharts) and reporting nothing',
          }),
          row({
            suite: 'report-scale',
            name: `report fixed s (${label})`,
            value: fixed.ms / 1000,
            unit: 's',
            note: 'wall time of that empty report (start-up), included in the s per million above',
          }),
          row({
            suite: 'report-scale',
            name: `journal bytes per object (${label})`,
            value: (await dirBytes(join(root, 'new'))) / n,
            unit: 'B',
            baseline: (await dirBytes(join(root, 'old'))) / n,
            note: 'gzip ledger + summary + attention; baseline: plain NDJSON ledger',
          }),
        );
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    }
  rows.push(...(await benchVerifyProblems(o)));
  return rows;
}

/** The issue #17 keys of this suite (the largest size run), before and after. */
export function reportScaleKeys(rows: BenchRow[]): Record<string, number | null> {
  // The 3 % mix when it ran (the projection's), else the last one.
  const mine = rows.filter((r) => r.suite === 'report-scale');
  const pick = mine.some((r) => r.name.includes(pct(0.03)))
    ? mine.filter((r) => r.name.includes(pct(0.03)))
    : mine;
  const last = (re: RegExp) => pick.filter((r) => re.test(r.name)).at(-1);
  const s = last(/^report s per million/);
  const w = last(/^report work s per million/);
  const m = last(/^report peak RSS/);
  const b = last(/^journal bytes/);
  const f = last(/^report fixed RSS/);
  return {
    report_s_per_million_objects: s?.value ?? null,
    report_s_per_million_objects_before: s?.baseline ?? null,
    report_work_s_per_million_objects: w?.value ?? null,
    report_work_s_per_million_objects_before: w?.baseline ?? null,
    report_peak_rss_mib: m?.value ?? null,
    report_peak_rss_mib_before: m?.baseline ?? null,
    report_fixed_rss_mib: f?.value ?? null,
    journal_bytes_per_object: b?.value ?? null,
    journal_bytes_per_object_before: b?.baseline ?? null,
  };
}
