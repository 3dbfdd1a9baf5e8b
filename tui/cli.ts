// The full CLI (bin/ossmigrate.js): the runner's commands plus the terminal UI's `tui`.
// The composition happens here, outside runner/, so the runner never imports the UI.
import { runProgram } from '../runner/cli/program.ts';
import { register as tui } from './command.ts';

process.exitCode = await runProgram(process.argv, [tui]);
