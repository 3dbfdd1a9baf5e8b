/** Retries for transient failures: exponential backoff with full jitter, honouring Retry-After. */
import { setTimeout as sleep } from 'node:timers/promises';
import { type MigrationError, toMigrationError } from '../core/errors.ts';

export type RetryPolicy = {
  /** Attempts after the first. */
  retries: number;
  baseMs?: number;
  capMs?: number;
  /** Injected for tests. */
  random?: () => number;
};

/** Delay before attempt `attempt` (1 = first retry). */
export function backoffMs(attempt: number, p: RetryPolicy, err?: MigrationError): number {
  const base = p.baseMs ?? 500;
  const cap = p.capMs ?? 30_000;
  const ceiling = Math.min(cap, base * 2 ** (attempt - 1));
  const jittered = (p.random ?? Math.random)() * ceiling;
  // The server knows best: never retry earlier than it asked.
  return Math.max(jittered, err?.retryAfterMs ?? 0);
}

/**
 * Run `fn` until it succeeds, fails with a permanent error, or runs out of retries. Returns the
 * result and how many attempts it took; throws the last MigrationError.
 */
export async function withRetries<T>(
  fn: (attempt: number) => Promise<T>,
  p: RetryPolicy & {
    signal?: AbortSignal;
    onRetry?: (err: MigrationError, attempt: number, delayMs: number) => void;
  },
): Promise<{ value: T; attempts: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { value: await fn(attempt), attempts: attempt };
    } catch (raw) {
      const err = toMigrationError(raw);
      if (p.signal?.aborted || !err.transient || attempt > p.retries) {
        (err as MigrationError & { attempts?: number }).attempts = attempt;
        throw err;
      }
      const delay = backoffMs(attempt, p, err);
      p.onRetry?.(err, attempt, delay);
      await sleep(delay, undefined, p.signal ? { signal: p.signal } : undefined);
    }
  }
}
