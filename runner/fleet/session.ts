/**
 * A fleet job as the CLI and the TUI see it: its definition, state and journal location live in
 * Redis, so `import`, `start`, `stat`, `limit` and `stop` work from any machine that reaches the
 * queue. The work dir keeps only logs, reports and a pointer to the queue (without its password).
 */
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { BULL_PREFIX, fleetKeys, jobKeys } from '../adapters/queue/keys.ts';
import { RedisJobState } from '../adapters/state/redisState.ts';
import { hasCopied } from '../app/jobIdentity.ts';
import { jobLogger } from '../app/logger.ts';
import { LockedError, type Workspace } from '../app/workspace.ts';
import type { Credentials } from '../config/credentials.ts';
import { type JobSpec, parseJob } from '../config/job.ts';
import { ConfigError } from '../core/errors.ts';
import type { Journal } from '../ports/journal.ts';
import { connectFleet, type FleetConnection } from './coordinator.ts';
import {
  describeLocation,
  type JournalLocation,
  lazyJournal,
  NO_JOURNAL_FIX,
  openJournal,
  sameLocation,
} from './journals.ts';

export type FleetSettings = {
  /** Redis URL: redis://… or rediss://… (a password in it is a secret; prefer OSSMIGRATE_REDIS_PASSWORD). */
  url: string;
  /** The journal location named by flags / environment (see journals.ts). */
  journal?: JournalLocation;
  env?: NodeJS.ProcessEnv;
};

export type FleetJob = {
  name: string;
  spec: JobSpec;
  state: RedisJobState;
  journal: Journal;
  conn: FleetConnection;
  location: JournalLocation;
};

/** The definition as stored in Redis: without the queue URL (it may carry a password). */
function storable(spec: JobSpec): JobSpec {
  const { queue: _q, ...rest } = spec;
  return rest as JobSpec;
}

/** The URL without its password, for the work dir's pointer file. */
export function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * The journal location of a job: the one it was started with; else the one given; else the one
 * the live workers' environment names (cloud workers carry OSSMIGRATE_CONTROL_BUCKET).
 */
async function resolveLocation(
  conn: FleetConnection,
  job: string,
  given: JournalLocation | undefined,
): Promise<JournalLocation> {
  const existing = await conn.fleet.journal(job);
  if (existing) {
    if (given && !sameLocation(existing, given)) {
      throw new ConfigError(
        `job "${job}" keeps its journals at ${describeLocation(existing)}, not ${describeLocation(given)}`,
        'drop --journal-dir / OSSMIGRATE_CONTROL_BUCKET for this job (or use another job name)',
      );
    }
    return existing;
  }
  let loc = given;
  if (!loc) {
    const announced = new Map<string, JournalLocation>();
    for (const w of await conn.fleet.workers())
      if (w.state !== 'gone' && w.journal) announced.set(describeLocation(w.journal), w.journal);
    if (announced.size > 1) {
      throw new ConfigError(
        `the live workers name different journal locations (${[...announced.keys()].join(', ')})`,
        NO_JOURNAL_FIX,
      );
    }
    loc = [...announced.values()][0];
  }
  if (!loc) throw new ConfigError(`no journal location for fleet job "${job}"`, NO_JOURNAL_FIX);
  await conn.fleet.setJournal(job, loc);
  return loc;
}

function journalFor(
  loc: JournalLocation,
  job: string,
  spec: JobSpec,
  creds: Credentials,
  env: NodeJS.ProcessEnv,
): Journal {
  // Lazy: `stat`, `limit` and `stop` never touch the journal and may run without OSS keys.
  return lazyJournal(() =>
    openJournal(loc, job, { spec, creds, env, writer: `coord-${hostname()}-${process.pid}` }),
  );
}

/**
 * Register (or re-use) a fleet job: the same rules as a standalone submit — a different
 * definition under the same name replaces the job only if it has copied nothing.
 */
export async function submitFleetJob(
  ws: Workspace,
  spec: JobSpec,
  settings: FleetSettings,
  identity: (s: JobSpec) => unknown,
  creds: Credentials,
): Promise<FleetJob & { replaced: boolean }> {
  const env = settings.env ?? process.env;
  const conn = await connectFleet(settings.url, { env, role: 'coordinator' });
  try {
    const state = new RedisJobState(conn.redis, spec.name);
    let existing = await state.getJob();
    let replaced = false;
    if (existing) {
      const old = parseJob(JSON.parse(existing.spec), 'submitted job');
      const { isDeepStrictEqual } = await import('node:util');
      if (!isDeepStrictEqual(identity(old), identity(storable(spec)))) {
        if (await hasCopied(state)) {
          throw new ConfigError(
            `a different job named "${spec.name}" is already in the fleet at ${conn.target.display}, and it has copied objects`,
            `finish it, or remove it with: ossmigrate clean --job ${spec.name} --queue … (or use another job name)`,
          );
        }
        // Nothing copied: forget it (refused while a coordinator runs it) and start afresh.
        await forgetFleetJob(conn, spec.name, jobLogger({}));
        existing = undefined;
        replaced = true;
      }
    }
    // Where the journals go is settled before the job is registered: a job without one is refused
    // and leaves nothing in Redis.
    const location = await resolveLocation(conn, spec.name, settings.journal);
    await state.putJob({
      name: spec.name,
      spec: JSON.stringify(storable(spec)),
      submittedAt: existing?.submittedAt ?? new Date().toISOString(),
    });
    await ws.writeFleetPointer(spec.name, withoutPassword(settings.url));
    return {
      name: spec.name,
      spec,
      state,
      journal: journalFor(location, spec.name, spec, creds, env),
      conn,
      location,
      replaced,
    };
  } catch (e) {
    await conn.close();
    throw e;
  }
}

/** Open a fleet job: the named one, else the one the fleet works on, else the only one. */
export async function openFleetJob(
  ws: Workspace,
  name: string | undefined,
  settings: FleetSettings,
  creds: Credentials,
): Promise<FleetJob> {
  const env = settings.env ?? process.env;
  const conn = await connectFleet(settings.url, { env, role: 'cli' });
  try {
    const jobs = await conn.fleet.jobs();
    let job = name;
    if (job === undefined) {
      const active = await conn.fleet.active();
      job = active?.job ?? (jobs.length === 1 ? jobs[0] : undefined);
    }
    if (job === undefined || !jobs.includes(job)) {
      throw new ConfigError(
        job === undefined
          ? jobs.length
            ? `the fleet at ${conn.target.display} holds several jobs (${jobs.join(', ')})`
            : `no job in the fleet at ${conn.target.display}`
          : `no job "${job}" in the fleet at ${conn.target.display}`,
        jobs.length
          ? `choose one with --job NAME (known: ${jobs.join(', ')})`
          : 'start one: ossmigrate import job.yaml --queue URL',
      );
    }
    const state = new RedisJobState(conn.redis, job);
    const def = await state.getJob();
    if (!def)
      throw new ConfigError(
        `fleet job "${job}" has no definition`,
        'submit it again: ossmigrate submit … --queue URL',
      );
    const spec = parseJob(JSON.parse(def.spec), 'submitted job');
    const location = await resolveLocation(conn, job, settings.journal);
    await ws.ensureJobDir(job);
    return { name: job, spec, state, journal: journalFor(location, job, spec, creds, env), conn, location };
  } catch (e) {
    await conn.close();
    throw e;
  }
}

/** One coordinator per job: a lease in Redis, refreshed while the run lasts. Returns the release. */
export async function lockFleetJob(
  conn: FleetConnection,
  job: string,
  log: Logger,
  ttlMs = 30_000,
): Promise<() => Promise<void>> {
  const r = await conn.fleet.lock(job, { pid: process.pid, host: hostname() }, ttlMs);
  if (!r.ok)
    throw new LockedError(r.holder.pid, r.holder.host, `${conn.target.display} ${jobKeys(job).lock}`);
  const timer = setInterval(() => {
    r.refresh()
      .then((ok) => {
        if (!ok) log.warn({ job }, 'the job lease in Redis was lost (another coordinator may take over)');
      })
      .catch(() => {});
  }, ttlMs / 3);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await r.release().catch(() => {});
  };
}

/**
 * `clean` for a fleet job: take the coordinator lock (a running coordinator refuses it), then
 * remove every Redis key of the job — definition, passes, counters, checkpoints, BullMQ queues —
 * and point the fleet away from it. Objects and journals in OSS are left alone.
 */
export async function forgetFleetJob(conn: FleetConnection, job: string, log: Logger): Promise<number> {
  const release = await lockFleetJob(conn, job, log);
  let removed = 0;
  try {
    for (const pattern of [`${jobKeys(job).prefix}*`, `${BULL_PREFIX}:${job}.*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await conn.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        const mine = keys.filter((k) => k !== jobKeys(job).lock);
        if (mine.length) removed += await conn.redis.unlink(...mine);
      } while (cursor !== '0');
    }
    await conn.redis.srem(fleetKeys.jobs, job);
    const active = await conn.redis.get(fleetKeys.active);
    if (active && (JSON.parse(active) as { job?: string }).job === job)
      await conn.redis.del(fleetKeys.active);
  } finally {
    await release();
  }
  return removed;
}
