/**
 * Plain progress lines for a run without a terminal (CI, pipes): what an action changed, as
 * lines of text. Pure; the printer (tui/plainRun.ts) adds the throttling of progress lines.
 */

import { PHASE_INFO, phaseNumber } from '../../runner/app/migration/phases.ts';
import { SIZE_BUCKET_LABELS } from '../../runner/core/survey.ts';
import { formatBytes, formatDuration, rate } from '../components/format.ts';
import { progressNumbers } from './selectors.ts';
import type { Action, TuiState } from './types.ts';

export function plainLines(before: TuiState, after: TuiState, a: Action): string[] {
  const out: string[] = [];
  if (a.type === 'phase-start') out.push('', `[${phaseNumber(a.phase)}/10] ${PHASE_INFO[a.phase].title}`);
  if (a.type === 'phase-skip') out.push(`  – ${PHASE_INFO[a.phase].title} skipped: ${a.reason}`);
  // Everything the reducer logged (phase done/failed/stopped, answers, business, failures, problems).
  const fresh = Math.min(after.logSeq - before.logSeq, after.log.length);
  for (const l of after.log.slice(after.log.length - fresh)) {
    // The outcome ('finished') is printed once, with its fix, by the entry point (tui/main.tsx).
    if (a.type === 'phase-start' || a.type === 'finished') continue;
    out.push(`  ${l.source ? `${l.source}: ` : ''}${l.text}`);
  }
  switch (a.type) {
    case 'phase-failed':
      if (a.fix) out.push(`    fix: ${a.fix}`);
      break;
    case 'infra-line':
      out.push(`  infra: ${a.line}`);
      break;
    case 'infra-check':
      if (!a.check.ok) out.push(`  infra: ✗ ${a.check.problem}`, `    fix: ${a.check.fix}`);
      break;
    case 'window':
      if (a.t1 && a.t1 !== before.t1)
        out.push(`  T1 = ${a.t1} (the full copy takes objects modified before it)`);
      if (a.t2 && a.t2 !== before.t2) out.push(`  T2 = ${a.t2} (cutover)`);
      break;
    case 'plan-ready': {
      const s = a.plan.survey;
      out.push(`  source: ${s.objects} objects, ${formatBytes(s.bytes)}`);
      s.histogram.forEach((n, i) => {
        if (n)
          out.push(
            `    ${SIZE_BUCKET_LABELS[i]!.padEnd(10)} ${String(n).padStart(8)}  ${formatBytes(s.histogramBytes[i]!)}`,
          );
      });
      out.push(`  sizing: ${a.plan.sizing.explanation}`);
      for (const w of a.plan.sizing.warnings) out.push(`  ! ${w}`);
      if (a.plan.fleetNote) out.push(`  ${a.plan.fleetNote}`);
      out.push(
        `  estimate: one machine ≈ ${formatDuration(a.plan.estimate.oneMachineSeconds * 1000)}; deadline ${a.plan.estimate.deadlineDays} days`,
      );
      break;
    }
    case 'engine': {
      // Fleet mode: a line when a worker joins, leaves or changes state (not for every
      // heartbeat's new rate); the Ink screen has the full table.
      if (a.event.type !== 'workers') break;
      // Sorted: the heartbeat store lists workers in no fixed order.
      const shape = (ws: TuiState['workers']) =>
        ws
          .map((w) => `${w.id} ${w.state}`)
          .sort()
          .join(', ');
      if (shape(before.workers) === shape(after.workers)) break;
      const n = after.workers.length;
      const active = after.workers.filter((w) => w.state === 'active').length;
      out.push(`  fleet: ${n} worker${n === 1 ? '' : 's'}, ${active} active — ${shape(after.workers)}`);
      break;
    }
    case 'report':
      if (before.report) break;
      out.push(
        `  report: ${a.report.dir}${a.report.ok ? ' — every object migrated and verified' : ' — some objects need attention'}`,
      );
      if (a.report.html) out.push(`  open in a browser: ${a.report.html}`);
      break;
    default:
      break;
  }
  return out;
}

/** One progress line for the running pass. */
export function progressLine(s: TuiState): string | undefined {
  const n = progressNumbers(s);
  if (!n || !s.progress) return undefined;
  const p = s.progress;
  if (n.verifying) {
    return `  verify ${n.checked}/${n.objectsPlanned}${n.scanDone ? '' : '+'} checked · ${p.verified} match · ${p.pending} changed since the window · ${p.missing} missing · ${p.different} different · ${p.extra} only in OSS`;
  }
  const deadline =
    n.deadline?.onTrack === undefined
      ? ''
      : n.deadline.onTrack
        ? ' · on track for the deadline'
        : ' · LATE for the deadline';
  return (
    `  copy ${n.objectsDone}/${n.objectsPlanned}${n.scanDone ? '' : '+'} objects · ${formatBytes(n.bytesDone)}/${formatBytes(n.bytesPlanned)} · ` +
    `${rate(n.bytesPerSec)} · ETA ${n.etaMs !== undefined ? formatDuration(n.etaMs) : '—'}${deadline} · ` +
    `${p.copied} copied, ${p.skipped} skipped, ${p.deferred} deferred, ${p.failed} failed` +
    ((p.unchanged ?? 0) > 0 ? ` · ${p.unchanged} unchanged since T1` : '') +
    ((p.afterWindow ?? 0) > 0
      ? ` · ${p.afterWindow} of the deferred modified after ${s.pass?.phase === 'incremental' ? 'T2 (next incremental)' : 'T1 (→ incremental)'}`
      : '')
  );
}
