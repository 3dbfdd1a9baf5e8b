/**
 * A real redis-server for tests: random port, temp dir, AOF on (so a restart keeps the queue),
 * `maxmemory-policy noeviction` as BullMQ requires. Restart keeps the port and the dir.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** `$REDIS_SERVER`, else the first redis-server on PATH (Debian's is /usr/bin, others differ). */
export function redisServerPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.REDIS_SERVER) return env.REDIS_SERVER;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      accessSync(join(dir, 'redis-server'), constants.X_OK);
      return join(dir, 'redis-server');
    } catch {}
  }
  throw new Error(
    'redis-server is not on PATH (the fleet tests run a real one): install it — apt-get install -y --no-install-recommends redis-server; `npm test` does this itself when run as root — or set REDIS_SERVER=/path/to/redis-server',
  );
}

export type TestRedis = {
  port: number;
  dir: string;
  /** redis://127.0.0.1:<port>/0 (with the password when one was set). */
  url: string;
  /** Kill (SIGKILL: AOF everysec may lose the last second) or shut down cleanly, then start again. */
  restart(o?: { kill?: boolean; downMs?: number }): Promise<void>;
  stop(o?: { kill?: boolean }): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
};

/** A CA and a server certificate for localhost / 127.0.0.1 (openssl), for TLS tests. */
export async function makeTlsFiles(dir: string): Promise<RedisTls> {
  const { execFileSync } = await import('node:child_process');
  const { writeFile } = await import('node:fs/promises');
  const f = (n: string) => join(dir, n);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=ossmigrate-test-ca',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
  ]);
  run([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    f('server.key'),
    '-out',
    f('server.csr'),
  ]);
  await writeFile(f('ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run([
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    f('ext.cnf'),
    '-out',
    f('server.crt'),
  ]);
  return { cert: f('server.crt'), key: f('server.key'), ca: f('ca.crt') };
}

/** A port nobody listens on right now (never 6379). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const a = srv.address();
        srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
      });
    });
    if (port !== 6379 && port > 0) return port;
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export type RedisTls = { cert: string; key: string; ca: string };

export async function startRedis(
  o: { password?: string; maxmemoryPolicy?: string; port?: number; tls?: RedisTls } = {},
): Promise<TestRedis> {
  const bin = redisServerPath();
  const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-redis-'));
  const port = o.port ?? (await freePort());
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let log = '';

  const start = async () => {
    const args = [
      ...(o.tls
        ? [
            '--port',
            '0',
            '--tls-port',
            String(port),
            '--tls-cert-file',
            o.tls.cert,
            '--tls-key-file',
            o.tls.key,
            '--tls-ca-cert-file',
            o.tls.ca,
            '--tls-auth-clients',
            'no',
          ]
        : ['--port', String(port)]),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--maxmemory-policy',
      o.maxmemoryPolicy ?? 'noeviction',
      '--save',
      '',
      '--daemonize',
      'no',
      ...(o.password ? ['--requirepass', o.password] : []),
    ];
    const c = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    // Without a listener a failed spawn (ENOENT, EACCES) is an uncaught 'error' that kills the
    // test file with a native assertion and no hint; with one, start() rejects with the fix.
    let spawnError: Error | undefined;
    c.once('error', (e) => {
      spawnError = e;
    });
    c.stdout!.on('data', (d: Buffer) => {
      log = (log + d.toString()).slice(-4000);
    });
    c.stderr!.on('data', (d: Buffer) => {
      log = (log + d.toString()).slice(-4000);
    });
    exited = new Promise((resolve) => {
      c.once('exit', () => resolve());
      c.once('error', () => resolve());
    });
    for (let i = 0; i < 200; i++) {
      if (spawnError) {
        child = undefined;
        throw new Error(
          `cannot start ${bin}: ${spawnError.message} — ${process.env.REDIS_SERVER ? 'REDIS_SERVER must name a redis-server binary (or unset it to use the one on PATH)' : 'install redis-server (apt-get install -y --no-install-recommends redis-server) or set REDIS_SERVER'}`,
        );
      }
      if (c.exitCode !== null) throw new Error(`redis-server exited: ${log}`);
      if (await canConnect(port)) return;
      await sleep(25);
    }
    throw new Error(`redis-server did not start on ${port}: ${log}`);
  };

  const stop = async (s: { kill?: boolean } = {}) => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    c.kill(s.kill ? 'SIGKILL' : 'SIGTERM');
    await exited;
    child = undefined;
  };

  try {
    await start();
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const auth = o.password ? `:${encodeURIComponent(o.password)}@` : '';
  return {
    port,
    dir,
    url: o.tls ? `rediss://${auth}localhost:${port}/0` : `redis://${auth}127.0.0.1:${port}/0`,
    start,
    stop,
    async restart(r = {}) {
      await stop(r);
      if (r.downMs) await sleep(r.downMs);
      await start();
    },
    async close() {
      await stop({ kill: true });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
