/** Derived views of the state (pure): what the components show. */
import { PHASES, type PhaseId } from '../../runner/app/migration/phases.ts';
import type { FailureGroup, TuiState } from './types.ts';

export type TimelineRow = {
  phase: PhaseId;
  n: number;
  status: TuiState['phases'][PhaseId]['status'];
  current: boolean;
  next: boolean;
  detail?: string;
  error?: string;
};

/** The phase being worked on, or the first one not finished. */
export function currentPhase(s: TuiState): PhaseId | undefined {
  if (PHASES.every((p) => s.phases[p].status === 'done' || s.phases[p].status === 'skipped'))
    return undefined;
  const live = PHASES.find((p) => ['running', 'waiting', 'failed', 'stopped'].includes(s.phases[p].status));
  return live ?? s.current ?? PHASES.find((p) => s.phases[p].status === 'pending');
}

/** The first phase after the current one still to do. */
export function upcomingPhase(s: TuiState): PhaseId | undefined {
  const cur = currentPhase(s);
  const from = cur ? PHASES.indexOf(cur) + 1 : 0;
  return PHASES.slice(from).find((p) => s.phases[p].status === 'pending');
}

export function timeline(s: TuiState): TimelineRow[] {
  const cur = currentPhase(s);
  const next = upcomingPhase(s);
  return PHASES.map((p, i) => {
    const ps = s.phases[p];
    return {
      phase: p,
      n: i + 1,
      status: ps.status,
      current: p === cur && ps.status !== 'done' && ps.status !== 'skipped',
      next: p === next,
      ...(ps.detail ? { detail: ps.detail } : {}),
      ...(ps.error ? { error: ps.error } : {}),
    };
  });
}

export type ProgressNumbers = {
  /** Objects of the listing processed (copied, skipped, failed, deferred). */
  objectsDone: number;
  /** Objects the scan found (the pass goes through all of them). */
  objectsPlanned: number;
  bytesDone: number;
  bytesPlanned: number;
  /** What falls in the phase's window (what this phase has to move). */
  window: { objects: number; bytes: number };
  /** 0..100 */
  objectsPct: number;
  bytesPct: number;
  bytesPerSec: number;
  etaMs?: number;
  scanDone: boolean;
  verifying: boolean;
  checked: number;
  deadline?: {
    at: number;
    /** ms left until the deadline, from when the progress arrived. */
    leftMs: number;
    /** ETA lands before the deadline. Undefined while there is no ETA. */
    onTrack?: boolean;
    /** Rate needed for the rest to make the deadline. */
    neededBytesPerSec?: number;
    /** ETA minus deadline (negative = spare time). */
    marginMs?: number;
  };
};

const pct = (a: number, b: number) => (b > 0 ? Math.min(100, Math.max(0, (a / b) * 100)) : a > 0 ? 100 : 0);

/** Progress of the running pass, and the ETA against the deadline from the plan. */
export function progressNumbers(s: TuiState): ProgressNumbers | undefined {
  const p = s.progress;
  if (!p) return undefined;
  const verifying = s.pass?.mode === 'verify';
  const checked =
    p.verified +
    p.missing +
    p.different +
    p.extra +
    p.unverifiable +
    p.pending +
    p.verifyErrors +
    p.destNewer;
  // Unchanged objects (incremental, counted by the scan) need no work: done as soon as listed.
  const objectsDone = verifying ? checked : p.copied + p.skipped + p.failed + p.deferred + (p.unchanged ?? 0);
  const bytesDone = verifying ? p.doneBytes : p.doneBytes + (p.unchangedBytes ?? 0);
  // A task re-lists its range: objects written after the scan are processed too, so the totals
  // never fall below what was done.
  const objectsPlanned = Math.max(p.scannedObjects, objectsDone);
  const bytesPlanned = Math.max(p.scannedBytes, bytesDone);
  const out: ProgressNumbers = {
    objectsDone,
    objectsPlanned,
    bytesDone,
    bytesPlanned,
    window: { objects: p.plannedObjects, bytes: p.plannedBytes },
    objectsPct: pct(objectsDone, objectsPlanned),
    bytesPct: pct(bytesDone, bytesPlanned),
    bytesPerSec: p.bytesPerSec,
    ...(p.etaMs !== undefined ? { etaMs: p.etaMs } : {}),
    scanDone: p.scanDone,
    verifying,
    checked,
  };
  if (s.deadline) {
    const leftMs = s.deadline.at - p.at;
    const remaining = Math.max(0, bytesPlanned - bytesDone);
    out.deadline = {
      at: s.deadline.at,
      leftMs,
      ...(leftMs > 0 && !verifying ? { neededBytesPerSec: remaining / (leftMs / 1000) } : {}),
      ...(p.etaMs !== undefined
        ? { onTrack: p.at + p.etaMs <= s.deadline.at, marginMs: p.at + p.etaMs - s.deadline.at }
        : {}),
    };
  }
  return out;
}

const weight = (g: FailureGroup) => g.failed * 1e6 + g.deferred * 1e3 + g.skipped;

/** Failure groups, the ones needing action first. */
export function failureGroups(s: TuiState): FailureGroup[] {
  return (Object.values(s.failures) as FailureGroup[]).sort(
    (a, b) => weight(b) - weight(a) || a.cls.localeCompare(b.cls),
  );
}

export function failedCount(s: TuiState): number {
  return failureGroups(s).reduce((n, g) => n + g.failed, 0);
}
