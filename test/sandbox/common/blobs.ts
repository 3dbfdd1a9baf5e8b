/**
 * Immutable byte blobs behind the emulators' objects and parts, in memory or in a directory.
 * Bodies stream in and out: a multi-GB object on disk never sits in memory. MD5, CRC-64 and size
 * are computed while the body arrives, as the services do.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Crc64 } from '../../../runner/core/crc64.ts';

export type Blob = {
  readonly id: string;
  readonly size: number;
  /** Raw MD5 digest of the bytes. */
  readonly md5: Buffer;
  /** CRC-64/XZ of the bytes, decimal. */
  readonly crc64: string;
};

/** A byte range of a blob; an object body is a list of these (multipart objects reuse part blobs). */
export type Segment = { readonly blob: Blob; readonly offset: number; readonly length: number };

export class BodyTooShortError extends Error {
  constructor(
    readonly expected: number,
    readonly received: number,
  ) {
    super(`request body ended after ${received} of ${expected} bytes`);
  }
}

export class BodyTooLongError extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
  }
}

export interface BlobStore {
  /** Store a body (reference count 1). `expectedLength` (Content-Length) is enforced when given. */
  put(body: AsyncIterable<Uint8Array>, opts?: { expectedLength?: number; maxLength?: number }): Promise<Blob>;
  /** Stream bytes [start, end) of a blob; the blob stays alive until the stream ends or is destroyed. */
  read(blob: Blob, start: number, end: number): Readable;
  /** One more owner (a multipart object adopting a part, a reader). */
  retain(blob: Blob): void;
  /** One owner fewer; the bytes go when nobody holds the blob (an overwrite never cuts a GET short). */
  release(blob: Blob): void;
  close(): Promise<void>;
}

/** Reference counting shared by both stores. */
abstract class CountedStore {
  private readonly refs = new Map<string, number>();
  protected born(id: string): void {
    this.refs.set(id, 1);
  }
  retain(blob: Blob): void {
    this.refs.set(blob.id, (this.refs.get(blob.id) ?? 0) + 1);
  }
  release(blob: Blob): void {
    const n = (this.refs.get(blob.id) ?? 0) - 1;
    if (n > 0) {
      this.refs.set(blob.id, n);
      return;
    }
    this.refs.delete(blob.id);
    this.drop(blob.id);
  }
  /** Wrap a stream so the blob is held while it is read. */
  protected held(blob: Blob, stream: Readable): Readable {
    this.retain(blob);
    let done = false;
    const letGo = () => {
      if (done) return;
      done = true;
      this.release(blob);
    };
    stream.once('close', letGo);
    stream.once('end', letGo);
    stream.once('error', letGo);
    return stream;
  }
  protected abstract drop(id: string): void;
}

/** Hash and count while collecting; used by both stores. */
class Digest {
  private md5 = createHash('md5');
  private crc = new Crc64();
  size = 0;
  update(chunk: Uint8Array): void {
    this.md5.update(chunk);
    this.crc.update(chunk);
    this.size += chunk.length;
  }
  finish(id: string): Blob {
    return { id, size: this.size, md5: this.md5.digest(), crc64: this.crc.toString() };
  }
}

function checkLength(d: Digest, opts: { expectedLength?: number; maxLength?: number } | undefined): void {
  if (opts?.maxLength !== undefined && d.size > opts.maxLength) throw new BodyTooLongError(opts.maxLength);
  if (opts?.expectedLength !== undefined && d.size > opts.expectedLength) {
    throw new BodyTooLongError(opts.expectedLength);
  }
}

const CHUNK = 64 * 1024;

export class MemoryBlobStore extends CountedStore implements BlobStore {
  private readonly data = new Map<string, Buffer>();

  async put(
    body: AsyncIterable<Uint8Array>,
    opts?: { expectedLength?: number; maxLength?: number },
  ): Promise<Blob> {
    const d = new Digest();
    const chunks: Buffer[] = [];
    for await (const chunk of body) {
      d.update(chunk);
      checkLength(d, opts);
      chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    }
    if (opts?.expectedLength !== undefined && d.size !== opts.expectedLength) {
      throw new BodyTooShortError(opts.expectedLength, d.size);
    }
    const blob = d.finish(randomUUID());
    this.data.set(blob.id, Buffer.concat(chunks, d.size));
    this.born(blob.id);
    return blob;
  }

  read(blob: Blob, start: number, end: number): Readable {
    const buf = this.data.get(blob.id);
    if (!buf) throw new Error(`blob ${blob.id} was released`);
    // Emit in socket-sized chunks so mid-body faults and backpressure behave as over the wire.
    const stream = Readable.from(
      (function* () {
        for (let o = start; o < end; o += CHUNK) yield buf.subarray(o, Math.min(end, o + CHUNK));
      })(),
      { objectMode: false },
    );
    return this.held(blob, stream);
  }

  protected drop(id: string): void {
    this.data.delete(id);
  }

  async close(): Promise<void> {
    this.data.clear();
  }

  /** Bytes currently held (for tests asserting the disk store keeps bodies out of memory). */
  get heldBytes(): number {
    let n = 0;
    for (const b of this.data.values()) n += b.length;
    return n;
  }
}

export class DiskBlobStore extends CountedStore implements BlobStore {
  private ready: Promise<void>;

  constructor(readonly dir: string) {
    super();
    this.ready = mkdir(join(dir, 'blobs'), { recursive: true }).then(() => undefined);
  }

  private path(id: string): string {
    return join(this.dir, 'blobs', id);
  }

  async put(
    body: AsyncIterable<Uint8Array>,
    opts?: { expectedLength?: number; maxLength?: number },
  ): Promise<Blob> {
    await this.ready;
    const id = randomUUID();
    const path = this.path(id);
    const d = new Digest();
    try {
      await pipeline(
        body,
        async function* (source: AsyncIterable<Uint8Array>) {
          for await (const chunk of source) {
            d.update(chunk);
            checkLength(d, opts);
            yield chunk;
          }
        },
        createWriteStream(path),
      );
      if (opts?.expectedLength !== undefined && d.size !== opts.expectedLength) {
        throw new BodyTooShortError(opts.expectedLength, d.size);
      }
    } catch (err) {
      await unlink(path).catch(() => {});
      throw err;
    }
    this.born(id);
    return d.finish(id);
  }

  read(blob: Blob, start: number, end: number): Readable {
    if (end <= start) return Readable.from([]);
    return this.held(
      blob,
      createReadStream(this.path(blob.id), { start, end: end - 1, highWaterMark: CHUNK }),
    );
  }

  protected drop(id: string): void {
    void unlink(this.path(id)).catch(() => {});
  }

  async close(): Promise<void> {}

  /** Remove every blob (used when the sandbox owns a temporary data dir). */
  async destroy(): Promise<void> {
    await rm(join(this.dir, 'blobs'), { recursive: true, force: true });
  }
}

/**
 * Stream bytes [start, end) of a body made of segments. Every blob involved is held from this call
 * on, so an object replaced or deleted mid-read still streams the bytes it had (as the services do).
 */
export function readSegments(
  store: BlobStore,
  segments: readonly Segment[],
  start: number,
  end: number,
): Readable {
  const wanted: Array<{ seg: Segment; from: number; to: number }> = [];
  let base = 0;
  for (const seg of segments) {
    const segStart = base;
    const segEnd = base + seg.length;
    base = segEnd;
    if (segEnd <= start) continue;
    if (segStart >= end) break;
    wanted.push({
      seg,
      from: Math.max(start, segStart) - segStart + seg.offset,
      to: Math.min(end, segEnd) - segStart + seg.offset,
    });
  }
  for (const w of wanted) store.retain(w.seg.blob);
  let released = false;
  const releaseAll = () => {
    if (released) return;
    released = true;
    for (const w of wanted) store.release(w.seg.blob);
  };
  const stream = Readable.from(
    (async function* () {
      for (const w of wanted) yield* store.read(w.seg.blob, w.from, w.to);
    })(),
    { objectMode: false },
  );
  stream.once('close', releaseAll);
  stream.once('end', releaseAll);
  stream.once('error', releaseAll);
  return stream;
}

/** Deterministic filler bytes (seeded), for seeding buckets and for "rewritten while read" faults. */
export function* patternBytes(size: number, seed: number): Generator<Buffer> {
  let x = seed >>> 0 || 1;
  for (let off = 0; off < size; off += CHUNK) {
    const n = Math.min(CHUNK, size - off);
    const words = new Uint32Array(Math.ceil(n / 4));
    for (let i = 0; i < words.length; i++) {
      // xorshift32: cheap, deterministic, incompressible enough for transfer tests.
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      words[i] = x >>> 0;
    }
    yield Buffer.from(words.buffer, 0, n);
  }
}
