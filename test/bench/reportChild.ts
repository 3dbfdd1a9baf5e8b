/**
 * One pass report over a journal, as `report-scale` measures it (a child process):
 *   reportChild.ts old|new|fixed|verify-old|verify-new <journal root> <pass id> <report dir> <state db>
 * old: every ledger line through ledgerTotals (the report before task summaries); new: the pass
 * rollup in the job state (and the attention files). Both then write summary.json, summary.txt,
 * failed.ndjson and report.html. fixed: load the same modules, report nothing (the fixed RSS).
 * verify-new: a verify pass's report, its problems streamed from the tasks' verify.ndjson
 * (passProblems); verify-old: the same problems read whole and sorted first, as the report read
 * them from the job state's hash before (check.txt, summary files, report.html both ways).
 */
import { LocalJournal } from '../../runner/adapters/journal/localJournal.ts';
import { SqliteStore } from '../../runner/adapters/state/sqliteStore.ts';
import { writeReport } from '../../runner/app/report.ts';
import { parseJob } from '../../runner/config/job.ts';
import type { Summary } from '../../runner/core/events.ts';
import type { VerifyResult } from '../../runner/core/types.ts';
import { ledgerTotals } from '../../runner/engine/summary.ts';
import { byProblemKey, passProblems, passTotals } from '../../runner/ports/journal.ts';

const [mode, root, pass0, dir, db] = process.argv.slice(2) as [string, string, string, string, string];
// The report's own time, without the process and module start-up before this line.
const started = performance.now();
const cpu0 = process.cpuUsage();
// fixed: the same report of a pass with no objects (runtime, tsx, ECharts, the report files).
const passId = mode === 'fixed' ? 'no-such-pass' : pass0;
const journal = new LocalJournal(root);
const state = new SqliteStore(db, { readOnly: true });
/** A finished pass of the bench's job (one day long). */
const passOf = (id: string, m: 'copy' | 'verify') => ({
  id,
  phase: 'full' as const,
  t1: '2026-01-01T00:00:00.000Z',
  mode: m,
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-02T00:00:00.000Z',
  status: 'done' as const,
});
/** A summary with nothing counted but what is given. */
const summaryOf = (o: Partial<Summary> & Pick<Summary, 'exitCode'>): Summary => ({
  passId,
  phase: 'full',
  copied: 0,
  skipped: 0,
  failed: 0,
  deferred: 0,
  unchanged: 0,
  bytes: 0,
  verified: 0,
  missing: 0,
  different: 0,
  extra: 0,
  verifyErrors: 0,
  elapsedMs: 0,
  failuresByClass: {},
  ...o,
});
const spec = parseJob({
  source: { type: 'cos', bucket: 'src-1250000000', region: 'ap-guangzhou', prefix: '' },
  destination: { bucket: 'dst', region: 'cn-hangzhou', prefix: '' },
});
if (mode === 'verify-old' || mode === 'verify-new') {
  let problems: AsyncIterable<VerifyResult> = passProblems(journal, passId);
  if (mode === 'verify-old') {
    const all: VerifyResult[] = [];
    for await (const { problems: ps } of journal.verifyTasks(passId)) for (const x of ps) all.push(x);
    all.sort(byProblemKey);
    problems = (async function* () {
      yield* all;
    })();
  }
  const summary = summaryOf({ exitCode: 5 });
  const verify = { pass: passOf(passId, 'verify'), summary, restoresPending: 0, stopped: false };
  await writeReport({
    dir,
    job: 'bench',
    spec,
    summary,
    verify: { ...verify, totals: await passTotals(journal, 'none') },
    verifyProblems: problems,
    journal: root,
  });
  process.stdout.write(`${JSON.stringify({ workMs: performance.now() - started })}\n`);
  process.exit(0);
}
const totals =
  mode === 'old' ? await ledgerTotals(journal.ledger(passId)) : await passTotals(journal, passId, state);
const summary = summaryOf({
  copied: totals.copied,
  skipped: totals.skipped,
  failed: totals.failed,
  deferred: totals.deferred,
  deferredAfterWindow: totals.deferredAfterWindow,
  bytes: totals.bytes,
  exitCode: totals.failed ? 4 : 0,
  failuresByClass: totals.failuresByClass,
});
const pass = passOf(passId, 'copy');
await writeReport({
  dir,
  job: 'bench',
  spec,
  summary,
  copy: { pass, summary, totals, restoresPending: 0, stopped: false },
  failures: [],
  journal: root,
});
process.stdout.write(
  `${JSON.stringify({
    copied: totals.copied,
    failed: totals.failed,
    deferred: totals.deferred,
    workMs: performance.now() - started,
    workCpuMs: ((c) => (c.user + c.system) / 1000)(process.cpuUsage(cpu0)),
  })}\n`,
);
