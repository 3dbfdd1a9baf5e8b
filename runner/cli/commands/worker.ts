import type { Command } from 'commander';
import { refusePasswordInArgv } from '../../adapters/queue/redisConnection.ts';
import { ExitCode } from '../../core/exitCodes.ts';
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
      action(
        async (o: {
          redis?: string;
          workdir: string;
          concurrency?: number;
          tasks: number;
          journalDir?: string;
          drainTimeout: number;
          json?: boolean;
        }) => {
          refusePasswordInArgv(o.redis, '--redis');
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
            const { runWorker } = await import('../../fleet/worker.ts');
            const { makeStores } = await import('../../adapters/factory.ts');
            return await runWorker({
              ...(o.redis ? { redis: o.redis } : {}),
              workdir: o.workdir,
              ...(o.concurrency ? { concurrency: o.concurrency } : {}),
              tasks: o.tasks,
              ...(o.journalDir ? { journalDir: o.journalDir } : {}),
              drainTimeoutMs: o.drainTimeout * 1000,
              env: process.env,
              makeStores,
              say: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
              ...(o.json
                ? { json: (obj: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(obj)}\n`) }
                : {}),
              drain: drain.signal,
            });
          } finally {
            process.off('SIGINT', onSignal);
            process.off('SIGTERM', onSignal);
          }
        },
      ),
    );
}
