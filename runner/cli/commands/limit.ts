import type { Command } from 'commander';
import { formatRate, parseTimetable, RateSyntaxError, rateAt } from '../../core/bandwidth.ts';
import { ConfigError } from '../../core/errors.ts';
import { applyOptions } from '../options.ts';
import { action, Console, type GlobalOptions, openSession } from '../shared.ts';

/** `ossmigrate limit`: change the bandwidth limit (or timetable) of a running job, live; pause and resume. */
export function register(program: Command): void {
  applyOptions(program.command('limit'))
    .summary('change the bandwidth limit of a running job, live')
    .description(
      'Set the bandwidth limit of the running job (the whole fleet\'s, in fleet mode), applied within seconds: a rate (20M, 200Mbit/s, off) or a timetable ("08:00,10M 23:00,off"); "job" restores the job file\'s setting. --pause holds every transfer where it is, --resume continues.',
    )
    .argument('[limit]', 'rate, timetable, or "job"')
    .action(
      action(async (limit: string | undefined, o: GlobalOptions & { pause?: boolean; resume?: boolean }) => {
        if (limit === undefined && !o.pause && !o.resume)
          throw new ConfigError('nothing to change', 'give a limit (e.g. 50M), "job", --pause or --resume');
        if (limit !== undefined && limit !== 'job') {
          try {
            parseTimetable(limit);
          } catch (e) {
            if (e instanceof RateSyntaxError) throw new ConfigError(e.message);
            throw e;
          }
        }
        const s = await openSession(o);
        try {
          const next = await s.state.setControl({
            ...(limit !== undefined ? { bandwidth: limit === 'job' ? undefined : limit } : {}),
            ...(o.pause ? { paused: true } : o.resume ? { paused: false } : {}),
          });
          const effective = next.bandwidth ?? s.spec.bandwidth.limit;
          const rate = rateAt(parseTimetable(effective), new Date());
          const live =
            s.backend.kind === 'fleet' ? (await s.workers()).filter((w) => w.state !== 'gone').length : 0;
          const applies =
            s.backend.kind === 'fleet'
              ? `the whole fleet applies it within seconds${live > 1 && rate !== null ? ` (${live} live workers: ${formatRate(rate / live)} each)` : ''}`
              : 'a running job applies it within seconds';
          new Console(o).say(
            `job ${s.name}: bandwidth ${effective} (now ${formatRate(rate)})${next.paused ? ', paused' : ''}; ${applies}`,
          );
          new Console(o).json({ type: 'control', job: s.name, ...next, bandwidth: effective });
          return 0;
        } finally {
          await s.close();
        }
      }),
    );
}
