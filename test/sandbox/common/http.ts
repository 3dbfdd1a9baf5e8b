/** HTTP plumbing shared by the emulators: raw query parsing, server lifecycle, body streaming with faults. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Readable } from 'node:stream';

/**
 * Parse a raw query string keeping what signatures care about: order, and whether a value was
 * present (`k` → undefined, `k=` → ''). `+` is NOT a space here (both SDKs send %20).
 */
export function parseQuery(raw: string): Array<[string, string | undefined]> {
  if (!raw) return [];
  return raw
    .split('&')
    .filter((p) => p.length > 0)
    .map((p) => {
      const eq = p.indexOf('=');
      return eq < 0 ? [decode(p), undefined] : [decode(p.slice(0, eq)), decode(p.slice(eq + 1))];
    });
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Query parameters as a map (first occurrence wins); values of bare keys are ''. */
export function queryMap(raw: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of parseQuery(raw)) if (!m.has(k)) m.set(k, v ?? '');
  return m;
}

/** Split a raw request target into its undecoded path and query. */
export function splitTarget(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  return q >= 0 ? { path: url.slice(0, q), query: url.slice(q + 1) } : { path: url, query: '' };
}

/** Percent-decode a path as the services do; undefined when it is not valid UTF-8 once decoded. */
export function decodePath(raw: string): string | undefined {
  try {
    // decodeURIComponent throws URIError on malformed UTF-8 sequences.
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

export type Listening = { server: Server; port: number; host: string; close(): Promise<void> };

/** Start an HTTP server on a free port (keep-alive, no request timeout: multi-GB bodies are fine). */
export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  opts: { port?: number; host?: string } = {},
): Promise<Listening> {
  const host = opts.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const server = createServer({ keepAlive: true, requestTimeout: 0, headersTimeout: 60_000 }, handler);
  server.keepAliveTimeout = 30_000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    host,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}

/** Wrap a request body so the bytes received are counted (and, `corruptAt`, one bit flipped there). */
export function countBytes(
  req: IncomingMessage,
  counter: { bytesIn: number },
  corruptAt?: number,
): AsyncIterable<Uint8Array> {
  return (async function* () {
    let at = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      counter.bytesIn += chunk.length;
      const i = corruptAt === undefined ? -1 : corruptAt - at;
      at += chunk.length;
      yield i >= 0 && i < chunk.length ? flipped(chunk, i) : chunk;
    }
  })();
}

/** A copy of `chunk` with the low bit of byte `i` flipped (the original may be a stored blob). */
export function flipped(chunk: Buffer, i: number): Buffer {
  const out = Buffer.from(chunk);
  out[i]! ^= 1;
  return out;
}

/** Drain and discard a request body (error responses must still consume it for keep-alive). */
export async function drain(req: IncomingMessage): Promise<void> {
  if (req.readableEnded) return;
  req.resume();
  await new Promise<void>((resolve) => {
    req.once('end', resolve);
    req.once('close', resolve);
    req.once('error', () => resolve());
  });
}

/**
 * Pipe a body to the response, counting bytes out. When `midBody` is set, `midBody.action()` runs
 * once after `midBody.afterBytes` bytes were written: it can return 'reset' to cut the
 * connection there (a reset mid-body), 'corrupt' to flip a bit of the next byte sent, or
 * 'continue' (e.g. after rewriting or deleting the object).
 */
export async function sendBody(
  res: ServerResponse,
  body: Readable,
  counter: { bytesOut: number },
  midBody?: { afterBytes: number; action: () => 'reset' | 'corrupt' | 'continue' },
): Promise<void> {
  let fired = false;
  let corrupt = false;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      let piece = chunk;
      if (midBody && !fired && counter.bytesOut + piece.length >= midBody.afterBytes) {
        const head = piece.subarray(0, Math.max(0, midBody.afterBytes - counter.bytesOut));
        if (head.length > 0 && !(await write(res, head, counter))) return;
        fired = true;
        const action = midBody.action();
        if (action === 'reset') {
          res.socket?.destroy();
          body.destroy();
          return;
        }
        corrupt = action === 'corrupt';
        piece = piece.subarray(head.length);
      }
      if (corrupt && piece.length > 0) {
        piece = flipped(piece, 0);
        corrupt = false;
      }
      if (piece.length > 0 && !(await write(res, piece, counter))) {
        body.destroy();
        return;
      }
    }
    res.end();
  } catch {
    res.socket?.destroy();
  }
}

function write(res: ServerResponse, chunk: Buffer, counter: { bytesOut: number }): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  counter.bytesOut += chunk.length;
  if (res.write(chunk)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onDrain = () => {
      res.off('close', onClose);
      resolve(true);
    };
    const onClose = () => {
      res.off('drain', onDrain);
      resolve(false);
    };
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}

/** RFC 1123 date as HTTP headers carry it. */
export function httpDate(d: Date): string {
  return d.toUTCString();
}

/**
 * Parse a single `Range: bytes=a-b` header against an object size.
 * Returns the [start, end) window, 'invalid' when syntactically wrong or unsatisfiable, or
 * undefined when there is no range header.
 */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | 'invalid' | undefined {
  if (header === undefined || header === '') return undefined;
  const m = /^bytes=(\d*)-(\d*)(?:,.*)?$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'invalid';
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'invalid';
    return { start: Math.max(0, size - suffix), end: size };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || last < start) return 'invalid';
  return { start, end: last + 1 };
}
