/**
 * Choosing split keys for a flat key space from start-after probes. Pure: the caller supplies
 * `probe(after)` (list max-keys=1 after a string) and gets back boundaries; no I/O here.
 *
 * Model: a key is a point in [0, 1) by its UTF-8 bytes after the range's common prefix (the same
 * order the services list in). A probe after m that answers k proves (m, k) holds no key; one that
 * answers nothing (or past the range) proves (m, hi] empty. Bisecting the widest not-yet-empty
 * interval concentrates what is left on where the keys are.
 *
 * Each probe's answer is a whole page of keys (the request lists 1,000 anyway): those keys teach
 * the alphabet of each byte after the common prefix (hex names use 16 of 256 byte values, digits
 * 10). The boundaries cut the not-empty intervals into n parts of equal mass in that learned
 * space, not in raw byte width: in byte width the unused byte values in every position weigh as
 * much as the used ones, which left 4 ranges of hash names at 21 %–31 % of the keys. Skew the
 * model misses is evened out later by re-splitting a range that stays large (scanTask).
 */
import { compareKeys, prefixEnd } from './keys.ts';

/** Bytes after the common prefix that positions resolve: 8 bytes ≈ 1.8 × 10¹⁹ positions. */
const DIGITS = 8;
const SCALE = 1n << BigInt(8 * DIGITS);

/**
 * The keys listed after a string: the first page (ascending), or just its first key, or nothing.
 * More keys only improve the model; one is enough for correctness.
 */
export type Probe = (after: string) => Promise<string | readonly string[] | undefined>;

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
  return validKey(digits, base);
}

/** `base` + bytes, rounded to valid UTF-8 (order-preserving), trailing NULs cut. */
function validKey(digits: readonly number[], base: Buffer): string {
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
 * The learned key space: byte i after the base is a symbol of alphabet i (the byte values seen
 * there in the sampled keys, equal weights), unseen values and the key's end share a sliver.
 * A key's model position is its arithmetic-coding lower bound in [0, SCALE): monotone in key
 * order, so mass between two keys is the difference of their positions.
 */
class KeyModel {
  /** Per depth: cumulative weights of the 257 slots (0 = the key ends, 1 + v = byte v). */
  private readonly cum: Array<bigint[] | undefined>;

  constructor(samples: readonly Buffer[], baseLen: number) {
    const seen: Array<Set<number>> = Array.from({ length: MODEL_DEPTH }, () => new Set());
    // -1: a key that ends at this depth (the end is a symbol like any byte).
    for (const k of samples) {
      for (let i = 0; i < MODEL_DEPTH && baseLen + i < k.length; i++) seen[i]!.add(k[baseLen + i]!);
      if (k.length - baseLen < MODEL_DEPTH) seen[k.length - baseLen]!.add(-1);
    }
    this.cum = seen.map((set) => {
      if (set.size === 0) return undefined;
      // Pages are runs of neighbouring keys: they see some digits or letters of a position, not
      // all. One of a class stands for the class: 0-9, a-f (hex) or a-z, A-F or A-Z. Probes
      // that all land on block starts ("30000", "40000") see one digit where a counter has ten.
      for (const [from, hexTo, to] of CLASSES) {
        const inClass = [...set].filter((v) => v >= from && v <= to);
        if (inClass.length === 0) continue;
        const top = inClass.every((v) => v <= hexTo) ? hexTo : to;
        for (let v = from; v <= top; v++) set.add(v);
      }
      // Unseen values together ≈ 2 % of a depth's mass.
      const heavy = BigInt(Math.ceil((50 * (257 - set.size)) / set.size));
      const c: bigint[] = [0n];
      for (let v = -1; v < 256; v++) c.push(c.at(-1)! + (set.has(v) ? heavy : 1n));
      return c;
    });
  }

  private static readonly UNIFORM: bigint[] = Array.from({ length: 258 }, (_, i) => BigInt(i));

  private slots(depth: number): bigint[] {
    return this.cum[depth] ?? KeyModel.UNIFORM;
  }

  /** Position of the bytes (after the base); missing bytes and trailing NULs are the end. */
  position(bytes: readonly number[]): bigint {
    let end = bytes.length;
    while (end > 0 && bytes[end - 1] === 0) end--;
    let lo = 0n;
    let size = SCALE;
    for (let i = 0; i < MODEL_DEPTH && size > 1n; i++) {
      const c = this.slots(i);
      const slot = i < end ? bytes[i]! + 1 : 0;
      const total = c[257]!;
      const a = (size * c[slot]!) / total;
      const b = (size * c[slot + 1]!) / total;
      lo += a;
      size = b - a;
      if (slot === 0) break;
    }
    return lo;
  }

  /** The bytes whose position is the largest at or below pos (the inverse, up to rounding). */
  bytesAt(pos: bigint): number[] {
    const out: number[] = [];
    let lo = 0n;
    let size = SCALE;
    for (let i = 0; i < MODEL_DEPTH && size > 1n; i++) {
      const c = this.slots(i);
      const total = c[257]!;
      const off = pos - lo;
      // The slot whose share of size holds off (binary search over the cumulative weights).
      let l = 0;
      let h = 256;
      while (l < h) {
        const m = (l + h + 1) >> 1;
        if ((size * c[m]!) / total <= off) l = m;
        else h = m - 1;
      }
      const a = (size * c[l]!) / total;
      const b = (size * c[l + 1]!) / total;
      if (l === 0) break;
      out.push(l - 1);
      lo += a;
      size = b - a;
    }
    return out;
  }
}

/** Byte classes a model position fills when it saw two members: [first, last if hex, last]. */
const CLASSES: Array<[number, number, number]> = [
  [0x30, 0x39, 0x39],
  [0x61, 0x66, 0x7a],
  [0x41, 0x46, 0x5a],
];

/** Bytes after the base the model resolves. */
const MODEL_DEPTH = 24;

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
  /** Keys the caller listed in the range (its first page): they teach the model too. */
  sample?: readonly string[];
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
  // Sampled keys (after base), for the model; a page past the range teaches nothing about it.
  const samples: Buffer[] = [];
  const learn = (keys: readonly string[] | undefined) => {
    for (const k of keys ?? []) {
      if (!inRange(k)) break;
      const b = Buffer.from(k, 'utf8');
      if (b.length >= base.length && b.subarray(0, base.length).equals(base)) samples.push(b);
    }
  };
  learn(o.sample);
  let intervals: Interval[] = [{ lo: position(o.lo, base), hi: top, empty: false }];
  // Each round costs one request latency: few wide rounds rather than many narrow ones.
  const maxProbes = o.maxProbes ?? Math.min(96, 6 * o.n + 8);
  const parallel = Math.max(1, o.parallel ?? Math.ceil(maxProbes / 2));
  /**
   * Cut one open interval at c evenly spaced points and probe each: what every probe proves
   * (and every rounding to valid UTF-8) becomes an empty piece, the rest stays open, split at
   * every probe point and found key so the next round starts from narrower intervals.
   */
  const refine = async (iv: Interval, c: number): Promise<Interval[]> => {
    // Proven-empty [from, to) inside iv; every end is also a break point.
    const facts: Array<[bigint, bigint]> = [];
    const tried = new Set<string>();
    const w = iv.hi - iv.lo;
    await Promise.all(
      Array.from({ length: c }, async (_, j) => {
        const raw = iv.lo + (w * BigInt(j + 1)) / BigInt(c + 1);
        const mid = keyAt(raw, base);
        const m = position(mid, base);
        // No valid key has bytes between raw and the string it rounds to: that part is empty.
        if (m >= iv.hi) return void facts.push([raw, iv.hi]);
        if (m <= iv.lo || compareKeys(mid, o.lo) <= 0) {
          if (m < raw) facts.push([iv.lo, raw + 1n]);
          return;
        }
        if (m > raw) facts.push([raw, m]);
        // Two points that round to the same string ask the same question once.
        if (tried.has(mid)) return;
        tried.add(mid);
        const answer = await o.probe(mid);
        const page = typeof answer === 'string' ? [answer] : (answer ?? []);
        learn(page);
        const found = page[0];
        const k = inRange(found) ? position(found, base) : undefined;
        facts.push([m, k === undefined || k >= iv.hi ? iv.hi : k]);
        // The found key starts an open piece (it holds at least that key).
        if (k !== undefined && k < iv.hi) facts.push([k, k]);
      }),
    );
    if (facts.length === 0) return [{ ...iv, done: true }];
    const cuts = [...new Set([iv.lo, iv.hi, ...facts.flat().filter((x) => x > iv.lo && x < iv.hi)])].sort(
      (a, b) => (a < b ? -1 : a > b ? 1 : 0),
    );
    return cuts.slice(0, -1).map((from, i) => {
      const to = cuts[i + 1]!;
      return { lo: from, hi: to, empty: facts.some(([a, b]) => a <= from && to <= b) };
    });
  };
  // Every round spends the whole round's budget (each round costs one request latency): the
  // probes go to the open intervals by width, widest first (each gets c probes so that its
  // width / (c + 1) is as even as the budget allows), so one wide interval at the start is cut
  // into `parallel` parts at once instead of being bisected over many nearly empty rounds.
  // Rounding to valid UTF-8 prunes without a request; bound those steps too.
  // The budget counts probe points, asked or not: a point rounded away still spent its round.
  let points = 0;
  for (let steps = 0; points < maxProbes && steps < 8 * maxProbes; steps++) {
    const open = intervals
      .map((iv, idx) => ({ iv, idx, w: iv.hi - iv.lo, c: 0 }))
      .filter(({ iv, w }) => !iv.empty && !iv.done && w > 1n);
    if (open.length === 0) break;
    for (let budget = Math.min(parallel, maxProbes - points); budget > 0; budget--) {
      // The interval whose pieces would stay widest (ties: the first), unless it is down to 1s.
      let best: (typeof open)[number] | undefined;
      for (const e of open) {
        if (BigInt(e.c + 1) >= e.w) continue;
        if (!best || e.w * BigInt(best.c + 1) > best.w * BigInt(e.c + 1)) best = e;
      }
      if (!best) break;
      best.c++;
    }
    const chosen = open.filter((e) => e.c > 0);
    if (chosen.length === 0) break;
    for (const e of chosen) points += e.c;
    const answers = await Promise.all(chosen.map(({ iv, c }) => refine(iv, c)));
    const replaced = new Map(chosen.map(({ idx }, j) => [idx, answers[j]!]));
    intervals = intervals.flatMap((iv, idx) => replaced.get(idx) ?? [iv]).filter((iv) => iv.hi > iv.lo);
  }
  // Samples arrive in the order the probes answered; the model only counts which bytes occur.
  return boundaries(intervals, o.n, base, o.lo, o.hi, new KeyModel(samples, base.length));
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
      const answer = await probe(end);
      const k = typeof answer === 'string' ? answer : answer?.[0];
      return k === undefined || !k.startsWith(prefix);
    }),
  );
  for (let i = tried.length - 1; i >= 0; i--) if (answers[i]) return Buffer.byteLength(tried[i]!);
  return Buffer.byteLength(prefix);
}

/** The DIGITS bytes of a byte-space position. */
function digitsOf(pos: bigint): number[] {
  const out: number[] = [];
  for (let i = DIGITS - 1; i >= 0; i--) out.push(Number((pos >> BigInt(8 * i)) & 0xffn));
  return out;
}

/** n-1 cuts of the not-proven-empty intervals into parts of equal mass in the learned model. */
function boundaries(
  intervals: Interval[],
  n: number,
  base: Buffer,
  lo: string,
  hi: string | undefined,
  model: KeyModel,
): string[] {
  const live = intervals.map((iv) => {
    const from = model.position(digitsOf(iv.lo));
    const to = iv.hi >= SCALE ? SCALE : model.position(digitsOf(iv.hi));
    return { from, w: iv.empty || to <= from ? 0n : to - from };
  });
  const total = live.reduce((s, iv) => s + iv.w, 0n);
  if (total === 0n) return [];
  const out: string[] = [];
  let acc = 0n;
  let j = 1;
  for (const iv of live) {
    while (j < n && acc + iv.w >= (total * BigInt(j)) / BigInt(n) && iv.w > 0n) {
      const target = (total * BigInt(j)) / BigInt(n);
      const k = validKey(model.bytesAt(iv.from + (target - acc)), base);
      const prev = out.at(-1) ?? lo;
      if (compareKeys(k, prev) > 0 && (hi === undefined || compareKeys(k, hi) < 0)) out.push(k);
      j++;
    }
    acc += iv.w;
  }
  return out;
}
