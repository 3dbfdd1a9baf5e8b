/**
 * An HTTP URL list as a read-only ObjectStore (ossimport srcType=http). The list file gives the
 * keys (listFile.ts); the web servers give everything else:
 *  - list(): the sorted list, each URL HEADed (HEAD_CONCURRENCY at a time, order kept) because the
 *    engine's scan needs size and mtime for the plan and the phase window. The lister does it, not
 *    the engine, so every other source keeps its free listing and this one alone pays a request.
 *    A URL whose HEAD fails for good is still listed (size 0): its copy then fails with the
 *    reason (SOURCE_GONE for a 404) instead of the object silently vanishing from the job.
 *  - head(): HEAD (size Content-Length, mtime Last-Modified, strong ETag, Content-MD5); a server
 *    that refuses HEAD (405/501) gets GET Range: bytes=0-0 (size from Content-Range).
 *  - read(): GET with Range, guarded by If-Match (a strong ETag) or If-Unmodified-Since (none),
 *    and checked again against the answer (servers that ignore the precondition exist).
 * Redirects are followed (at most MAX_REDIRECTS, any origin: one keep-alive pool per origin).
 * No credentials: the URLs must be readable as they are.
 *
 * ETags are opaque here: kept as sent (quotes stripped, case kept, since If-Match compares
 * exactly). Without a strong ETag the change token is `mtime-<ms>-<size>` (or `size-<n>`).
 */
import { type Readable, Transform } from 'node:stream';
import { classifyHttp, MigrationError } from '../../core/errors.ts';
import { compareKeys } from '../../core/keys.ts';
import type { ListEntry, ObjectHead } from '../../core/types.ts';
import {
  type ObjectStore,
  type ProbeResult,
  READ_ONLY_SOURCE,
  type ReadOptions,
  type ReadResult,
  type StoreFeatures,
  type WriteResult,
} from '../../ports/objectStore.ts';
import { retryAfterMs } from '../http/headers.ts';
import { type HttpResponse, HttpTransport } from '../http/transport.ts';
import { type ListRecord, type ListSettings, SortedList } from './listFile.ts';

export type HttpListStoreOptions = ListSettings & {
  /** HEADs in flight while listing. */
  headConcurrency?: number;
};

const MAX_REDIRECTS = 10;
const HEAD_CONCURRENCY = 32;
const REDIRECT = new Set([301, 302, 303, 307, 308]);

type Method = 'GET' | 'HEAD';

/** A server's answer → MigrationError (what: "head <key>" / "get <key>"). */
function statusError(res: HttpResponse, what: string, url: string): MigrationError {
  const wait = retryAfterMs(res.headers);
  const cls = res.status === 410 ? 'SOURCE_GONE' : classifyHttp(res.status, undefined);
  return new MigrationError(cls, `${what}: HTTP ${res.status} from ${url}`, {
    status: res.status,
    ...(wait !== undefined ? { retryAfterMs: wait } : {}),
  });
}

function networkError(e: unknown, what: string, url: string): MigrationError {
  if (e instanceof MigrationError) return e;
  const err = e as { code?: string; message?: string; name?: string };
  const code = err.code ?? err.name;
  // Whatever the code (refused, reset, DNS, TLS, timeout): the server could not be read; retried.
  return new MigrationError(
    'NETWORK',
    `${what}: ${code ? `${code} ` : ''}${err.message ?? String(e)} (${url})`,
    {
      ...(code ? { code } : {}),
      cause: e,
    },
  );
}

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** Strong ETag unquoted (case kept), or undefined for a weak or missing one. */
function strongEtag(v: string | undefined): string | undefined {
  if (!v || v.startsWith('W/')) return undefined;
  const t = v.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1) : t;
}

export class HttpListStore implements ObjectStore {
  readonly features: StoreFeatures = READ_ONLY_SOURCE;
  readonly name: string;
  private sorted: Promise<SortedList> | undefined;
  private readonly pools = new Map<string, HttpTransport>();
  /** Origins that answered 405/501 to HEAD: asked with a one-byte GET from then on. */
  private readonly noHead = new Set<string>();

  constructor(readonly o: HttpListStoreOptions) {
    this.name = `http-list://${o.listFile}`;
  }

  /** The validated, sorted list (built once per process, cached on disk across runs). */
  entries(): Promise<SortedList> {
    this.sorted ??= SortedList.prepare(this.o);
    return this.sorted;
  }

  async *list(o: {
    prefix: string;
    startAfter?: string;
    delimiter?: string;
    signal?: AbortSignal;
  }): AsyncIterable<ListEntry> {
    const sl = await this.entries();
    const after = o.startAfter !== undefined && compareKeys(o.startAfter, o.prefix) >= 0;
    const from = after ? o.startAfter! : o.prefix;
    const width = this.o.headConcurrency ?? HEAD_CONCURRENCY;
    // Heads run ahead of the consumer, at most `width` at once, yielded in key order.
    const window: Array<Promise<ListEntry>> = [];
    let lastPrefix: string | undefined;
    for await (const r of sl.from(from, after)) {
      if (o.signal?.aborted) return;
      if (!r.key.startsWith(o.prefix)) {
        if (compareKeys(r.key, o.prefix) > 0) break;
        continue;
      }
      if (o.delimiter) {
        const i = r.key.indexOf(o.delimiter, o.prefix.length);
        if (i >= 0) {
          const p = r.key.slice(0, i + o.delimiter.length);
          if (p === lastPrefix) continue;
          lastPrefix = p;
          if (o.startAfter !== undefined && compareKeys(p, o.startAfter) <= 0) continue;
          window.push(Promise.resolve({ kind: 'prefix', prefix: p }));
          if (window.length >= width) yield await window.shift()!;
          continue;
        }
      }
      window.push(this.listedHead(r, o.signal).then((info) => ({ kind: 'object', info })));
      if (window.length >= width) yield await window.shift()!;
    }
    while (window.length) yield await window.shift()!;
  }

  /** A listed URL's head; transient failures are retried, a lasting one lists it as 0 B. */
  private async listedHead(r: ListRecord, signal?: AbortSignal): Promise<ObjectHead> {
    for (let attempt = 1; ; attempt++) {
      try {
        const h = await this.headUrl(r.key, r.url, signal);
        if (h) return h;
        break;
      } catch (e) {
        const err = e as MigrationError;
        if (!(err instanceof MigrationError) || !err.transient || attempt >= 3 || signal?.aborted) break;
        await new Promise((ok) => setTimeout(ok, err.retryAfterMs ?? 200 * attempt));
      }
    }
    return { key: r.key, size: 0, lastModified: new Date(0), meta: {} };
  }

  async head(key: string, signal?: AbortSignal): Promise<ObjectHead | undefined> {
    const r = await (await this.entries()).lookup(key);
    if (!r) return undefined;
    return this.headUrl(key, r.url, signal);
  }

  private async headUrl(key: string, url: string, signal?: AbortSignal): Promise<ObjectHead | undefined> {
    const origin = new URL(url).origin;
    if (!this.noHead.has(origin)) {
      const res = await this.send('HEAD', url, {}, signal, `head ${key}`);
      res.body.resume();
      if (res.status === 405 || res.status === 501) this.noHead.add(origin);
      else if (res.status === 404 || res.status === 410) return undefined;
      else if (res.status !== 200) throw statusError(res, `head ${key}`, url);
      else return toHead(key, res.headers, res.status);
    }
    const res = await this.send('GET', url, { range: 'bytes=0-0' }, signal, `head ${key}`);
    res.body.resume();
    if (res.status === 404 || res.status === 410) return undefined;
    // 416: an empty object has no byte 0.
    if (res.status === 416) return { ...toHead(key, res.headers, 200), size: 0 };
    if (res.status !== 200 && res.status !== 206) throw statusError(res, `head ${key}`, url);
    return toHead(key, res.headers, res.status);
  }

  async read(key: string, o: ReadOptions = {}): Promise<ReadResult> {
    const r = await (await this.entries()).lookup(key);
    if (!r) throw new MigrationError('SOURCE_GONE', `get ${key}: not in the URL list`, { status: 404 });
    const h: Record<string, string> = {};
    if (o.range) h.range = `bytes=${o.range.start}-${o.range.end - 1}`;
    const token = o.ifMatch ? parseToken(o.ifMatch) : undefined;
    if (token?.etag) h['if-match'] = `"${token.etag}"`;
    else if (token?.mtimeMs !== undefined && token.mtimeMs > 0)
      h['if-unmodified-since'] = new Date(token.mtimeMs).toUTCString();
    // An empty range of an empty object: nothing to ask for (a server answers 416).
    if (o.range && o.range.end <= o.range.start) delete h.range;
    const res = await this.send('GET', r.url, h, o.signal, `get ${key}`);
    if (res.status !== 200 && res.status !== 206) {
      res.body.resume();
      if (res.status === 404 || res.status === 410)
        throw new MigrationError('SOURCE_GONE', `get ${key}: HTTP ${res.status} from ${r.url}`, {
          status: res.status,
        });
      throw statusError(res, `get ${key}`, r.url);
    }
    const head = toHead(key, res.headers, res.status);
    // The precondition checked here too: a server may ignore If-Match / If-Unmodified-Since.
    if (token && o.ifMatch !== head.etag) {
      res.body.on('error', () => {}).destroy();
      throw new MigrationError(
        'SOURCE_CHANGED',
        `get ${key}: changed since it was listed (${o.ifMatch} → ${head.etag})`,
        {
          status: 412,
        },
      );
    }
    let body: Readable = res.body;
    // Asked for a range, got the whole object: cut the range out (a server without Range support).
    if (o.range && res.status === 200 && (o.range.start > 0 || o.range.end < head.size))
      body = res.body.pipe(slice(o.range.start, o.range.end));
    return { body, head };
  }

  async write(): Promise<WriteResult> {
    throw new MigrationError('INTERNAL', `${this.name} is a read-only source`);
  }

  async probe(): Promise<ProbeResult> {
    const sl = await this.entries();
    for await (const r of sl.from('')) {
      // Reachability of the first URL's server; a missing object is a per-object matter.
      await this.headUrl(r.key, r.url).catch((e: unknown) => {
        if (e instanceof MigrationError && e.failureClass !== 'NETWORK') return undefined;
        throw e;
      });
      break;
    }
    return { reachable: true };
  }

  private pool(origin: string): HttpTransport {
    let p = this.pools.get(origin);
    if (!p) {
      p = new HttpTransport(origin, { connections: 64 });
      this.pools.set(origin, p);
    }
    return p;
  }

  /** One exchange, redirects followed; the final response is returned unread. */
  private async send(
    method: Method,
    url: string,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
    what: string,
  ): Promise<HttpResponse> {
    let u = new URL(url);
    for (let hop = 0; ; hop++) {
      let res: HttpResponse;
      try {
        res = await this.pool(u.origin).request({
          method,
          path: `${u.pathname}${u.search}`,
          // identity: a body compressed on the fly would not match Content-Length or the ETag.
          headers: { host: u.host, 'accept-encoding': 'identity', ...headers },
          timeoutMs: method === 'GET' && !headers.range?.endsWith('=0-0') ? 24 * 3600_000 : 120_000,
          ...(signal ? { signal } : {}),
        });
      } catch (e) {
        throw networkError(e, what, u.href);
      }
      const location = one(res.headers.location);
      if (!REDIRECT.has(res.status) || !location) return res;
      res.body.resume();
      if (hop >= MAX_REDIRECTS)
        throw new MigrationError('INTERNAL', `${what}: more than ${MAX_REDIRECTS} redirects from ${url}`, {
          status: res.status,
        });
      u = new URL(location, u);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close()));
  }
}

/** Change token → what to send: a strong ETag, or the mtime (and size) it stands for. */
function parseToken(t: string): { etag?: string; mtimeMs?: number; size?: number } {
  const m = /^mtime-(\d+)-(\d+)$/.exec(t);
  if (m) return { mtimeMs: Number(m[1]), size: Number(m[2]) };
  const s = /^size-(\d+)$/.exec(t);
  if (s) return { size: Number(s[1]) };
  return { etag: t };
}

function toHead(key: string, h: Record<string, string | string[] | undefined>, status: number): ObjectHead {
  const range = /\/(\d+)\s*$/.exec(one(h['content-range']) ?? '');
  const size = status === 206 && range ? Number(range[1]) : Number(one(h['content-length']) ?? 0);
  const lm = Date.parse(one(h['last-modified']) ?? '');
  const lastModified = new Date(Number.isNaN(lm) ? 0 : lm);
  const etag =
    strongEtag(one(h.etag)) ??
    (Number.isNaN(lm) ? `size-${size}` : `mtime-${lastModified.getTime()}-${size}`);
  const head: ObjectHead = { key, size, lastModified, etag, meta: {} };
  const md5 = one(h['content-md5']);
  // Content-MD5 describes the whole body only on a whole answer (RFC 1864 on a 206 is the part's).
  if (md5 && status !== 206 && /^[A-Za-z0-9+/]{22}==$/.test(md5)) head.checksums = { md5 };
  const ct = one(h['content-type']);
  if (ct) head.contentType = ct;
  const ce = one(h['content-encoding']);
  if (ce && ce !== 'identity') head.contentEncoding = ce;
  const cd = one(h['content-disposition']);
  if (cd) head.contentDisposition = cd;
  const cl = one(h['content-language']);
  if (cl) head.contentLanguage = cl;
  const cc = one(h['cache-control']);
  if (cc) head.cacheControl = cc;
  const ex = one(h.expires);
  if (ex) head.expires = ex;
  return head;
}

/** Bytes [start, end) of a stream. */
function slice(start: number, end: number): Transform {
  let pos = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const from = Math.max(0, start - pos);
      const to = Math.min(chunk.length, end - pos);
      pos += chunk.length;
      if (to > from) this.push(chunk.subarray(from, to));
      done();
    },
  });
}
