/**
 * Fleet job state in Redis: the same JobState the standalone SQLite file implements, shared by
 * the coordinator and every worker. Each method is one command, one MULTI or one Lua script, so
 * concurrent workers never lose an update; counters are HINCRBY. Redis must run with AOF (a
 * restart keeps the state) and `maxmemory-policy noeviction` (checked at connect).
 */
import type { Redis } from 'ioredis';
import type { FailureClass } from '../../core/errors.ts';
import { compareKeys } from '../../core/keys.ts';
import type { TaskSummary } from '../../core/ledger.ts';
import {
  emptyRollup,
  hasAttention,
  mayHoldOthersKeys,
  type PassRollup,
  type RollupBody,
  type RollupStore,
  replaceShare,
  share,
  supersedes,
} from '../../core/rollup.ts';
import { addPoint, emptySeries, type Series, type SeriesPoint } from '../../core/series.ts';
import { emptySurvey, mergeSurveys, type Survey } from '../../core/survey.ts';
import { type Counters, type ObjectResult, zeroCounters } from '../../core/types.ts';
import type {
  Control,
  FailureRecord,
  JobState,
  MultipartCheckpoint,
  PassInfo,
} from '../../ports/jobState.ts';
import { fleetKeys, jobKeys, passKeys } from '../queue/keys.ts';

type StoredJob = { name: string; spec: string; submittedAt: string };

/** Merge a JSON patch into a JSON value held in a hash field; error if the field is missing. */
const PATCH_FIELD = `
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return redis.error_reply('no pass ' .. ARGV[1]) end
local o = cjson.decode(v)
for k, val in pairs(cjson.decode(ARGV[2])) do o[k] = val end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(o))
return 1`;

/** Add a pass once: HSETNX + RPUSH. */
const BEGIN_PASS = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('RPUSH', KEYS[2], ARGV[1])
  return 1
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 0`;

/**
 * Compare-and-set of the series: write the new body only if nobody did since it was read. The
 * merge itself stays in TypeScript (core/series.ts): Lua's cjson would round byte counts past
 * 10^14 to 14 digits.
 */
const SET_SERIES = `
local v = redis.call('HGET', KEYS[1], 'v') or '0'
if v ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', tostring(tonumber(v) + 1), 'body', ARGV[2])
return 1`;

/**
 * Compare-and-set of a pass rollup (core/rollup.ts): the new sums, the task's share and its set
 * memberships, only if nobody changed the rollup since it was read (the sums are merged in
 * TypeScript, as the series: cjson would round byte counts). KEYS[6..7]: the pass's task counts
 * and ids: in a closed pass (its per-task hashes dropped) a task it no longer knows is a zombie
 * ending late, whose share was already counted: nothing changes.
 */
const SET_ROLLUP = `
if redis.call('HGET', KEYS[6], 'closed') and redis.call('HEXISTS', KEYS[7], ARGV[3]) == 0 then return 1 end
local v = redis.call('HGET', KEYS[1], 'v') or '0'
if v ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', tostring(tonumber(v) + 1), 'body', ARGV[2])
if ARGV[4] == '' then redis.call('HDEL', KEYS[2], ARGV[3]) else redis.call('HSET', KEYS[2], ARGV[3], ARGV[4]) end
for i = 0, 2 do
  if ARGV[5 + i] == '1' then redis.call('SADD', KEYS[3 + i], ARGV[3]) else redis.call('SREM', KEYS[3 + i], ARGV[3]) end
end
return 1`;

const byKey = <T>(entries: Array<[string, T]>): Array<[string, T]> =>
  entries.sort((a, b) => compareKeys(a[0], b[0]));

function pairs(flat: Record<string, string>): Array<[string, string]> {
  return Object.entries(flat);
}

export class RedisJobState implements JobState, RollupStore {
  private readonly k: ReturnType<typeof jobKeys>;

  constructor(
    readonly redis: Redis,
    readonly job: string,
    private readonly o: { ownsConnection?: boolean } = {},
  ) {
    this.k = jobKeys(job);
  }

  private p(passId: string) {
    return passKeys(this.job, passId);
  }

  // ---- job & passes ----------------------------------------------------------------------------

  async getJob(): Promise<StoredJob | undefined> {
    const v = await this.redis.get(this.k.def);
    return v ? (JSON.parse(v) as StoredJob) : undefined;
  }

  async putJob(job: StoredJob): Promise<void> {
    await this.redis.multi().set(this.k.def, JSON.stringify(job)).sadd(fleetKeys.jobs, this.job).exec();
  }

  async passes(): Promise<PassInfo[]> {
    const ids = await this.redis.lrange(this.k.passOrder, 0, -1);
    if (ids.length === 0) return [];
    const infos = await this.redis.hmget(this.k.passes, ...ids);
    return infos.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as PassInfo);
  }

  async currentPass(): Promise<PassInfo | undefined> {
    const [id] = await this.redis.lrange(this.k.passOrder, -1, -1);
    if (id === undefined) return undefined;
    const v = await this.redis.hget(this.k.passes, id);
    return v ? (JSON.parse(v) as PassInfo) : undefined;
  }

  async pass(id: string): Promise<PassInfo | undefined> {
    const v = await this.redis.hget(this.k.passes, id);
    return v ? (JSON.parse(v) as PassInfo) : undefined;
  }

  async beginPass(pass: PassInfo): Promise<void> {
    await this.redis.eval(BEGIN_PASS, 2, this.k.passes, this.k.passOrder, pass.id, JSON.stringify(pass));
  }

  async updatePass(id: string, patch: Partial<Pick<PassInfo, 'status' | 'finishedAt'>>): Promise<void> {
    const clean = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    await this.redis.eval(PATCH_FIELD, 1, this.k.passes, id, JSON.stringify(clean));
  }

  // ---- counters --------------------------------------------------------------------------------

  async addCounters(passId: string, delta: Partial<Counters>): Promise<void> {
    const entries = Object.entries(delta).filter(([, v]) => v);
    if (entries.length === 0) return;
    const key = this.p(passId).counters;
    const m = this.redis.multi();
    for (const [name, v] of entries) m.hincrby(key, name, v as number);
    await m.exec();
  }

  async counters(passId: string): Promise<Counters> {
    const c = zeroCounters();
    for (const [name, v] of pairs(await this.redis.hgetall(this.p(passId).counters))) {
      if (name in c) c[name as keyof Counters] = Number(v);
    }
    return c;
  }

  // ---- outcomes --------------------------------------------------------------------------------

  async recordOutcomes(passId: string, results: ObjectResult[]): Promise<void> {
    if (results.length === 0) return;
    const k = this.p(passId).failures;
    const attempts = `${k}:attempts`;
    // One MULTI per batch, and one HDEL per run of successes (not two commands per object: at
    // 10⁹ objects those were 2·10⁹ commands for failures that mostly never existed).
    const m = this.redis.multi();
    let cleared: string[] = [];
    const clear = () => {
      if (cleared.length === 0) return;
      m.hdel(k, ...cleared).hdel(attempts, ...cleared);
      cleared = [];
    };
    for (const r of results) {
      if (r.outcome === 'failed') {
        clear();
        const rec = {
          failureClass: r.failureClass ?? 'INTERNAL',
          reason: r.reason ?? '',
          fix: r.fix ?? '',
          at: new Date().toISOString(),
        };
        m.hset(k, r.key, JSON.stringify(rec))
          .hincrby(attempts, r.key, r.attempts)
          .sadd(this.k.failPasses, passId);
      } else {
        cleared.push(r.key);
      }
    }
    clear();
    await m.exec();
  }

  private async passFailures(passId: string): Promise<FailureRecord[]> {
    const k = this.p(passId).failures;
    const [recs, attempts] = await Promise.all([this.redis.hgetall(k), this.redis.hgetall(`${k}:attempts`)]);
    return pairs(recs).map(([key, v]) => {
      const r = JSON.parse(v) as { failureClass: FailureClass; reason: string; fix: string; at: string };
      return { key, ...r, passId, attempts: Number(attempts[key] ?? 0) };
    });
  }

  private async failurePasses(passId?: string): Promise<string[]> {
    return passId === undefined ? await this.redis.smembers(this.k.failPasses) : [passId];
  }

  async failures(passId?: string): Promise<FailureRecord[]> {
    const ids = await this.failurePasses(passId);
    const all = (await Promise.all(ids.map((id) => this.passFailures(id)))).flat();
    return all.sort((a, b) => compareKeys(a.key, b.key));
  }

  async failureCount(passId?: string): Promise<number> {
    const ids = await this.failurePasses(passId);
    const n = await Promise.all(ids.map((id) => this.redis.hlen(this.p(id).failures)));
    return n.reduce((a, b) => a + b, 0);
  }

  // ---- multipart checkpoints -------------------------------------------------------------------

  async getMultipart(dstKey: string): Promise<MultipartCheckpoint | undefined> {
    const v = await this.redis.hget(this.k.multipart, dstKey);
    return v ? (JSON.parse(v) as MultipartCheckpoint) : undefined;
  }

  async putMultipart(cp: MultipartCheckpoint): Promise<void> {
    await this.redis.hset(this.k.multipart, cp.dstKey, JSON.stringify(cp));
  }

  async deleteMultipart(dstKey: string): Promise<void> {
    await this.redis.hdel(this.k.multipart, dstKey);
  }

  async allMultipart(): Promise<MultipartCheckpoint[]> {
    return (await this.redis.hvals(this.k.multipart)).map((v) => JSON.parse(v) as MultipartCheckpoint);
  }

  // ---- restores, surveys, control --------------------------------------------------------------

  async addRestoreWait(passId: string, key: string, size: number): Promise<void> {
    await this.redis.hsetnx(
      this.p(passId).restore,
      key,
      JSON.stringify({ size, since: new Date().toISOString() }),
    );
  }

  async restoreWaits(passId: string): Promise<Array<{ key: string; size: number; since: string }>> {
    return byKey(pairs(await this.redis.hgetall(this.p(passId).restore))).map(([key, v]) => ({
      key,
      ...(JSON.parse(v) as { size: number; since: string }),
    }));
  }

  async removeRestoreWait(passId: string, key: string): Promise<void> {
    await this.redis.hdel(this.p(passId).restore, key);
  }

  async addSurvey(passId: string, taskId: string, survey: Survey): Promise<void> {
    await this.redis.hset(this.p(passId).surveys, taskId, JSON.stringify(survey));
  }

  async survey(passId: string): Promise<Survey> {
    let s = emptySurvey();
    for (const v of await this.redis.hvals(this.p(passId).surveys))
      s = mergeSurveys(s, JSON.parse(v) as Survey);
    return s;
  }

  async addSample(
    passId: string,
    point: SeriesPoint,
    o: { intervalMs?: number; maxPoints?: number } = {},
  ): Promise<number> {
    const key = this.p(passId).series;
    for (;;) {
      const [v, body] = await this.redis.hmget(key, 'v', 'body');
      const cur = body ? (JSON.parse(body) as Series) : emptySeries(o.intervalMs ?? 1000);
      const next = addPoint(cur, point, o.maxPoints);
      const ok = await this.redis.eval(SET_SERIES, 1, key, v ?? '0', JSON.stringify(next));
      if (ok === 1) return next.intervalMs;
    }
  }

  // ---- pass rollup (core/rollup.ts): one hash of sums, a share per task, three small sets -------

  private rollupKeys(passId: string): [string, string, string, string, string] {
    const k = this.p(passId);
    return [k.rollup, k.rollupShare, k.rollupRunning, k.rollupAttention, k.rollupSettlers];
  }

  private async rollupStep(
    passId: string,
    taskId: string,
    next: TaskSummary | undefined,
    running: boolean,
  ): Promise<void> {
    const keys = this.rollupKeys(passId);
    for (;;) {
      const [v, body] = await this.redis.hmget(keys[0], 'v', 'body');
      const raw = await this.redis.hget(keys[1], taskId);
      const old = raw ? (JSON.parse(raw) as TaskSummary) : undefined;
      // A stale attempt ending after a newer one: the newer summary stays.
      if (next && !supersedes(next, old)) return;
      const cur = body ? (JSON.parse(body) as RollupBody) : emptyRollup();
      const pk = this.p(passId);
      const ok = await this.redis.eval(
        SET_ROLLUP,
        keys.length + 2,
        ...keys,
        pk.taskCounts,
        pk.ids,
        v ?? '0',
        JSON.stringify(replaceShare(cur, old, next)),
        taskId,
        next ? JSON.stringify(share(next)) : '',
        running ? '1' : '0',
        next && hasAttention(next) ? '1' : '0',
        mayHoldOthersKeys(taskId) ? '1' : '0',
      );
      if (ok === 1) return;
    }
  }

  async rollupTaskStarted(passId: string, taskId: string): Promise<void> {
    await this.rollupStep(passId, taskId, undefined, true);
  }

  async rollupTaskEnded(passId: string, taskId: string, summary: TaskSummary): Promise<void> {
    await this.rollupStep(passId, taskId, summary, false);
  }

  async passRollup(passId: string): Promise<PassRollup | undefined> {
    const [k, , running, attention, settlers] = this.rollupKeys(passId);
    const body = await this.redis.hget(k, 'body');
    if (!body) return undefined;
    const sorted = async (key: string) => (await this.redis.smembers(key)).sort();
    return {
      ...(JSON.parse(body) as RollupBody),
      running: await sorted(running),
      attention: await sorted(attention),
      settlers: await sorted(settlers),
    };
  }

  async series(passId: string): Promise<Series | undefined> {
    const body = await this.redis.hget(this.p(passId).series, 'body');
    return body ? (JSON.parse(body) as Series) : undefined;
  }

  private static control(flat: Record<string, string>): Control {
    const c: Control = { paused: flat.paused === '1', stopRequested: flat.stopRequested === '1' };
    if (flat.bandwidth !== undefined) c.bandwidth = flat.bandwidth;
    return c;
  }

  async getControl(): Promise<Control> {
    return RedisJobState.control(await this.redis.hgetall(this.k.control));
  }

  /** Field by field (HSET / HDEL in one MULTI): concurrent patches of different fields both win. */
  async setControl(patch: Partial<Control>): Promise<Control> {
    const m = this.redis.multi();
    for (const [name, v] of Object.entries(patch) as Array<[keyof Control, unknown]>) {
      if (!(name in patch)) continue;
      if (v === undefined) m.hdel(this.k.control, name);
      else if (typeof v === 'boolean') m.hset(this.k.control, name, v ? '1' : '0');
      else m.hset(this.k.control, name, String(v));
    }
    m.hgetall(this.k.control);
    const res = await m.exec();
    const last = res?.[res.length - 1];
    if (!last || last[0]) throw last?.[0] ?? new Error('control update failed');
    return RedisJobState.control(last[1] as Record<string, string>);
  }

  async close(): Promise<void> {
    if (this.o.ownsConnection) await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
