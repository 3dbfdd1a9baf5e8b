import type { Command } from 'commander';
import { runFlow } from '../flow.ts';
import { action, type GlobalOptions, jobOptions, openSession } from '../shared.ts';

/** `ossmigrate verify`: compare source and destination (size + CRC-64 via HEAD; no download). */
export function register(program: Command): void {
  jobOptions(program.command('verify'))
    .description(
      'compare source and destination: missing, different and extra objects (size + CRC-64, no download)',
    )
    .action(action(async (o: GlobalOptions) => runFlow(await openSession(o, {}, 'needed'), 'verify', o)));
}
