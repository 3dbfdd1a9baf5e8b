/**
 * Azure lists blobs in UTF-16 code-unit order (Azurite too: it sorts JS strings); the port and the
 * engine's sorted merges want UTF-8 byte (= code point) order. The two differ in one way only: at
 * the first position two names differ, a surrogate (an astral character, e.g. an emoji) sorts
 * before U+E000..U+FFFF (e.g. fullwidth "～") in UTF-16 and after it in UTF-8.
 *
 * So under every name prefix Q the UTF-16 listing holds, contiguously and in this order, the
 * block "Q + surrogate…" then the block "Q + U+E000..U+FFFF…"; UTF-8 wants them swapped. Without
 * buffering (a block can hold millions of names): when the listing enters a "Q + surrogate" block,
 * a second listing of prefix Q is read up to the "Q + U+E000.." block, which is yielded first
 * (recursively reordered); then the first listing goes on through the surrogate block and skips
 * the U+E000.. block it already gave. Memory stays one page per open block; the price is listing
 * those two blocks twice, only where names hold both kinds of character under one prefix.
 */

/** A listing in the store's own (UTF-16) order; `prefix` narrows it like the store's prefix. */
export type Utf16Lister<T> = (prefix: string) => AsyncIterable<T>;

const isSurrogate = (cu: number) => cu >= 0xd800 && cu <= 0xdfff;
const isHighBmp = (cu: number) => cu >= 0xe000;

/** Entries of `list(prefix)` in UTF-8 byte order, given that `list` yields UTF-16 order. */
export function utf8Order<T>(
  list: Utf16Lister<T>,
  prefix: string,
  nameOf: (t: T) => string,
): AsyncIterable<T> {
  return reorder(list(prefix), prefix.length, list, nameOf);
}

async function* reorder<T>(
  source: AsyncIterable<T>,
  /** Positions before this are fixed by the listing's prefix: nothing to reorder there. */
  from: number,
  list: Utf16Lister<T>,
  nameOf: (t: T) => string,
): AsyncIterable<T> {
  // Prefixes Q whose surrogate block we are in (outermost first); their U+E000.. block was given.
  const open: string[] = [];
  for await (const item of source) {
    const name = nameOf(item);
    while (open.length && !name.startsWith(open[open.length - 1]!)) open.pop();
    const top = open[open.length - 1];
    if (top !== undefined && isHighBmp(name.charCodeAt(top.length))) continue; // given already
    // Enter each surrogate block this name opens (a high surrogate at i under a prefix not open).
    for (let i = Math.max(from, top === undefined ? 0 : top.length); i < name.length; i++) {
      const cu = name.charCodeAt(i);
      if (!isSurrogate(cu)) continue;
      if (cu <= 0xdbff && !open.includes(name.slice(0, i))) {
        const q = name.slice(0, i);
        yield* reorder(highBmpBlock(list(q), q.length, nameOf), q.length, list, nameOf);
        open.push(q);
      }
      i++; // the low surrogate of the pair
    }
    yield item;
  }
}

/**
 * The part of a prefix listing whose character after the prefix is U+E000..U+FFFF: the last block
 * of it in UTF-16 order, so everything before is read and dropped, and the listing ends with it.
 */
async function* highBmpBlock<T>(
  src: AsyncIterable<T>,
  at: number,
  nameOf: (t: T) => string,
): AsyncIterable<T> {
  for await (const item of src) if (isHighBmp(nameOf(item).charCodeAt(at))) yield item;
}
