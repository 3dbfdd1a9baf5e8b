/**
 * A local UpYun (又拍云) REST API for tests, written from UpYun's published documents (see
 * README.md): signed requests, folder listings paged with x-list-iter, HEAD file info, ranged
 * GETs, `?usage`, and the faults a migration meets (wrong password, throttling, a rewrite).
 * Random port; one process, in memory.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const LIST_END = 'g2gCZAAEbmV4dGQAA2VvZg';

export type UpyunFile = { body: Buffer; mtime: Date; contentType: string; meta: Record<string, string> };

export type UpyunFault = {
  op: 'list' | 'head' | 'get' | 'usage' | '*';
  kind: 'throttle' | 'error' | 'rewrite';
  times: number;
  /** throttle: seconds in Retry-After. */
  retryAfterSeconds?: number;
};

export type UpyunEmulator = {
  endpoint: string;
  /** service → files by key (folders are implied by the keys, plus `folders`). */
  services: Map<string, Map<string, UpyunFile>>;
  faults: UpyunFault[];
  /** Requests seen: `METHOD /service/path` (decoded). */
  log: string[];
  /** Server clock = real clock + this. */
  clockSkewMs: number;
  createService(name: string): void;
  seed(service: string, key: string, body: Buffer | string, o?: Partial<Omit<UpyunFile, 'body'>>): void;
  close(): Promise<void>;
};

/** The documented signature: Base64(HMAC-SHA1(MD5(password), METHOD&URI&Date[&Content-MD5])). */
export function sign(password: string, method: string, uri: string, date: string, md5?: string): string {
  const key = createHash('md5').update(password).digest('hex');
  return createHmac('sha1', key)
    .update([method, uri, date, ...(md5 ? [md5] : [])].join('&'))
    .digest('base64');
}

/** UpYun's error body: JSON {msg, code, id}. */
function fail(
  res: ServerResponse,
  status: number,
  code: number,
  msg: string,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ msg, code, id: createHash('md5').update(String(Math.random())).digest('hex') }));
}

export async function startUpyunEmulator(o: {
  operators: Record<string, string>;
  pageLimitMax?: number;
}): Promise<UpyunEmulator> {
  const services = new Map<string, Map<string, UpyunFile>>();
  const faults: UpyunFault[] = [];
  const log: string[] = [];
  const emu = { clockSkewMs: 0 };
  const fault = (op: UpyunFault['op']) => {
    const f = faults.find((x) => (x.op === op || x.op === '*') && x.times > 0);
    if (f) f.times--;
    return f;
  };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const now = Date.now() + emu.clockSkewMs;
    res.setHeader('date', new Date(now).toUTCString());
    res.setHeader('server', 'upyun-emulator');
    const [rawPath, query = ''] = (req.url ?? '/').split('?');
    const uri = rawPath!;
    let path: string;
    try {
      path = decodeURIComponent(uri);
    } catch {
      return fail(res, 400, 40000001, 'bad request uri');
    }
    log.push(`${req.method} ${path}${query ? `?${query}` : ''}`);
    // Authentication: "UPYUN operator:signature" over METHOD&URI&Date (URI as sent, without query).
    const auth = /^UPYUN ([^:]+):(.+)$/i.exec(req.headers.authorization ?? '');
    const date = req.headers.date ?? '';
    if (!auth) return fail(res, 401, 40100002, 'need authorization');
    const password = o.operators[auth[1]!];
    const expected = password === undefined ? '' : sign(password, req.method ?? '', uri, date);
    const given = Buffer.from(auth[2]!);
    if (!expected || given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected)))
      return fail(res, 401, 40100005, 'signature error');
    const at = Date.parse(date);
    if (Number.isNaN(at) || Math.abs(now - at) > 30 * 60_000)
      return fail(res, 401, 40100017, 'date offset error');
    const slash = path.indexOf('/', 1);
    const service = slash < 0 ? path.slice(1) : path.slice(1, slash);
    const key = slash < 0 ? '' : path.slice(slash + 1);
    const files = services.get(service);
    if (!files) return fail(res, 404, 40400001, 'service not found');
    const isFolder =
      key === '' || key.endsWith('/') || [...files.keys()].some((k) => k.startsWith(`${key}/`));
    const op: UpyunFault['op'] =
      query === 'usage' ? 'usage' : req.method === 'HEAD' ? 'head' : isFolder ? 'list' : 'get';
    const f = fault(op);
    if (f?.kind === 'throttle')
      return fail(
        res,
        429,
        42900002,
        'too many requests',
        f.retryAfterSeconds ? { 'retry-after': String(f.retryAfterSeconds) } : {},
      );
    if (f?.kind === 'error') return fail(res, 500, 50000000, 'internal error');
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(res, 405, 40500001, 'method not allowed');
    if (query === 'usage') {
      let total = 0;
      for (const v of files.values()) total += v.body.length;
      return void res.writeHead(200, { 'content-type': 'text/plain' }).end(String(total));
    }
    if (isFolder) {
      const dir = key === '' || key.endsWith('/') ? key : `${key}/`;
      if (req.method === 'HEAD')
        return void res.writeHead(200, { 'x-upyun-file-type': 'folder', 'x-upyun-file-date': '0' }).end();
      // One level: files directly in `dir`, and sub-folders (size 0), newest first as UpYun's default.
      const names = new Map<string, { type: 'N' | 'F'; size: number; time: number }>();
      for (const [k, v] of files) {
        if (!k.startsWith(dir)) continue;
        const rest = k.slice(dir.length);
        const i = rest.indexOf('/');
        const t = Math.floor(v.mtime.getTime() / 1000);
        if (i < 0) names.set(rest, { type: 'N', size: v.body.length, time: t });
        else if (!names.has(rest.slice(0, i))) names.set(rest.slice(0, i), { type: 'F', size: 0, time: t });
      }
      if (names.size === 0 && dir !== '') return fail(res, 404, 40400001, 'file or directory not found');
      const order = String(req.headers['x-list-order'] ?? 'desc');
      const all = [...names].sort((a, b) =>
        order === 'asc' ? a[1].time - b[1].time : b[1].time - a[1].time,
      );
      const limit = Math.min(Number(req.headers['x-list-limit'] ?? 100) || 100, o.pageLimitMax ?? 10_000);
      const iter = String(req.headers['x-list-iter'] ?? '');
      const start = iter ? Number(Buffer.from(iter, 'base64').toString()) : 0;
      const page = all.slice(start, start + limit);
      const next =
        start + limit >= all.length ? LIST_END : Buffer.from(String(start + limit)).toString('base64');
      res.writeHead(200, { 'content-type': 'text/plain', 'x-upyun-list-iter': next });
      return void res.end(page.map(([n, e]) => `${n}\t${e.type}\t${e.size}\t${e.time}`).join('\n'));
    }
    const file = files.get(key);
    if (!file) return fail(res, 404, 40400001, 'file or directory not found');
    const md5 = createHash('md5').update(file.body).digest('hex');
    const common: Record<string, string> = {
      'content-type': file.contentType,
      'last-modified': file.mtime.toUTCString(),
      'x-upyun-file-type': 'file',
      'x-upyun-file-size': String(file.body.length),
      'x-upyun-file-date': String(Math.floor(file.mtime.getTime() / 1000)),
      ...Object.fromEntries(Object.entries(file.meta).map(([k, v]) => [`x-upyun-meta-${k}`, v])),
    };
    if (req.method === 'HEAD') return void res.writeHead(200, { ...common, 'content-md5': md5 }).end();
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    let body = file.body;
    let status = 200;
    const h: Record<string, string> = { ...common, etag: `"${md5}"`, 'accept-ranges': 'bytes' };
    if (range) {
      const s = Number(range[1]);
      const e = range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
      if (s >= body.length) return fail(res, 416, 41600001, 'range not satisfiable');
      body = body.subarray(s, e + 1);
      status = 206;
      h['content-range'] = `bytes ${s}-${e}/${file.body.length}`;
    }
    res.writeHead(status, { ...h, 'content-length': String(body.length) });
    if (f?.kind === 'rewrite') {
      // Half the body, then the file is replaced: the client sees a short or changed object.
      res.write(body.subarray(0, body.length >> 1));
      files.set(key, { ...file, body: Buffer.alloc(file.body.length, 0x78), mtime: new Date(now + 1000) });
      return void res.destroy();
    }
    res.end(body);
  };
  const server = createServer(handle);
  server.keepAliveTimeout = 1000;
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return Object.assign(emu, {
    endpoint: `http://127.0.0.1:${port}`,
    services,
    faults,
    log,
    createService(name: string) {
      if (!services.has(name)) services.set(name, new Map());
    },
    seed(service: string, key: string, body: Buffer | string, x: Partial<Omit<UpyunFile, 'body'>> = {}) {
      let s = services.get(service);
      if (!s) services.set(service, (s = new Map()));
      s.set(key, {
        body: Buffer.isBuffer(body) ? body : Buffer.from(body),
        mtime: x.mtime ?? new Date(Date.now() - 3600_000),
        contentType: x.contentType ?? 'application/octet-stream',
        meta: x.meta ?? {},
      });
    },
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  });
}
