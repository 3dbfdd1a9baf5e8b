/**
 * One connection to the fleet's Redis, and what the coordinator side builds on it: the fleet
 * records, a job's state and a job's BullMQ queue. The ioredis client stays in the adapters:
 * fleet code asks this connection for ports, never for the client.
 */
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RedisJobState } from '../state/redisState.ts';
import { BullWorkQueue, type LeaseOptions } from './bullQueue.ts';
import { FleetStore } from './fleetStore.ts';
import {
  checkEvictionPolicy,
  connectRedis,
  parseRedisUrl,
  type RedisAuth,
  type RedisTarget,
} from './redisConnection.ts';

export type FleetConnection = {
  target: RedisTarget;
  fleet: FleetStore;
  /** A job's state in Redis (closing it leaves the connection open). */
  jobState(job: string): RedisJobState;
  /** A job's BullMQ queue (close it when done; the connection stays open). */
  queue(job: string, o?: { lease?: Partial<LeaseOptions>; log?: Logger; pollMs?: number }): BullWorkQueue;
  /** The client itself, for tests and the adapters. */
  readonly redis: Redis;
  close(): Promise<void>;
};

/** Connect to the fleet's Redis (fail fast when unreachable) and check it is safe for BullMQ. */
export async function connectFleet(
  url: string,
  o: { auth?: RedisAuth; role?: string; readyTimeoutMs?: number } = {},
): Promise<FleetConnection> {
  const target = parseRedisUrl(url, o.auth ?? {});
  const redis = await connectRedis(target, {
    name: `ossmigrate-${o.role ?? 'cli'}:${hostname()}:${process.pid}`,
    readyTimeoutMs: o.readyTimeoutMs ?? 15_000,
  });
  try {
    await checkEvictionPolicy(redis, target.display);
  } catch (e) {
    redis.disconnect();
    throw e;
  }
  return {
    target,
    redis,
    fleet: new FleetStore(redis),
    jobState: (job) => new RedisJobState(redis, job),
    queue: (job, q = {}) => new BullWorkQueue(redis, job, q),
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
