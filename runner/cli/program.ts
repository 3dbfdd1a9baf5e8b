/** The commander program, without running it: main.ts runs it, tests inspect and parse with it. */
import { Command } from 'commander';
import pkg from '../../package.json' with { type: 'json' };
import { commands } from './commands/index.ts';
import { applyHelp } from './help.ts';

export function buildProgram(): Command {
  const program = new Command('ossmigrate')
    .description('Move a whole object store into Alibaba Cloud OSS without stopping the business.')
    .version(pkg.version)
    .showHelpAfterError()
    .exitOverride();
  for (const register of commands) register(program);
  applyHelp(program);
  return program;
}
