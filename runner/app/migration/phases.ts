/**
 * The migration's phases as the operator sees them (DESIGN.md "The migration, phase by phase"),
 * in order, with one line each: what it does. Plain data, no I/O.
 */

export const PHASES = [
  'plan',
  'provision',
  'full',
  'verify',
  'mirror',
  'cutover',
  'incremental',
  'final-verify',
  'report',
  'teardown',
] as const;

export type PhaseId = (typeof PHASES)[number];

export const PHASE_INFO: Record<PhaseId, { title: string; explain: string }> = {
  plan: { title: 'plan', explain: 'survey the source, size the fleet, estimate the time' },
  provision: { title: 'provision', explain: 'bucket, RAM user, queue and worker fleet' },
  full: { title: 'full copy', explain: 'copy every object modified before T1' },
  verify: { title: 'verify', explain: 'compare size + CRC-64 on both sides (no download)' },
  mirror: { title: 'mirror on', explain: 'OSS fetches keys it lacks from the source (back-to-origin)' },
  cutover: { title: 'cutover', explain: 'the business switches to OSS; T2 is recorded' },
  incremental: {
    title: 'incremental',
    explain: 'copy what changed between T1 and T2; keep newer OSS writes',
  },
  'final-verify': { title: 'final verify', explain: 'compare everything up to T2 once more' },
  report: { title: 'report', explain: 'one report for every object' },
  teardown: { title: 'teardown', explain: 'remove fleet, queue and mirror rule; buckets and data stay' },
};

/** Phases that run the engine and show progress. */
export const ENGINE_PHASES: ReadonlySet<PhaseId> = new Set(['full', 'verify', 'incremental', 'final-verify']);

export function phaseNumber(p: PhaseId): number {
  return PHASES.indexOf(p) + 1;
}

/** The first phase not in `done`, or undefined when every phase is done. */
export function nextPhase(done: readonly PhaseId[]): PhaseId | undefined {
  return PHASES.find((p) => !done.includes(p));
}
