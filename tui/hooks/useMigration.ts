/**
 * The Ink side of the migration orchestrator (runner/app/migration): holds the reducer, starts the flow once, turns the runner's
 * questions into dialogs (or answers them itself when unattended), and exposes the operator's
 * actions (answer, stop, pause). The flow is injected, so tests can drive the UI with a fake one.
 */
import { useCallback, useEffect, useReducer, useRef } from 'react';
import { autoAnswerer, type MigrationIO } from '../../runner/app/migration/orchestrator.ts';
import { ExitCode } from '../../runner/core/exitCodes.ts';
import { initialState, reducer } from '../state/reducer.ts';
import type { Action, Answer, Ask, InfraKind, Outcome, TuiState } from '../state/types.ts';

/**
 * What the TUI hands a flow: the orchestrator's IO, whose emit also takes the UI's own actions
 * (the demo's business lines go through it).
 */
export type TuiIO = Omit<MigrationIO, 'emit'> & { emit(a: Action): void };

export type StartFlow = (io: TuiIO) => Promise<Outcome>;

export type MigrationActions = {
  answer(a: Answer): void;
  type(text: string): void;
  backspace(): void;
  reject(error: string): void;
  fold(): void;
  open(): void;
  /** First call: soft stop (finish in-flight, keep state). Second: stop now. */
  stop(): void;
  togglePause(): void;
};

export type UseMigrationOptions = {
  start: StartFlow;
  infra: InfraKind;
  unattended: boolean;
  onOutcome?(outcome: Outcome, state: TuiState): void;
  /** Lets the entry point (signal handlers) reach stop(). */
  bindStop?(stop: () => void): void;
};

export function useMigration(o: UseMigrationOptions): [TuiState, MigrationActions] {
  const [state, dispatch] = useReducer(reducer, undefined, () =>
    initialState({ infra: o.infra, unattended: o.unattended }),
  );
  const stateRef = useRef(state);
  stateRef.current = state;
  const pending = useRef<{ ask: Ask; resolve(a: Answer): void } | undefined>(undefined);
  const ctl = useRef({ soft: new AbortController(), hard: new AbortController() });
  const pauser = useRef<((paused: boolean) => Promise<void>) | undefined>(undefined);
  const started = useRef(false);

  const answer = useCallback((a: Answer) => {
    const p = pending.current;
    if (!p) return;
    pending.current = undefined;
    dispatch({ type: 'answered', answer: a, at: Date.now() });
    p.resolve(a);
  }, []);

  const stop = useCallback(() => {
    const { soft, hard } = ctl.current;
    if (!soft.signal.aborted) {
      dispatch({ type: 'stop-requested', hard: false, at: Date.now() });
      soft.abort();
      if (pending.current) answer('quit');
    } else if (!hard.signal.aborted) {
      dispatch({ type: 'stop-requested', hard: true, at: Date.now() });
      hard.abort(new Error('stopped by the operator'));
    }
  }, [answer]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the flow starts once per mount
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    o.bindStop?.(stop);
    const auto = o.unattended ? autoAnswerer() : undefined;
    const io: TuiIO = {
      emit: dispatch,
      soft: ctl.current.soft.signal,
      hard: ctl.current.hard.signal,
      ask: (q) => {
        if (ctl.current.soft.signal.aborted) return Promise.resolve('quit');
        dispatch({ type: 'ask', ask: q });
        if (auto) {
          const a = auto(q);
          dispatch({ type: 'answered', answer: a, auto: true, at: Date.now() });
          return Promise.resolve(a);
        }
        return new Promise<Answer>((resolve) => {
          pending.current = { ask: q, resolve };
        });
      },
      controls: (c) => {
        pauser.current = c.pause;
      },
    };
    o.start(io)
      .catch(
        (e: unknown): Outcome => ({
          status: 'failed',
          exitCode: ExitCode.INTERNAL,
          message: (e as Error)?.message ?? String(e),
        }),
      )
      .then((outcome) => {
        dispatch({ type: 'finished', outcome, at: Date.now() });
        o.onOutcome?.(outcome, stateRef.current);
      });
  }, []);

  const actions: MigrationActions = {
    answer,
    type: (text) => dispatch({ type: 'ask-type', text }),
    backspace: () => dispatch({ type: 'ask-backspace' }),
    reject: (error) => dispatch({ type: 'ask-reject', error }),
    fold: () => dispatch({ type: 'ask-fold' }),
    open: () => dispatch({ type: 'ask-open' }),
    stop,
    togglePause: () => {
      const next = !stateRef.current.paused;
      if (!pauser.current) return;
      dispatch({ type: 'paused', paused: next });
      dispatch({
        type: 'log',
        level: 'info',
        text: next ? 'paused: workers finish what is in flight and wait' : 'resumed',
        at: Date.now(),
      });
      void pauser.current(next).catch(() => {});
    },
  };
  return [state, actions];
}
