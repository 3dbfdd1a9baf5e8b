/**
 * The fleet backend (implements runner/ports/jobBackend.ts): a job's definition, state and
 * journal location live in Redis, so `import`, `start`, `stat`, `limit` and `stop` work from any
 * machine that reaches the queue; workers run the tasks, this process coordinates. The work dir
 * keeps only logs, reports and a pointer to the queue (without its password).
 * Chosen by the composition root (runner/cli/shared.ts); the app never imports this file.
 */
import { hostname } from 'node:os';
import { type Logger, pino } from 'pino';
import type { LeaseOptions } from '../adapters/queue/bullQueue.ts';
import { connectFleet, type FleetConnection } from '../adapters/queue/fleetConnection.ts';
import { jobKeys } from '../adapters/queue/keys.ts';
import type { RedisAuth } from '../adapters/queue/redisConnection.ts';
import type { RedisJobState } from '../adapters/state/redisState.ts';
import type { Credentials } from '../config/credentials.ts';
import { type JobSpec, parseJob } from '../config/job.ts';
import { ConfigError, LockedError } from '../core/errors.ts';
import type {
  BackendJob,
  JobBackend,
  JobBackendProvider,
  JournalLocation,
  PassQueueOptions,
  WorkerRecord,
} from '../ports/jobBackend.ts';
import type { Journal } from '../ports/journal.ts';
import type { QueueCounts, WorkQueue } from '../ports/workQueue.ts';
import { CoordinatorQueue } from './coordinator.ts';
import {
  closeJournal,
  describeLocation,
  lazyJournal,
  NO_JOURNAL_FIX,
  openJournal,
  sameLocation,
} from './journals.ts';

/** Everything a fleet job needs from the entry point (flags and the environment, as values). */
export type FleetSettings = {
  /** Redis URL: redis://… or rediss://… (a password in it is a secret; prefer OSSMIGRATE_REDIS_PASSWORD). */
  url: string;
  /** The journal location named by flags / environment (see journals.ts). */
  journal?: JournalLocation;
  /** OSSMIGRATE_REDIS_PASSWORD / _USERNAME / _CA_FILE. */
  auth?: RedisAuth;
  /** OSSMIGRATE_LOCK_MS … (default DEFAULT_LEASE). */
  lease?: Partial<LeaseOptions>;
  /** OSSMIGRATE_OSS_ENDPOINT, for a journal bucket. */
  ossEndpoint?: string;
};

/** What the fleet needs of the work dir (structural: the fleet does not import the app). */
export type FleetWorkdir = {
  ensureJobDir(name: string): Promise<void>;
  writeFleetPointer(name: string, url: string): Promise<void>;
};

/** Logs nothing (a submit that replaces a job has no job log yet). */
const silent: Logger = pino({ level: 'silent' });

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
 * remove every Redis key of the job and point the fleet away from it. Objects and journals in
 * OSS are left alone.
 */
export async function forgetFleetJob(conn: FleetConnection, job: string, log: Logger): Promise<number> {
  const release = await lockFleetJob(conn, job, log);
  try {
    return await conn.fleet.forgetJob(job);
  } finally {
    await release();
  }
}

export class FleetBackend implements JobBackend {
  readonly kind = 'fleet';
  readonly surveysInState = true;
  readonly secrets: readonly string[];
  readonly where: { queue: string; journals: string };
  private readonly coordinators: CoordinatorQueue[] = [];

  constructor(
    readonly conn: FleetConnection,
    readonly name: string,
    readonly state: RedisJobState,
    readonly journal: Journal,
    readonly location: JournalLocation,
    private readonly settings: FleetSettings,
  ) {
    this.secrets = conn.target.password ? [conn.target.password] : [];
    this.where = { queue: conn.target.display, journals: describeLocation(location) };
  }

  lock(log: Logger): Promise<() => Promise<void>> {
    return lockFleetJob(this.conn, this.name, log);
  }

  runner(): Promise<{ pid: number; host: string } | undefined> {
    return this.conn.fleet.lockHolder(this.name);
  }

  async taskCounts(passId: string): Promise<Record<string, QueueCounts>> {
    const q = this.conn.queue(this.name);
    try {
      const out: Record<string, QueueCounts> = {};
      for (const kind of ['scan', 'copy', 'verify'] as const) {
        const c = await q.counts(passId, kind);
        if (c.pending + c.running + c.done + c.failed > 0) out[kind] = c;
      }
      return out;
    } finally {
      await q.close();
    }
  }

  workers(): Promise<WorkerRecord[]> {
    return this.conn.fleet.workers();
  }

  active(): Promise<{ job: string; passId: string } | undefined> {
    return this.conn.fleet.active();
  }

  /** The coordinator's queue: it points the fleet at the pass and waits for the workers. */
  async passQueue(o: PassQueueOptions): Promise<WorkQueue> {
    const c = new CoordinatorQueue(this.conn, this.name, this.state, {
      ...o,
      ...(this.settings.lease ? { lease: this.settings.lease } : {}),
    });
    this.coordinators.push(c);
    return c;
  }

  /**
   * The fleet stops following the passes; those that finished drop their per-task hashes (what
   * report, stat, resume and retry read stays: BullWorkQueue.closePass).
   */
  async afterRun(passIds: readonly string[]): Promise<void> {
    for (const id of passIds) await this.conn.fleet.clearActive(this.name, id).catch(() => {});
    const q = this.conn.queue(this.name);
    try {
      for (const id of passIds) {
        if ((await this.state.pass(id))?.status === 'done') await q.closePass(id);
      }
    } finally {
      await q.close();
    }
  }

  forget(log: Logger): Promise<number> {
    return forgetFleetJob(this.conn, this.name, log);
  }

  async close(): Promise<void> {
    for (const c of this.coordinators) await c.close().catch(() => {});
    await closeJournal(this.journal).catch(() => {});
    await this.state.close();
    await this.conn.close();
  }
}

/** The fleet's jobs, for a work dir and a queue (the composition root's choice). */
export function fleetBackends(ws: FleetWorkdir, settings: FleetSettings): JobBackendProvider {
  const journalFor = (loc: JournalLocation, job: string, spec: JobSpec, creds: Credentials): Journal =>
    // Lazy: `stat`, `limit` and `stop` never touch the journal and may run without OSS keys.
    lazyJournal(() =>
      openJournal(loc, job, {
        spec,
        creds,
        ...(settings.ossEndpoint ? { ossEndpoint: settings.ossEndpoint } : {}),
        writer: `coord-${hostname()}-${process.pid}`,
      }),
    );
  const connect = (role: string) =>
    connectFleet(settings.url, { ...(settings.auth ? { auth: settings.auth } : {}), role });
  const url = settings.url;

  return {
    /** The same rules as a standalone submit; the preflight runs before Redis is reached. */
    async submit(spec, creds, rules) {
      await rules.check();
      const conn = await connect('coordinator');
      try {
        const state = conn.jobState(spec.name);
        let existing = await state.getJob();
        let replaced = false;
        if (existing) {
          const old = parseJob(JSON.parse(existing.spec), 'submitted job');
          if (!rules.sameJob(old, storable(spec))) {
            if (await rules.hasCopied(state)) {
              throw new ConfigError(
                `a different job named "${spec.name}" is already in the fleet at ${conn.target.display}, and it has copied objects`,
                `finish it, or remove it with: ossmigrate clean --job ${spec.name} --queue … (or use another job name)`,
              );
            }
            // Nothing copied: forget it (refused while a coordinator runs it) and start afresh.
            await forgetFleetJob(conn, spec.name, silent);
            existing = undefined;
            replaced = true;
          }
        }
        // Where the journals go is settled before the job is registered: a job without one is
        // refused and leaves nothing in Redis.
        const location = await resolveLocation(conn, spec.name, settings.journal);
        await state.putJob({
          name: spec.name,
          spec: JSON.stringify(storable(spec)),
          submittedAt: existing?.submittedAt ?? new Date().toISOString(),
        });
        await ws.writeFleetPointer(spec.name, withoutPassword(url));
        await ws.ensureJobDir(spec.name);
        const journal = journalFor(location, spec.name, spec, creds);
        return {
          name: spec.name,
          spec: { ...spec, queue: { url } },
          backend: new FleetBackend(conn, spec.name, state, journal, location, settings),
          replaced,
        };
      } catch (e) {
        await conn.close();
        throw e;
      }
    },

    /** The named job, else the one the fleet works on, else the only one. */
    async open(name, creds): Promise<BackendJob> {
      const conn = await connect('cli');
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
        const state = conn.jobState(job);
        const def = await state.getJob();
        if (!def)
          throw new ConfigError(
            `fleet job "${job}" has no definition`,
            'submit it again: ossmigrate submit … --queue URL',
          );
        const spec = parseJob(JSON.parse(def.spec), 'submitted job');
        const location = await resolveLocation(conn, job, settings.journal);
        await ws.ensureJobDir(job);
        const journal = journalFor(location, job, spec, creds);
        return {
          name: job,
          spec: { ...spec, queue: { url } },
          backend: new FleetBackend(conn, job, state, journal, location, settings),
        };
      } catch (e) {
        await conn.close();
        throw e;
      }
    },
  };
}
