/**
 * Bandwidth limiting for every byte a process moves: one token bucket shared by all transfers,
 * whose rate follows the job's timetable and live overrides (re-read every few seconds).
 */
import { Transform, type TransformCallback } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Rate } from '../core/bandwidth.ts';

export class TokenBucket {
  private rateBps: Rate = null;
  private tokens = 0;
  private last = performance.now();
  private pausedUntil: Promise<void> | undefined;
  private resume: (() => void) | undefined;

  /** Bytes per second shared by all consumers; null = unlimited. */
  get rate(): Rate {
    return this.rateBps;
  }

  setRate(rate: Rate): void {
    if (rate === this.rateBps) return;
    this.refill();
    this.rateBps = rate;
    // Start a new rate with a small burst allowance, not with a debt from the old one.
    this.tokens = rate === null ? 0 : Math.min(Math.max(this.tokens, 0), this.capacity());
  }

  private capacity(): number {
    // A quarter second of traffic, at least one socket read.
    return this.rateBps === null ? 0 : Math.max(64 * 1024, this.rateBps / 4);
  }

  private refill(): void {
    const now = performance.now();
    if (this.rateBps !== null) {
      this.tokens = Math.min(this.capacity(), this.tokens + ((now - this.last) / 1000) * this.rateBps);
    }
    this.last = now;
  }

  /** Hold every transfer at its next chunk until `paused` is set back to false. */
  setPaused(paused: boolean): void {
    if (paused && !this.pausedUntil) {
      this.pausedUntil = new Promise((r) => {
        this.resume = r;
      });
    } else if (!paused && this.pausedUntil) {
      this.resume?.();
      this.pausedUntil = undefined;
      this.resume = undefined;
    }
  }

  get paused(): boolean {
    return this.pausedUntil !== undefined;
  }

  /**
   * Take `n` bytes' worth of tokens now if that needs no wait (unlimited and not paused, or the
   * tokens are there); false leaves the bucket untouched. Lets a stream skip a promise per chunk.
   */
  tryConsume(n: number): boolean {
    if (this.pausedUntil) return false;
    if (this.rateBps === null) return true;
    this.refill();
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Take `n` bytes' worth of tokens, waiting as long as the rate requires. */
  async consume(n: number, signal?: AbortSignal): Promise<void> {
    while (this.pausedUntil) {
      const aborted = signal
        ? new Promise<void>((_, reject) =>
            signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
          )
        : undefined;
      await (aborted ? Promise.race([this.pausedUntil, aborted]) : this.pausedUntil);
    }
    if (this.rateBps === null) return;
    this.refill();
    this.tokens -= n;
    if (this.tokens >= 0) return;
    // Debt is shared: each consumer waits for its own share, so the aggregate rate holds.
    const waitMs = (-this.tokens / this.rateBps) * 1000;
    await sleep(waitMs, undefined, signal ? { signal } : undefined);
  }
}

/** A pass-through stream that spends tokens for every chunk and reports bytes as they flow. */
export function throttled(
  bucket: TokenBucket,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      bucket.consume(chunk.length, signal).then(
        () => {
          onBytes(chunk.length);
          cb(null, chunk);
        },
        (err: unknown) => cb(err as Error),
      );
    },
  });
}
