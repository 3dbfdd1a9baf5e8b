/**
 * report.html beside report.txt / summary.txt: the report people forward. See model.ts (the
 * data), charts.ts (ECharts → SVG at report time) and page.ts (the self-contained page).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Summary } from '../../core/events.ts';
import type { OpenObjects } from '../../core/ledger.ts';
import type { Series } from '../../core/series.ts';
import { type Counters, type ObjectResult, problemKey, type VerifyResult } from '../../core/types.ts';
import type { PassRun } from '../../engine/run.ts';
import type { FailureRecord } from '../../ports/jobState.ts';
import { renderCharts } from './charts.ts';
import {
  capList,
  groupFailures,
  type Headline,
  LIST_CAP,
  type PhaseTrack,
  type ReportModel,
} from './model.ts';
import { renderPage } from './page.ts';

export const HTML_REPORT = 'report.html';

export type HtmlWritten = { path: string; bytes: number; ms: number; charts: string[] };

export async function writeHtmlReport(dir: string, m: ReportModel): Promise<HtmlWritten> {
  const started = performance.now();
  const charts = await renderCharts(m);
  const html = renderPage(m, charts);
  const path = join(dir, HTML_REPORT);
  await writeFile(path, html);
  return {
    path,
    bytes: Buffer.byteLength(html),
    ms: Math.round(performance.now() - started),
    charts: charts.map((c) => c.name),
  };
}

const time = (iso?: string) => (iso ? Date.parse(iso) : undefined);

function track(run: PassRun, series: Series | undefined, label: string): PhaseTrack {
  const s = run.summary;
  const finished = time(run.pass.finishedAt) ?? time(run.pass.startedAt)! + s.elapsedMs;
  return {
    label,
    passId: run.pass.id,
    mode: run.pass.mode,
    startedAt: time(run.pass.startedAt)!,
    finishedAt: finished,
    ...(series ? { series } : {}),
    ...(run.pass.mode === 'copy'
      ? {
          outcomes: {
            copied: s.copied,
            skipped: s.skipped,
            deferred: s.deferred,
            kept: run.totals.skippedBy['dest-newer'] ?? 0,
            failed: s.failed,
          },
        }
      : {}),
  };
}

const isSync = (x: OpenObjects): x is Iterable<ObjectResult> => Symbol.iterator in x;

/** A not-migrated object as a row of the page's list. */
export const openRow = (r: ObjectResult): string[] => [
  r.key,
  r.outcome,
  [r.failureClass, r.reason ?? r.skipReason].filter(Boolean).join(': '),
  String(r.size),
];

/** The first LIST_CAP rows of the not-migrated objects and how many there are, streamed. */
export async function openList(open: OpenObjects): Promise<{ rows: string[][]; total: number }> {
  const rows: string[][] = [];
  let total = 0;
  for await (const r of open) {
    if (rows.length < LIST_CAP) rows.push(openRow(r));
    total++;
  }
  return { rows, total };
}

/** A verify problem as a row of the page's list. */
export const problemRow = (p: VerifyResult): string[] => [problemKey(p), p.status, p.detail ?? ''];

/** The first LIST_CAP problems of a verify pass and how many there are (listed or not). */
export type ProblemList = { rows: string[][]; total: number };

/** The model of one pass's report (copy and/or verify), from what writeReport already has. */
export function passReportModel(o: {
  /** The copy pass's not-migrated objects as openList() gave them (needed when they stream). */
  openList?: { rows: string[][]; total: number };
  job: string;
  source: string;
  destination: string;
  summary: Summary;
  copy?: PassRun;
  verify?: PassRun;
  series: { copy?: Series; verify?: Series };
  failures: FailureRecord[];
  /** The verify pass's problems as listProblems() gave them (the first LIST_CAP and the total). */
  problemList?: ProblemList;
  /** The verify pass's counters that no summary field carries. */
  verifyCounts?: Pick<Counters, 'destNewer' | 'unverifiable' | 'pending'>;
  dir: string;
  journal: string;
}): ReportModel {
  const s = o.summary;
  const phases: PhaseTrack[] = [];
  if (o.copy) phases.push(track(o.copy, o.series.copy, `${o.copy.pass.phase} copy`));
  if (o.verify) phases.push(track(o.verify, o.series.verify, `${o.verify.pass.phase} verify`));
  const ok = s.exitCode === 0;
  const bad = s.failed + s.missing + s.different + s.verifyErrors;
  const headline: Headline = {
    ok,
    text: ok
      ? o.verify
        ? `${o.copy ? `Copied ${s.copied}, skipped ${s.skipped}; ` : ''}verified ${s.verified}; nothing failed.`
        : `Copied ${s.copied}, skipped ${s.skipped}, deferred ${s.deferred}; nothing failed.`
      : `${bad || s.deferred} object(s) need attention (exit code ${s.exitCode}): see below.`,
    numbers: [
      ...(o.copy
        ? [
            { name: 'copied', label: 'copied', value: s.copied },
            { name: 'skipped', label: 'skipped', value: s.skipped },
            { name: 'deferred', label: 'deferred', value: s.deferred },
            { name: 'failed', label: 'failed', value: s.failed },
          ]
        : []),
      ...(o.verify
        ? [
            { name: 'verified', label: 'verified', value: s.verified },
            { name: 'missing', label: 'missing', value: s.missing },
            { name: 'different', label: 'different', value: s.different },
          ]
        : []),
    ],
  };
  const vc = o.verify?.totals;
  const vn = o.verifyCounts;
  const window = (o.copy ?? o.verify)!.pass;
  return {
    title: `ossmigrate report — ${o.job}, pass ${s.passId}`,
    job: o.job,
    source: o.source,
    destination: o.destination,
    generatedAt: new Date().toISOString(),
    headline,
    ...(time(window.t1) !== undefined ? { t1: time(window.t1)! } : {}),
    ...(time(window.t2) !== undefined ? { t2: time(window.t2)! } : {}),
    phases,
    failures: groupFailures(o.failures),
    ...(o.verify && vc !== undefined
      ? {
          verification: {
            verified: s.verified,
            kept: vn?.destNewer ?? 0,
            missing: s.missing,
            different: s.different,
            extra: s.extra,
            unverifiable: vn?.unverifiable ?? 0,
            changedAfterWindow: vn?.pending ?? 0,
            errors: s.verifyErrors,
            ...(s.verifiedBy ? { methods: s.verifiedBy } : {}),
          },
        }
      : {}),
    lists: [
      ...(o.copy
        ? [
            capList(
              'Objects not migrated (failed or deferred)',
              ['key', 'outcome', 'class / reason', 'size'],
              o.openList?.rows ?? (isSync(o.copy.totals.open) ? [...o.copy.totals.open].map(openRow) : []),
              {
                fullList: join(o.dir, 'failed.ndjson'),
                ...(o.openList ? { total: o.openList.total } : {}),
              },
            ),
          ]
        : []),
      ...(o.verify
        ? [
            capList('Verification differences', ['key', 'status', 'detail'], o.problemList?.rows ?? [], {
              fullList: join(o.dir, 'check.txt'),
              total: o.problemList?.total ?? 0,
            }),
          ]
        : []),
    ],
    files: [
      { name: 'summary.txt', path: join(o.dir, 'summary.txt') },
      { name: 'summary.json', path: join(o.dir, 'summary.json') },
      { name: 'failed.ndjson', path: join(o.dir, 'failed.ndjson') },
      ...(o.verify ? [{ name: 'check.txt', path: join(o.dir, 'check.txt') }] : []),
      { name: 'journals', path: o.journal },
    ],
    notes: ['No secrets: keys, sizes, checksums and counts only.'],
  };
}
