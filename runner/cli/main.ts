// The runner's CLI without the terminal UI (the fleet bundle's entry, infra/bundle.ts). The full
// CLI users run is tui/cli.ts (bin/ossmigrate.js), which adds the `tui` command.
import { buildProgram, runProgram } from './program.ts';

export { buildProgram };

process.exitCode = await runProgram(process.argv);
