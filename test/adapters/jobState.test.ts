/** The JobState conformance suite against both implementations: SQLite (standalone) and Redis (fleet). */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RedisJobState } from '../../runner/adapters/state/redisState.ts';
import { SqliteStore } from '../../runner/adapters/state/sqliteStore.ts';
import type { JobState } from '../../runner/ports/jobState.ts';
import { startRedis } from '../helpers/redis.ts';
import { defineJobStateSuite } from './jobState.suite.ts';

defineJobStateSuite('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-state-'));
  const open: JobState[] = [];
  let n = 0;
  return {
    async make() {
      const s = new SqliteStore(join(dir, `state-${n++}.db`));
      open.push(s);
      return s;
    },
    async close() {
      for (const s of open) await s.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

defineJobStateSuite('redis', async () => {
  const server = await startRedis();
  const redis = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: null });
  return {
    // Each test is its own job in the same Redis: jobs must not see each other's keys.
    async make() {
      return new RedisJobState(redis, `job-${randomBytes(4).toString('hex')}`);
    },
    async close() {
      redis.disconnect();
      await server.close();
    },
  };
});
