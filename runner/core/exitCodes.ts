/** Documented process exit codes (README "Exit codes"). Stable: scripts depend on them. */
export const ExitCode = {
  /** Every object migrated and verified (or the command did what it was asked). */
  OK: 0,
  /** Unexpected internal error (a bug): the message names the log file. */
  INTERNAL: 1,
  /** Bad flags, bad job file or bad configuration: nothing was written. */
  USAGE: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
