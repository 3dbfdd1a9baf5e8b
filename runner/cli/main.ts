import { CommanderError } from 'commander';
import { setDefaultLogLevel } from '../app/logger.ts';
import { readEnvironment } from '../config/environment.ts';
import { ExitCode } from '../core/exitCodes.ts';
import { buildProgram } from './program.ts';

// Built in program.ts: importing this file runs the CLI.
export { buildProgram };

async function main(argv: string[]): Promise<number> {
  // The entry point reads the environment; job logs below it take the level as a value.
  setDefaultLogLevel(readEnvironment(process.env).logLevel);
  const program = buildProgram();
  // `ossmigrate` alone in a terminal opens the TUI; without one, commander prints the help.
  const args = argv.length <= 2 && process.stdin.isTTY && process.stderr.isTTY ? [...argv, 'tui'] : argv;
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

process.exitCode = await main(process.argv);
