/**
 * The data path's HTTP transport: exchanges end by their deadline (body included) and when the
 * caller's signal aborts, without a timer or listener per request.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { HttpTransport } from '../../runner/adapters/http/transport.ts';

let server: Server;
let origin: string;
const seen: string[] = [];

async function text(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

before(async () => {
  server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.url === '/echo') {
      const body = await text(req);
      res.writeHead(200, { 'X-Got': String(body.length), ETag: '"abc"' });
      res.end(body.toUpperCase());
    } else if (req.url === '/trickle') {
      res.writeHead(200, { 'content-length': '100' });
      const t = setInterval(() => res.write('x'), 100);
      res.on('close', () => clearInterval(t));
    } else if (req.url === '/silent') {
      // never answers
    } else {
      res.writeHead(404).end('no');
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

describe('HttpTransport', () => {
  it('sends Buffer and stream bodies and returns status, lower-case headers and the body', async () => {
    const http = new HttpTransport(origin);
    const a = await http.request({
      method: 'PUT',
      path: '/echo',
      headers: { 'content-length': '5' },
      body: Buffer.from('hello'),
      timeoutMs: 5000,
    });
    assert.equal(a.status, 200);
    assert.equal(a.headers['x-got'], '5');
    assert.equal(a.headers.etag, '"abc"');
    assert.equal(await text(a.body), 'HELLO');
    const b = await http.request({
      method: 'PUT',
      path: '/echo',
      headers: { 'content-length': '6' },
      body: Readable.from([Buffer.from('abc'), Buffer.from('def')]),
      timeoutMs: 5000,
    });
    assert.equal(await text(b.body), 'ABCDEF');
    const c = await http.request({ method: 'GET', path: '/missing', headers: {}, timeoutMs: 5000 });
    assert.equal(c.status, 404);
    assert.equal(await text(c.body), 'no');
    await http.close();
  });

  it('ends an exchange whose body is still flowing at its deadline (ETIMEDOUT)', async () => {
    const http = new HttpTransport(origin);
    const started = Date.now();
    const res = await http.request({ method: 'GET', path: '/trickle', headers: {}, timeoutMs: 1200 });
    assert.equal(res.status, 200);
    await assert.rejects(text(res.body), (e: Error & { code?: string }) => e.code === 'ETIMEDOUT');
    const took = Date.now() - started;
    // The deadline is swept once a second: it fires between 1.2 and ~2.2 s, never at the 10 s end.
    assert.ok(took >= 1200 && took < 5000, `took ${took} ms`);
    await http.close();
  });

  it("stops a request waiting for its answer as soon as the caller's signal aborts", async () => {
    const http = new HttpTransport(origin);
    const ac = new AbortController();
    const reason = Object.assign(new Error('stopped by the operator'), { code: 'STOPPED' });
    setTimeout(() => ac.abort(reason), 100);
    const started = Date.now();
    await assert.rejects(
      http.request({ method: 'GET', path: '/silent', headers: {}, timeoutMs: 60_000, signal: ac.signal }),
      (e: Error) => e === reason,
    );
    assert.ok(Date.now() - started < 900, 'aborted at once, not at the next sweep');
    await http.close();
  });

  it('sends nothing when the signal is already aborted', async () => {
    const http = new HttpTransport(origin);
    const before = seen.length;
    const ac = new AbortController();
    ac.abort(new Error('already'));
    await assert.rejects(
      http.request({ method: 'GET', path: '/echo', headers: {}, timeoutMs: 5000, signal: ac.signal }),
      /already/,
    );
    assert.equal(seen.length, before);
    await http.close();
  });
});
