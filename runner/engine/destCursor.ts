/**
 * The merge-join of copy and verify: the destination listing walked in step with the source's
 * (both in key order), so a task costs two listings, not a HEAD per object.
 */
import { listedKey } from '../core/copyPolicy.ts';
import { compareKeys } from '../core/keys.ts';
import type { ListEntry, ObjectInfo } from '../core/types.ts';
import type { EngineContext } from './context.ts';

/** Walks a destination listing alongside the source listing (both in key order). */
export class DestCursor {
  private readonly it: AsyncIterator<ListEntry>;
  private head: ObjectInfo | undefined;
  private done = false;
  /** Destination objects passed over without a source counterpart (verify reports them). */
  readonly skipped: ObjectInfo[] = [];
  readonly prefixes: string[] = [];

  constructor(
    entries: AsyncIterable<ListEntry>,
    private readonly keepSkipped: boolean,
  ) {
    this.it = entries[Symbol.asyncIterator]();
  }

  private async pull(): Promise<void> {
    while (!this.head && !this.done) {
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        return;
      }
      if (r.value.kind === 'object') this.head = r.value.info;
      else if (this.keepSkipped) this.prefixes.push(r.value.prefix);
    }
  }

  /** The destination object with exactly this key, if listed; advances past smaller keys. */
  async seek(key: string): Promise<ObjectInfo | undefined> {
    for (;;) {
      await this.pull();
      if (!this.head) return undefined;
      const c = compareKeys(this.head.key, key);
      if (c === 0) {
        const found = this.head;
        this.head = undefined;
        return found;
      }
      if (c > 0) return undefined;
      if (this.keepSkipped) this.skipped.push(this.head);
      this.head = undefined;
    }
  }

  /** Everything left (verify: extras after the last source key). */
  async rest(): Promise<void> {
    for (;;) {
      await this.pull();
      if (!this.head) return;
      if (this.keepSkipped) this.skipped.push(this.head);
      this.head = undefined;
    }
  }
}

/**
 * Will the destination listing (the task's range, prefix swapped) show `dstKey` in step with the
 * source? Only when the mapping swapped the prefix and nothing else; a key whose leading "/" was
 * stripped sorts elsewhere and is looked up by itself.
 */
export function inListing(ctx: EngineContext, srcKey: string, dstKey: string): boolean {
  return dstKey === listedKey(srcKey, ctx);
}
