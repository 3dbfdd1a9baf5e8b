/**
 * A plain web server for URL-list tests (node:http, random port): files by decoded path, with
 * what real servers do and do not do — Range, If-Match, If-Unmodified-Since, strong or weak or no
 * ETag, Content-MD5 or not, redirects, 404/410, a server that refuses HEAD, one that ignores
 * Range and preconditions.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ServedFile = {
  body: Buffer;
  mtime: Date;
  contentType?: string;
  /** 'md5' (strong, the body's MD5: what OSS/S3/CDN origins send), 'opaque' (nginx style), 'weak', 'none'. */
  etag?: 'md5' | 'opaque' | 'weak' | 'none';
  /** Send Content-MD5 (base64). */
  contentMd5?: boolean;
};

export type HttpListServerOptions = {
  /** Answer HEAD with 405 (some object gateways and CGI scripts). */
  noHead?: boolean;
  /** Ignore Range and the preconditions (a minimal static server). */
  simple?: boolean;
};

export type HttpListServer = {
  /** http://127.0.0.1:PORT */
  origin: string;
  files: Map<string, ServedFile>;
  /** path → where it redirects (a path on this server, or a full URL). */
  redirects: Map<string, { to: string; status: number }>;
  /** Paths answered 410 Gone. */
  gone: Set<string>;
  /** Requests seen (method + decoded path). */
  log: string[];
  put(path: string, body: Buffer | string, o?: Partial<Omit<ServedFile, 'body'>>): void;
  close(): Promise<void>;
};

function etagOf(f: ServedFile): string | undefined {
  const md5 = createHash('md5').update(f.body).digest('hex');
  switch (f.etag ?? 'md5') {
    case 'md5':
      return `"${md5}"`;
    case 'opaque':
      return `"${Math.floor(f.mtime.getTime() / 1000).toString(16)}-${f.body.length.toString(16)}"`;
    case 'weak':
      return `W/"${md5.slice(0, 8)}"`;
    default:
      return undefined;
  }
}

export async function startHttpListServer(o: HttpListServerOptions = {}): Promise<HttpListServer> {
  const files = new Map<string, ServedFile>();
  const redirects = new Map<string, { to: string; status: number }>();
  const gone = new Set<string>();
  const log: string[] = [];
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const raw = (req.url ?? '/').split('?')[0]!;
    let path: string;
    try {
      path = decodeURIComponent(raw);
    } catch {
      res.writeHead(400).end();
      return;
    }
    log.push(`${req.method} ${path}`);
    if (req.method === 'HEAD' && o.noHead) return void res.writeHead(405, { allow: 'GET' }).end();
    const r = redirects.get(path);
    if (r) return void res.writeHead(r.status, { location: r.to }).end();
    if (gone.has(path)) return void res.writeHead(410).end();
    const f = files.get(path);
    if (!f) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    const etag = etagOf(f);
    const headers: Record<string, string> = {
      'last-modified': f.mtime.toUTCString(),
      'accept-ranges': o.simple ? 'none' : 'bytes',
      'content-type': f.contentType ?? 'application/octet-stream',
      ...(etag ? { etag } : {}),
      ...(f.contentMd5 ? { 'content-md5': createHash('md5').update(f.body).digest('base64') } : {}),
    };
    if (!o.simple) {
      const im = req.headers['if-match'];
      if (im && (!etag || etag.startsWith('W/') || im !== etag)) return void res.writeHead(412).end();
      const ius = req.headers['if-unmodified-since'];
      if (ius && Math.floor(f.mtime.getTime() / 1000) > Math.floor(Date.parse(ius) / 1000))
        return void res.writeHead(412).end();
    }
    const range = o.simple ? undefined : /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), f.body.length - 1) : f.body.length - 1;
      if (start >= f.body.length)
        return void res.writeHead(416, { 'content-range': `bytes */${f.body.length}` }).end();
      const part = f.body.subarray(start, end + 1);
      res.writeHead(206, {
        ...headers,
        'content-range': `bytes ${start}-${end}/${f.body.length}`,
        'content-length': String(part.length),
      });
      return void res.end(req.method === 'HEAD' ? undefined : part);
    }
    res.writeHead(200, { ...headers, 'content-length': String(f.body.length) });
    res.end(req.method === 'HEAD' ? undefined : f.body);
  };
  const server = createServer(handle);
  server.keepAliveTimeout = 1000;
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    files,
    redirects,
    gone,
    log,
    put(path, body, x = {}) {
      files.set(path, {
        body: Buffer.isBuffer(body) ? body : Buffer.from(body),
        mtime: x.mtime ?? new Date(Date.now() - 3600_000),
        ...x,
      });
    },
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
