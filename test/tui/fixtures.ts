/** Fixed states and events for the reducer and screen tests (no I/O, fixed clock). */

import type { PhaseId } from '../../runner/app/migration/phases.ts';
import type { EngineEvent } from '../../runner/core/events.ts';
import { emptySurvey, type Survey } from '../../runner/core/survey.ts';
import { type Counters, zeroCounters } from '../../runner/core/types.ts';
import { initialState, reducer } from '../../tui/state/reducer.ts';
import type { Action, PlanInfo, TuiState } from '../../tui/state/types.ts';

export const T0 = Date.parse('2026-11-22T04:00:00.000Z');
export const DAY = 86_400_000;

export function survey(): Survey {
  const s = emptySurvey();
  s.objects = 138;
  s.bytes = 47_254_731;
  s.histogram = [57, 38, 40, 2, 1, 0, 0, 0];
  s.histogramBytes = [34_600, 833_500, 5_452_800, 15_728_640, 25_165_947, 0, 0, 0];
  s.storageClasses = {
    STANDARD: { objects: 136, bytes: 31_527_000 },
    IA: { objects: 1, bytes: 12_582_912 },
    ARCHIVE: { objects: 1, bytes: 3_145_728 },
  };
  s.largest = { key: 'video/promo.mp4', size: 25_165_947 };
  s.oldest = '2024-06-05T04:00:00.000Z';
  s.newest = '2026-11-17T04:00:00.000Z';
  return s;
}

export function plan(o: Partial<PlanInfo['estimate']> = {}): PlanInfo {
  return {
    survey: survey(),
    sizing: {
      instances: 1,
      explanation:
        '0 TB in 7 days at 100 Mbit/s per instance (≈1 TB/day each) needs 1 instance (ceil(0 / 7 / 1) = 1).',
      warnings: [],
    },
    estimate: { oneMachineSeconds: 4, fleetSeconds: 4, mbpsPerInstance: 100, deadlineDays: 7, ...o },
    fleetNote: 'sandbox: the engine in this process is the fleet (one machine)',
  };
}

export function progress(
  c: Partial<Counters> & { etaMs?: number; bytesPerSec?: number; scanDone?: boolean },
): EngineEvent {
  const { etaMs, bytesPerSec, scanDone, ...counters } = c;
  return {
    type: 'progress',
    ...zeroCounters(),
    ...counters,
    elapsedMs: 2000,
    bytesPerSec: bytesPerSec ?? 0,
    ...(etaMs !== undefined ? { etaMs } : {}),
    scanDone: scanDone ?? true,
  };
}

export function apply(s: TuiState, ...actions: Action[]): TuiState {
  return actions.reduce(reducer, s);
}

export const engine = (event: EngineEvent, at = T0 + 1000): Action => ({ type: 'engine', event, at });

export function base(o: { unattended?: boolean } = {}): TuiState {
  return apply(initialState({ infra: 'sandbox', unattended: o.unattended ?? false }), {
    type: 'init',
    job: {
      name: 'demo',
      workdir: '/tmp/ossmigrate-demo',
      source: 'cos://demo-src-1250000000/',
      destination: 'oss://demo-dst/',
    },
    infra: 'sandbox',
  });
}

/** A state with phases done up to (not including) `phase`, which is running. */
export function at(phase: PhaseId, s = base()): TuiState {
  const order: PhaseId[] = [
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
  ];
  let out = apply(s, { type: 'plan-ready', plan: plan(), startedAt: T0 });
  for (const p of order) {
    out = apply(out, { type: 'phase-start', phase: p, at: T0 });
    if (p === phase) break;
    out = apply(out, { type: 'phase-done', phase: p, at: T0, detail: `${p} done` });
    if (p === 'full') out = apply(out, { type: 'window', t1: '2026-11-22T04:00:00.000Z' });
    if (p === 'cutover') out = apply(out, { type: 'window', t2: '2026-11-22T05:00:00.000Z' });
  }
  return out;
}
