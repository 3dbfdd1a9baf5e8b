import type { Command } from 'commander';
import { applyOptions, JOBFILE_ARGUMENT } from '../options.ts';
import {
  action,
  Console,
  definitionFrom,
  type GlobalOptions,
  jobLine,
  replacedNote,
  submitSession,
} from '../shared.ts';

/** `ossmigrate submit`: validate and register a job (ossimport's submit); nothing is copied. */
export function register(program: Command): void {
  applyOptions(program.command('submit').argument(...JOBFILE_ARGUMENT))
    .summary('validate a job and register it in the work dir; copies nothing')
    .description(
      'Validate a job (an ossmigrate YAML file, an ossimport job.cfg / local_job.cfg with --sys sys.properties, or flags alone) and register it in the work dir, copying nothing; `ossmigrate start` then runs it. A different job under a registered name is refused until `ossmigrate clean`.',
    )
    .action(
      action(async (file: string | undefined, o: GlobalOptions & Record<string, string>) => {
        const def = await definitionFrom(file, o);
        const c = new Console(o);
        for (const n of def.notes) c.say(`note: ${n}`);
        const s = await submitSession(o, def, file ? { file } : {});
        try {
          if (s.replaced) c.say(replacedNote(s.name));
          c.say(`submitted ${jobLine(s.spec)} (work dir ${s.ws.root})`);
          c.json({ type: 'submitted', job: s.name, workdir: s.ws.root });
        } finally {
          await s.close();
        }
        return 0;
      }),
    );
}
