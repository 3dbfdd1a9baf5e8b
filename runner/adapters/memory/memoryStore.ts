/**
 * In-memory ObjectStore: the reference implementation of the port, for fast engine tests. It
 * behaves like the services where the engine can tell: UTF-8 key order, CRC-64 on every object,
 * If-Match, forbid-overwrite, multipart with combined CRC, archive objects that need a restore.
 * With MemoryStoreOptions it plays a source without CRC-64 (S3, Azure, URL lists): MD5 or opaque
 * ETags, multipart `-N` ETags with a part layout, S3 checksums, Azure Content-MD5.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Crc64, crc64, crc64CombineAll } from '../../core/crc64.ts';
import { MigrationError } from '../../core/errors.ts';
import { combineParts, type HashAlgo, newDigest, PartDigester } from '../../core/evidence.ts';
import { compareKeys } from '../../core/keys.ts';
import {
  ARCHIVE_CLASSES,
  type ChecksumAlgorithm,
  type ListEntry,
  type ObjectHead,
  type StorageClass,
} from '../../core/types.ts';
import type {
  ObjectStore,
  PartResult,
  ProbeResult,
  ReadOptions,
  ReadResult,
  StoreFeatures,
  WriteBody,
  WriteOptions,
  WriteResult,
} from '../../ports/objectStore.ts';

type MemObject = ObjectHead & { body: Buffer; restored: boolean; restoring?: boolean };
type Upload = {
  key: string;
  opts: WriteOptions;
  parts: Map<number, { body: Buffer; etag: string; crc64: string }>;
  initiated: number;
};

export type MemoryOp = 'list' | 'head' | 'read' | 'write' | 'part' | 'complete';

/** How the store reports content evidence (defaults: like OSS/COS — CRC-64 and MD5 ETags). */
export type MemoryStoreOptions = {
  /** Report CRC-64 (false: an S3 / Azure / URL-list-like source). */
  crc64?: boolean;
  /** ETags are MD5s (false: opaque, as Azure's and most web servers'). */
  md5Etags?: boolean;
  /** Listings carry `parts` and `checksums` (false: only HEAD and GET do, as S3's). */
  listEvidence?: boolean;
  /** Listings carry CRC-64 (false: only HEAD does, as OSS's and COS's listings). */
  listCrc64?: boolean;
};

/** Seeding a source object with evidence a non-CRC-64 store reports. */
export type SeedEvidence = {
  /** Uploaded in parts of this size: ETag `<md5 of part md5s>-<n>`, `parts` reported. */
  partSize?: number;
  /** Report these checksums (S3 x-amz-checksum-*): full-object, or composite when partSize is set. */
  checksum?: Exclude<ChecksumAlgorithm, 'crc64nvme'>[];
  /** Report Content-MD5 (Azure's checksums.md5). */
  contentMd5?: boolean;
};
export class MemoryStore implements ObjectStore {
  readonly features: StoreFeatures;
  private static readonly FEATURES: StoreFeatures = {
    crc64: true,
    multipart: true,
    minPartSize: 1,
    maxPartSize: 5 * 1024 ** 3,
    maxParts: 10_000,
    maxPutSize: 5 * 1024 ** 3,
    archive: true,
    forbidOverwrite: true,
  };
  readonly objects = new Map<string, MemObject>();
  private readonly uploads = new Map<string, Upload>();
  /** Requests seen, by operation (tests assert on them). */
  readonly calls: Record<MemoryOp, number> = { list: 0, head: 0, read: 0, write: 0, part: 0, complete: 0 };
  /** Test hook: runs before each operation; throw to inject a failure. */
  hook?: (op: MemoryOp, key: string) => void | Promise<void>;
  /** Listing page size (how many entries per simulated LIST request). */
  pageSize = 1000;
  clock: () => Date = () => new Date();

  constructor(
    readonly name = 'mem://test',
    private readonly opts: MemoryStoreOptions = {},
  ) {
    this.features = { ...MemoryStore.FEATURES, crc64: opts.crc64 ?? true, md5Etags: opts.md5Etags ?? true };
  }

  /** Seed an object directly. */
  put(
    key: string,
    body: Buffer | string,
    opts: Partial<Omit<ObjectHead, 'key' | 'size' | 'crc64'>> & { restored?: boolean } & SeedEvidence = {},
  ): MemObject {
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    const { partSize, checksum, contentMd5, ...rest } = opts;
    const evidence = seedEvidence(buf, {
      ...(partSize ? { partSize } : {}),
      ...(checksum ? { checksum } : {}),
    });
    const obj: MemObject = {
      meta: {},
      ...rest,
      key,
      size: buf.length,
      etag:
        opts.etag ??
        (partSize
          ? evidence.etag
          : createHash('md5')
              .update(buf)
              .digest(this.opts.md5Etags === false ? 'base64url' : 'hex')),
      ...(partSize
        ? { parts: { count: Math.max(1, Math.ceil(buf.length / partSize)), size: partSize } }
        : {}),
      ...(checksum || contentMd5
        ? {
            checksums: {
              ...evidence.checksums,
              ...(contentMd5 ? { md5: createHash('md5').update(buf).digest('base64') } : {}),
            },
          }
        : {}),
      crc64: crc64(buf),
      lastModified: opts.lastModified ?? this.clock(),
      storageClass: opts.storageClass ?? 'STANDARD',
      body: buf,
      restored: opts.restored ?? false,
    };
    this.objects.set(key, obj);
    return obj;
  }

  private async before(op: MemoryOp, key: string): Promise<void> {
    this.calls[op]++;
    await this.hook?.(op, key);
  }

  /** Serve other bytes under the same ETag, checksums and CRC-64 (a corrupting source or proxy). */
  corrupt(key: string, body: Buffer | string): void {
    const o = this.objects.get(key);
    if (!o) throw new Error(`no object ${key}`);
    o.body = typeof body === 'string' ? Buffer.from(body) : body;
  }

  private headOf(o: MemObject, listing = false): ObjectHead {
    const { body: _body, restored, restoring, ...all } = o;
    const { crc64: crc, parts, checksums, ...bare } = all;
    const head: ObjectHead = {
      ...bare,
      ...(this.opts.crc64 === false || (listing && this.opts.listCrc64 === false) ? {} : { crc64: crc }),
      ...(listing && this.opts.listEvidence === false
        ? {}
        : { ...(parts ? { parts } : {}), ...(checksums ? { checksums } : {}) }),
    };
    if (!ARCHIVE_CLASSES.has(o.storageClass ?? 'STANDARD')) return head;
    if (restored)
      return { ...head, restore: { ongoing: false, expiresAt: new Date(Date.now() + 86_400_000) } };
    return restoring ? { ...head, restore: { ongoing: true } } : head;
  }

  async *list(opts: { prefix: string; startAfter?: string; delimiter?: string }): AsyncIterable<ListEntry> {
    const keys = [...this.objects.keys()]
      .filter(
        (k) =>
          k.startsWith(opts.prefix) && (opts.startAfter === undefined || compareKeys(k, opts.startAfter) > 0),
      )
      .sort(compareKeys);
    let lastPrefix: string | undefined;
    let inPage = 0;
    for (const key of keys) {
      if (inPage++ % this.pageSize === 0) await this.before('list', opts.prefix);
      if (opts.delimiter) {
        const at = key.indexOf(opts.delimiter, opts.prefix.length);
        if (at >= 0) {
          const cp = key.slice(0, at + opts.delimiter.length);
          if (cp !== lastPrefix) {
            lastPrefix = cp;
            yield { kind: 'prefix', prefix: cp };
          }
          continue;
        }
      }
      const o = this.objects.get(key);
      if (o) yield { kind: 'object', info: this.headOf(o, true) };
    }
  }

  async head(key: string): Promise<ObjectHead | undefined> {
    await this.before('head', key);
    const o = this.objects.get(key);
    return o ? this.headOf(o) : undefined;
  }

  async read(key: string, opts: ReadOptions = {}): Promise<ReadResult> {
    await this.before('read', key);
    const o = this.objects.get(key);
    if (!o)
      throw new MigrationError('SOURCE_GONE', `${key}: no such object`, { status: 404, code: 'NoSuchKey' });
    if (opts.ifMatch !== undefined && opts.ifMatch !== o.etag) {
      throw new MigrationError('SOURCE_CHANGED', `${key}: ETag is ${o.etag}, not ${opts.ifMatch}`, {
        status: 412,
      });
    }
    if (ARCHIVE_CLASSES.has(o.storageClass ?? 'STANDARD') && !o.restored) {
      throw new MigrationError('ARCHIVED', `${key}: archived, not restored`, {
        status: 403,
        code: 'InvalidObjectState',
      });
    }
    const { start, end } = opts.range ?? { start: 0, end: o.size };
    const slice = o.body.subarray(start, end);
    const chunks: Buffer[] = [];
    for (let i = 0; i < slice.length; i += 16_384) chunks.push(slice.subarray(i, i + 16_384));
    return { body: Readable.from(chunks), head: this.headOf(o) };
  }

  private async collect(body: Readable, expected: number, key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    const buf = Buffer.concat(chunks);
    if (buf.length !== expected) {
      throw new MigrationError('NETWORK', `${key}: body was ${buf.length} bytes, expected ${expected}`);
    }
    return buf;
  }

  async write(key: string, body: WriteBody, opts: WriteOptions): Promise<WriteResult> {
    await this.before('write', key);
    const buf = await this.collect(Buffer.isBuffer(body) ? Readable.from([body]) : body, opts.size, key);
    if (opts.contentMd5 !== undefined && createHash('md5').update(buf).digest('base64') !== opts.contentMd5) {
      throw new MigrationError('CRC_MISMATCH', `${key}: Content-MD5 mismatch`, {
        status: 400,
        code: 'InvalidDigest',
      });
    }
    if (opts.forbidOverwrite && this.objects.has(key)) {
      throw new MigrationError('DEST_NEWER', `${key}: exists`, { status: 409, code: 'FileAlreadyExists' });
    }
    const o = this.put(key, buf, { ...this.metaOf(opts), restored: true });
    return { etag: o.etag!, crc64: o.crc64! };
  }

  private metaOf(opts: WriteOptions): Partial<ObjectHead> {
    const {
      size: _s,
      forbidOverwrite: _f,
      signal: _sig,
      serverSideEncryption: _e,
      contentMd5: _m,
      storageClass,
      ...meta
    } = opts;
    return { ...meta, storageClass: (storageClass ?? 'STANDARD') as StorageClass };
  }

  async multipartInit(key: string, opts: WriteOptions): Promise<string> {
    const id = randomUUID();
    this.uploads.set(id, { key, opts, parts: new Map(), initiated: Date.now() });
    return id;
  }

  async multipartUploads(key: string): Promise<Array<{ uploadId: string; initiated: number }>> {
    return [...this.uploads]
      .filter(([, u]) => u.key === key)
      .map(([uploadId, u]) => ({ uploadId, initiated: u.initiated }));
  }

  async multipartPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Readable,
    size: number,
  ): Promise<PartResult> {
    await this.before('part', key);
    const u = this.uploads.get(uploadId);
    if (!u)
      throw new MigrationError('INTERNAL', `no upload ${uploadId}`, { status: 404, code: 'NoSuchUpload' });
    const buf = await this.collect(body, size, key);
    const part = {
      body: buf,
      etag: createHash('md5').update(buf).digest('hex'),
      crc64: new Crc64().update(buf).toString(),
    };
    u.parts.set(partNumber, part);
    return { partNumber, etag: part.etag, size: buf.length, crc64: part.crc64 };
  }

  async multipartComplete(
    key: string,
    uploadId: string,
    parts: PartResult[],
    opts: { forbidOverwrite?: boolean },
  ): Promise<WriteResult> {
    await this.before('complete', key);
    const u = this.uploads.get(uploadId);
    if (!u)
      throw new MigrationError('INTERNAL', `no upload ${uploadId}`, { status: 404, code: 'NoSuchUpload' });
    if (opts.forbidOverwrite && this.objects.has(key)) {
      throw new MigrationError('DEST_NEWER', `${key}: exists`, { status: 409, code: 'FileAlreadyExists' });
    }
    const bodies = parts.map((p) => {
      const stored = u.parts.get(p.partNumber);
      if (!stored || stored.etag !== p.etag)
        throw new MigrationError('INTERNAL', `part ${p.partNumber} invalid`, {
          status: 400,
          code: 'InvalidPart',
        });
      return stored;
    });
    this.uploads.delete(uploadId);
    const md5s = createHash('md5');
    for (const b of bodies) md5s.update(Buffer.from(b.etag, 'hex'));
    const o = this.put(key, Buffer.concat(bodies.map((b) => b.body)), {
      ...this.metaOf(u.opts),
      etag: `${md5s.digest('hex')}-${parts.length}`,
      restored: true,
    });
    const combined = crc64CombineAll(bodies.map((b) => ({ crc64: b.crc64, size: b.body.length })));
    return { etag: o.etag!, crc64: combined };
  }

  async multipartAbort(_key: string, uploadId: string): Promise<void> {
    this.uploads.delete(uploadId);
  }

  async multipartList(_key: string, uploadId: string): Promise<PartResult[] | undefined> {
    const u = this.uploads.get(uploadId);
    if (!u) return undefined;
    return [...u.parts.entries()]
      .sort(([a], [b]) => a - b)
      .map(([partNumber, p]) => ({ partNumber, etag: p.etag, size: p.body.length, crc64: p.crc64 }));
  }

  /** Uploads not completed or aborted (tests check nothing is left behind). */
  get openUploads(): number {
    return this.uploads.size;
  }

  async restore(key: string): Promise<'started' | 'in-progress' | 'restored'> {
    const o = this.objects.get(key);
    if (!o) throw new MigrationError('SOURCE_GONE', `${key}: no such object`, { status: 404 });
    if (o.restored) return 'restored';
    if (o.restoring) return 'in-progress';
    // Restores complete instantly here unless a test flips `restored` itself.
    o.restored = this.restoreInstantly;
    o.restoring = !o.restored;
    return 'started';
  }
  restoreInstantly = true;

  async probe(): Promise<ProbeResult> {
    return { reachable: true };
  }
}

/** What S3 would report for a body uploaded in `partSize` parts / with checksums. */
function seedEvidence(
  buf: Buffer,
  o: SeedEvidence,
): { etag: string; checksums: Partial<Record<ChecksumAlgorithm, string>> } {
  const etagOf = () => {
    const d = new PartDigester('md5', o.partSize!);
    d.update(buf);
    return combineParts('md5', d.finish(), 'hex');
  };
  const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
  for (const algo of o.checksum ?? []) {
    if (o.partSize) {
      const d = new PartDigester(algo as HashAlgo, o.partSize);
      d.update(buf);
      checksums[algo] = combineParts(algo as HashAlgo, d.finish(), 'base64');
    } else {
      const d = newDigest(algo as HashAlgo);
      d.update(buf);
      checksums[algo] = d.digest().toString('base64');
    }
  }
  return { etag: o.partSize ? etagOf() : '', checksums };
}
