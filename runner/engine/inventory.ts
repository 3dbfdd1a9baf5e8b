/**
 * Bucket inventories as a listing (issue #17): an OSS inventory manifest or a COS inventory
 * report manifest (both a manifest.json naming gzip'd CSV files, columns in `fileSchema`, keys
 * URL-encoded), read through an object store or from local files, yielded in key order.
 *
 * Order: neither vendor documents the rows as sorted, so the rows go through an external merge
 * sort with bounded memory: runs of RUN_ROWS rows are sorted and spilled to a temp dir (NDJSON,
 * gzip'd), then merged. An inventory that fits in one run never touches the disk. Memory is
 * O(RUN_ROWS + number of runs); disk about 30 bytes per object.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { parse } from 'csv-parse';
import { ConfigError, MigrationError } from '../core/errors.ts';
import { compareKeys } from '../core/keys.ts';
import type { ObjectInfo, StorageClass } from '../core/types.ts';
import type { ObjectStore } from '../ports/objectStore.ts';

export type InventoryManifest = {
  vendor: 'oss' | 'cos';
  /** When the inventory was generated (its scan of the bucket started). */
  createdAt?: Date;
  columns: string[];
  files: Array<{ key: string; size?: number }>;
};

/** Where a manifest and its data files are read from. */
export type InventoryFiles = {
  text(key: string): Promise<string>;
  stream(key: string): Promise<Readable>;
};

const CLASSES: Record<string, StorageClass> = {
  STANDARD: 'STANDARD',
  MAZ_STANDARD: 'STANDARD',
  IA: 'IA',
  STANDARD_IA: 'IA',
  MAZ_STANDARD_IA: 'IA',
  INTELLIGENT_TIERING: 'INTELLIGENT_TIERING',
  MAZ_INTELLIGENT_TIERING: 'INTELLIGENT_TIERING',
  ARCHIVE: 'ARCHIVE',
  COLDARCHIVE: 'COLD_ARCHIVE',
  DEEP_ARCHIVE: 'DEEP_COLD_ARCHIVE',
  DEEPCOLDARCHIVE: 'DEEP_COLD_ARCHIVE',
};

const SETTING = 'listing.inventory';

/** The parts of listing.inventory: oss://bucket/key, cos://bucket/key, or a local file. */
export function parseInventoryUrl(
  url: string,
): { scheme: 'oss' | 'cos'; bucket: string; key: string } | { scheme: 'file'; path: string } {
  const m = /^(oss|cos):\/\/([^/]+)\/(.+)$/.exec(url);
  if (m) return { scheme: m[1] as 'oss' | 'cos', bucket: m[2]!, key: m[3]! };
  return { scheme: 'file', path: url.replace(/^file:\/\//, '') };
}

/** Data files of a manifest read from a bucket (keys are bucket keys). */
export function storeFiles(store: ObjectStore): InventoryFiles {
  const stream = async (key: string) => (await store.read(key)).body;
  return {
    stream,
    async text(key) {
      const chunks: Buffer[] = [];
      for await (const c of await stream(key)) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

/**
 * Local copies (tests; or an inventory downloaded with ossutil/coscli): a data file's key is
 * looked up under the manifest's directory and each of its parents, as a downloaded bucket keeps it.
 */
export function localFiles(manifestPath: string): InventoryFiles {
  const resolve = async (key: string) => {
    if (key === manifestPath) return key;
    for (let d = dirname(manifestPath); ; d = dirname(d)) {
      const p = join(d, key);
      if (
        await access(p).then(
          () => true,
          () => false,
        )
      )
        return p;
      if (dirname(d) === d) break;
    }
    throw new ConfigError(
      `${SETTING}: the manifest names ${key}, which is not under ${dirname(manifestPath)} or any folder above it`,
      'download the whole inventory folder (manifest.json and data/) keeping the bucket layout, or point listing.inventory at the bucket (oss:// or cos://)',
    );
  };
  return {
    text: async (key) => readFile(await resolve(key), 'utf8'),
    stream: async (key) => createReadStream(await resolve(key)),
  };
}

/** Read and check manifest.json. */
export function parseManifest(text: string, where: string): InventoryManifest {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError(
      `${SETTING}: ${where} is not JSON (${(e as Error).message})`,
      'point it at the manifest.json of an OSS or COS inventory',
    );
  }
  const fix =
    'point listing.inventory at the manifest.json of a CSV inventory (OSS bucket inventory or COS inventory report)';
  if (String(doc.fileFormat ?? '').toUpperCase() !== 'CSV') {
    throw new ConfigError(
      `${SETTING}: ${where} has fileFormat ${JSON.stringify(doc.fileFormat)}; only CSV inventories can be read`,
      fix,
    );
  }
  if (typeof doc.fileSchema !== 'string' || !Array.isArray(doc.files)) {
    throw new ConfigError(`${SETTING}: ${where} has no fileSchema or files: not an inventory manifest`, fix);
  }
  const columns = doc.fileSchema.split(',').map((c) => c.trim());
  for (const need of ['Key', 'Size']) {
    if (!columns.includes(need)) {
      throw new ConfigError(
        `${SETTING}: the inventory in ${where} has no ${need} column (fileSchema: ${doc.fileSchema})`,
        "add Size (and LastModifiedDate, ETag) to the inventory rule's fields and wait for the next report",
      );
    }
  }
  const files = doc.files.map((f) => {
    const o = f as Record<string, unknown>;
    return { key: String(o.key), ...(typeof o.size === 'number' ? { size: o.size } : {}) };
  });
  // OSS: creationTimestamp in seconds; COS reports carry the same field name.
  const ts = Number(doc.creationTimestamp);
  const dest = String(doc.destinationBucket ?? '');
  return {
    vendor:
      dest.startsWith('qcs::cos') || columns.includes('AppID') || columns.includes('Region') ? 'cos' : 'oss',
    ...(Number.isFinite(ts) && ts > 0 ? { createdAt: new Date(ts < 1e12 ? ts * 1000 : ts) } : {}),
    columns,
    files,
  };
}

/** URL-decoded as both vendors write keys ("+" for a space; a literal "+" is %2B). */
function decodeKey(k: string): string {
  return decodeURIComponent(k.replace(/\+/g, ' '));
}

/** One CSV row as a listing entry, or undefined for rows that are not a current object. */
function rowToInfo(row: string[], col: Map<string, number>): ObjectInfo | undefined {
  const get = (name: string) => {
    const i = col.get(name);
    return i === undefined ? undefined : row[i];
  };
  if (get('IsDeleteMarker')?.toLowerCase() === 'true') return undefined;
  if (get('IsLatest')?.toLowerCase() === 'false') return undefined;
  const key = get('Key');
  if (key === undefined || key === '') return undefined;
  const mtime = get('LastModifiedDate');
  const etag = get('ETag')?.replace(/"/g, '').toLowerCase();
  const cls = get('StorageClass')?.toUpperCase();
  const crc = get('Crc64');
  return {
    key: decodeKey(key),
    size: Number(get('Size') ?? 0),
    // COS writes epoch seconds in some reports, ISO 8601 in others.
    lastModified: mtime
      ? /^\d+$/.test(mtime)
        ? new Date(Number(mtime) * 1000)
        : new Date(mtime)
      : new Date(0),
    ...(etag ? { etag } : {}),
    ...(crc ? { crc64: crc } : {}),
    ...(cls && CLASSES[cls] ? { storageClass: CLASSES[cls] } : {}),
  };
}

/** The rows of every data file, in file order. */
async function* rows(m: InventoryManifest, files: InventoryFiles): AsyncIterable<ObjectInfo> {
  const col = new Map(m.columns.map((c, i) => [c, i]));
  for (const f of m.files) {
    const body = await files.stream(f.key);
    const csv = body.pipe(createGunzip()).pipe(parse({ relax_column_count: true }));
    body.on('error', (e) => csv.destroy(e));
    try {
      for await (const r of csv as AsyncIterable<string[]>) {
        const o = rowToInfo(r, col);
        if (o) yield o;
      }
    } catch (e) {
      throw new MigrationError(
        'INTERNAL',
        `${SETTING}: cannot read inventory file ${f.key}: ${(e as Error).message}`,
      );
    }
  }
}

/** Rows held in memory before a sorted run is spilled to disk. */
export const RUN_ROWS = 200_000;

type Wire = [string, number, number, string?, string?, StorageClass?];
const toWire = (o: ObjectInfo): Wire => [
  o.key,
  o.size,
  o.lastModified.getTime(),
  o.etag,
  o.crc64,
  o.storageClass,
];
const fromWire = (w: Wire): ObjectInfo => ({
  key: w[0],
  size: w[1],
  lastModified: new Date(w[2]),
  ...(w[3] ? { etag: w[3] } : {}),
  ...(w[4] ? { crc64: w[4] } : {}),
  ...(w[5] ? { storageClass: w[5] } : {}),
});

const byKey = (a: ObjectInfo, b: ObjectInfo) => compareKeys(a.key, b.key);

/**
 * The inventory's objects under `prefix`, in key order (UTF-8 bytes), each key once (a key listed
 * twice keeps its newest row).
 */
export async function* sortedInventory(
  m: InventoryManifest,
  files: InventoryFiles,
  prefix: string,
  o: { runRows?: number } = {},
): AsyncIterable<ObjectInfo> {
  const runRows = o.runRows ?? RUN_ROWS;
  let buf: ObjectInfo[] = [];
  let dir: string | undefined;
  const runs: string[] = [];
  try {
    for await (const r of rows(m, files)) {
      if (!r.key.startsWith(prefix)) continue;
      buf.push(r);
      if (buf.length >= runRows) {
        dir ??= await mkdtemp(join(tmpdir(), 'ossmigrate-inventory-'));
        runs.push(await spill(buf.sort(byKey), join(dir, `run-${runs.length}.ndjson.gz`)));
        buf = [];
      }
    }
    buf.sort(byKey);
    const sources: Array<AsyncIterator<ObjectInfo>> = [
      ...runs.map((p) => readRun(p)[Symbol.asyncIterator]()),
      (async function* () {
        yield* buf;
      })(),
    ];
    let last: ObjectInfo | undefined;
    for await (const r of merge(sources)) {
      if (last && last.key === r.key) {
        if (r.lastModified > last.lastModified) last = r;
        continue;
      }
      if (last) yield last;
      last = r;
    }
    if (last) yield last;
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

async function spill(rowsSorted: ObjectInfo[], path: string): Promise<string> {
  const gz = createGzip({ level: 1 });
  const done = pipeline(gz, createWriteStream(path));
  for (const r of rowsSorted) {
    if (!gz.write(`${JSON.stringify(toWire(r))}\n`)) await new Promise((res) => gz.once('drain', res));
  }
  gz.end();
  await done;
  return path;
}

async function* readRun(path: string): AsyncIterable<ObjectInfo> {
  const lines = createInterface({ input: createReadStream(path).pipe(createGunzip()), crlfDelay: Infinity });
  for await (const line of lines) if (line) yield fromWire(JSON.parse(line) as Wire);
}

/** k-way merge of sorted streams (a binary heap on the heads). */
async function* merge(its: Array<AsyncIterator<ObjectInfo>>): AsyncIterable<ObjectInfo> {
  const heap: Array<{ v: ObjectInfo; i: number }> = [];
  const less = (a: number, b: number) =>
    byKey(heap[a]!.v, heap[b]!.v) < 0 || (byKey(heap[a]!.v, heap[b]!.v) === 0 && heap[a]!.i < heap[b]!.i);
  const swap = (a: number, b: number) => {
    [heap[a], heap[b]] = [heap[b]!, heap[a]!];
  };
  const up = (n: number) => {
    while (n > 0 && less(n, (n - 1) >> 1)) {
      swap(n, (n - 1) >> 1);
      n = (n - 1) >> 1;
    }
  };
  const down = (n: number) => {
    for (;;) {
      const l = 2 * n + 1;
      const r = l + 1;
      let m = n;
      if (l < heap.length && less(l, m)) m = l;
      if (r < heap.length && less(r, m)) m = r;
      if (m === n) return;
      swap(n, m);
      n = m;
    }
  };
  for (let i = 0; i < its.length; i++) {
    const x = await its[i]!.next();
    if (!x.done) {
      heap.push({ v: x.value, i });
      up(heap.length - 1);
    }
  }
  while (heap.length) {
    const top = heap[0]!;
    yield top.v;
    const x = await its[top.i]!.next();
    if (x.done) {
      const end = heap.pop()!;
      if (heap.length) {
        heap[0] = end;
        down(0);
      }
    } else {
      heap[0] = { v: x.value, i: top.i };
      down(0);
    }
  }
}

/** Open listing.inventory: the manifest and where its files are, checked. */
export async function openInventory(
  url: string,
  store?: ObjectStore,
): Promise<{ manifest: InventoryManifest; files: InventoryFiles }> {
  const u = parseInventoryUrl(url);
  const files = u.scheme === 'file' ? localFiles(u.path) : storeFiles(store!);
  const key = u.scheme === 'file' ? u.path : u.key;
  let text: string;
  try {
    text = await files.text(key);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(
      `${SETTING}: cannot read ${url}: ${(e as Error).message}`,
      'check the path to manifest.json (the inventory report folder named by its date, e.g. …/2026-05-17T16-00Z/manifest.json)',
    );
  }
  return { manifest: parseManifest(text, url), files };
}
