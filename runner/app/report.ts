/**
 * The report of a run, in the work dir:
 *   summary.json   machine-readable totals (the --json summary, plus per-class and per-reason counts)
 *   summary.txt    the same for humans
 *   failed.ndjson  every object that is not migrated, with class, reason and fix
 *   check.txt      verification differences, rclone-style sigils: "+ key" only in the source
 *                  (missing), "- key" only in the destination (extra), "* key" different,
 *                  "? key" unverifiable, "~ key" changed after the window, "! key" comparison
 *                  failed, "> key" rewritten in the destination by the business after T2 (kept)
 *   report.html    the same with charts, self-contained (htmlReport/)
 * No secrets: the report holds keys, sizes, CRCs and reasons only.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type JobSpec, sourceLabel } from '../config/job.ts';
import { CLASS_INFO, type FailureClass } from '../core/errors.ts';
import type { Summary } from '../core/events.ts';
import { PENDING_LISTED, problemKey, type VerifyResult } from '../core/types.ts';
import { formatBytes, formatDuration } from '../core/units.ts';
import type { PassRun } from '../engine/run.ts';
import type { FailureRecord, JobState } from '../ports/jobState.ts';
import {
  HTML_REPORT,
  openRow,
  type ProblemList,
  passReportModel,
  problemRow,
  writeHtmlReport,
} from './htmlReport/index.ts';
import { LIST_CAP, provenBy } from './htmlReport/model.ts';

const SIGIL: Record<VerifyResult['status'], string> = {
  missing: '+',
  extra: '-',
  different: '*',
  unverifiable: '?',
  pending: '~',
  error: '!',
  'dest-newer': '>',
  match: '=',
};

export function describeSource(spec: JobSpec): string {
  return sourceLabel(spec.source);
}

export function describeDestination(spec: JobSpec): string {
  return `oss://${spec.destination.bucket}/${spec.destination.prefix}`;
}

/** What the deferred objects are waiting for, in the phase's own terms. */
function deferredWhy(s: Summary): string {
  if (!s.deferred) return '';
  const later = s.deferredAfterWindow ?? 0;
  const restores = s.deferred - later;
  const parts = [
    ...(later
      ? [
          s.phase === 'full'
            ? `${later} modified after T1: the incremental phase (import --since T1) copies them`
            : `${later} modified after T2: the next incremental pass copies them`,
        ]
      : []),
    ...(restores
      ? [`${restores} awaiting an archive restore: \`ossmigrate retry\` copies them once readable`]
      : []),
  ];
  return `  (${parts.join('; ')})`;
}

/** "147 proven by CRC-64, 0 by MD5, 1 by size only; " — what proved the matches, when counted. */
function matchedBy(s: Summary): string {
  const b = s.verifiedBy;
  return b ? `${provenBy(b)}; ` : 'size + CRC-64, ';
}

export function summaryText(o: {
  job: string;
  spec: JobSpec;
  summary: Summary;
  copy?: PassRun;
  verify?: PassRun;
  reportDir?: string;
  journal?: string;
}): string {
  const s = o.summary;
  const lines = [
    `ossmigrate report — job ${o.job}, pass ${s.passId} (${s.phase})`,
    `  ${describeSource(o.spec)}  →  ${describeDestination(o.spec)}`,
    '',
  ];
  if (o.copy) {
    const t = o.copy.totals;
    lines.push(
      `  copied    ${s.copied} objects, ${formatBytes(t.copiedBytes)} (${formatBytes(s.bytes)} transferred)`,
      `  skipped   ${s.skipped}${
        Object.keys(t.skippedBy).length
          ? `  (${Object.entries(t.skippedBy)
              .map(([k, v]) => `${k}: ${v}`)
              .join(', ')})`
          : ''
      }`,
      ...(s.phase === 'incremental'
        ? [
            `  unchanged ${s.unchanged ?? 0}  (not modified since T1: the full phase copied them; not counted as work)`,
          ]
        : []),
      `  deferred  ${s.deferred}${deferredWhy(s)}`,
      `  failed    ${s.failed}`,
    );
    for (const [cls, n] of Object.entries(s.failuresByClass) as Array<[FailureClass, number]>) {
      lines.push(`    ${cls.padEnd(20)} ${String(n).padStart(6)}  fix: ${CLASS_INFO[cls].fix}`);
    }
  }
  if (o.verify) {
    lines.push(
      '',
      `  verified  ${s.verified} match (${matchedBy(s)}no download)`,
      `  missing   ${s.missing}`,
      `  different ${s.different}`,
      `  extra     ${s.extra}  (in the destination only; deletions are reported, never propagated)`,
      ...(s.verifyErrors
        ? [`  errors    ${s.verifyErrors}  (could not be compared; run ossmigrate verify again)`]
        : []),
    );
  }
  if (s.erroredTasks) {
    lines.push(
      '',
      `  INCOMPLETE ${s.erroredTasks} task${s.erroredTasks === 1 ? '' : 's'} kept failing: nothing under ${s.erroredTasks === 1 ? 'its range' : 'their ranges'} was ${o.copy ? 'copied' : 'compared'} or counted above`,
      ...(s.taskErrors ?? []).map((t) => `    ${t.kind} ${t.range}: ${t.error}`),
      '    fix: remove the cause (access to that prefix, the network), then run ossmigrate retry (it reruns them)',
    );
  }
  if (s.stoppedBy) lines.push('', `  stopped   ${s.stoppedBy.message.replace(/^stopping: /, '')}`);
  lines.push('', `  elapsed   ${formatDuration(s.elapsedMs)}`, `  exit code ${s.exitCode}`);
  if (o.reportDir) lines.push(`  report    ${o.reportDir}`);
  if (o.journal) lines.push(`  journals  ${o.journal}`);
  return `${lines.join('\n')}\n`;
}

/** Lines in one stream write: ~64 KiB. */
const WRITE_AT = 65_536;

/**
 * A file written line by line in ~64 KiB stream writes (not one write per line): what the report
 * streams (failed.ndjson, check.txt) is never held whole. `add` returns a promise only when the
 * stream must drain first (no await per line on a path of millions).
 */
function lineFile(path: string): { add(line: string): Promise<unknown> | undefined; end(): Promise<void> } {
  const out = createWriteStream(path);
  const done = new Promise<void>((ok, fail) => {
    out.once('error', fail).once('finish', ok);
  });
  let buf = '';
  return {
    add(line) {
      buf += line;
      if (buf.length < WRITE_AT) return undefined;
      const ok = out.write(buf);
      buf = '';
      return ok ? undefined : once(out, 'drain');
    },
    async end() {
      out.end(buf);
      await done;
    },
  };
}

/**
 * A verify pass's problems as check.txt (with `path`; streamed, ~64 KiB writes) and report.html's
 * list (the first LIST_CAP). A full-phase verify lists the first PENDING_LISTED objects modified
 * after T1 and counts the rest (1 % of 10⁹ changed during the full copy would be 10⁷ lines that
 * need no fix: the incremental copies them); the file ends saying how many.
 */
export async function listProblems(
  problems: AsyncIterable<VerifyResult>,
  o: { path?: string; capPending?: boolean } = {},
): Promise<ProblemList> {
  const out = o.path ? lineFile(o.path) : undefined;
  const list: ProblemList = { rows: [], total: 0 };
  let pending = 0;
  for await (const p of problems) {
    list.total++;
    if (p.status === 'pending' && o.capPending && ++pending > PENDING_LISTED) continue;
    if (list.rows.length < LIST_CAP) list.rows.push(problemRow(p));
    const drain = out?.add(`${SIGIL[p.status]} ${problemKey(p)}${p.detail ? `\t${p.detail}` : ''}\n`);
    if (drain) await drain;
  }
  const more = pending - PENDING_LISTED;
  if (more > 0)
    await out?.add(
      `# … and ${more} more modified after T1, not listed (a full-phase verify lists the first ${PENDING_LISTED.toLocaleString('en-US')}; the incremental copies them all)\n`,
    );
  await out?.end();
  return list;
}

export async function writeReport(o: {
  dir: string;
  job: string;
  spec: JobSpec;
  summary: Summary;
  copy?: PassRun;
  verify?: PassRun;
  /** The verify pass's problems in key order (passProblems: streamed from its tasks' journals). */
  verifyProblems?: AsyncIterable<VerifyResult>;
  failures?: FailureRecord[];
  journal: string;
  /**
   * Where the pass's time series is (the charts; without it report.html has no rate charts) and
   * its counters (report.html's counts of kept, unverifiable and changed objects).
   */
  state?: Pick<JobState, 'series'> & Partial<Pick<JobState, 'counters'>>;
  /** report.html too (default). */
  html?: boolean;
}): Promise<string> {
  await mkdir(o.dir, { recursive: true });
  const html = o.html !== false;
  const s = { ...o.summary, report: o.dir };
  const json = {
    job: o.job,
    source: describeSource(o.spec),
    destination: describeDestination(o.spec),
    generatedAt: new Date().toISOString(),
    summary: s,
    skippedBy: o.copy?.totals.skippedBy ?? {},
    copiedBytes: o.copy?.totals.copiedBytes ?? 0,
    restoresPending: o.copy?.restoresPending ?? 0,
    ...(o.copy ? { copyPass: o.copy.pass } : {}),
    ...(o.verify ? { verifyPass: o.verify.pass } : {}),
    journals: o.journal,
    ...(html ? { html: join(o.dir, HTML_REPORT) } : {}),
  };
  await writeFile(join(o.dir, 'summary.json'), `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(
    join(o.dir, 'summary.txt'),
    summaryText({ ...o, summary: s, reportDir: o.dir, journal: o.journal }),
  );
  // Streamed to the file (the pass rollup's open objects come from the tasks' attention files).
  const failed = lineFile(join(o.dir, 'failed.ndjson'));
  // One pass over the open objects feeds failed.ndjson and report.html's list (the counts are
  // the summary's).
  const list: { rows: string[][]; total: number } = { rows: [], total: 0 };
  for await (const r of o.copy?.totals.open ?? []) {
    if (list.rows.length < LIST_CAP) list.rows.push(openRow(r));
    list.total++;
    const drain = failed.add(
      `${JSON.stringify({
        key: r.key,
        outcome: r.outcome,
        class: r.failureClass ?? null,
        reason: r.reason ?? r.skipReason ?? null,
        fix: r.fix ?? null,
        size: r.size,
        attempts: r.attempts,
      })}\n`,
    );
    if (drain) await drain;
  }
  await failed.end();
  const problemList = o.verifyProblems
    ? await listProblems(o.verifyProblems, {
        path: join(o.dir, 'check.txt'),
        capPending: o.verify?.pass.phase === 'full',
      })
    : undefined;
  const vc = o.verify && o.state?.counters ? await o.state.counters(o.verify.pass.id) : undefined;
  if (html) {
    const series = async (r?: PassRun) => (r && o.state ? await o.state.series(r.pass.id) : undefined);
    const [copySeries, verifySeries] = await Promise.all([series(o.copy), series(o.verify)]);
    await writeHtmlReport(
      o.dir,
      passReportModel({
        job: o.job,
        source: json.source,
        destination: json.destination,
        summary: s,
        ...(o.copy ? { copy: o.copy, openList: list } : {}),
        ...(o.verify ? { verify: o.verify } : {}),
        series: {
          ...(copySeries ? { copy: copySeries } : {}),
          ...(verifySeries ? { verify: verifySeries } : {}),
        },
        failures: o.failures ?? [],
        ...(problemList ? { problemList } : {}),
        ...(vc ? { verifyCounts: vc } : {}),
        dir: o.dir,
        journal: o.journal,
      }),
    );
  }
  return o.dir;
}
