/**
 * Connecting to the fleet's Redis: URL parsing and masking (a password never shows), password from
 * the environment, TLS with a private CA, refusing an evicting Redis, and riding out a restart.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectFleet } from '../../runner/adapters/queue/fleetConnection.ts';
import {
  checkEvictionPolicy,
  connectRedis,
  maskRedisUrl,
  maskRedisUrls,
  parseRedisUrl,
} from '../../runner/adapters/queue/redisConnection.ts';
import { readEnvironment } from '../../runner/config/environment.ts';
import { ConfigError } from '../../runner/core/errors.ts';
import { startCli } from '../helpers/cli.ts';
import { makeTlsFiles, startRedis, type TestRedis } from '../helpers/redis.ts';

describe('Redis URLs', () => {
  it('masks the password and only the password', () => {
    assert.equal(maskRedisUrl('redis://:s3cr%40t@10.0.0.5:6379/0'), 'redis://:***@10.0.0.5:6379/0');
    assert.equal(
      maskRedisUrl('rediss://admin:pw@r-bp1.redis.rds.aliyuncs.com:6380/2'),
      'rediss://admin:***@r-bp1.redis.rds.aliyuncs.com:6380/2',
    );
    assert.equal(maskRedisUrl('redis://10.0.0.5:6379/0'), 'redis://10.0.0.5:6379/0');
    assert.equal(maskRedisUrl('redis://u:p@bad host'), 'redis://u:***@bad host');
    assert.equal(
      maskRedisUrls('connect ECONNREFUSED redis://:hunter2@h:1/0 and rediss://x:y@z:2/1.'),
      'connect ECONNREFUSED redis://:***@h:1/0 and rediss://x:***@z:2/1.',
    );
  });

  it('parses host, port, db, user and password; the environment password wins', () => {
    const t = parseRedisUrl('redis://:p%40ss@10.0.0.5:6380/3', {});
    assert.deepEqual(
      { host: t.options.host, port: t.options.port, db: t.options.db, password: t.options.password },
      { host: '10.0.0.5', port: 6380, db: 3, password: 'p@ss' },
    );
    assert.equal(t.display, 'redis://:***@10.0.0.5:6380/3');
    assert.ok(!t.display.includes('p@ss') && !t.display.includes('p%40ss'));
    const e = parseRedisUrl(
      'redis://10.0.0.5/0',
      readEnvironment({ OSSMIGRATE_REDIS_PASSWORD: 'from-env', OSSMIGRATE_REDIS_USERNAME: 'acct' }).redis,
    );
    assert.equal(e.options.password, 'from-env');
    assert.equal(e.options.username, 'acct');
    assert.equal(e.options.port, 6379);
    assert.equal(e.password, 'from-env');
    assert.equal(e.display, 'redis://acct:***@10.0.0.5:6379/0');
    const s = parseRedisUrl('rediss://h.example:6380', {});
    assert.deepEqual(s.options.tls, { servername: 'h.example' });
  });

  it('refuses what is not a Redis URL, without echoing a password', () => {
    for (const bad of ['http://u:pw@h:1/0', 'redis://:pw@h:1/x', 'not a url :pw@']) {
      assert.throws(
        () => parseRedisUrl(bad, {}),
        (e: unknown) => e instanceof ConfigError && !e.message.includes('pw@') && !e.message.includes(':pw'),
      );
    }
    assert.throws(
      () =>
        parseRedisUrl(
          'rediss://h:1/0',
          readEnvironment({ OSSMIGRATE_REDIS_CA_FILE: '/nonexistent/ca.pem' }).redis,
        ),
      /OSSMIGRATE_REDIS_CA_FILE/,
    );
  });
});

describe('Redis connections', () => {
  let dir: string;
  const servers: TestRedis[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ossmigrate-redis-test-'));
  });
  after(async () => {
    for (const s of servers) await s.close();
    await rm(dir, { recursive: true, force: true });
  });
  const start = async (o: Parameters<typeof startRedis>[0] = {}) => {
    const s = await startRedis(o);
    servers.push(s);
    return s;
  };

  it('authenticates with OSSMIGRATE_REDIS_PASSWORD and fails fast, masked, on a wrong one', async () => {
    const s = await start({ password: 'right-horse-battery' });
    const url = `redis://127.0.0.1:${s.port}/0`;
    const ok = await connectFleet(url, {
      auth: readEnvironment({ OSSMIGRATE_REDIS_PASSWORD: 'right-horse-battery' }).redis,
    });
    assert.equal(await ok.redis.ping(), 'PONG');
    await ok.close();
    const t0 = Date.now();
    await assert.rejects(
      connectFleet(`redis://:wrong-staple@127.0.0.1:${s.port}/0`, { readyTimeoutMs: 20_000 }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /refused the credentials/.test(e.message) &&
        !e.message.includes('wrong-staple') &&
        /OSSMIGRATE_REDIS_PASSWORD/.test(e.fix ?? ''),
    );
    assert.ok(Date.now() - t0 < 10_000, 'a wrong password is not retried until the timeout');
  });

  it('says clearly when Redis cannot be reached', async () => {
    await assert.rejects(
      connectFleet('redis://:pw-not-shown@127.0.0.1:1/0', { readyTimeoutMs: 500 }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /cannot reach Redis/.test(e.message) &&
        !e.message.includes('pw-not-shown'),
    );
  });

  it('refuses a Redis that may evict keys', async () => {
    const s = await start({ maxmemoryPolicy: 'allkeys-lru' });
    const redis = await connectRedis(parseRedisUrl(s.url, {}), { readyTimeoutMs: 5000 });
    try {
      await assert.rejects(
        checkEvictionPolicy(redis, s.url),
        (e: unknown) =>
          e instanceof ConfigError && /allkeys-lru/.test(e.message) && /noeviction/.test(e.fix ?? ''),
      );
    } finally {
      redis.disconnect();
    }
    await assert.rejects(connectFleet(s.url, {}), /maxmemory-policy allkeys-lru/);
  });

  it('connects over TLS with a private CA (OSSMIGRATE_REDIS_CA_FILE), and not without it', async () => {
    const tls = await makeTlsFiles(dir);
    const s = await start({ tls });
    assert.match(s.url, /^rediss:\/\/localhost:/);
    const ok = await connectFleet(s.url, {
      auth: readEnvironment({ OSSMIGRATE_REDIS_CA_FILE: tls.ca }).redis,
    });
    assert.equal(await ok.redis.ping(), 'PONG');
    await ok.close();
    await assert.rejects(connectFleet(s.url, { readyTimeoutMs: 1500 }), ConfigError);
  });

  it('rides out a restart: a command sent while Redis is down completes after it is back (AOF keeps the data)', async () => {
    const s = await start();
    const c = await connectFleet(s.url, {});
    await c.redis.set('k', 'before');
    await c.redis.set('k2', 'x');
    await new Promise((r) => setTimeout(r, 1200)); // AOF fsync is every second
    await s.stop({ kill: true });
    const during = c.redis.get('k');
    await new Promise((r) => setTimeout(r, 500));
    await s.start();
    assert.equal(await during, 'before');
    assert.equal(await c.redis.get('k2'), 'x');
    await c.close();
  });
});

describe('ossmigrate worker: configuration errors', () => {
  it('needs a queue, refuses an evicting Redis, and stops on SIGTERM while waiting for Redis', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-worker-cfg-'));
    const evicting = await startRedis({ maxmemoryPolicy: 'volatile-lru' });
    try {
      const none = await startCli(['worker', '--workdir', join(dir, 'w')], { cwd: dir, env: {} }).done;
      assert.equal(none.code, 2);
      assert.match(none.stderr, /OSSMIGRATE_REDIS_URL/);
      const bad = await startCli(['worker', '--workdir', join(dir, 'w')], {
        cwd: dir,
        env: { OSSMIGRATE_REDIS_URL: evicting.url },
      }).done;
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stderr, /maxmemory-policy volatile-lru/);
      assert.match(bad.stderr, /fix: set maxmemory-policy to noeviction/);
      const waiting = startCli(['worker', '--workdir', join(dir, 'w')], {
        cwd: dir,
        env: { OSSMIGRATE_REDIS_URL: 'redis://:never-printed@127.0.0.1:1/0' },
      });
      for (let i = 0; i < 200 && !/waiting for Redis/.test(waiting.stderr()); i++)
        await new Promise((r) => setTimeout(r, 50));
      waiting.child.kill('SIGTERM');
      const r = await waiting.done;
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /redis:\/\/:\*\*\*@127\.0\.0\.1:1\/0/);
      assert.ok(!r.stderr.includes('never-printed'));
    } finally {
      await evicting.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('redis passwords on the command line', () => {
  it('are refused with the fix (argv is visible to every user); env and URL without password are fine', async () => {
    const { refusePasswordInArgv } = await import('../../runner/adapters/queue/redisConnection.ts');
    assert.throws(
      () => refusePasswordInArgv('redis://:s3cret@10.0.0.5:6379/0', '--queue'),
      (e: Error & { fix?: string }) => {
        return (
          /--queue carries a password/.test(e.message) &&
          !e.message.includes('s3cret') &&
          /OSSMIGRATE_REDIS_PASSWORD/.test(e.fix ?? '')
        );
      },
    );
    assert.doesNotThrow(() => refusePasswordInArgv('redis://10.0.0.5:6379/0', '--queue'));
    assert.doesNotThrow(() => refusePasswordInArgv(undefined, '--redis'));
  });
});
