/**
 * A synthetic object store for scale runs: N objects described by an index (key, size, mtime,
 * ETag, CRC-64 all derived from it; flat `img/000000123.jpg` or deep `a/00000/01/000000123.jpg`), nothing per object held in memory on the source side, the
 * listing computed page by page (1,000 keys, like COS/OSS), a per-request latency paid on a timer
 * (no CPU), and a sink that keeps one bit per written object instead of its body.
 *
 * Bodies: the engine streams every byte it moves (no way around it without changing the
 * engine), so the bytes are sized down: every object's listed size is its
 * tiny *physical* body (16–79 bytes, one of 64 precomputed variants with their CRC-64 and MD5);
 * the realistic size mix (70% 4–64 KiB, 25% 1–8 MiB, 5% 64–256 MiB) is its *declared* size,
 * summed by `declaredBytes` so byte-driven costs are scaled analytically, never transferred.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { crc64 } from '../../runner/core/crc64.ts';
import { compareKeys, prefixEnd } from '../../runner/core/keys.ts';
import type { ListEntry, ObjectHead, ObjectInfo } from '../../runner/core/types.ts';
import type {
  ObjectStore,
  ProbeResult,
  ReadOptions,
  ReadResult,
  StoreFeatures,
  WriteBody,
  WriteOptions,
  WriteResult,
} from '../../runner/ports/objectStore.ts';

export type KeySpace = 'flat' | 'deep';

export type SyntheticOptions = {
  objects: number;
  keySpace: KeySpace;
  /** Paid once per request (LIST page, HEAD, GET, PUT) on a timer. */
  latencyMs?: number;
  /** Keys per LIST page (COS / OSS: 1,000). */
  pageSize?: number;
  /** Listings carry the CRC-64 (OSS / COS listings do not: default false, verify then HEADs). */
  listCrc64?: boolean;
};

export type RequestCounts = { list: number; head: number; read: number; write: number };

const FEATURES: StoreFeatures = {
  crc64: true,
  multipart: false,
  minPartSize: 100 * 1024,
  maxPartSize: 5 * 1024 ** 3,
  maxParts: 10_000,
  maxPutSize: 5 * 1024 ** 3,
  archive: false,
  forbidOverwrite: true,
};

/** Every mtime is before this (a full pass with T1 = now copies everything). */
const EPOCH = Date.parse('2024-01-01T00:00:00Z');
const KiB = 1024;
const MiB = 1024 * KiB;

/** A 32-bit integer hash (Murmur3 finaliser): deterministic, well mixed. */
function mix(i: number): number {
  let h = (i + 0x9e3779b9) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

type Variant = { body: Buffer; crc64: string; etag: string };
const VARIANTS: Variant[] = Array.from({ length: 64 }, (_, v) => {
  const body = Buffer.alloc(16 + v);
  for (let j = 0; j < body.length; j++) body[j] = mix(v * 131 + j) & 0xff;
  return { body, crc64: crc64(body), etag: createHash('md5').update(body).digest('hex') };
});

const pad = (i: number) => String(i).padStart(9, '0');

/** The key of object i: monotonic in i in UTF-8 order, so the listing is a range of indexes. */
export function keyOf(space: KeySpace, i: number): string {
  const p = pad(i);
  return space === 'flat' ? `img/${p}.jpg` : `a/${p.slice(0, 5)}/${p.slice(5, 7)}/${p}.jpg`;
}

const KEY_RE = /(\d{9})\.jpg$/;

/** The realistic size of object i (what it would weigh in a real bucket). */
export function declaredSize(i: number): number {
  const h = mix(i ^ 0x5bd1e995);
  const r = h % 100;
  const u = (h >>> 8) / 0xffffff;
  if (r < 70) return Math.round(4 * KiB + u * 60 * KiB);
  if (r < 95) return Math.round(1 * MiB + u * 7 * MiB);
  return Math.round(64 * MiB + u * 192 * MiB);
}

/** The generated objects: pure functions of the index. */
export class SyntheticSpace {
  constructor(
    readonly n: number,
    readonly space: KeySpace,
  ) {}

  key(i: number): string {
    return keyOf(this.space, i);
  }

  variant(i: number): Variant {
    return VARIANTS[mix(i) & 63]!;
  }

  /** Index of a key of this space, or undefined. */
  indexOf(key: string): number | undefined {
    const m = KEY_RE.exec(key);
    if (!m) return undefined;
    const i = Number(m[1]);
    return i < this.n && this.key(i) === key ? i : undefined;
  }

  info(i: number, withCrc: boolean): ObjectInfo {
    const v = this.variant(i);
    return {
      key: this.key(i),
      size: v.body.length,
      lastModified: new Date(EPOCH + (i % 31_536_000) * 1000),
      etag: v.etag,
      ...(withCrc ? { crc64: v.crc64 } : {}),
      storageClass: 'STANDARD',
    };
  }

  head(i: number): ObjectHead {
    return { ...this.info(i, true), meta: {}, contentType: 'image/jpeg' };
  }

  /** Smallest i with key(i) >= s (strict: > s). Binary search: keys are monotonic in i. */
  bound(s: string, strict: boolean): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = compareKeys(this.key(mid), s);
      if (c < 0 || (strict && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Sum of the declared sizes (for byte-based projections), without holding them. */
  declaredBytes(): number {
    let s = 0;
    for (let i = 0; i < this.n; i++) s += declaredSize(i);
    return s;
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Which indexes are present: all of them (source) or the written ones (sink). */
type Presence = { next(i: number): number };

/** Shared listing and request counting of source and sink. */
abstract class SyntheticBase implements ObjectStore {
  readonly features = FEATURES;
  readonly requests: RequestCounts = { list: 0, head: 0, read: 0, write: 0 };
  protected readonly latencyMs: number;
  protected readonly pageSize: number;
  protected readonly listCrc64: boolean;
  readonly objects: SyntheticSpace;

  constructor(
    readonly name: string,
    o: SyntheticOptions,
  ) {
    this.objects = new SyntheticSpace(o.objects, o.keySpace);
    this.latencyMs = o.latencyMs ?? 0;
    this.pageSize = o.pageSize ?? 1000;
    this.listCrc64 = o.listCrc64 ?? false;
  }

  protected abstract presence: Presence;

  protected async request(kind: keyof RequestCounts): Promise<void> {
    this.requests[kind]++;
    if (this.latencyMs > 0) await sleep(this.latencyMs);
  }

  /** A copy of the request counts (diff two to count a phase). */
  snapshot(): RequestCounts {
    return { ...this.requests };
  }

  async *list(opts: {
    prefix: string;
    startAfter?: string;
    delimiter?: string;
    signal?: AbortSignal;
  }): AsyncIterable<ListEntry> {
    const s = this.objects;
    const { prefix, startAfter, delimiter } = opts;
    let i = s.bound(prefix, false);
    if (startAfter !== undefined) i = Math.max(i, s.bound(startAfter, true));
    let page: ListEntry[] = [];
    let pages = 0;
    for (;;) {
      i = this.presence.next(i);
      const key = i < s.n ? s.key(i) : undefined;
      const end = key === undefined || !key.startsWith(prefix);
      if (!end) {
        const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
        if (cut >= 0) {
          const cp = key.slice(0, cut + delimiter!.length);
          // Like S3: a common prefix at or before startAfter is not listed again.
          if (startAfter === undefined || compareKeys(cp, startAfter) > 0)
            page.push({ kind: 'prefix', prefix: cp });
          const after = prefixEnd(cp);
          i = after === undefined ? s.n : s.bound(after, false);
        } else {
          page.push({ kind: 'object', info: s.info(i, this.listCrc64) });
          i++;
        }
      }
      if (page.length >= this.pageSize || (end && (page.length > 0 || pages === 0))) {
        opts.signal?.throwIfAborted();
        await this.request('list');
        pages++;
        const out = page;
        page = [];
        yield* out;
      }
      if (end) return;
    }
  }

  abstract head(key: string, signal?: AbortSignal): Promise<ObjectHead | undefined>;
  abstract read(key: string, opts?: ReadOptions): Promise<ReadResult>;
  abstract write(key: string, body: WriteBody, opts: WriteOptions): Promise<WriteResult>;

  async probe(): Promise<ProbeResult> {
    return { reachable: true };
  }
}

/** The source: every index is an object. */
export class SyntheticSource extends SyntheticBase {
  protected presence: Presence = { next: (i) => i };

  async head(key: string): Promise<ObjectHead | undefined> {
    await this.request('head');
    const i = this.objects.indexOf(key);
    return i === undefined ? undefined : this.objects.head(i);
  }

  async read(key: string): Promise<ReadResult> {
    await this.request('read');
    const i = this.objects.indexOf(key);
    if (i === undefined) throw Object.assign(new Error(`no such key ${key}`), { status: 404 });
    return { body: Readable.from([this.objects.variant(i).body]), head: this.objects.head(i) };
  }

  write(): Promise<WriteResult> {
    throw new Error('the synthetic source is read-only');
  }
}

/**
 * The sink: one bit per index (10⁷ objects = 1.2 MiB), a count per block of 1,024 so a listing
 * skips empty stretches, and what was written (count, bytes, a rolling hash of key and size),
 * never a body. A write returns the CRC-64 the engine computed, from the precomputed variant.
 */
export class SyntheticSink extends SyntheticBase {
  private readonly bits: Uint32Array;
  private readonly blocks: Uint16Array;
  readonly written = { count: 0, bytes: 0, hash: 0 };

  constructor(name: string, o: SyntheticOptions) {
    super(name, o);
    this.bits = new Uint32Array(Math.ceil(o.objects / 32));
    this.blocks = new Uint16Array(Math.ceil(o.objects / 1024));
  }

  protected presence: Presence = {
    next: (from) => {
      const n = this.objects.n;
      let i = from;
      while (i < n) {
        const b = i >>> 10;
        if (this.blocks[b] === 0) {
          i = (b + 1) << 10;
          continue;
        }
        const w = this.bits[i >>> 5]! >>> (i & 31);
        if (w === 0) {
          i = ((i >>> 5) + 1) << 5;
          continue;
        }
        return i + (31 - Math.clz32(w & -w));
      }
      return n;
    },
  };

  has(i: number): boolean {
    return ((this.bits[i >>> 5]! >>> (i & 31)) & 1) === 1;
  }

  async head(key: string): Promise<ObjectHead | undefined> {
    await this.request('head');
    const i = this.objects.indexOf(key);
    return i === undefined || !this.has(i) ? undefined : this.objects.head(i);
  }

  read(): Promise<ReadResult> {
    throw new Error('the synthetic sink keeps no bodies');
  }

  async write(key: string, body: WriteBody, opts: WriteOptions): Promise<WriteResult> {
    const i = this.objects.indexOf(key);
    if (i === undefined) throw new Error(`the synthetic sink only takes keys of its space, not ${key}`);
    let size = 0;
    if (Buffer.isBuffer(body)) size = body.length;
    else for await (const c of body) size += (c as Buffer).length;
    if (size !== opts.size) throw new Error(`${key}: ${size} bytes written, ${opts.size} declared`);
    await this.request('write');
    if (!this.has(i)) {
      this.bits[i >>> 5]! |= 1 << (i & 31);
      this.blocks[i >>> 10]!++;
    }
    this.written.count++;
    this.written.bytes += size;
    this.written.hash = (Math.imul(this.written.hash ^ mix(i), 0x01000193) + size) >>> 0;
    const v = this.objects.variant(i);
    return { etag: v.etag, crc64: v.crc64 };
  }

  /** Objects present in the sink (distinct). */
  present(): number {
    let n = 0;
    for (const c of this.blocks) n += c;
    return n;
  }
}
