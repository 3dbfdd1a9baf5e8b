/** A task's key range: its content-derived id, its listing, and the same range on the destination. */
import { createHash } from 'node:crypto';
import { compareKeys } from '../core/keys.ts';
import type { CopyTask, KeyRange, ListEntry, Task, VerifyTask } from '../core/types.ts';
import type { ObjectStore } from '../ports/objectStore.ts';
import type { EngineContext } from './context.ts';

/** Content-derived task ids: re-enqueueing the same range is a no-op (idempotent scans). */
export function taskId(kind: Task['kind'], range: KeyRange, extra = ''): string {
  const h = createHash('sha1')
    .update(JSON.stringify([kind, range, extra]))
    .digest('hex')
    .slice(0, 16);
  return `${kind}-${h}`;
}

/** Entries of a range, in key order, bounded by startAfter (exclusive) and endKey (inclusive). */
export async function* listRange(
  store: ObjectStore,
  range: KeyRange,
  signal?: AbortSignal,
  /** Entries the scan saw in a bounded range: the first page asks for one more (past endKey). */
  expected?: number,
  /** Entries to read ahead of the caller (a scan: the next page is asked for while it works). */
  readAhead = 0,
): AsyncIterable<ListEntry> {
  const pageSize = range.endKey !== undefined && expected !== undefined ? expected + 1 : undefined;
  const listing = store.list({
    prefix: range.prefix,
    ...(range.startAfter !== undefined ? { startAfter: range.startAfter } : {}),
    ...(range.shallow ? { delimiter: '/' } : {}),
    ...(signal ? { signal } : {}),
    ...(pageSize !== undefined ? { pageSize } : {}),
  });
  const end = range.endKey;
  const past = (e: ListEntry) =>
    end !== undefined && compareKeys(e.kind === 'object' ? e.info.key : e.prefix, end) > 0;
  for await (const e of readAhead > 0 ? readAheadOf(listing, readAhead, past) : listing) {
    if (past(e)) return;
    yield e;
  }
}

/**
 * A copy or verify task's source listing: listRange, or nothing when the root scan of this pass
 * (in this process) found the whole source prefix empty moments ago — the listing of an empty
 * import would otherwise be made twice per pass. The hint is used once.
 */
export function sourceRange(ctx: EngineContext, task: CopyTask | VerifyTask): AsyncIterable<ListEntry> {
  if (ctx.knownEmpty?.delete(task.id)) return (async function* () {})();
  return listRange(ctx.src, task.range, ctx.signal, task.seenObjects);
}

/**
 * `src` pulled up to `cap` entries ahead of the caller, so a store's list() asks for page k+1
 * while the caller still works through page k: a scan's time per page becomes max(latency,
 * CPU) instead of their sum. The caller is woken on the next event-loop turn (setImmediate), not
 * per entry: the pull runs through the page the store already holds and sends the next request
 * before the caller's work starts. Memory stays bounded (cap entries plus the page in flight).
 * Stops pulling after an entry `last` says ends the range (no request for a page nobody reads);
 * a caller that stops early leaves at most one request in flight, whose answer is dropped.
 */
export async function* readAheadOf<T>(
  src: AsyncIterable<T>,
  cap: number,
  last: (e: T) => boolean = () => false,
): AsyncIterable<T> {
  let buf: T[] = [];
  let head = 0;
  let ended = false;
  let closed = false;
  let failure: { error: unknown } | undefined;
  let wakeReader: (() => void) | undefined;
  let wakePump: (() => void) | undefined;
  void (async () => {
    try {
      for await (const e of src) {
        buf.push(e);
        const r = wakeReader;
        wakeReader = undefined;
        if (r) setImmediate(r);
        if (last(e)) break;
        // Holding cap entries, still ask for the next one: that is the request for the next page.
        while (!closed && buf.length - head > cap) await new Promise<void>((r) => (wakePump = r));
        if (closed) break;
      }
    } catch (error) {
      // Kept for the caller; after it stopped reading nobody wants it (and nothing is unhandled).
      failure = { error };
    } finally {
      ended = true;
      const r = wakeReader;
      wakeReader = undefined;
      r?.();
    }
  })();
  try {
    for (;;) {
      if (head < buf.length) {
        const e = buf[head++]!;
        if (head >= cap) {
          // Drop what was read (amortised: one copy per cap entries).
          buf = buf.slice(head);
          head = 0;
        }
        if (wakePump && buf.length - head <= cap) {
          const p = wakePump;
          wakePump = undefined;
          p();
        }
        yield e;
        continue;
      }
      if (ended) {
        if (failure) throw failure.error;
        return;
      }
      await new Promise<void>((r) => (wakeReader = r));
    }
  } finally {
    closed = true;
    const p = wakePump;
    wakePump = undefined;
    p?.();
  }
}

/** The same range on the destination side (prefixes swapped). */
export function mapRange(range: KeyRange, srcPrefix: string, dstPrefix: string): KeyRange {
  const swap = (k: string) => dstPrefix + (k.startsWith(srcPrefix) ? k.slice(srcPrefix.length) : k);
  return {
    prefix: swap(range.prefix),
    ...(range.startAfter !== undefined ? { startAfter: swap(range.startAfter) } : {}),
    ...(range.endKey !== undefined ? { endKey: swap(range.endKey) } : {}),
    ...(range.shallow ? { shallow: true } : {}),
  };
}
