/**
 * `ossmigrate … | head`: the reader of stdout or stderr went away (EPIPE). Left alone, Node ends
 * the process with an unhandled 'error' trace, mid-job included. Instead that stream goes quiet
 * and the command is told, as SIGTERM would tell it: a running job finishes the objects in flight
 * and exits 6 (interrupted; the same command resumes it); a command with nothing to stop ends as
 * it would have, its output cut where the reader stopped.
 */
type Output = 'stdout' | 'stderr';

let gone: Output | undefined;
const listeners = new Set<(which: Output) => void>();

let watching = false;

/** Watch the process's stdout and stderr for a reader that went away (once per process). */
export function watchOutputs(): void {
  if (watching) return;
  watching = true;
  for (const which of ['stdout', 'stderr'] as const)
    process[which].on('error', (err: NodeJS.ErrnoException) => {
      // Every later write to the dead pipe fails too (EPIPE, ERR_STREAM_DESTROYED): one is enough.
      if (gone !== undefined) return;
      if (err.code !== 'EPIPE') throw err;
      gone = which;
      for (const f of listeners) f(which);
    });
}

/** Call onGone when stdout or stderr loses its reader (at once if one already has); returns the disposer. */
export function onOutputGone(onGone: (which: Output) => void): () => void {
  if (gone !== undefined) {
    const which = gone;
    queueMicrotask(() => onGone(which));
    return () => {};
  }
  listeners.add(onGone);
  return () => listeners.delete(onGone);
}
