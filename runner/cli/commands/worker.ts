import type { Command } from 'commander';
import type { WorkerFlags } from '../../worker/main.ts';
import { action, positiveInt } from '../shared.ts';

/**
 * `ossmigrate worker`: a fleet service (systemd runs one per ECS instance). Joins at any time,
 * works on the fleet's active job, drains on SIGTERM; a second signal exits at once and its tasks
 * are re-run by other workers. The Redis URL comes from OSSMIGRATE_REDIS_URL (never put a password
 * in argv: /proc/<pid>/cmdline is world-readable), credentials from the vendors' variables.
 */
export function register(program: Command): void {
  program
    .command('worker')
    .summary('run a fleet worker on the Redis queue')
    .description(
      'Run a fleet worker: take tasks of the active job from the Redis queue until stopped (SIGTERM drains). The queue comes from --redis or $OSSMIGRATE_REDIS_URL, its password only from $OSSMIGRATE_REDIS_PASSWORD; credentials as for every command.',
    )
    .option(
      '--redis <url>',
      'the fleet queue (default: $OSSMIGRATE_REDIS_URL; password: $OSSMIGRATE_REDIS_PASSWORD)',
    )
    .option(
      '--workdir <dir>',
      'where the worker keeps its log',
      process.env.OSSMIGRATE_WORKDIR ?? '.ossmigrate',
    )
    .option(
      '--concurrency <n>',
      'object transfers in flight (default: the job file’s transfer.concurrency)',
      (v) => positiveInt(v, '--concurrency'),
    )
    .option('--tasks <n>', 'tasks in flight', (v) => positiveInt(v, '--tasks'), 4)
    .option(
      '--journal-dir <dir>',
      'shared journal directory, if the coordinator did not name one (tests, NFS)',
    )
    .option(
      '--drain-timeout <seconds>',
      'after SIGTERM, let tasks run this long before stopping them between objects',
      (v) => positiveInt(v, '--drain-timeout'),
      240,
    )
    .option('--json', 'print lifecycle events as NDJSON on stdout')
    .action(
      action(async (o: WorkerFlags) => {
        // The worker's own entry point reads its environment and composes it (runner/worker).
        const { startWorker } = await import('../../worker/main.ts');
        return startWorker(o, process.env);
      }),
    );
}
