/**
 * test/helpers/redis.ts on a machine without redis-server, or with one elsewhere than /usr/bin:
 * a clear error naming the fix, never a crash of the whole test file.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { startRedis } from '../helpers/redis.ts';

describe('test/helpers/redis.ts finds redis-server and fails clearly without one', () => {
  let dir: string;
  const saved = { PATH: process.env.PATH, REDIS_SERVER: process.env.REDIS_SERVER };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ossmigrate-redisbin-'));
  });
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('no redis-server on PATH: rejects naming the install command and REDIS_SERVER', async () => {
    delete process.env.REDIS_SERVER;
    process.env.PATH = dir;
    await assert.rejects(startRedis(), (e: Error) => {
      assert.match(e.message, /^redis-server is not on PATH/);
      assert.match(e.message, /apt-get install -y --no-install-recommends redis-server/);
      assert.match(e.message, /REDIS_SERVER=/);
      return true;
    });
  });

  it('REDIS_SERVER naming a missing file: rejects with the spawn error and the fix', async () => {
    process.env.REDIS_SERVER = join(dir, 'no-such-redis-server');
    await assert.rejects(startRedis(), (e: Error) => {
      assert.match(e.message, /cannot start .*no-such-redis-server: spawn .* ENOENT/);
      assert.match(e.message, /REDIS_SERVER must name a redis-server binary/);
      return true;
    });
  });

  it('uses the redis-server found on PATH (here a fake that exits at once)', async () => {
    delete process.env.REDIS_SERVER;
    const fake = join(dir, 'redis-server');
    await writeFile(fake, '#!/bin/sh\necho "fake redis-server from PATH: $*" >&2\nexit 1\n');
    await chmod(fake, 0o755);
    process.env.PATH = dir;
    await assert.rejects(startRedis(), /redis-server exited: fake redis-server from PATH: --port \d+/);
  });
});
