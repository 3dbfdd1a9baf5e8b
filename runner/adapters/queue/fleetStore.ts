/**
 * Fleet-wide records in Redis, beside the queue and the job state: which pass the fleet works on,
 * worker heartbeats, the coordinator's lease on a job, where the journals are, and a capped
 * stream of worker events the coordinator relays (so `--json` shows what the fleet does).
 * Heartbeat times are Redis server time: workers' clocks need not agree.
 */
import type { Redis } from 'ioredis';
import type { EngineEvent } from '../../core/events.ts';
import type { JournalLocation, WorkerRecord } from '../../ports/jobBackend.ts';
import { BULL_PREFIX, fleetKeys, jobKeys, passKeys } from './keys.ts';

export type ActivePass = { job: string; passId: string; since: string };

// The records' shapes belong to the job-backend port (the app reads them without loading Redis).
export type { JournalLocation, WorkerRecord };

/** A worker not seen for this long is gone (its leases expire; others re-run its tasks). */
export const WORKER_STALE_MS = 10_000;
/**
 * The relayed-events stream: events per entry (a worker's flush, every 250 ms) and entries kept:
 * ≤ 1,000 × 500 events (≈ 55 MB at most; 100 workers fill it in ~2.5 s, the coordinator reads
 * every 250 ms). The coordinator drops it when the pass ends (measured: 55 MB kept per pass).
 */
export const EVENTS_PER_ENTRY = 500;
export const EVENT_ENTRIES = 1000;
/** Gone workers are forgotten after an hour. */
const WORKER_FORGET_MS = 3_600_000;

const HEARTBEAT = `
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], ms, ARGV[1])
return ms`;

const CLEAR_IF = `
local v = redis.call('GET', KEYS[1])
if v and cjson.decode(v).job == ARGV[1] and cjson.decode(v).passId == ARGV[2] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

const REFRESH_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export type LockHolder = { pid: number; host: string };

export class FleetStore {
  constructor(readonly redis: Redis) {}

  async serverTimeMs(): Promise<number> {
    const [s, us] = await this.redis.time();
    return Number(s) * 1000 + Math.floor(Number(us) / 1000);
  }

  // ---- the active pass -------------------------------------------------------------------------

  async active(): Promise<ActivePass | undefined> {
    const v = await this.redis.get(fleetKeys.active);
    return v ? (JSON.parse(v) as ActivePass) : undefined;
  }

  async setActive(job: string, passId: string): Promise<void> {
    const a: ActivePass = { job, passId, since: new Date().toISOString() };
    await this.redis.set(fleetKeys.active, JSON.stringify(a));
  }

  /** Clear the active pass if it is still this one (a newer coordinator may have moved on). */
  async clearActive(job: string, passId: string): Promise<void> {
    await this.redis.eval(CLEAR_IF, 1, fleetKeys.active, job, passId);
  }

  async jobs(): Promise<string[]> {
    return (await this.redis.smembers(fleetKeys.jobs)).sort();
  }

  // ---- workers ---------------------------------------------------------------------------------

  /** Record a worker's status; returns the server time it was stamped with. */
  async heartbeat(rec: Omit<WorkerRecord, 'lastSeen'>): Promise<number> {
    return Number(
      await this.redis.eval(
        HEARTBEAT,
        2,
        fleetKeys.workers,
        fleetKeys.workersSeen,
        rec.id,
        JSON.stringify(rec),
      ),
    );
  }

  /** A worker leaving cleanly: no longer counted live, kept (as gone) for `stat`. */
  async leave(rec: Omit<WorkerRecord, 'lastSeen'>): Promise<void> {
    const now = await this.serverTimeMs();
    await this.redis
      .multi()
      .hset(
        fleetKeys.workers,
        rec.id,
        JSON.stringify({ ...rec, state: 'gone', tasks: 0, bytesPerSec: 0, leftAt: now }),
      )
      .zrem(fleetKeys.workersSeen, rec.id)
      .exec();
  }

  /** Every known worker, newest first; those not seen for WORKER_STALE_MS are `gone`. */
  async workers(staleMs = WORKER_STALE_MS): Promise<WorkerRecord[]> {
    const [all, seen, now] = await Promise.all([
      this.redis.hgetall(fleetKeys.workers),
      this.redis.zrange(fleetKeys.workersSeen, '0', '-1', 'WITHSCORES'),
      this.serverTimeMs(),
    ]);
    const lastSeen = new Map<string, number>();
    for (let i = 0; i + 1 < seen.length; i += 2) lastSeen.set(seen[i]!, Number(seen[i + 1]));
    const out: WorkerRecord[] = [];
    const forget: string[] = [];
    for (const [id, v] of Object.entries(all)) {
      const rec = JSON.parse(v) as Omit<WorkerRecord, 'lastSeen'> & { leftAt?: number };
      const at = lastSeen.get(id) ?? rec.leftAt ?? 0;
      if (now - at > WORKER_FORGET_MS) {
        forget.push(id);
        continue;
      }
      const gone = !lastSeen.has(id) || now - at > staleMs;
      const { leftAt: _l, ...status } = rec;
      out.push({
        ...status,
        ...(gone ? { state: 'gone', tasks: 0, bytesPerSec: 0 } : {}),
        lastSeen: new Date(at).toISOString(),
      });
    }
    if (forget.length) {
      await this.redis
        .multi()
        .hdel(fleetKeys.workers, ...forget)
        .zrem(fleetKeys.workersSeen, ...forget)
        .exec();
    }
    return out.sort((a, b) => b.lastSeen.localeCompare(a.lastSeen) || a.id.localeCompare(b.id));
  }

  /** Workers seen within staleMs: what a fleet-wide bandwidth limit is divided by. */
  async liveCount(staleMs = WORKER_STALE_MS): Promise<number> {
    const now = await this.serverTimeMs();
    return this.redis.zcount(fleetKeys.workersSeen, now - staleMs, '+inf');
  }

  // ---- the coordinator's lease on a job --------------------------------------------------------

  /**
   * Take the job's coordinator lock (SET NX PX), or say who holds it. The holder refreshes it;
   * if it dies, the lock expires after ttlMs and a new coordinator can take over.
   */
  async lock(
    job: string,
    me: LockHolder,
    ttlMs: number,
  ): Promise<
    | { ok: true; refresh: () => Promise<boolean>; release: () => Promise<void> }
    | { ok: false; holder: LockHolder }
  > {
    const key = jobKeys(job).lock;
    const token = `${me.pid} ${me.host} ${Math.random().toString(36).slice(2)}`;
    const got = await this.redis.set(key, token, 'PX', ttlMs, 'NX');
    if (got !== 'OK') {
      const v = (await this.redis.get(key)) ?? '0 ?';
      const [pid, host] = v.split(' ');
      return { ok: false, holder: { pid: Number(pid), host: host ?? '?' } };
    }
    return {
      ok: true,
      refresh: async () => Number(await this.redis.eval(REFRESH_LOCK, 1, key, token, ttlMs)) === 1,
      release: async () => {
        await this.redis.eval(RELEASE_LOCK, 1, key, token);
      },
    };
  }

  async lockHolder(job: string): Promise<LockHolder | undefined> {
    const v = await this.redis.get(jobKeys(job).lock);
    if (!v) return undefined;
    const [pid, host] = v.split(' ');
    return { pid: Number(pid), host: host ?? '?' };
  }

  // ---- journals --------------------------------------------------------------------------------

  async journal(job: string): Promise<JournalLocation | undefined> {
    const v = await this.redis.get(jobKeys(job).journal);
    return v ? (JSON.parse(v) as JournalLocation) : undefined;
  }

  async setJournal(job: string, loc: JournalLocation): Promise<void> {
    await this.redis.set(jobKeys(job).journal, JSON.stringify(loc));
  }

  // ---- relayed events --------------------------------------------------------------------------

  /**
   * Append worker events to the pass's capped stream: a batch is one entry (field `b`, a JSON
   * array of up to EVENTS_PER_ENTRY events), not one XADD per object. Per object, the XADDs were
   * Redis's busiest command and the 20,000-entry cap held under a second of a large fleet's events.
   */
  async publish(job: string, passId: string, events: EngineEvent[], maxLen = EVENT_ENTRIES): Promise<void> {
    if (events.length === 0) return;
    const key = passKeys(job, passId).events;
    const p = this.redis.pipeline();
    for (let i = 0; i < events.length; i += EVENTS_PER_ENTRY) {
      const chunk = events.slice(i, i + EVENTS_PER_ENTRY);
      p.xadd(key, 'MAXLEN', '~', String(maxLen), '*', 'b', JSON.stringify(chunk));
    }
    await p.exec();
  }

  /** Drop a pass's relayed events (its coordinator read them; a new one starts at the newest). */
  async dropEvents(job: string, passId: string): Promise<void> {
    await this.redis.unlink(passKeys(job, passId).events);
  }

  /** Id of the newest event ('0-0' when none): read from there to see only what comes next. */
  async lastEventId(job: string, passId: string): Promise<string> {
    const r = await this.redis.xrevrange(passKeys(job, passId).events, '+', '-', 'COUNT', 1);
    return r[0]?.[0] ?? '0-0';
  }

  /** Events after `afterId`, oldest first (`count` stream entries, each a batch). */
  async readEvents(
    job: string,
    passId: string,
    afterId: string,
    count = 1000,
  ): Promise<{ events: EngineEvent[]; lastId: string; entries: number }> {
    const r = await this.redis.xrange(passKeys(job, passId).events, `(${afterId}`, '+', 'COUNT', count);
    const events: EngineEvent[] = [];
    let lastId = afterId;
    for (const [id, fields] of r) {
      lastId = id;
      for (let i = 0; i + 1 < fields.length; i += 2) {
        const v = fields[i + 1]!;
        // `b`: a batch (this version); `e`: one event (workers of earlier versions).
        if (fields[i] === 'b') events.push(...(JSON.parse(v) as EngineEvent[]));
        else if (fields[i] === 'e') events.push(JSON.parse(v) as EngineEvent);
      }
    }
    return { events, lastId, entries: r.length };
  }

  /**
   * Remove every Redis key of a job — definition, passes, counters, checkpoints, BullMQ queues —
   * except its lease (the caller holds it), and point the fleet away from it. Returns how many.
   */
  async forgetJob(job: string): Promise<number> {
    let removed = 0;
    for (const pattern of [`${jobKeys(job).prefix}*`, `${BULL_PREFIX}:${job}.*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        const mine = keys.filter((k) => k !== jobKeys(job).lock);
        if (mine.length) removed += await this.redis.unlink(...mine);
      } while (cursor !== '0');
    }
    await this.redis.srem(fleetKeys.jobs, job);
    const active = await this.redis.get(fleetKeys.active);
    if (active && (JSON.parse(active) as { job?: string }).job === job)
      await this.redis.del(fleetKeys.active);
    return removed;
  }
}
