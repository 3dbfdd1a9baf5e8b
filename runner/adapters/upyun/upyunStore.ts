/**
 * UpYun (又拍云) cloud storage over its REST API (ossimport srcType=youpai), read-only:
 * https://help.upyun.com/knowledge-base/rest_api/ and the signature page
 * https://help.upyun.com/knowledge-base/object_storage_authorization/ .
 *  - Every request is signed: `Authorization: UPYUN <operator>:<base64 HMAC-SHA1(MD5(password),
 *    METHOD&URI&Date[&Content-MD5])>` with the same Date header (valid 30 minutes: clock skew
 *    matters, so probe() reports it).
 *  - Listing is per folder and not recursive: GET /<service>/<folder>/ answers
 *    `name\tN|F\tsize\tunix-seconds` lines, paged by the `x-upyun-list-iter` answer header, the
 *    last page marked by the iter `g2gCZAAEbmV4dGQAA2VvZg`. UpYun's order (by time by default) is
 *    not key order, so one folder's page set is read whole and sorted (memory grows with the
 *    largest single folder, ~100 B an entry), and list() walks folders depth first in UTF-8 key
 *    order (a folder sorts as "name/"), one level with a delimiter.
 *  - head() is HEAD (x-upyun-file-size, x-upyun-file-date, Content-MD5), read() a GET with Range.
 * The listing has no MD5, so the change token (`etag`) is `mtime-<ms>-<size>` everywhere — the
 * listing, HEAD and GET agree on it — and the MD5 (HEAD Content-MD5, GET ETag: UpYun's is the
 * body's MD5) is reported as `checksums.md5`, the content evidence the copy and verify check.
 */
import { createHash, createHmac } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { UpyunCredentials } from '../../config/credentials.ts';
import { classifyHttp, MigrationError } from '../../core/errors.ts';
import { compareKeys, prefixEnd } from '../../core/keys.ts';
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

export const UPYUN_DEFAULT_ENDPOINT = 'https://v0.api.upyun.com';
/** The iter UpYun answers on the last page of a folder listing. */
export const UPYUN_LIST_END = 'g2gCZAAEbmV4dGQAA2VvZg';
const PAGE = 10_000;

export type UpyunStoreOptions = {
  service: string;
  credentials: UpyunCredentials;
  /** https://v0.api.upyun.com (default), v1/v2/v3 per carrier, or a test server. */
  endpoint?: string;
};

/** The signature of UpYun's REST API (exported for the emulator's test of the documented example). */
export function upyunSignature(
  password: string,
  method: string,
  uri: string,
  date: string,
  contentMd5?: string,
): string {
  const key = createHash('md5').update(password).digest('hex');
  const parts = [method, uri, date, ...(contentMd5 ? [contentMd5] : [])];
  return createHmac('sha1', key).update(parts.join('&')).digest('base64');
}

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
const encodeKey = (key: string) => key.split('/').map(encodeURIComponent).join('/');
const hexToB64 = (hex: string | undefined) =>
  hex && /^[0-9a-fA-F]{32}$/.test(hex) ? Buffer.from(hex, 'hex').toString('base64') : undefined;
const token = (mtimeMs: number, size: number) => `mtime-${mtimeMs}-${size}`;

type Entry = { key: string; dir: boolean; size: number; mtimeMs: number };

export class UpyunStore implements ObjectStore {
  readonly features: StoreFeatures = READ_ONLY_SOURCE;
  readonly name: string;
  private readonly http: HttpTransport;
  private readonly target: URL;

  constructor(readonly o: UpyunStoreOptions) {
    this.name = `upyun://${o.service}`;
    this.target = new URL(o.endpoint ?? UPYUN_DEFAULT_ENDPOINT);
    this.http = new HttpTransport(this.target.origin, { connections: 64 });
  }

  /** One signed request; the answer unread. `key` '' with `folder` is the service root. */
  private async send(
    method: 'GET' | 'HEAD',
    path: string,
    extra: Record<string, string>,
    what: string,
    signal?: AbortSignal,
    query = '',
  ): Promise<HttpResponse> {
    const uri = `/${this.o.service}/${path}`;
    const date = new Date().toUTCString();
    const sig = upyunSignature(this.o.credentials.password, method, uri, date);
    try {
      return await this.http.request({
        method,
        path: `${uri}${query}`,
        headers: {
          host: this.target.host,
          date,
          authorization: `UPYUN ${this.o.credentials.operator}:${sig}`,
          'accept-encoding': 'identity',
          ...extra,
        },
        timeoutMs: method === 'GET' && !extra['x-list-limit'] ? 24 * 3600_000 : 120_000,
        ...(signal ? { signal } : {}),
      });
    } catch (e) {
      const err = e as { code?: string; message?: string };
      throw new MigrationError(
        'NETWORK',
        `${what}: ${err.code ? `${err.code} ` : ''}${err.message ?? String(e)}`,
        {
          ...(err.code ? { code: err.code } : {}),
          cause: e,
        },
      );
    }
  }

  /** An error answer (JSON {msg, code, id}) → MigrationError with the fix for the usual ones. */
  private async failure(res: HttpResponse, what: string): Promise<MigrationError> {
    let body: { msg?: string; code?: number; id?: string } = {};
    try {
      body = JSON.parse(await readText(res.body)) as typeof body;
    } catch {
      // not JSON (a proxy's page): the status says enough
    }
    const wait = retryAfterMs(res.headers);
    const extra = {
      status: res.status,
      ...(body.code ? { code: String(body.code) } : {}),
      ...(body.id ? { requestId: body.id } : {}),
      ...(wait !== undefined ? { retryAfterMs: wait } : {}),
    };
    const msg = `${what}: HTTP ${res.status}${body.code ? ` ${body.code}` : ''} ${body.msg ?? ''}`.trim();
    if (res.status === 401)
      return new MigrationError(
        'ACCESS_DENIED',
        `${msg} — UpYun refused operator "${this.o.credentials.operator}" on service ${this.o.service}: check UPYUN_OPERATOR / UPYUN_PASSWORD (the operator's password, not the account's; srcAccessKey/srcSecretKey in a job.cfg), that the operator is authorized on this service, and this machine's clock (signatures are valid 30 minutes)`,
        extra,
      );
    return new MigrationError(classifyHttp(res.status, undefined), msg, extra);
  }

  /** One folder's entries, every page, sorted in key order (folders as "name/"). */
  private async folder(dirKey: string, signal?: AbortSignal): Promise<Entry[]> {
    const out: Entry[] = [];
    let iter: string | undefined;
    for (;;) {
      if (signal?.aborted) return out;
      const headers: Record<string, string> = { 'x-list-limit': String(PAGE) };
      if (iter) headers['x-list-iter'] = iter;
      const what = `list ${this.name}/${dirKey}`;
      const res = await this.send('GET', encodeKey(dirKey), headers, what, signal);
      if (res.status === 404) {
        res.body.resume();
        return out;
      }
      if (res.status !== 200) throw await this.failure(res, what);
      const text = await readText(res.body);
      for (const line of text.split('\n')) {
        if (!line) continue;
        const [name, type, size, time] = line.split('\t');
        if (!name) continue;
        const dir = type === 'F';
        out.push({
          key: `${dirKey}${name}${dir ? '/' : ''}`,
          dir,
          size: Number(size ?? 0),
          mtimeMs: Number(time ?? 0) * 1000,
        });
      }
      const next = one(res.headers['x-upyun-list-iter']);
      if (!next || next === UPYUN_LIST_END || text === '') break;
      iter = next;
    }
    return out.sort((a, b) => compareKeys(a.key, b.key));
  }

  async *list(o: {
    prefix: string;
    startAfter?: string;
    delimiter?: string;
    signal?: AbortSignal;
  }): AsyncIterable<ListEntry> {
    if (o.delimiter !== undefined && o.delimiter !== '/')
      throw new MigrationError('INTERNAL', `${this.name}: UpYun folders only list with the "/" delimiter`);
    yield* this.walk(o.prefix.slice(0, o.prefix.lastIndexOf('/') + 1), o);
  }

  private async *walk(
    dirKey: string,
    o: { prefix: string; startAfter?: string; delimiter?: string; signal?: AbortSignal },
  ): AsyncIterable<ListEntry> {
    for (const e of await this.folder(dirKey, o.signal)) {
      if (o.signal?.aborted) return;
      if (e.dir) {
        if (!(e.key.startsWith(o.prefix) || o.prefix.startsWith(e.key))) continue;
        if (o.startAfter !== undefined) {
          const end = prefixEnd(e.key);
          if (end !== undefined && compareKeys(end, o.startAfter) <= 0) continue; // all of it done
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
        yield {
          kind: 'object',
          info: {
            key: e.key,
            size: e.size,
            lastModified: new Date(e.mtimeMs),
            etag: token(e.mtimeMs, e.size),
          },
        };
      }
    }
  }

  async head(key: string, signal?: AbortSignal): Promise<ObjectHead | undefined> {
    const res = await this.send('HEAD', encodeKey(key), {}, `head ${key}`, signal);
    res.body.resume();
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw await this.failure(res, `head ${key}`);
    if (one(res.headers['x-upyun-file-type']) === 'folder') return undefined;
    const size = Number(one(res.headers['x-upyun-file-size']) ?? one(res.headers['content-length']) ?? 0);
    const mtimeMs = Number(one(res.headers['x-upyun-file-date']) ?? 0) * 1000;
    const head = toHead(key, res.headers, size, mtimeMs);
    const md5 = hexToB64(one(res.headers['content-md5']));
    if (md5) head.checksums = { md5 };
    return head;
  }

  async read(key: string, o: ReadOptions = {}): Promise<ReadResult> {
    const h: Record<string, string> = {};
    if (o.range && o.range.end > o.range.start) h.range = `bytes=${o.range.start}-${o.range.end - 1}`;
    const res = await this.send('GET', encodeKey(key), h, `get ${key}`, o.signal);
    if (res.status !== 200 && res.status !== 206) {
      const err = await this.failure(res, `get ${key}`);
      if (res.status === 404)
        throw new MigrationError('SOURCE_GONE', err.message, {
          status: 404,
          ...(err.code ? { code: err.code } : {}),
        });
      throw err;
    }
    const total = /\/(\d+)\s*$/.exec(one(res.headers['content-range']) ?? '');
    const size =
      res.status === 206 && total
        ? Number(total[1])
        : Number(one(res.headers['x-upyun-file-size']) ?? one(res.headers['content-length']) ?? 0);
    const lm = Date.parse(one(res.headers['last-modified']) ?? '');
    const fileDate = Number(one(res.headers['x-upyun-file-date']) ?? Number.NaN) * 1000;
    const dated = !Number.isNaN(fileDate) || !Number.isNaN(lm);
    const listed = /^mtime-(\d+)-(\d+)$/.exec(o.ifMatch ?? '');
    // An answer without a date: the listed time stands, the size alone guards the read.
    const mtimeMs = !Number.isNaN(fileDate)
      ? fileDate
      : !Number.isNaN(lm)
        ? lm
        : listed
          ? Number(listed[1])
          : 0;
    const head = toHead(key, res.headers, size, mtimeMs);
    if (!dated && listed) head.lastModified = new Date(Number(listed[1]));
    const etag = one(res.headers.etag)?.replace(/"/g, '');
    const md5 = hexToB64(etag);
    if (md5 && res.status === 200) head.checksums = { md5 };
    // UpYun has no If-Match: the answer is checked against the token the listing gave.
    if (o.ifMatch && o.ifMatch !== head.etag) {
      res.body.on('error', () => {}).destroy();
      throw new MigrationError(
        'SOURCE_CHANGED',
        `get ${key}: changed since it was listed (${o.ifMatch} → ${head.etag})`,
        {
          status: 412,
        },
      );
    }
    return { body: res.body, head };
  }

  async write(): Promise<WriteResult> {
    throw new MigrationError('INTERNAL', `${this.name} is a read-only source`);
  }

  /** GET /<service>/?usage: proves service, operator and password, and tells the server's clock. */
  async probe(): Promise<ProbeResult> {
    const res = await this.send('GET', '', {}, `service ${this.o.service}`, undefined, '?usage');
    if (res.status !== 200) {
      const err = await this.failure(res, `service ${this.o.service}`);
      if (res.status === 404)
        throw new MigrationError(
          'ACCESS_DENIED',
          `UpYun service ${this.o.service} not found — check the name in upyun://SERVICE/ (srcBucket in a job.cfg)`,
          {
            status: 404,
          },
        );
      throw err;
    }
    res.body.resume();
    const date = Date.parse(one(res.headers.date) ?? '');
    return { reachable: true, ...(Number.isNaN(date) ? {} : { clockSkewMs: date - Date.now() }) };
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}

function toHead(
  key: string,
  h: Record<string, string | string[] | undefined>,
  size: number,
  mtimeMs: number,
): ObjectHead {
  const meta: Record<string, string> = {};
  for (const name in h)
    if (name.startsWith('x-upyun-meta-')) {
      const v = one(h[name]);
      if (v !== undefined) meta[name.slice('x-upyun-meta-'.length)] = v;
    }
  const head: ObjectHead = { key, size, lastModified: new Date(mtimeMs), etag: token(mtimeMs, size), meta };
  const ct = one(h['content-type']);
  if (ct) head.contentType = ct;
  const cc = one(h['cache-control']);
  if (cc) head.cacheControl = cc;
  const cd = one(h['content-disposition']);
  if (cd) head.contentDisposition = cd;
  return head;
}

async function readText(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
