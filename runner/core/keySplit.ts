/**
 * Choosing split keys for a flat key space from start-after probes. Pure: the caller supplies
 * `probe(after)` (list max-keys=1 after a string) and gets back boundaries; no I/O here.
 *
 * Model: a key is a point in [0, 1) by its UTF-8 bytes after the range's common prefix (the same
 * order the services list in). A probe after m that answers k proves (m, k) holds no key; one that
 * answers nothing (or past the range) proves (m, hi] empty. Bisecting the widest not-yet-empty
 * interval concentrates what is left on where the keys are, and the boundaries cut that "unknown"
 * width into n equal parts. Uniform key spaces (hashes, counters, UUIDs) split evenly; skewed ones
 * are evened out later by re-splitting a range that stays large (scanTask).
 */
import { compareKeys, prefixEnd } from './keys.ts';

/** Bytes after the common prefix that positions resolve: 8 bytes ≈ 1.8 × 10¹⁹ positions. */
const DIGITS = 8;
const SCALE = 1n << BigInt(8 * DIGITS);

export type Probe = (after: string) => Promise<string | undefined>;

/** empty: proven to hold no key; done: holds keys but cannot be refined further (still weighs). */
type Interval = { lo: bigint; hi: bigint; empty: boolean; done?: boolean };

function commonPrefixLength(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** The position of `s` (whose bytes start with `base`) as a DIGITS-byte integer. */
function position(s: string, base: Buffer): bigint {
  const b = Buffer.from(s, 'utf8');
  let v = 0n;
  for (let i = 0; i < DIGITS; i++) v = (v << 8n) | BigInt(b[base.length + i] ?? 0);
  return v;
}

/** Valid ranges of the bytes after a UTF-8 lead byte (no overlongs, no surrogates, ≤ U+10FFFF). */
function continuationRanges(lead: number): Array<[number, number]> {
  const n = lead < 0xe0 ? 1 : lead < 0xf0 ? 2 : 3;
  const first: [number, number] =
    lead === 0xe0
      ? [0xa0, 0xbf]
      : lead === 0xed
        ? [0x80, 0x9f]
        : lead === 0xf0
          ? [0x90, 0xbf]
          : lead === 0xf4
            ? [0x80, 0x8f]
            : [0x80, 0xbf];
  return [first, ...Array.from({ length: n - 1 }, (): [number, number] => [0x80, 0xbf])];
}

/**
 * A string near a position: `base` + the position's bytes made valid UTF-8 (rounded to the
 * nearest valid sequence, then cut). Order-preserving enough for a boundary; exactness is not needed.
 */
export function keyAt(pos: bigint, base: Buffer): string {
  const digits: number[] = [];
  for (let i = DIGITS - 1; i >= 0; i--) digits.push(Number((pos >> BigInt(8 * i)) & 0xffn));
  const out: number[] = [...base];
  let i = 0;
  while (i < digits.length) {
    const b = digits[i]!;
    if (b < 0x80) {
      out.push(b);
      i++;
      continue;
    }
    if (b < 0xc2) {
      out.push(0xc2, 0x80); // round up to U+0080
      break;
    }
    if (b > 0xf4) {
      out.push(0xf4, 0x8f, 0xbf, 0xbf); // round down to U+10FFFF
      break;
    }
    const seq = [b];
    let rounded = false;
    for (const [lo, hi] of continuationRanges(b)) {
      const c = rounded ? undefined : digits[i + seq.length];
      if (c === undefined || c < lo) {
        seq.push(lo);
        rounded = true;
      } else if (c > hi) {
        seq.push(hi);
        rounded = true;
      } else seq.push(c);
    }
    out.push(...seq);
    if (rounded) break;
    i += seq.length;
  }
  // Trailing NULs add nothing but length.
  while (out.length > base.length && out[out.length - 1] === 0) out.pop();
  return Buffer.from(out).toString('utf8');
}

/**
 * Up to n-1 boundaries strictly inside (lo, hi] (hi undefined: the end of `prefix`), ascending, so
 * that (lo, b1], (b1, b2], …, (b_{n-1}, hi] share the keys after lo about evenly. Deterministic
 * for the same keys (a re-run scan re-creates the same ranges, and the queue dedups them by id).
 */
export async function chooseSplits(o: {
  prefix: string;
  lo: string;
  hi?: string;
  /** The first key of the range: what it shares with lo is tried as every key's prefix. */
  first?: string;
  n: number;
  probe: Probe;
  /** Probes in flight at once, and in all. */
  parallel?: number;
  maxProbes?: number;
}): Promise<string[]> {
  if (o.n < 2) return [];
  const loB = Buffer.from(o.lo, 'utf8');
  const hiB = o.hi !== undefined ? Buffer.from(o.hi, 'utf8') : undefined;
  // Keys share the prefix; with an upper bound they also share its common prefix with lo.
  let baseLen = hiB
    ? Math.max(Buffer.byteLength(o.prefix), commonPrefixLength(loB, hiB))
    : Buffer.byteLength(o.prefix);
  if (!hiB && o.first !== undefined) baseLen = await sharedPrefix(o.prefix, o.first, o.lo, o.probe);
  const base = loB.subarray(0, Math.min(baseLen, loB.length));
  const top = o.hi !== undefined ? position(o.hi, base) : SCALE;
  const inRange = (k: string | undefined): k is string =>
    k?.startsWith(o.prefix) === true && (o.hi === undefined || compareKeys(k, o.hi) <= 0);
  let intervals: Interval[] = [{ lo: position(o.lo, base), hi: top, empty: false }];
  // Each round costs one request latency: few wide rounds rather than many narrow ones.
  const maxProbes = o.maxProbes ?? Math.min(96, 6 * o.n + 8);
  const parallel = Math.max(1, o.parallel ?? Math.ceil(maxProbes / 3));
  let probes = 0;
  // Rounding to valid UTF-8 prunes without a request; bound those steps too.
  for (let steps = 0; probes < maxProbes && steps < 8 * maxProbes; steps++) {
    const open = intervals
      .map((iv, idx) => ({ iv, idx }))
      .filter(({ iv }) => !iv.empty && !iv.done && iv.hi - iv.lo > 1n)
      .sort((a, b) => {
        const wa = a.iv.hi - a.iv.lo;
        const wb = b.iv.hi - b.iv.lo;
        return wb > wa ? 1 : wb < wa ? -1 : a.idx - b.idx;
      })
      .slice(0, Math.min(parallel, maxProbes - probes));
    if (open.length === 0) break;
    const answers = await Promise.all(
      open.map(async ({ iv }): Promise<Interval[]> => {
        const raw = (iv.lo + iv.hi) / 2n;
        const mid = keyAt(raw, base);
        const m = position(mid, base);
        // No valid key has bytes between raw and the string it rounds to: that part is empty.
        if (m >= iv.hi)
          return [
            { lo: iv.lo, hi: raw, empty: false },
            { lo: raw, hi: iv.hi, empty: true },
          ];
        if (m <= iv.lo || compareKeys(mid, o.lo) <= 0) {
          return m < raw
            ? [
                { lo: iv.lo, hi: raw + 1n, empty: true },
                { lo: raw + 1n, hi: iv.hi, empty: false },
              ]
            : [{ ...iv, done: true }];
        }
        probes++;
        const found = await o.probe(mid);
        const k = inRange(found) ? position(found, base) : undefined;
        if (k === undefined || k >= iv.hi)
          return [
            { lo: iv.lo, hi: m, empty: false },
            { lo: m, hi: iv.hi, empty: true },
          ];
        return [
          { lo: iv.lo, hi: m, empty: false },
          { lo: m, hi: k, empty: true },
          { lo: k, hi: iv.hi, empty: false },
        ];
      }),
    );
    const replaced = new Map(open.map(({ idx }, j) => [idx, answers[j]!]));
    intervals = intervals.flatMap((iv, idx) => replaced.get(idx) ?? [iv]).filter((iv) => iv.hi > iv.lo);
  }
  return boundaries(intervals, o.n, base, o.lo, o.hi);
}

/**
 * Byte length of the longest prefix that the rest of the keys after lo share with the first page
 * (first..lo): one parallel round of probes after the end of each candidate. Flat buckets with
 * long common prefixes ("thumbs/2024/") are then cut where the keys differ, not in empty space.
 */
async function sharedPrefix(prefix: string, first: string, lo: string, probe: Probe): Promise<number> {
  let common = '';
  const cps = [...first];
  const lcps = [...lo];
  for (let i = 0; i < Math.min(cps.length, lcps.length) && cps[i] === lcps[i]; i++) common += cps[i];
  if (!common.startsWith(prefix) || common.length <= prefix.length) return Buffer.byteLength(prefix);
  const candidates: string[] = [];
  for (const ch of [...common.slice(prefix.length)]) candidates.push((candidates.at(-1) ?? prefix) + ch);
  // At most 16 candidates, the longest (a miss falls back to the prefix itself).
  const tried = candidates.slice(-16);
  const answers = await Promise.all(
    tried.map(async (c) => {
      const end = prefixEnd(c);
      if (end === undefined) return true;
      const k = await probe(end);
      return k === undefined || !k.startsWith(prefix);
    }),
  );
  for (let i = tried.length - 1; i >= 0; i--) if (answers[i]) return Buffer.byteLength(tried[i]!);
  return Buffer.byteLength(prefix);
}

/** n-1 cuts of the not-proven-empty width into equal parts. */
function boundaries(
  intervals: Interval[],
  n: number,
  base: Buffer,
  lo: string,
  hi: string | undefined,
): string[] {
  const live = intervals.map((iv) => ({ ...iv, w: iv.empty ? 0n : iv.hi - iv.lo }));
  const total = live.reduce((s, iv) => s + iv.w, 0n);
  if (total === 0n) return [];
  const out: string[] = [];
  let acc = 0n;
  let j = 1;
  for (const iv of live) {
    while (j < n && acc + iv.w >= (total * BigInt(j)) / BigInt(n) && iv.w > 0n) {
      const target = (total * BigInt(j)) / BigInt(n);
      const k = keyAt(iv.lo + (target - acc), base);
      const prev = out.at(-1) ?? lo;
      if (compareKeys(k, prev) > 0 && (hi === undefined || compareKeys(k, hi) < 0)) out.push(k);
      j++;
    }
    acc += iv.w;
  }
  return out;
}
