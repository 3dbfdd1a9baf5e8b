import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.ts';
import { action, Console, type GlobalOptions, jobOptions, openSession } from '../shared.ts';

/** `ossmigrate report`: print the report of the latest (or a named) pass. */
export function register(program: Command): void {
  jobOptions(program.command('report'))
    .summary('print the report of the latest run')
    .description(
      'Print the report of the latest pass, or of --pass ID (ids from `ossmigrate stat`): summary, failures by class, and where the report files are.',
    )
    .option('--pass <id>', 'a specific pass (see `ossmigrate stat`)')
    .action(
      action(async (o: GlobalOptions & { pass?: string }) => {
        const s = await openSession(o);
        try {
          const passes = await s.state.passes();
          const copyPasses = passes.filter((p) => p.mode === 'copy' || p.mode === 'verify');
          const pass = o.pass
            ? passes.find((p) => p.id === o.pass)
            : (copyPasses.filter((p) => p.mode === 'copy').pop() ?? copyPasses.pop());
          if (!pass)
            throw new ConfigError(
              o.pass ? `no pass ${o.pass}` : `job ${s.name} has not run yet`,
              'see `ossmigrate stat` for the passes',
            );
          const dir = s.ws.reportDir(s.name, pass.id);
          const text = await readFile(join(dir, 'summary.txt'), 'utf8').catch(() => undefined);
          if (!text)
            throw new ConfigError(
              `pass ${pass.id} has no report yet (it is running or was interrupted)`,
              'run `ossmigrate start` to finish it, or `ossmigrate stat` for its progress',
            );
          const c = new Console(o);
          if (o.json)
            c.json({ type: 'report', ...JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) });
          else process.stdout.write(text);
          return 0;
        } finally {
          await s.close();
        }
      }),
    );
}
