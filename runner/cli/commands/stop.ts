import { hostname } from 'node:os';
import type { Command } from 'commander';
import { applyOptions } from '../options.ts';
import { action, Console, type GlobalOptions, openSession } from '../shared.ts';

/** `ossmigrate stop`: ask the running job to finish its in-flight objects and stop (resumable). */
export function register(program: Command): void {
  applyOptions(program.command('stop'))
    .summary('stop the running job gracefully; `start` resumes')
    .description(
      'Ask the running job to finish its in-flight objects and stop; `ossmigrate start` (or the same import) resumes it. --now stops at once (multipart uploads resume from their last finished part).',
    )
    .action(
      action(async (o: GlobalOptions & { now?: boolean }) => {
        const s = await openSession(o);
        const c = new Console(o);
        try {
          await s.state.setControl({ stopRequested: true });
          const holder = await s.runner();
          if (s.backend.kind === 'fleet') {
            // The request is in Redis: the coordinator and every worker see it within seconds,
            // wherever they run. Workers finish their objects in flight, put their tasks back and
            // wait; `start` / `import` clears the request and the fleet resumes.
            const busy = (await s.workers()).filter((w) => w.job === s.name && w.state !== 'gone');
            c.say(
              `asked job ${s.name} to stop${holder ? ` (coordinator pid ${holder.pid} on ${holder.host})` : ''}: ` +
                `${busy.length} worker${busy.length === 1 ? '' : 's'} finish their objects in flight; resume with ossmigrate start`,
            );
            c.json({
              type: 'stopping',
              job: s.name,
              ...(holder ? { pid: holder.pid, host: holder.host } : {}),
              workers: busy.length,
            });
            return 0;
          }
          if (!holder) {
            c.say(`job ${s.name} is not running here; it will not start stopped (start clears the request)`);
            await s.state.setControl({ stopRequested: false });
            return 0;
          }
          if (holder.host === hostname()) {
            process.kill(holder.pid, 'SIGTERM');
            if (o.now) setTimeout(() => process.kill(holder.pid, 'SIGTERM'), 200).unref();
          }
          c.say(
            `asked job ${s.name} (pid ${holder.pid} on ${holder.host}) to stop${o.now ? ' now' : ' after its in-flight objects'}`,
          );
          c.json({ type: 'stopping', job: s.name, pid: holder.pid });
          return 0;
        } finally {
          await s.close();
        }
      }),
    );
}
