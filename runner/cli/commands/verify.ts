import type { Command } from 'commander';
import { runFlow } from '../flow.ts';
import { applyOptions } from '../options.ts';
import { action, type GlobalOptions, openSession } from '../shared.ts';

/** `ossmigrate verify`: compare source and destination (size + CRC-64 via HEAD; no download). */
export function register(program: Command): void {
  applyOptions(program.command('verify'))
    .summary('compare source and destination (size + CRC-64, no download)')
    .description(
      'Compare source and destination: missing, different and extra objects, by size and CRC-64 from listings and HEAD requests (nothing is downloaded). Writes check.txt; exit code 5 when something is missing or different.',
    )
    .action(action(async (o: GlobalOptions) => runFlow(await openSession(o, {}, 'needed'), 'verify', o)));
}
