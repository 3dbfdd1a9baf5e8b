/**
 * ossimport's HTTP URL list (srcType=http, httpListFilePath): one URL per line, split into
 * whitespace-separated columns; column `prefixColumn` (1-based, default 1) is a URL prefix
 * (`127.0.0.1/aa/` — a scheme is optional, http:// is assumed), column `relativePathColumn`
 * (default 2) the path after it, which is also the object key. ossimport's template documents
 * exactly this (prefix + relative path = the URL; relative path = the key under destPrefix).
 *
 * The relative path is a URL path: `%20`, `%23`, `%E4%B8%AD` in the file; the key is its decoded
 * form. A raw space cannot be written (it separates columns); a raw `#`, `?` or non-ASCII
 * character is taken as part of the key and percent-encoded when the URL is sent.
 *
 * The engine lists in UTF-8 key order, and a list of 10⁷ lines must not sit in memory: the file
 * is read once, validated (every bad line is an error naming its line number — a list is a
 * deliberate inventory, so a silently skipped line would be an object silently not migrated),
 * sorted externally in runs of RUN_RECORDS and merged into one normalized file of JSON records
 * `[key, url, line]`. A sparse index (every INDEX_EVERY-th key and its byte offset) finds where
 * a listing or a lookup starts. The normalized file is cached in the temp dir under a hash of the
 * list file's path, size, mtime and column settings, so a resumed run does not sort again.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { ConfigError } from '../../core/errors.ts';
import { compareKeys } from '../../core/keys.ts';

export type ListSettings = {
  listFile: string;
  /** 1-based column of the URL prefix (ossimport httpPrefixColumn). */
  prefixColumn: number;
  /** 1-based column of the relative path = key (ossimport relativePathColumn). */
  relativePathColumn: number;
  /** Where the sorted copy is cached (tests; default the OS temp dir). */
  cacheDir?: string;
  /** Records per in-memory sort run (tests make it small to exercise the merge). */
  runRecords?: number;
};

/** One URL of the list: its key (decoded relative path), the URL to fetch, its line number. */
export type ListRecord = { key: string; url: string; line: number };

const FORMAT_VERSION = 1;
const RUN_RECORDS = 200_000;
const INDEX_EVERY = 256;

/** Characters a URL path may hold as they are (RFC 3986 pchar + "/"); `%` only before two hex digits. */
const PATH_SAFE = /[A-Za-z0-9\-._~!$&'()*+,;=:@/]/;

/** Percent-encode what a URL path cannot hold raw; existing %XX escapes are kept as written. */
export function encodePath(p: string): string {
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '%' && /^[0-9A-Fa-f]{2}$/.test(p.slice(i + 1, i + 3))) out += c;
    else if (PATH_SAFE.test(c)) out += c;
    else {
      const cp = p.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      out += encodeURIComponent(ch);
      if (ch.length === 2) i++;
    }
  }
  return out;
}

/** A list line → record, or the reason it is not one. */
export function parseLine(
  text: string,
  line: number,
  s: Pick<ListSettings, 'prefixColumn' | 'relativePathColumn'>,
): ListRecord | { error: string } | undefined {
  const t = text.trim();
  if (t === '' || t.startsWith('#')) return undefined;
  const cols = t.split(/[ \t]+/);
  const prefix = cols[s.prefixColumn - 1];
  const rel = cols[s.relativePathColumn - 1];
  if (prefix === undefined || rel === undefined)
    return {
      error: `has ${cols.length} column(s); httpPrefixColumn=${s.prefixColumn} and relativePathColumn=${s.relativePathColumn} need ${Math.max(s.prefixColumn, s.relativePathColumn)}`,
    };
  if (/\uFFFD/.test(t)) return { error: 'is not UTF-8 (a GBK list?)' };
  let key: string;
  try {
    key = decodeURIComponent(rel);
  } catch {
    return {
      error: `relative path "${rel}" has a "%" that is not a %XX escape of UTF-8 (write a literal % as %25)`,
    };
  }
  if (key === '' || key.endsWith('/'))
    return { error: `relative path "${rel}" names no file (it is empty or ends in "/")` };
  const base = /^[a-z][a-z0-9+.-]*:\/\//i.test(prefix) ? prefix : `http://${prefix}`;
  let url: URL;
  try {
    url = new URL(base + encodePath(rel));
  } catch {
    return { error: `"${prefix}${rel}" is not a URL` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { error: `URL prefix "${prefix}" is not http:// or https://` };
  return { key, url: url.href, line };
}

/** Where the list is, and how to find a key in it. */
export class SortedList {
  private constructor(
    readonly path: string,
    readonly count: number,
    private readonly index: Array<{ key: string; offset: number }>,
  ) {}

  /** Validate, sort (if needed) and index `s.listFile`. Throws ConfigError naming bad lines. */
  static async prepare(s: ListSettings): Promise<SortedList> {
    const listFile = resolve(s.listFile);
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(listFile);
    } catch (e) {
      throw new ConfigError(
        `URL list ${listFile} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
        'check the path given as --src http-list:///ABS/PATH or source.listFile (httpListFilePath in a job.cfg)',
      );
    }
    const dir = s.cacheDir ?? join(tmpdir(), 'ossmigrate-http-list');
    await mkdir(dir, { recursive: true });
    const id = createHash('sha256')
      .update(
        JSON.stringify([FORMAT_VERSION, listFile, st.size, st.mtimeMs, s.prefixColumn, s.relativePathColumn]),
      )
      .digest('hex')
      .slice(0, 24);
    const path = join(dir, `${id}.jsonl`);
    if (!(await stat(path).catch(() => undefined))) await build(listFile, path, s);
    return SortedList.load(path);
  }

  private static async load(path: string): Promise<SortedList> {
    const index: Array<{ key: string; offset: number }> = [];
    let offset = 0;
    let n = 0;
    for await (const line of lines(path)) {
      if (n % INDEX_EVERY === 0) index.push({ key: (JSON.parse(line) as [string])[0], offset });
      offset += Buffer.byteLength(line) + 1;
      n++;
    }
    return new SortedList(path, n, index);
  }

  /** Records in key order from the first key ≥ `from` (or > when `exclusive`). */
  async *from(from: string, exclusive = false): AsyncIterable<ListRecord> {
    // The last indexed key strictly below `from`: everything before it is smaller.
    let lo = 0;
    let hi = this.index.length - 1;
    let start = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (compareKeys(this.index[mid]!.key, from) < 0) {
        start = this.index[mid]!.offset;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (this.count === 0) return;
    for await (const line of lines(this.path, start)) {
      const [key, url, n] = JSON.parse(line) as [string, string, number];
      const c = compareKeys(key, from);
      if (c < 0 || (exclusive && c === 0)) continue;
      yield { key, url, line: n };
    }
  }

  async lookup(key: string): Promise<ListRecord | undefined> {
    for await (const r of this.from(key)) return r.key === key ? r : undefined;
    return undefined;
  }
}

function lines(path: string, start = 0): AsyncIterable<string> {
  const rl = createInterface({
    input: createReadStream(path, { start, encoding: 'utf8', highWaterMark: 256 * 1024 }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  return rl;
}

const encodeRecord = (r: ListRecord) => JSON.stringify([r.key, r.url, r.line]);
const byKey = (a: ListRecord, b: ListRecord) => compareKeys(a.key, b.key) || a.line - b.line;

/** Read, validate, sort and write the normalized list to `out` (atomically). */
async function build(listFile: string, out: string, s: ListSettings): Promise<void> {
  const runSize = s.runRecords ?? RUN_RECORDS;
  const tmp = `${out}.${process.pid}.${Date.now()}`;
  const runs: string[] = [];
  const errors: string[] = [];
  let run: ListRecord[] = [];
  let n = 0;
  const flush = async () => {
    if (run.length === 0) return;
    run.sort(byKey);
    const p = `${tmp}.run${runs.length}`;
    await writeFile(p, `${run.map(encodeRecord).join('\n')}\n`);
    runs.push(p);
    run = [];
  };
  try {
    for await (let text of lines(listFile)) {
      n++;
      if (n === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a BOM (Windows editors)
      const r = parseLine(text, n, s);
      if (r === undefined) continue;
      if ('error' in r) {
        if (errors.length < 10) errors.push(`line ${n} ${r.error}`);
        else if (errors.length === 10) errors.push('… (further bad lines not shown)');
        continue;
      }
      run.push(r);
      if (run.length >= runSize) await flush();
    }
    if (errors.length)
      throw ConfigError.list(
        `URL list ${listFile}: ${errors.length > 10 ? 'more than 10' : errors.length} bad line(s), nothing was copied`,
        errors.map((e) => `${e} — fix or delete the line (keys are percent-decoded relative paths)`),
      );
    await flush();
    await merge(runs, tmp, listFile);
    await rename(tmp, out);
  } finally {
    for (const r of runs) await rm(r, { force: true });
    await rm(tmp, { force: true });
  }
}

/** k-way merge of sorted run files into `out`; two lines with the same key are an error. */
async function merge(runs: string[], out: string, listFile: string): Promise<void> {
  const fh = await open(out, 'w');
  try {
    const iters = runs.map((r) => lines(r)[Symbol.asyncIterator]());
    const heap: Array<{ rec: ListRecord; src: number }> = [];
    const push = (x: { rec: ListRecord; src: number }) => {
      heap.push(x);
      let i = heap.length - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (byKey(heap[p]!.rec, heap[i]!.rec) <= 0) break;
        [heap[p], heap[i]] = [heap[i]!, heap[p]!];
        i = p;
      }
    };
    const pop = () => {
      const top = heap[0]!;
      const last = heap.pop()!;
      if (heap.length) {
        heap[0] = last;
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          const r = l + 1;
          let m = i;
          if (l < heap.length && byKey(heap[l]!.rec, heap[m]!.rec) < 0) m = l;
          if (r < heap.length && byKey(heap[r]!.rec, heap[m]!.rec) < 0) m = r;
          if (m === i) break;
          [heap[m], heap[i]] = [heap[i]!, heap[m]!];
          i = m;
        }
      }
      return top;
    };
    const next = async (src: number) => {
      const r = await iters[src]!.next();
      if (!r.done) {
        const [key, url, line] = JSON.parse(r.value) as [string, string, number];
        push({ rec: { key, url, line }, src });
      }
    };
    for (let i = 0; i < iters.length; i++) await next(i);
    let prev: ListRecord | undefined;
    let buf = '';
    while (heap.length) {
      const { rec, src } = pop();
      if (prev && prev.key === rec.key)
        throw new ConfigError(
          `URL list ${listFile}: lines ${prev.line} and ${rec.line} both give the key ${JSON.stringify(rec.key)}`,
          'keep one of the two lines (each key is copied from one URL)',
        );
      prev = rec;
      buf += `${encodeRecord(rec)}\n`;
      if (buf.length > 1 << 20) {
        await fh.write(buf);
        buf = '';
      }
      await next(src);
    }
    if (buf) await fh.write(buf);
  } finally {
    await fh.close();
  }
}
