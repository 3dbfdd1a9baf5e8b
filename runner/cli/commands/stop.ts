import type { Command } from 'commander';
import { action, Console, type GlobalOptions, jobOptions, openSession } from '../shared.ts';

/** `ossmigrate stop`: ask the running job to finish its in-flight objects and stop (resumable). */
export function register(program: Command): void {
  jobOptions(program.command('stop'))
    .description(
      'stop the running job gracefully (in-flight objects finish; `start` resumes); --now stops at once',
    )
    .option('--now', 'stop at once (multipart uploads resume from their last finished part)')
    .action(
      action(async (o: GlobalOptions & { now?: boolean }) => {
        const s = await openSession(o);
        const c = new Console(o);
        try {
          await s.state.setControl({ stopRequested: true });
          const holder = s.ws.lockHolder(s.name);
          if (!holder) {
            c.say(`job ${s.name} is not running here; it will not start stopped (start clears the request)`);
            await s.state.setControl({ stopRequested: false });
            return 0;
          }
          if (holder.host === (await import('node:os')).hostname()) {
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
