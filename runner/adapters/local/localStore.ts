/**
 * A local directory as an ObjectStore: keys are paths relative to the root with "/" separators,
 * listed in the same UTF-8 key order as OSS (a directory sorts as "name/"), one directory's
 * entries in memory at a time. ossimport's local source, plus writes for symmetry in tests.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Crc64 } from '../../core/crc64.ts';
import { MigrationError } from '../../core/errors.ts';
import { compareKeys, prefixEnd } from '../../core/keys.ts';
import type { ListEntry, ObjectHead } from '../../core/types.ts';
import type {
  ObjectStore,
  ProbeResult,
  ReadOptions,
  ReadResult,
  StoreFeatures,
  WriteBody,
  WriteOptions,
  WriteResult,
} from '../../ports/objectStore.ts';

/** Not a content hash: changes whenever size or mtime change, which is what If-Match needs here. */
function localEtag(size: number, mtimeMs: number): string {
  return `${Math.floor(mtimeMs).toString(16)}-${size.toString(16)}`;
}

function fsError(err: unknown, key: string): MigrationError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new MigrationError('SOURCE_GONE', `${key}: no such file`, { code });
  if (code === 'EACCES' || code === 'EPERM')
    return new MigrationError('ACCESS_DENIED', `${key}: permission denied`, { code });
  return new MigrationError('INTERNAL', `${key}: ${(err as Error).message}`, {
    ...(code ? { code } : {}),
    cause: err,
  });
}

export class LocalStore implements ObjectStore {
  readonly features: StoreFeatures = {
    crc64: false,
    multipart: false,
    minPartSize: 1,
    maxPartSize: Number.MAX_SAFE_INTEGER,
    maxParts: 1,
    maxPutSize: Number.MAX_SAFE_INTEGER,
    archive: false,
    forbidOverwrite: true,
  };
  readonly name: string;

  constructor(
    readonly root: string,
    private readonly opts: { followSymlinks?: boolean } = {},
  ) {
    this.name = `local://${root}`;
  }

  private pathOf(key: string): string {
    if (key.split('/').some((seg) => seg === '..'))
      throw new MigrationError('INVALID_OBJECT_NAME', `${key}: ".." is not allowed`);
    return join(this.root, ...key.split('/'));
  }

  /** Entries of one directory as keys, sorted in key order (directories as "name/"). */
  private async entries(dirKey: string): Promise<Array<{ key: string; dir: boolean }>> {
    const path = dirKey === '' ? this.root : this.pathOf(dirKey.slice(0, -1));
    let names: import('node:fs').Dirent[];
    try {
      names = await readdir(path, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR')
        return [];
      throw fsError(e, dirKey);
    }
    const out: Array<{ key: string; dir: boolean }> = [];
    for (const d of names) {
      let isDir = d.isDirectory();
      let isFile = d.isFile();
      if (d.isSymbolicLink()) {
        // ossimport isAllowSymbolicLink: file links only, never directory links (no cycles).
        if (!this.opts.followSymlinks) continue;
        const s = await stat(join(path, d.name)).catch(() => undefined);
        isDir = false;
        isFile = s?.isFile() ?? false;
      }
      if (isDir) out.push({ key: `${dirKey}${d.name}/`, dir: true });
      else if (isFile) out.push({ key: `${dirKey}${d.name}`, dir: false });
    }
    return out.sort((a, b) => compareKeys(a.key, b.key));
  }

  private async info(key: string): Promise<ObjectHead> {
    const s = await stat(this.pathOf(key));
    return { key, size: s.size, lastModified: s.mtime, etag: localEtag(s.size, s.mtimeMs), meta: {} };
  }

  async *list(o: { prefix: string; startAfter?: string; delimiter?: string }): AsyncIterable<ListEntry> {
    // Start at the deepest directory that contains the whole prefix.
    const base = o.prefix.slice(0, o.prefix.lastIndexOf('/') + 1);
    yield* this.walk(base, o);
  }

  private async *walk(
    dirKey: string,
    o: { prefix: string; startAfter?: string; delimiter?: string },
  ): AsyncIterable<ListEntry> {
    for (const e of await this.entries(dirKey)) {
      if (e.dir) {
        // Only directories that can hold keys with the prefix.
        if (!(e.key.startsWith(o.prefix) || o.prefix.startsWith(e.key))) continue;
        if (o.startAfter !== undefined) {
          const end = prefixEnd(e.key);
          if (end !== undefined && compareKeys(end, o.startAfter) <= 0) continue; // whole subtree done
        }
        if (o.delimiter === '/' && e.key.startsWith(o.prefix)) {
          if (o.startAfter === undefined || compareKeys(e.key, o.startAfter) > 0)
            yield { kind: 'prefix', prefix: e.key };
          continue;
        }
        yield* this.walk(e.key, o);
      } else {
        if (!e.key.startsWith(o.prefix)) continue;
        if (o.startAfter !== undefined && compareKeys(e.key, o.startAfter) <= 0) continue;
        try {
          yield { kind: 'object', info: await this.info(e.key) };
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw fsError(err, e.key); // vanished: skip
        }
      }
    }
  }

  async head(key: string): Promise<ObjectHead | undefined> {
    try {
      const h = await this.info(key);
      const l = await lstat(this.pathOf(key));
      if (l.isSymbolicLink() && !this.opts.followSymlinks) return undefined;
      return h;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw fsError(e, key);
    }
  }

  async read(key: string, o: ReadOptions = {}): Promise<ReadResult> {
    let head: ObjectHead;
    try {
      head = await this.info(key);
    } catch (e) {
      throw fsError(e, key);
    }
    if (o.ifMatch !== undefined && o.ifMatch !== head.etag) {
      throw new MigrationError('SOURCE_CHANGED', `${key}: modified since it was listed`, { status: 412 });
    }
    const range = o.range ?? { start: 0, end: head.size };
    // An empty range (a 0-byte file) is an empty body: fs streams refuse `end: -1`.
    const body =
      range.end > range.start
        ? createReadStream(this.pathOf(key), {
            start: range.start,
            end: range.end - 1,
            highWaterMark: 64 * 1024,
            ...(o.signal ? { signal: o.signal } : {}),
          })
        : Readable.from([]);
    return { body, head };
  }

  async write(key: string, body: WriteBody, o: WriteOptions): Promise<WriteResult> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.ossmigrate-${process.pid}-${Date.now()}.part`;
    try {
      if (Buffer.isBuffer(body)) await writeFile(tmp, body, o.signal ? { signal: o.signal } : {});
      else await pipeline(body, createWriteStream(tmp), ...(o.signal ? [{ signal: o.signal }] : []));
      const s = await stat(tmp);
      if (s.size !== o.size)
        throw new MigrationError('NETWORK', `${key}: wrote ${s.size} of ${o.size} bytes`);
      if (o.forbidOverwrite && (await stat(path).catch(() => undefined))) {
        throw new MigrationError('DEST_NEWER', `${key}: exists`, { status: 409, code: 'FileAlreadyExists' });
      }
      // Atomic: a reader never sees a half-written file under the final name.
      await rename(tmp, path);
    } catch (e) {
      await unlink(tmp).catch(() => {});
      throw e instanceof MigrationError ? e : fsError(e, key);
    }
    return {};
  }

  /** Local bytes are cheap to read: CRC-64 them so verification compares CRCs, not sizes. */
  async checksum(key: string, signal?: AbortSignal): Promise<string | undefined> {
    const crc = new Crc64();
    try {
      for await (const chunk of createReadStream(this.pathOf(key), {
        highWaterMark: 256 * 1024,
        ...(signal ? { signal } : {}),
      })) {
        crc.update(chunk as Buffer);
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw fsError(e, key);
    }
    return crc.toString();
  }

  async probe(): Promise<ProbeResult> {
    try {
      const s = await stat(this.root);
      if (!s.isDirectory()) throw new MigrationError('INTERNAL', `${this.root} is not a directory`);
    } catch (e) {
      if (e instanceof MigrationError) throw e;
      throw new MigrationError(
        'SOURCE_GONE',
        `${this.root}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`,
      );
    }
    return { reachable: true };
  }
}

export const LOCAL_SEPARATOR = sep;
