/**
 * The work dir: everything a standalone job keeps on disk.
 *   <workdir>/jobs/<name>/state.db          job, passes, queue, counters, failures, checkpoints
 *   <workdir>/jobs/<name>/passes/<pass>/     per-task audit.log.gz, error.list, STATUS, ledger…
 *   <workdir>/jobs/<name>/reports/<pass>/    summary.json, summary.txt, failed.ndjson, check.txt
 *   <workdir>/jobs/<name>/logs/ossmigrate.log
 *   <workdir>/jobs/<name>/run.lock          pid of the process running the job
 *   <workdir>/jobs/<name>/fleet.json        a fleet job: its Redis URL (never the password); the
 *                                           job's state and journals are in the fleet, logs and
 *                                           reports here
 *   <workdir>/jobs/<name>/origin.json       a job submitted from an ossimport cfg: the cfg's path,
 *                                           its sys.properties and the flags given with it (never
 *                                           a key: the keys stay in the cfg, re-read at each run)
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '../core/errors.ts';

export const DEFAULT_WORKDIR = '.ossmigrate';

/** Where a job's definition came from, when its keys are in that file (an ossimport cfg). */
export type JobOrigin = {
  /** Absolute path of the job.cfg. */
  cfg: string;
  /** Absolute path of the sys.properties read with it. */
  sys?: string;
  /** The definition flags given with it (re-applied when the cfg is read again). */
  flags: Record<string, string | number | boolean>;
  /** The cfg holds the job's keys: a run cannot start without it. */
  inlineKeys: boolean;
  /** jobType=audit: `start` verifies instead of copying. */
  auditOnly: boolean;
};

import { LockedError } from '../core/errors.ts';

export { LockedError };

export class Workspace {
  readonly root: string;

  constructor(root: string = DEFAULT_WORKDIR) {
    this.root = resolve(root);
  }

  jobDir(name: string): string {
    return join(this.root, 'jobs', name);
  }
  statePath(name: string): string {
    return join(this.jobDir(name), 'state.db');
  }
  journalRoot(name: string): string {
    return join(this.jobDir(name), 'passes');
  }
  reportDir(name: string, passId: string): string {
    return join(this.jobDir(name), 'reports', passId);
  }
  logFile(name: string): string {
    return join(this.jobDir(name), 'logs', 'ossmigrate.log');
  }
  lockPath(name: string): string {
    return join(this.jobDir(name), 'run.lock');
  }
  fleetPointerPath(name: string): string {
    return join(this.jobDir(name), 'fleet.json');
  }
  originPath(name: string): string {
    return join(this.jobDir(name), 'origin.json');
  }

  /** Remember (or, with undefined, forget) the cfg a job was submitted from. */
  async writeOrigin(name: string, origin: JobOrigin | undefined): Promise<void> {
    if (!origin) {
      await rm(this.originPath(name), { force: true });
      return;
    }
    await mkdir(this.jobDir(name), { recursive: true });
    await writeFile(this.originPath(name), `${JSON.stringify(origin)}\n`, { mode: 0o600 });
  }

  async origin(name: string): Promise<JobOrigin | undefined> {
    try {
      return JSON.parse(await readFile(this.originPath(name), 'utf8')) as JobOrigin;
    } catch {
      return undefined;
    }
  }

  async jobs(): Promise<string[]> {
    try {
      const names = await readdir(join(this.root, 'jobs'));
      return names
        .filter((n) => existsSync(this.statePath(n)) || existsSync(this.fleetPointerPath(n)))
        .sort();
    } catch {
      return [];
    }
  }

  /** Remember that a job runs on a fleet (the URL must not hold a password: it is a plain file). */
  async writeFleetPointer(name: string, url: string): Promise<void> {
    await mkdir(this.jobDir(name), { recursive: true });
    await writeFile(this.fleetPointerPath(name), `${JSON.stringify({ url })}\n`, { mode: 0o600 });
  }

  /**
   * The fleet URL of a job submitted from this work dir (the named one, or the only one), or
   * undefined for a standalone job. A standalone state file wins over a pointer.
   */
  async fleetUrl(name?: string): Promise<string | undefined> {
    let job = name;
    if (job === undefined) {
      const jobs = await this.jobs();
      if (jobs.length !== 1) return undefined;
      job = jobs[0]!;
    }
    if (existsSync(this.statePath(job))) return undefined;
    try {
      const p = JSON.parse(await readFile(this.fleetPointerPath(job), 'utf8')) as { url?: unknown };
      return typeof p.url === 'string' ? p.url : undefined;
    } catch {
      return undefined;
    }
  }

  /** The job to act on: the named one, or the only one in the work dir. */
  async resolveJob(name?: string): Promise<string> {
    const jobs = await this.jobs();
    if (name !== undefined) {
      if (!jobs.includes(name)) {
        throw new ConfigError(
          `no job "${name}" in ${this.root}`,
          jobs.length
            ? `known jobs: ${jobs.join(', ')}`
            : 'submit one first: ossmigrate submit job.yaml (or run ossmigrate import)',
        );
      }
      return name;
    }
    if (jobs.length === 1) return jobs[0]!;
    if (jobs.length === 0) {
      throw new ConfigError(
        `no job in ${this.root}`,
        'submit one first: ossmigrate submit job.yaml (or run ossmigrate import …)',
      );
    }
    throw new ConfigError(
      `${this.root} holds several jobs (${jobs.join(', ')})`,
      'choose one with --job NAME',
    );
  }

  async ensureJobDir(name: string): Promise<void> {
    await mkdir(join(this.jobDir(name), 'logs'), { recursive: true });
  }

  /** Who holds the job's lock, if a live process does. */
  lockHolder(name: string): { pid: number; host: string } | undefined {
    const path = this.lockPath(name);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
    const [pidText, host = ''] = text.trim().split(/\s+/);
    const pid = Number(pidText);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    if (host !== hostname()) return { pid, host };
    try {
      process.kill(pid, 0);
      return { pid, host };
    } catch (e) {
      // EPERM: alive but not ours; ESRCH: gone (a crash or SIGKILL leaves a stale lock).
      return (e as NodeJS.ErrnoException).code === 'EPERM' ? { pid, host } : undefined;
    }
  }

  /** Take the job's lock (exit code 7 when another live process holds it). Returns the release. */
  lock(name: string): () => void {
    const path = this.lockPath(name);
    const holder = this.lockHolder(name);
    if (holder && holder.pid !== process.pid) throw new LockedError(holder.pid, holder.host, path);
    writeFileSync(path, `${process.pid} ${hostname()}\n`);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      try {
        if (readFileSync(path, 'utf8').startsWith(`${process.pid} `)) rmSync(path);
      } catch {
        // already gone
      }
    };
    process.once('exit', release);
    return release;
  }

  async removeJob(name: string): Promise<void> {
    await rm(this.jobDir(name), { recursive: true, force: true });
  }
}
