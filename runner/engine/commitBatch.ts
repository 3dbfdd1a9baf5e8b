/**
 * The copy task's commit point. A journal line is what a resumed task skips, so results are
 * committed in batches (one journal append, one state transaction): per object, those writes cost
 * more CPU than copying a small object. A crash loses at most the last COMMIT_MS of lines; those
 * objects are found identical on resume and cost a comparison, not a copy. The live counters ride
 * along, flushed at most every 250 ms (they drive progress only; the summary comes from the ledger).
 */
import type { Counters, ObjectResult } from '../core/types.ts';
import type { EngineContext } from './context.ts';

/** Results committed together (journal append + state transaction), and the longest a result waits. */
export const COMMIT_BATCH = 256;
export const COMMIT_MS = 100;

export class CommitBatch {
  private readonly results: ObjectResult[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly pending: Partial<Counters> = {};
  private lastFlush = Date.now();

  constructor(
    private readonly ctx: EngineContext,
    private readonly taskId: string,
    /** A failed write (the task stops on it); the chain stays usable for the final attempt. */
    private readonly onError: (e: unknown) => void,
  ) {}

  /** Queue a result: committed when the batch is full, or COMMIT_MS after it started. */
  push(r: ObjectResult): void {
    this.results.push(r);
    if (this.results.length >= COMMIT_BATCH) void this.commit().catch(() => {});
    else this.timer ??= setTimeout(() => void this.commit().catch(() => {}), COMMIT_MS);
  }

  /** Commit what is queued (after every earlier commit); rejects when this write fails. */
  commit(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const ctx = this.ctx;
    const passId = ctx.pass.id;
    this.chain = this.chain.then(async () => {
      const rs = this.results.splice(0, this.results.length);
      if (rs.length === 0) return;
      await ctx.journal.append(passId, this.taskId, rs);
      await ctx.state.recordOutcomes(passId, rs);
      for (const r of rs) {
        this.add(r.outcome, 1);
        this.add('bytes', r.bytes);
        this.add('doneBytes', r.size);
        // Progress counts the phase's scope only: what the next phase takes is set apart.
        if (r.skipReason === 'outside-window') {
          this.add('afterWindow', 1);
          this.add('afterWindowBytes', r.size);
        }
        if (r.outcome === 'copied') this.add('copiedBytes', r.size);
      }
      if (Date.now() - this.lastFlush >= 250) await this.flushCounters();
      for (const r of rs) {
        ctx.emit({
          type: 'object',
          key: r.key,
          outcome: r.outcome,
          size: r.size,
          bytes: r.bytes,
          ...(r.skipReason ? { skipReason: r.skipReason } : {}),
          ...(r.failureClass ? { failureClass: r.failureClass } : {}),
          ...(r.reason ? { reason: r.reason } : {}),
        });
      }
    });
    const done = this.chain;
    this.chain = this.chain.catch(this.onError);
    return done;
  }

  /** End of the task: commit the rest, flush the counters. */
  async close(): Promise<void> {
    await this.commit().catch(() => {});
    await this.flushCounters();
  }

  private add(k: keyof Counters, n: number): void {
    if (n) this.pending[k] = (this.pending[k] ?? 0) + n;
  }

  private async flushCounters(): Promise<void> {
    const delta = { ...this.pending };
    for (const k of Object.keys(this.pending) as Array<keyof Counters>) delete this.pending[k];
    this.lastFlush = Date.now();
    if (Object.keys(delta).length) await this.ctx.state.addCounters(this.ctx.pass.id, delta);
  }
}
