/**
 * The machine's own limit, for the "limit" benchmark: the least a Node process can do to move an
 * object — GET it from one local HTTP server and stream it as a PUT into another, keep-alive, N at
 * a time, optionally hashing every byte with CRC-64 on the way. No SDK, no state.
 * Two kinds of peers:
 *   - bare servers (`src`/`dst` only): they answer at once with three headers — the raw limit;
 *   - the sandbox's COS and OSS emulators (`clouds`): the same servers ossmigrate talks to, so the
 *     GET and PUT carry the least they must to be accepted there — a COS q-sign signature and an
 *     OSS V1 signature, a dozen lines each, inline — and the CRC-64 is checked against the one
 *     OSS reports, as ossmigrate checks it.
 * Run as a child process so its CPU time is its own: `node pipe.ts '<json>'`.
 */
import { createHash, createHmac } from 'node:crypto';
import { Agent, request } from 'node:http';
import { Crc64 } from '../../runner/core/crc64.ts';

type Clouds = {
  cos: { endpoint: string; host: string; secretId: string; secretKey: string };
  oss: { endpoint: string; host: string; bucket: string; accessKeyId: string; accessKeySecret: string };
  /** Destination key prefix. */
  dstPrefix: string;
};

const o = JSON.parse(process.argv[2]!) as {
  src?: string;
  dst?: string;
  clouds?: Clouds;
  /** Keys `${keyPrefix}${i}` for i < count, i zero-padded to `pad` digits (argv cannot hold 10,000 keys). */
  keyPrefix: string;
  /** Or the keys themselves (a few), copied in this order; count and pad are then ignored. */
  keys?: string[];
  count: number;
  pad: number;
  concurrency: number;
  crc: boolean;
};
const keyAt = (i: number) => o.keys?.[i] ?? o.keyPrefix + String(i).padStart(o.pad, '0');
if (o.keys) o.count = o.keys.length;
const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency * 2 });
const hmac = (key: string, s: string, enc: 'hex' | 'base64') => createHmac('sha1', key).update(s).digest(enc);

/** COS q-sign over the Host header alone (keys here need no escaping). */
function cosAuth(c: Clouds['cos'], key: string): string {
  const now = Math.floor(Date.now() / 1000) - 1;
  const keyTime = `${now};${now + 900}`;
  const format = `get\n/${key}\n\nhost=${c.host}\n`;
  const digest = createHash('sha1').update(format).digest('hex');
  const signature = hmac(hmac(c.secretKey, keyTime, 'hex'), `sha1\n${keyTime}\n${digest}\n`, 'hex');
  return `q-sign-algorithm=sha1&q-ak=${c.secretId}&q-sign-time=${keyTime}&q-key-time=${keyTime}&q-header-list=host&q-url-param-list=&q-signature=${signature}`;
}

function target(key: string): {
  get: { url: string; headers: Record<string, string> };
  put: (length: string) => { url: string; headers: Record<string, string | undefined> };
  crcHeader: string;
} {
  const c = o.clouds;
  if (!c)
    return {
      get: { url: `${o.src}/${key}`, headers: {} },
      put: (length) => ({
        url: `${o.dst}/${key}`,
        headers: { 'content-length': length, ...(o.crc ? { 'x-crc': '1' } : {}) },
      }),
      crcHeader: 'x-crc64',
    };
  return {
    get: {
      url: `${c.cos.endpoint}/${key}`,
      headers: { host: c.cos.host, authorization: cosAuth(c.cos, key) },
    },
    put: (length) => {
      const dstKey = c.dstPrefix + key;
      const date = new Date().toUTCString();
      const type = 'application/octet-stream';
      const sig = hmac(
        c.oss.accessKeySecret,
        `PUT\n\n${type}\n${date}\n/${c.oss.bucket}/${dstKey}`,
        'base64',
      );
      return {
        url: `${c.oss.endpoint}/${dstKey}`,
        headers: {
          host: c.oss.host,
          date,
          'content-type': type,
          'content-length': length,
          authorization: `OSS ${c.oss.accessKeyId}:${sig}`,
        },
      };
    },
    crcHeader: 'x-oss-hash-crc64ecma',
  };
}

function copy(key: string): Promise<void> {
  const t = target(key);
  return new Promise((resolve, reject) => {
    const get = request(t.get.url, { agent, headers: t.get.headers }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`GET ${key}: ${res.statusCode}`));
      const crc = o.crc ? new Crc64() : undefined;
      const p = t.put(res.headers['content-length']!);
      const put = request(p.url, { method: 'PUT', agent, headers: p.headers }, (ack) => {
        ack.resume();
        ack.on('end', () =>
          ack.statusCode === 200 && (!crc || crc.toString() === ack.headers[t.crcHeader])
            ? resolve()
            : reject(new Error(`PUT ${key}: ${ack.statusCode} crc ${crc?.toString()}`)),
        );
      });
      put.on('error', reject);
      if (crc) res.on('data', (chunk: Buffer) => crc.update(chunk));
      res.pipe(put);
    });
    get.on('error', reject);
    get.end();
  });
}

let next = 0;
async function lane(): Promise<void> {
  while (next < o.count) await copy(keyAt(next++));
}
await Promise.all(Array.from({ length: Math.min(o.concurrency, o.count) }, lane));
process.stdout.write(`${o.count}\n`);
