/**
 * The machine's own limit, for the "limit" benchmark: the least a Node process can do to move an
 * object — GET it from one local HTTP server and stream it as a PUT into another, keep-alive, N at
 * a time, optionally hashing every byte with CRC-64 on the way. No SDK, no signing, no state.
 * Run as a child process so its CPU time is its own: `node pipe.ts '<json>'`.
 */
import { Agent, request } from 'node:http';
import { Crc64 } from '../../runner/core/crc64.ts';

const o = JSON.parse(process.argv[2]!) as {
  src: string;
  dst: string;
  keys: string[];
  concurrency: number;
  crc: boolean;
};
const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency * 2 });

function copy(key: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const get = request(`${o.src}/${key}`, { agent }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`GET ${key}: ${res.statusCode}`));
      const crc = o.crc ? new Crc64() : undefined;
      const put = request(
        `${o.dst}/${key}`,
        {
          method: 'PUT',
          agent,
          headers: { 'content-length': res.headers['content-length'], ...(crc ? { 'x-crc': '1' } : {}) },
        },
        (ack) => {
          ack.resume();
          ack.on('end', () =>
            ack.statusCode === 200 && (!crc || crc.toString() === ack.headers['x-crc64'])
              ? resolve()
              : reject(new Error(`PUT ${key}: ${ack.statusCode} crc ${crc?.toString()}`)),
          );
        },
      );
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
  while (next < o.keys.length) await copy(o.keys[next++]!);
}
await Promise.all(Array.from({ length: Math.min(o.concurrency, o.keys.length) }, lane));
process.stdout.write(`${o.keys.length}\n`);
