/**
 * Without a terminal: the same orchestrator, no Ink — plain progress lines on stderr (CI logs,
 * pipes). Questions are answered automatically (the caller decides whether that is allowed).
 */

import { autoAnswerer } from '../runner/app/migration/orchestrator.ts';
import { ENGINE_PHASES } from '../runner/app/migration/phases.ts';
import { ExitCode } from '../runner/core/exitCodes.ts';
import type { StartFlow, TuiIO } from './hooks/useMigration.ts';
import { plainLines, progressLine } from './state/plainLines.ts';
import { initialState, reducer } from './state/reducer.ts';
import type { Action, InfraKind, Outcome, TuiState } from './state/types.ts';

export type PlainOptions = {
  infra: InfraKind;
  /** Minimum time between two progress lines. */
  progressEveryMs?: number;
  write?(line: string): void;
  /** Lets the entry point's signal handlers stop the run (first: soft, second: hard). */
  bindStop?(stop: () => void): void;
};

export async function runPlain(
  start: StartFlow,
  o: PlainOptions,
): Promise<{ outcome: Outcome; state: TuiState }> {
  const write = o.write ?? ((l: string) => void process.stderr.write(`${l}\n`));
  const every = o.progressEveryMs ?? 2000;
  let state = initialState({ infra: o.infra, unattended: true });
  let lastProgress = 0;
  let lastLine = '';
  const soft = new AbortController();
  const hard = new AbortController();
  const dispatch = (a: Action) => {
    const before = state;
    state = reducer(state, a);
    if (a.type === 'phase-done' && ENGINE_PHASES.has(a.phase)) {
      const line = progressLine(before);
      if (line && line !== lastLine) write(line);
      lastLine = '';
    }
    for (const l of plainLines(before, state, a)) write(l);
    const engineRunning =
      state.current !== undefined && ENGINE_PHASES.has(state.current) && state.pass?.mode !== 'plan';
    if (engineRunning && a.type === 'engine' && a.event.type === 'progress' && a.at - lastProgress >= every) {
      const line = progressLine(state);
      if (line && line !== lastLine) {
        lastProgress = a.at;
        lastLine = line;
        write(line);
      }
    }
  };
  o.bindStop?.(() => {
    if (!soft.signal.aborted) {
      dispatch({ type: 'stop-requested', hard: false, at: Date.now() });
      soft.abort();
    } else if (!hard.signal.aborted) {
      dispatch({ type: 'stop-requested', hard: true, at: Date.now() });
      hard.abort(new Error('stopped'));
    }
  });
  const auto = autoAnswerer();
  const io: TuiIO = {
    emit: dispatch,
    soft: soft.signal,
    hard: hard.signal,
    ask: async (q) => {
      if (soft.signal.aborted) return 'quit';
      dispatch({ type: 'ask', ask: q });
      const a = auto(q);
      dispatch({ type: 'answered', answer: a, auto: true, at: Date.now() });
      return a;
    },
  };
  const outcome = await start(io).catch(
    (e: unknown): Outcome => ({
      status: 'failed',
      exitCode: ExitCode.INTERNAL,
      message: (e as Error)?.message ?? String(e),
    }),
  );
  dispatch({ type: 'finished', outcome, at: Date.now() });
  return { outcome, state };
}
