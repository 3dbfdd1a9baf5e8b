import type { Command } from 'commander';
import type { WorkerFlags } from '../../worker/main.ts';
import { applyOptions } from '../options.ts';
import { action } from '../shared.ts';

/**
 * `ossmigrate worker`: a fleet service (systemd runs one per ECS instance). Joins at any time,
 * works on the fleet's active job, drains on SIGTERM; a second signal exits at once and its tasks
 * are re-run by other workers. The Redis URL comes from OSSMIGRATE_REDIS_URL (never put a password
 * in argv: /proc/<pid>/cmdline is world-readable), credentials from the vendors' variables.
 */
export function register(program: Command): void {
  applyOptions(program.command('worker'))
    .summary('run a fleet worker on the Redis queue')
    .description(
      'Run a fleet worker: take tasks of the active job from the Redis queue until stopped (SIGTERM drains). The queue comes from --redis or $OSSMIGRATE_REDIS_URL, its password only from $OSSMIGRATE_REDIS_PASSWORD; credentials as for every command.',
    )
    .action(
      action(async (o: WorkerFlags) => {
        // The worker's own entry point reads its environment and composes it (runner/worker).
        const { startWorker } = await import('../../worker/main.ts');
        return startWorker(o, process.env);
      }),
    );
}
