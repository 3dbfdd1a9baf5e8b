/**
 * The fleet worker's entry point: `ossmigrate worker` (which the fleet's systemd unit runs, see
 * infra/userData.ts) parses its flags and calls `startWorker`. This is where the worker reads its
 * environment — once — and composes what runner/fleet/worker.ts runs on: the queue, this
 * machine's credentials, the log, the store factory, the lease and endpoint settings.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeStores } from '../adapters/factory.ts';
import { parseRedisUrl, REDIS_ENV, refusePasswordInArgv } from '../adapters/queue/redisConnection.ts';
import { jobLogger, routeConsole, setDefaultLogLevel } from '../app/logger.ts';
import { loadCredentials, secretValues } from '../config/credentials.ts';
import { readEnvironment } from '../config/environment.ts';
import { ConfigError } from '../core/errors.ts';
import { ExitCode } from '../core/exitCodes.ts';
import { journalLocationFrom } from '../fleet/journalLocation.ts';
import { runWorker } from '../fleet/worker.ts';

export type WorkerFlags = {
  /** --redis (else OSSMIGRATE_REDIS_URL); never with a password (argv is world-readable). */
  redis?: string;
  workdir: string;
  concurrency?: number;
  tasks: number;
  journalDir?: string;
  /** --drain-timeout, in seconds. */
  drainTimeout: number;
  json?: boolean;
};

/**
 * Run a worker until SIGTERM / SIGINT (the first drains, a second exits at once). Returns the
 * exit code.
 */
export async function startWorker(flags: WorkerFlags, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  refusePasswordInArgv(flags.redis, '--redis');
  const e = readEnvironment(env);
  setDefaultLogLevel(e.logLevel);
  const url = flags.redis ?? e.redis.url;
  if (!url) {
    throw new ConfigError(
      'no queue: the worker needs the fleet’s Redis URL',
      `set ${REDIS_ENV.url} (or pass --redis redis://host:6379/0); the password may go in ${REDIS_ENV.password}`,
    );
  }
  const target = parseRedisUrl(url, e.redis);
  const creds = await loadCredentials({ env });
  const workdir = resolve(flags.workdir);
  mkdirSync(join(workdir, 'logs'), { recursive: true });
  const secrets = [...secretValues(creds), ...(target.password ? [target.password] : [])];
  const log = jobLogger({ file: join(workdir, 'logs', 'worker.log'), secrets: () => secrets });
  // Libraries' console warnings go to the worker log, not over the operator's terminal.
  const restoreConsole = routeConsole(log);
  const journal = journalLocationFrom(e.journal, flags.journalDir ? { journalDir: flags.journalDir } : {});

  const drain = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (!drain.signal.aborted) {
      drain.abort();
      return;
    }
    // Second signal: leave now. The leases expire and other workers re-run the tasks.
    process.stderr.write(`${sig}: exiting now; other workers re-run this worker's tasks\n`);
    process.exit(ExitCode.INTERRUPTED);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await runWorker({
      target,
      creds,
      log,
      ...(journal ? { journal } : {}),
      lease: e.lease,
      ...(e.ossEndpoint ? { ossEndpoint: e.ossEndpoint } : {}),
      ...(flags.concurrency ? { concurrency: flags.concurrency } : {}),
      tasks: flags.tasks,
      drainTimeoutMs: flags.drainTimeout * 1000,
      makeStores: (spec, c) => makeStores(spec, c, e.ossEndpoint ? { ossEndpoint: e.ossEndpoint } : {}),
      say: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
      ...(flags.json
        ? { json: (obj: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(obj)}\n`) }
        : {}),
      drain: drain.signal,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    restoreConsole();
  }
}
