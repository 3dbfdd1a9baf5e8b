/**
 * The standalone backend: everything in the work dir. SQLite holds the job state and is the
 * queue (this process runs the tasks), journals are local files, and the work dir's lock file
 * says who runs the job. It lives in the app because the work dir is the app's: it needs no
 * Redis, and a plain `import` loads nothing of the fleet.
 */
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { LocalJournal } from '../../adapters/journal/localJournal.ts';
import { SqliteStore } from '../../adapters/state/sqliteStore.ts';
import { type JobSpec, parseJob } from '../../config/job.ts';
import { ConfigError, LockedError } from '../../core/errors.ts';
import type { BackendJob, JobBackend, JobBackendProvider } from '../../ports/jobBackend.ts';
import type { QueueCounts, WorkQueue } from '../../ports/workQueue.ts';
import type { Workspace } from '../workspace.ts';

export class StandaloneBackend implements JobBackend {
  readonly kind = 'standalone';
  readonly secrets: readonly string[] = [];
  readonly surveysInState = false;
  readonly journal: LocalJournal;

  constructor(
    private readonly ws: Workspace,
    private readonly name: string,
    readonly state: SqliteStore,
    spec: JobSpec,
  ) {
    this.journal = new LocalJournal(ws.journalRoot(name), { auditLog: spec.journal.auditLog });
  }

  async lock(_log: Logger): Promise<() => Promise<void>> {
    const release = this.ws.lock(this.name);
    return async () => release();
  }

  async runner(): Promise<{ pid: number; host: string } | undefined> {
    return this.ws.lockHolder(this.name);
  }

  async taskCounts(passId: string): Promise<Record<string, QueueCounts>> {
    return this.state.countsByKind(passId);
  }

  async workers(): Promise<never[]> {
    return [];
  }

  async active(): Promise<undefined> {
    return undefined;
  }

  /** SQLite is the queue: this process drains it. */
  async passQueue(): Promise<WorkQueue> {
    return this.state;
  }

  async afterRun(): Promise<void> {}

  /** Everything is in the work dir, which `clean` removes. */
  async forget(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {
    await this.journal.close().catch(() => {});
    await this.state.close();
  }
}

export function standaloneBackends(ws: Workspace): JobBackendProvider {
  return {
    async submit(spec, _creds, { check, sameJob, hasCopied }) {
      // A bug, not a user error: the composition root picks the fleet backend for these.
      if (spec.queue?.url)
        throw new Error(`job "${spec.name}" names a queue: submit it on the fleet backend`);
      let state: SqliteStore | undefined;
      let existing: Awaited<ReturnType<SqliteStore['getJob']>>;
      let replaced = false;
      if (existsSync(ws.statePath(spec.name))) {
        state = new SqliteStore(ws.statePath(spec.name));
        try {
          existing = await state.getJob();
          if (existing && !sameJob(parseJob(JSON.parse(existing.spec), 'submitted job'), spec)) {
            if (await hasCopied(state)) {
              throw new ConfigError(
                `a different job named "${spec.name}" is already in ${ws.root}, and it has copied objects`,
                `finish it, or remove it with: ossmigrate clean --job ${spec.name} (or use another name / --workdir)`,
              );
            }
            const holder = ws.lockHolder(spec.name);
            if (holder) throw new LockedError(holder.pid, holder.host, ws.lockPath(spec.name));
            replaced = true;
          }
          await check();
        } catch (e) {
          await state.close();
          throw e;
        }
        if (replaced) {
          // It copied nothing: its passes and tasks describe the old definition, so start afresh.
          await state.close();
          await ws.removeJob(spec.name);
          state = undefined;
          existing = undefined;
        }
      } else {
        await check();
      }
      await ws.ensureJobDir(spec.name);
      state ??= new SqliteStore(ws.statePath(spec.name));
      await state.putJob({
        name: spec.name,
        spec: JSON.stringify(spec),
        submittedAt: existing?.submittedAt ?? new Date().toISOString(),
      });
      return { name: spec.name, spec, backend: new StandaloneBackend(ws, spec.name, state, spec), replaced };
    },

    async open(name): Promise<BackendJob> {
      const jobName = await ws.resolveJob(name);
      const state = new SqliteStore(ws.statePath(jobName));
      const job = await state.getJob();
      if (!job) {
        await state.close();
        throw new ConfigError(
          `job "${jobName}" has no definition`,
          `ossmigrate clean --job ${jobName}, then submit it again`,
        );
      }
      const spec: JobSpec = parseJob(JSON.parse(job.spec), 'submitted job');
      return { name: jobName, spec, backend: new StandaloneBackend(ws, jobName, state, spec) };
    },
  };
}
