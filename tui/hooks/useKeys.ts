/**
 * The keyboard. One place maps keys to actions for the state on screen:
 *   any time      q quit (soft stop: in-flight objects finish, the job resumes next start)
 *                 Ctrl-C the same; twice stops at once · p pause/resume the transfers
 *   resume        r/Enter resume · n start a new migration · q quit
 *   plan          Enter/y start · q quit
 *   retry         r/Enter retry the failed objects · s skip (retry later)
 *   cutover /     type the word shown (the bucket name / "teardown") and Enter; Esc folds the
 *   teardown      dialog away (the job waits there), c / t opens it again
 *   finished      q / Enter / Esc exit
 */
import { type Key, useInput } from 'ink';
import type { TuiState } from '../state/types.ts';
import type { MigrationActions } from './useMigration.ts';

export function keyAction(
  s: TuiState,
  input: string,
  key: Pick<Key, 'ctrl' | 'return' | 'escape' | 'backspace' | 'delete'>,
  a: MigrationActions,
  exit: () => void,
): void {
  if (key.ctrl && input === 'c') {
    if (s.outcome) exit();
    else a.stop();
    return;
  }
  if (s.outcome) {
    if (input === 'q' || key.return || key.escape) exit();
    return;
  }
  const p = s.pending;
  if (p) {
    const ask = p.ask;
    switch (ask.kind) {
      case 'resume':
        if ((input === 'r' || key.return) && !ask.complete) a.answer('resume');
        else if (input === 'n') a.answer('new');
        else if (input === 'q') a.answer('quit');
        return;
      case 'start':
        if (input === 'y' || key.return) a.answer('yes');
        else if (input === 'q') a.stop();
        return;
      case 'retry':
        if (input === 'r' || key.return) a.answer('retry');
        else if (input === 's') a.answer('skip');
        else if (input === 'q') a.stop();
        return;
      case 'cutover':
      case 'teardown': {
        if (!p.open) {
          if ((ask.kind === 'cutover' && input === 'c') || (ask.kind === 'teardown' && input === 't'))
            a.open();
          else if (input === 'q') a.stop();
          return;
        }
        if (key.escape) a.fold();
        else if (key.return) {
          if (p.typed === ask.expect) a.answer('yes');
          else a.reject(`"${p.typed}" is not "${ask.expect}": type it exactly, or Esc for not now`);
        } else if (key.backspace || key.delete) a.backspace();
        else if (input && !key.ctrl && /^[\x20-\x7e]+$/.test(input)) a.type(input);
        return;
      }
    }
  }
  if (input === 'q') a.stop();
  else if (input === 'p') a.togglePause();
}

export function useKeys(s: TuiState, a: MigrationActions, exit: () => void, active = true): void {
  useInput((input, key) => keyAction(s, input, key, a, exit), { isActive: active });
}
