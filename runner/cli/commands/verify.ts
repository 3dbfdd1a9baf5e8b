import type { Command } from 'commander';
import { runFlow } from '../flow.ts';
import { applyOptions } from '../options.ts';
import { action, type GlobalOptions, openSession } from '../shared.ts';

/**
 * `ossmigrate verify`: compare source and destination with no download — both listings joined
 * with the copy ledger (no request per object while both sides are as copied), HEAD where the
 * ledger cannot vouch, or everywhere with --deep.
 */
export function register(program: Command): void {
  applyOptions(program.command('verify'))
    .summary('compare source and destination (listings + copy ledger, no download)')
    .description(
      'Compare source and destination: missing, different and extra objects (nothing is downloaded). Both listings (size + ETag) are joined with the copy ledger: an object whose source and destination are as the copy committed them is proven by the evidence the copy recorded (CRC-64, MD5 ETag, multipart ETag, checksum), with no request of its own; HEAD requests compare size and CRC-64 only where the ledger cannot vouch (objects copied by another tool, a changed object to explain) or everywhere with --deep. Writes check.txt; exit code 5 when something is missing or different.',
    )
    .action(
      action(async (o: GlobalOptions & { deep?: boolean }) => {
        const s = await openSession(o, {}, 'needed');
        // For this run only: the stored job is left as it is.
        if (o.deep) s.spec = { ...s.spec, verify: { ...s.spec.verify, deep: true } };
        return runFlow(s, 'verify', o);
      }),
    );
}
