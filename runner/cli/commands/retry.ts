import type { Command } from 'commander';
import { runFlow } from '../flow.ts';
import { applyOptions } from '../options.ts';
import { action, type GlobalOptions, openSession } from '../shared.ts';

/** `ossmigrate retry`: re-run only the objects that failed (and archive restores still waiting). */
export function register(program: Command): void {
  applyOptions(program.command('retry'))
    .summary('copy again only the objects that failed, then verify')
    .description(
      'Copy again only the objects that failed in the latest pass (and archive restores still waiting), then verify: the answer to exit code 4.',
    )
    .action(
      action(async (o: GlobalOptions & { verify?: boolean }) =>
        runFlow(await openSession(o, {}, 'needed'), 'retry', o),
      ),
    );
}
