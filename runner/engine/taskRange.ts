/** A task's key range: its content-derived id, its listing, and the same range on the destination. */
import { createHash } from 'node:crypto';
import { compareKeys } from '../core/keys.ts';
import type { KeyRange, ListEntry, Task } from '../core/types.ts';
import type { ObjectStore } from '../ports/objectStore.ts';

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
): AsyncIterable<ListEntry> {
  const pageSize = range.endKey !== undefined && expected !== undefined ? expected + 1 : undefined;
  for await (const e of store.list({
    prefix: range.prefix,
    ...(range.startAfter !== undefined ? { startAfter: range.startAfter } : {}),
    ...(range.shallow ? { delimiter: '/' } : {}),
    ...(signal ? { signal } : {}),
    ...(pageSize !== undefined ? { pageSize } : {}),
  })) {
    const key = e.kind === 'object' ? e.info.key : e.prefix;
    if (range.endKey !== undefined && compareKeys(key, range.endKey) > 0) return;
    yield e;
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
