import type { Command } from 'commander';
import { LockedError } from '../../app/workspace.ts';
import { ConfigError } from '../../core/errors.ts';
import { abortUploadsOf } from '../../engine/multipartCopy.ts';
import { applyOptions } from '../options.ts';
import { action, Console, confirm, type GlobalOptions, openSession } from '../shared.ts';

/** `ossmigrate clean`: forget a job (its work dir state); aborts its unfinished multipart uploads. Never touches objects. */
export function register(program: Command): void {
  applyOptions(program.command('clean'))
    .summary('forget a job: remove its state from the work dir (objects are never deleted)')
    .description(
      "Remove a job's state, journals and reports from the work dir, and abort its unfinished multipart uploads. Objects are never deleted, in the source or the destination.",
    )
    .action(
      action(async (o: GlobalOptions & { yes?: boolean }) => {
        // The cfg's keys, when it is still there, abort the job's unfinished uploads; gone, clean still works.
        const s = await openSession(o, {}, 'if-readable');
        const c = new Console(o);
        const holder = s.ws.lockHolder(s.name);
        if (holder) {
          await s.close();
          throw new LockedError(holder.pid, holder.host, s.ws.lockPath(s.name));
        }
        try {
          if (
            !(await confirm(
              `Remove job "${s.name}" and everything ossmigrate recorded for it in ${s.ws.jobDir(s.name)}?`,
              { ...(o.yes ? { yes: true } : {}), fallback: false },
            ))
          ) {
            throw new ConfigError(
              'not confirmed; nothing was removed',
              'pass --yes to clean without a prompt',
            );
          }
          // Unfinished uploads cost storage until aborted; they are ours, so abort them.
          let aborted = 0;
          const checkpoints = await s.state.allMultipart();
          if (checkpoints.length) {
            const { dst } = await s.getStores();
            for (const cp of checkpoints) {
              aborted += await abortUploadsOf(dst, cp, (what, e) =>
                c.say(`  could not ${what} of ${cp.dstKey}: ${e.message}`),
              );
            }
          }
          // A fleet job also lives in Redis: its definition, passes, checkpoints and queues.
          const redisKeys = await s.backend.forget(s.log);
          await s.close();
          await s.ws.removeJob(s.name);
          c.say(
            `cleaned job ${s.name}${aborted ? ` (aborted ${aborted} unfinished multipart upload${aborted === 1 ? '' : 's'})` : ''}`,
          );
          c.json({
            type: 'cleaned',
            job: s.name,
            abortedUploads: aborted,
            ...(s.backend.kind === 'fleet' ? { redisKeys } : {}),
          });
          return 0;
        } finally {
          await s.close();
        }
      }),
    );
}
