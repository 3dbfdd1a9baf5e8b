/** Documented process exit codes (docs/exit-codes.md, generated from EXIT_CODE_HELP). Stable: scripts depend on them. */
export const ExitCode = {
  /** Every object in the phase's scope migrated and verified (or the command did what it was asked). */
  OK: 0,
  /** Unexpected internal error (a bug): the message names the log file. */
  INTERNAL: 1,
  /** Bad flags, bad job file or bad configuration: nothing was written. */
  USAGE: 2,
  /** Preflight failed (credentials, bucket, region, clock skew, listing.inventory): nothing was written. */
  PREFLIGHT: 3,
  /** The run finished but some objects (or a whole listing task) failed (see the report; `ossmigrate retry`). */
  FAILED_OBJECTS: 4,
  /** Verification found missing or different objects. */
  VERIFY_MISMATCH: 5,
  /** Stopped before completion (signal or `ossmigrate stop`); the work dir resumes it. */
  INTERRUPTED: 6,
  /** Another ossmigrate process is running this work dir. */
  LOCKED: 7,
  /** Provisioning, the mirror rule or teardown failed (Pulumi, the sandbox driver): not a bug. */
  INFRA: 8,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** One line per code: `--help`, docs/exit-codes.md and the README print this table. */
export const EXIT_CODE_HELP: Record<ExitCode, string> = {
  0: 'success: every object in scope migrated and verified (what changed after T1 is the next phase’s, not a failure)',
  1: 'internal error: a bug, or a service failure outside any one object (see the message and the log)',
  2: 'usage or configuration error (flags, job file, credentials, stack config); nothing was written',
  3: 'preflight failed (bucket missing, wrong region, bad credentials, clock skew, unreadable inventory manifest); nothing was written',
  4: 'finished, but some objects failed, a listing kept failing, or archive restores are still pending (see the report; `ossmigrate retry`)',
  5: 'verification found missing or different objects, or could not compare some',
  6: 'interrupted (Ctrl-C, SIGTERM, `ossmigrate stop`, stdout’s reader gone as in `| head`); run the same command again to resume',
  7: 'another ossmigrate process runs this job (the work dir lock or the fleet lease)',
  8: 'provisioning, the mirror rule or teardown failed (the message names the step and the fix)',
};
