/**
 * The commander program, without running it: main.ts runs it, tests inspect and parse with it.
 * `extra` adds commands that live outside runner/ — the terminal UI registers `tui` from
 * tui/command.ts (tui/cli.ts is the full CLI's entry), so nothing under runner/ imports tui/ and
 * the fleet bundle (runner/cli/main.ts) carries no UI.
 */
import { Command, CommanderError } from 'commander';
import pkg from '../../package.json' with { type: 'json' };
import { setDefaultLogLevel } from '../app/logger.ts';
import { readEnvironment } from '../config/environment.ts';
import { ExitCode } from '../core/exitCodes.ts';
import { watchOutputs } from './closedOutput.ts';
import { commands } from './commands/index.ts';
import { applyHelp } from './help.ts';

export type RegisterCommand = (program: Command) => void;

export function buildProgram(extra: readonly RegisterCommand[] = []): Command {
  const program = new Command('ossmigrate')
    .description('Move a whole object store into Alibaba Cloud OSS without stopping the business.')
    .version(pkg.version)
    .showHelpAfterError()
    .exitOverride();
  // The extra commands (the TUI) come first in the help, as the front door.
  for (const register of [...extra, ...commands]) register(program);
  applyHelp(program);
  return program;
}

/** Parses argv and runs the command; resolves with the process exit code. */
export async function runProgram(argv: string[], extra: readonly RegisterCommand[] = []): Promise<number> {
  // The entry point reads the environment; job logs below it take the level as a value.
  setDefaultLogLevel(readEnvironment(process.env).logLevel);
  watchOutputs();
  const program = buildProgram(extra);
  // `ossmigrate` alone in a terminal opens the TUI (when it is part of this build); without
  // one, commander prints the help.
  const hasTui = program.commands.some((c) => c.name() === 'tui');
  const args =
    hasTui && argv.length <= 2 && process.stdin.isTTY && process.stderr.isTTY ? [...argv, 'tui'] : argv;
  try {
    await program.parseAsync(args);
    return process.exitCode === undefined ? ExitCode.OK : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help / --version exit through here with code 0; usage errors get USAGE.
      return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    throw err;
  }
}
