import type { Command } from 'commander';
import { register as clean } from './clean.ts';
import { register as importCmd } from './import.ts';
import { register as limit } from './limit.ts';
import { register as migrate } from './migrate.ts';
import { register as plan } from './plan.ts';
import { register as report } from './report.ts';
import { register as retry } from './retry.ts';
import { register as sandbox } from './sandbox.ts';
import { register as start } from './start.ts';
import { register as stat } from './stat.ts';
import { register as stop } from './stop.ts';
import { register as submit } from './submit.ts';
import { register as verify } from './verify.ts';
import { register as worker } from './worker.ts';

/**
 * Every CLI verb lives in its own file and registers itself here (in help order). `tui` is
 * registered by tui/command.ts (see program.ts).
 */
export const commands: Array<(program: Command) => void> = [
  migrate,
  importCmd,
  plan,
  submit,
  start,
  stat,
  retry,
  verify,
  report,
  stop,
  limit,
  worker,
  clean,
  sandbox,
];
