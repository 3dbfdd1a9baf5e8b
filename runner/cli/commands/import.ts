import type { Command } from 'commander';
import { runFlow } from '../flow.ts';
import { applyOptions, JOBFILE_ARGUMENT } from '../options.ts';
import {
  action,
  Console,
  definitionFrom,
  type GlobalOptions,
  replacedNote,
  submitSession,
} from '../shared.ts';

/**
 * `ossmigrate import`: the one-click path (ossimport's import.sh): preflight → migrate → verify →
 * retry prompt → report. Re-run it with --since T1 [--until T2] on the same work dir for the
 * incremental phase.
 */
export function register(program: Command): void {
  applyOptions(program.command('import').argument(...JOBFILE_ARGUMENT))
    .summary("migrate: preflight, copy, verify, report (ossimport's import.sh)")
    .description(
      "Migrate in one command (ossimport's import.sh): register the job, run the preflight (credentials, buckets, region, clock), copy every object in scope (resuming if interrupted), verify (size + CRC-64) and write the report. The first run copies what was modified before T1, its own start; --since T1 [--until T2] is the incremental phase. When objects fail it asks whether to retry them (--yes answers yes once, for unattended runs).",
    )
    .action(
      action(async (file: string | undefined, o: GlobalOptions & Record<string, never>) => {
        const def = await definitionFrom(file, o);
        const c = new Console(o);
        for (const n of def.notes) c.say(`note: ${n}`);
        // The preflight runs before the job is registered: a failed one leaves the work dir as it was.
        const session = await submitSession(o, def, { ...(file ? { file } : {}), preflight: c.sink });
        if (session.replaced) c.say(replacedNote(session.name));
        return runFlow(session, def.auditOnly ? 'verify' : 'import', o);
      }),
    );
}
