/**
 * Connecting to the fleet's Redis (ApsaraDB for Redis in the cloud, redis-server locally).
 *   redis://[user][:password]@host[:port][/db]     rediss:// for TLS
 * The password is a secret: prefer OSSMIGRATE_REDIS_PASSWORD (it overrides the URL's), and every
 * message shows the URL masked. TLS: OSSMIGRATE_REDIS_CA_FILE (PEM) adds a CA; the server name is
 * the URL's host. The client reconnects with capped exponential backoff and queues commands while
 * Redis is away (maxRetriesPerRequest: null, as BullMQ requires), so a Redis restart pauses the
 * fleet instead of failing its tasks.
 */
import { readFileSync } from 'node:fs';
import type { Redis, RedisOptions } from 'ioredis';
import { ConfigError } from '../../core/errors.ts';

export const REDIS_ENV = {
  url: 'OSSMIGRATE_REDIS_URL',
  password: 'OSSMIGRATE_REDIS_PASSWORD',
  username: 'OSSMIGRATE_REDIS_USERNAME',
  caFile: 'OSSMIGRATE_REDIS_CA_FILE',
} as const;

/**
 * What the environment adds to a queue URL (REDIS_ENV names the variables). Read by the entry
 * points (runner/cli, runner/worker) and handed down: adapters read no environment.
 */
export type RedisAuth = {
  /** OSSMIGRATE_REDIS_PASSWORD: overrides the URL's. */
  password?: string;
  /** OSSMIGRATE_REDIS_USERNAME: overrides the URL's. */
  username?: string;
  /** OSSMIGRATE_REDIS_CA_FILE: a PEM CA for rediss://. */
  caFile?: string;
};

export type RedisTarget = {
  /** The URL with any password masked: safe to print. */
  display: string;
  options: RedisOptions;
  /** The password in use (to scrub from logs), if any. */
  password?: string;
};

/** The URL with its password (and only that) replaced by ***. Works on unparsable text too. */
export function maskRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    // Not a URL: hide whatever sits between "//" and "@".
    return url.replace(
      /\/\/([^@/]*)@/,
      (_m, cred: string) => `//${cred.includes(':') ? `${cred.split(':')[0]}:***` : '***'}@`,
    );
  }
}

/** Replace every Redis URL in a text by its masked form (error messages from libraries). */
export function maskRedisUrls(text: string): string {
  return text.replace(/rediss?:\/\/[^\s'"]+/g, (u) => maskRedisUrl(u));
}

/**
 * A URL given as a command-line flag must not carry a password: process arguments are visible
 * to every user of the machine (ps, /proc). The environment and job files are fine.
 */
export function refusePasswordInArgv(url: string | undefined, flag: string): void {
  if (url === undefined) return;
  let password = '';
  try {
    password = new URL(url).password;
  } catch {
    return; // parseRedisUrl reports unparsable URLs (without echoing them)
  }
  if (password) {
    throw new ConfigError(
      `${flag} carries a password, and command-line arguments are visible to every user of this machine`,
      `pass ${flag} without the password and put it in ${REDIS_ENV.password} (or use ${REDIS_ENV.url})`,
    );
  }
}

export function parseRedisUrl(url: string, auth: RedisAuth = {}): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(
      'the queue URL is not a URL (not shown: it may hold a password)',
      'use redis://host:6379/0 or rediss://host:6380/0 (TLS); put the password in OSSMIGRATE_REDIS_PASSWORD',
    );
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new ConfigError(
      `"${maskRedisUrl(url)}" is not a Redis URL (scheme ${u.protocol})`,
      'use redis://host:6379/0 or rediss://host:6380/0 (TLS)',
    );
  }
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!host) throw new ConfigError(`"${maskRedisUrl(url)}" names no host`, 'e.g. redis://10.0.0.5:6379/0');
  const port = u.port ? Number(u.port) : 6379;
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0)
    throw new ConfigError(`"${maskRedisUrl(url)}": "${dbText}" is not a database number`, 'e.g. …:6379/0');
  const password = auth.password || (u.password ? decodeURIComponent(u.password) : undefined);
  const username = auth.username || (u.username ? decodeURIComponent(u.username) : undefined);
  const options: RedisOptions = { host, port, db };
  if (password) options.password = password;
  if (username) options.username = username;
  if (u.protocol === 'rediss:') {
    const caFile = auth.caFile;
    let ca: Buffer | undefined;
    if (caFile) {
      try {
        ca = readFileSync(caFile);
      } catch (e) {
        throw new ConfigError(
          `${REDIS_ENV.caFile}=${caFile}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
          'point it at the PEM file of the CA that signed the Redis certificate',
        );
      }
    }
    options.tls = { servername: host, ...(ca ? { ca } : {}) };
  }
  const user = username ? encodeURIComponent(username) : '';
  const display = `${u.protocol}//${user}${password ? ':***' : ''}${user || password ? '@' : ''}${u.hostname}:${port}/${db}`;
  return { display, options, ...(password ? { password } : {}) };
}

/**
 * Backoff for reconnects: 100 ms doubling to 2 s (a restarted Redis is back in seconds, and the
 * leases of running tasks are ticking), with jitter so a fleet does not reconnect in step.
 */
export function reconnectDelay(times: number): number {
  const base = Math.min(2000, 100 * 2 ** Math.min(times, 5));
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

export type ConnectOptions = {
  /** CLIENT SETNAME, shown by CLIENT LIST (e.g. ossmigrate-worker:host:pid). */
  name?: string;
  /**
   * Fail if Redis cannot be reached within this time (CLI commands); undefined waits forever
   * (a worker service waits for Redis to come up).
   */
  readyTimeoutMs?: number;
  onRetry?: (attempt: number, err: Error | undefined) => void;
  /** Give up (disconnect, reject) when this aborts: a worker told to stop while Redis is away. */
  signal?: AbortSignal;
};

/** A client BullMQ can share: commands wait across reconnects instead of failing. */
export function redisOptions(target: RedisTarget, o: ConnectOptions = {}): RedisOptions {
  return {
    ...target.options,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectTimeout: 10_000,
    lazyConnect: true,
    ...(o.name ? { connectionName: o.name.replace(/[^\w.:-]/g, '_') } : {}),
    retryStrategy: (times) => {
      o.onRetry?.(times, undefined);
      return reconnectDelay(times);
    },
    // A failover leaves clients on a replica: reconnect to the new primary.
    reconnectOnError: (err) => /READONLY|LOADING/.test(err.message),
  };
}

/**
 * Connect and wait until ready. A refused password fails at once; an unreachable Redis fails
 * after readyTimeoutMs (CLI commands) or is waited for (undefined: a worker service).
 */
export async function connectRedis(target: RedisTarget, o: ConnectOptions = {}): Promise<Redis> {
  let lastError: Error | undefined;
  // Loaded on first connection: the URL helpers above serve commands that never connect.
  // ioredis is CommonJS: the bundle's interop exposes its class as the default, tsx as `Redis`.
  const mod = (await import('ioredis')) as unknown as {
    Redis?: typeof import('ioredis').Redis;
    default: unknown;
  };
  const Redis = (mod.Redis ?? mod.default) as typeof import('ioredis').Redis;
  const redis = new Redis(redisOptions(target, { ...o, onRetry: (n) => o.onRetry?.(n, lastError) }));
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      redis.once('ready', () => resolve());
      redis.on('error', (e: Error) => {
        lastError = e;
        if (isAuthError(e)) reject(redisUnreachable(target, e));
      });
      if (o.readyTimeoutMs !== undefined)
        timer = setTimeout(() => reject(redisUnreachable(target, lastError)), o.readyTimeoutMs);
      if (o.signal?.aborted) reject(new Error('aborted'));
      o.signal?.addEventListener('abort', () => reject(o.signal?.reason ?? new Error('aborted')), {
        once: true,
      });
      redis.connect().catch(() => {});
    });
  } catch (e) {
    redis.disconnect();
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return redis;
}

export function redisUnreachable(target: RedisTarget, err: Error | undefined): ConfigError {
  const msg = err ? maskRedisUrls(err.message) : 'no answer';
  if (/NOAUTH|WRONGPASS|invalid password|invalid username-password/i.test(msg)) {
    return new ConfigError(
      `Redis at ${target.display} refused the credentials (${msg})`,
      `set the password in ${REDIS_ENV.password} (or in the URL); ApsaraDB accounts are user:password`,
    );
  }
  return new ConfigError(
    `cannot reach Redis at ${target.display}: ${msg}`,
    'check --queue / OSSMIGRATE_REDIS_URL, that Redis runs, and its whitelist (ApsaraDB: add this host)',
  );
}

/**
 * BullMQ loses jobs if Redis evicts keys under memory pressure. Read the policy from INFO (CONFIG
 * is often disabled on managed Redis) and refuse anything but noeviction.
 */
export async function checkEvictionPolicy(redis: Redis, display: string): Promise<void> {
  const info = await redis.info('memory');
  const m = /maxmemory_policy:(\S+)/.exec(info);
  const policy = m?.[1];
  if (policy !== undefined && policy !== 'noeviction') {
    throw new ConfigError(
      `Redis at ${display} has maxmemory-policy ${policy}: it may evict queued tasks under memory pressure`,
      'set maxmemory-policy to noeviction (redis-cli CONFIG SET maxmemory-policy noeviction; ApsaraDB: instance parameters)',
    );
  }
}

/** Fail fast on a bad password instead of retrying forever. */
export function isAuthError(err: unknown): boolean {
  return /NOAUTH|WRONGPASS|invalid password|invalid username-password/i.test((err as Error)?.message ?? '');
}
