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
 *
 * A listing from a key (List Blobs `startFrom`, inclusive, in UTF-16 order) misses, for every
 * position i where the key holds U+E000..U+FFFF, the block "key[0,i) + surrogate…": UTF-16 puts
 * it before the key, UTF-8 after. Each such block is listed on its own (from "key[0,i) + U+D800")
 * and yielded where UTF-8 wants it: when the listing leaves the prefix key[0,i).
 */

/**
 * A listing in the store's own (UTF-16) order; `prefix` narrows it like the store's prefix, `from`
 * (inclusive) is where it may start. A store may ignore `from`: entries before it are dropped here.
 */
export type Utf16Lister<T> = (prefix: string, from?: string) => AsyncIterable<T>;

const isSurrogate = (cu: number) => cu >= 0xd800 && cu <= 0xdfff;
const isHighBmp = (cu: number) => cu >= 0xe000;

/** Entries of `list(prefix)` in UTF-8 byte order, given that `list` yields UTF-16 order. */
export function utf8Order<T>(
  list: Utf16Lister<T>,
  prefix: string,
  nameOf: (t: T) => string,
  /**
   * Start near this key (under `prefix`): every entry after it in UTF-8 order is yielded, and some
   * at or before it may be too — the caller drops those (as it must for a common prefix anyway).
   */
  from?: string,
): AsyncIterable<T> {
  if (from === undefined || from.length <= prefix.length || !from.startsWith(prefix))
    return reorder(list(prefix), prefix.length, list, nameOf);
  return listFrom(list, prefix, from, nameOf);
}

async function* listFrom<T>(
  list: Utf16Lister<T>,
  prefix: string,
  from: string,
  nameOf: (t: T) => string,
): AsyncIterable<T> {
  // Prefixes q of `from` followed there by an astral character: q's U+E000.. block sorts before
  // `from` in UTF-8, so it is never fetched (and skipped where the UTF-16 listing holds it).
  const astral = new Set<string>();
  // Positions where `from` holds U+E000..U+FFFF: their surrogate blocks come later in UTF-8.
  const pending: number[] = [];
  for (let i = prefix.length; i < from.length; i++) {
    const cu = from.charCodeAt(i);
    if (isHighBmp(cu)) pending.push(i);
    else if (cu >= 0xd800 && cu <= 0xdbff) {
      astral.add(from.slice(0, i));
      i++;
    }
  }
  const floor = async function* (src: AsyncIterable<T>) {
    for await (const item of src) if (nameOf(item) >= from) yield item; // UTF-16, as startFrom
  };
  const block = (i: number) => {
    const q = from.slice(0, i);
    // U+10000, the first astral character (a lone surrogate is no valid name to start from).
    return reorder(surrogateBlock(list(q, `${q}\u{10000}`), i, nameOf), i + 2, list, nameOf);
  };
  for await (const item of reorder(floor(list(prefix, from)), prefix.length, list, nameOf, astral)) {
    const name = nameOf(item);
    while (pending.length && !name.startsWith(from.slice(0, pending[pending.length - 1])))
      yield* block(pending.pop()!);
    yield item;
  }
  while (pending.length) yield* block(pending.pop()!);
}

async function* reorder<T>(
  source: AsyncIterable<T>,
  /** Positions before this are fixed by the listing's prefix: nothing to reorder there. */
  from: number,
  list: Utf16Lister<T>,
  nameOf: (t: T) => string,
  /** Prefixes whose U+E000.. block is not wanted (it sorts before a listing's start). */
  unwanted?: ReadonlySet<string>,
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
        if (!unwanted?.has(q))
          yield* reorder(highBmpBlock(list(q, `${q}\ue000`), q.length, nameOf), q.length, list, nameOf);
        open.push(q);
      }
      i++; // the low surrogate of the pair
    }
    yield item;
  }
}

/**
 * The part of a prefix listing whose character after the prefix is U+E000..U+FFFF: the last block
 * of it in UTF-16 order (the listing starts there; one that ignores `from` is read and dropped).
 */
async function* highBmpBlock<T>(
  src: AsyncIterable<T>,
  at: number,
  nameOf: (t: T) => string,
): AsyncIterable<T> {
  for await (const item of src) if (isHighBmp(nameOf(item).charCodeAt(at))) yield item;
}

/** The part of a prefix listing whose character at `at` is astral (a surrogate pair). */
async function* surrogateBlock<T>(
  src: AsyncIterable<T>,
  at: number,
  nameOf: (t: T) => string,
): AsyncIterable<T> {
  for await (const item of src) {
    const cu = nameOf(item).charCodeAt(at);
    if (isHighBmp(cu)) return;
    if (isSurrogate(cu)) yield item;
  }
}
