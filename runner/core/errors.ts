/**
 * The failure taxonomy. Every failure the engine records carries one of these classes, a human
 * reason and a fix. The class decides how it is reported (names are stable: reports and journals
 * carry them); whether it is retried is a property of the error itself (see MigrationError.transient).
 * (ossimport's SIZE_NOT_MATCH is SOURCE_CHANGED here.)
 */

import type { Problem } from './events.ts';
import { ExitCode } from './exitCodes.ts';

export const FAILURE_CLASSES = [
  'SOURCE_CHANGED',
  'SOURCE_GONE',
  'INVALID_OBJECT_NAME',
  'ARCHIVED',
  'ACCESS_DENIED',
  'THROTTLED',
  'NETWORK',
  'CRC_MISMATCH',
  'DEST_NEWER',
  'INTERNAL',
] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

type ClassInfo = {
  /**
   * Every error of the class can succeed on a retry (throttling, network, a corrupted transfer).
   * INTERNAL is retried only when the service failed (5xx): a bug or an unknown 4xx fails the same
   * way every time.
   */
  transient: boolean;
  /** Counted as "skipped" rather than "failed" in the summary: nothing is wrong with the migration. */
  benign: boolean;
  reason: string;
  fix: string;
};

export const CLASS_INFO: Record<FailureClass, ClassInfo> = {
  SOURCE_CHANGED: {
    transient: false,
    benign: false,
    reason: 'the source object changed while it was being copied',
    fix: 'nothing is lost: the incremental phase (import --since T1) copies the new version; or run `ossmigrate retry`',
  },
  SOURCE_GONE: {
    transient: false,
    benign: true,
    reason: 'the source object was deleted after it was listed',
    fix: 'none needed: deletions are reported, never propagated',
  },
  INVALID_OBJECT_NAME: {
    transient: false,
    benign: false,
    reason: 'OSS does not accept this object name',
    fix: 'rename the source object; for names starting with "/", set keys.stripLeadingSlash: true in the job file',
  },
  ARCHIVED: {
    transient: false,
    benign: false,
    reason: 'the source object is archived and must be restored before it can be read',
    fix: 'set archive.mode: restore in the job file (or wait for the restore started) and run `ossmigrate retry`',
  },
  ACCESS_DENIED: {
    transient: false,
    benign: false,
    reason: 'the credentials are not allowed to do this',
    fix: 'check the RAM / CAM policy of the key in use (read on the source, write on the destination) and run `ossmigrate retry`',
  },
  THROTTLED: {
    transient: true,
    benign: false,
    reason: 'the service throttled the request (429/503)',
    fix: 'lower transfer.concurrency or set bandwidth.limit in the job file, then run `ossmigrate retry`',
  },
  NETWORK: {
    transient: true,
    benign: false,
    reason: 'the connection failed or timed out',
    fix: 'check connectivity to the endpoint (internal endpoints only work inside the region VPC), then `ossmigrate retry`',
  },
  CRC_MISMATCH: {
    transient: true,
    benign: false,
    reason: 'the CRC-64 of the bytes copied differs from the one the service reports',
    fix: 'the destination copy is not trusted; run `ossmigrate retry` (persistent mismatches point at a faulty proxy)',
  },
  DEST_NEWER: {
    transient: false,
    benign: true,
    reason: 'the destination object was written by the business after cutover (T2); it was left untouched',
    fix: 'none needed: the newer destination object wins',
  },
  INTERNAL: {
    transient: false,
    benign: false,
    reason: 'the service or ossmigrate failed unexpectedly',
    fix: 'run `ossmigrate retry`; if it persists, report the request id from the error list',
  },
};

/** An error the engine understands: classified, with what to tell the user. */
export class MigrationError extends Error {
  readonly failureClass: FailureClass;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly requestId: string | undefined;
  /** Server-suggested wait before retrying (Retry-After, x-oss-qos-delay-time). */
  readonly retryAfterMs: number | undefined;

  constructor(
    failureClass: FailureClass,
    message: string,
    extra: {
      status?: number;
      code?: string;
      requestId?: string;
      retryAfterMs?: number;
      /** Overrides what the class and status say (an adapter that knows better). */
      transient?: boolean;
      cause?: unknown;
    } = {},
  ) {
    super(message, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'MigrationError';
    this.failureClass = failureClass;
    this.status = extra.status;
    this.code = extra.code;
    this.requestId = extra.requestId;
    this.retryAfterMs = extra.retryAfterMs;
    this.transient = extra.transient ?? isTransient(failureClass, extra.status);
  }

  /** Worth retrying automatically (with backoff) within the run: can a retry succeed? */
  readonly transient: boolean;
}

/** Can a retry succeed? The class says so, or (INTERNAL) the service answered 5xx. */
export function isTransient(failureClass: FailureClass, status: number | undefined): boolean {
  if (CLASS_INFO[failureClass].transient) return true;
  return failureClass === 'INTERNAL' && status !== undefined && status >= 500;
}

/**
 * A problem with the user's input (job file, flags, credentials, stack config): exit code 2,
 * nothing written. A check that collects several problems (the Pulumi stack config) lists them
 * all in `problems`, one per line of the message, so the user fixes them in one go.
 */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(
    message: string,
    readonly fix?: string,
    problems: string[] = [],
  ) {
    super(message);
    this.name = 'ConfigError';
    this.problems = problems;
  }

  /** "heading:\n  - problem\n  - problem": every problem at once, each naming its key and fix. */
  static list(heading: string, problems: string[]): ConfigError {
    return new ConfigError(`${heading}:\n  - ${problems.join('\n  - ')}`, undefined, problems);
  }
}

/**
 * Classify an HTTP-level failure from any object store. Adapters call this with what they could
 * extract from the SDK error (status may be missing for network errors).
 */
export function classifyHttp(status: number | undefined, code: string | undefined): FailureClass {
  if (status === undefined || status <= 0) return 'NETWORK';
  if (
    status === 429 ||
    code === 'SlowDown' ||
    code === 'QpsLimitExceeded' ||
    /LimitExceeded$/.test(code ?? '')
  ) {
    return 'THROTTLED';
  }
  if (status === 503) return 'THROTTLED';
  if (code === 'InvalidObjectState') return 'ARCHIVED';
  // The service refused a body that did not match its Content-MD5: corrupted in transit.
  if (code === 'BadDigest' || code === 'InvalidDigest') return 'CRC_MISMATCH';
  if (code === 'InvalidObjectName') return 'INVALID_OBJECT_NAME';
  if (status === 412 || code === 'PreconditionFailed') return 'SOURCE_CHANGED';
  if (status === 404 && (code === undefined || code === 'NoSuchKey' || code === '404')) return 'SOURCE_GONE';
  if (status === 403 || status === 401) return 'ACCESS_DENIED';
  if (status >= 500) return 'INTERNAL';
  return 'INTERNAL';
}

/** Node/undici/urllib network error codes that mean "the connection failed", worth a retry. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ECONNABORTED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
  'ResponseTimeoutError',
  'ConnectionTimeoutError',
  'RequestError',
  'ResponseError',
]);

export function isNetworkCode(code: string | undefined): boolean {
  return code !== undefined && NETWORK_CODES.has(code);
}

/** Best-effort conversion of anything thrown into a MigrationError. */
export function toMigrationError(err: unknown): MigrationError {
  if (err instanceof MigrationError) return err;
  const e = err as { code?: unknown; name?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : undefined;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (isNetworkCode(code))
    return new MigrationError('NETWORK', message, { ...(code ? { code } : {}), cause: err });
  return new MigrationError('INTERNAL', message, { ...(code ? { code } : {}), cause: err });
}

// ---- errors that end a command ---------------------------------------------------------------
// One taxonomy for the CLI, the TUI and the migration flow: each class below maps to one exit
// code (exitCodeFor) and one message + fix (describeError). Anything else is a bug (exit 1).

/** The preflight found errors (credentials, bucket, region, clock skew): exit 3, nothing written. */
export class PreflightError extends Error {
  constructor(readonly problems: Problem[]) {
    super(
      problems
        .filter((p) => p.severity === 'error')
        .map((p) => `${p.code}: ${p.message}`)
        .join('; '),
    );
    this.name = 'PreflightError';
  }
}

/** Another ossmigrate process runs this job (work dir lock or fleet lease): exit 7. */
export class LockedError extends Error {
  constructor(
    readonly pid: number,
    readonly host: string,
    readonly path: string,
  ) {
    super(`the job is being run by process ${pid} on ${host} (lock ${path})`);
    this.name = 'LockedError';
  }
}

/** Provisioning, the mirror rule or teardown failed (Pulumi, the sandbox driver): exit 8. */
export class InfraError extends Error {
  readonly fix: string | undefined;
  constructor(message: string, fix?: string) {
    super(fix ? `${message}\nfix: ${fix}` : message);
    this.name = 'InfraError';
    this.fix = fix;
  }
}

/** Listings kept failing, so a survey or a pass misses whole ranges: exit 4, `retry` reruns them. */
export class IncompleteError extends Error {
  constructor(
    readonly errors: Array<{ kind: string; range: string; error: string }>,
    count: number,
  ) {
    super(
      `${count} listing task${count === 1 ? '' : 's'} kept failing, so nothing under ${count === 1 ? 'its range' : 'their ranges'} is counted: ` +
        errors.map((t) => `${t.range}: ${t.error}`).join('; '),
    );
    this.name = 'IncompleteError';
  }
}

/**
 * The three kinds every failure is, for whoever decides what to do next (the engine's retry loop,
 * the orchestrator, the CLI):
 * - retryable: the same call can succeed (throttling, network, a 5xx, a corrupted transfer);
 * - not-retryable: it fails the same way until someone changes something (a 4xx, access denied,
 *   a bad job file, a failed preflight, a locked work dir, a failed provisioning step);
 * - fatal: a bug — anything unclassified. It is never retried (a bug is not a 5xx) and ends the
 *   command with exit 1.
 */
export type ErrorKind = 'retryable' | 'not-retryable' | 'fatal';

export function errorKind(e: unknown): ErrorKind {
  if (e instanceof MigrationError) return e.transient ? 'retryable' : 'not-retryable';
  if (
    e instanceof ConfigError ||
    e instanceof PreflightError ||
    e instanceof LockedError ||
    e instanceof InfraError ||
    e instanceof IncompleteError
  )
    return 'not-retryable';
  // A raw network error from a socket or an SDK, not yet classified by an adapter.
  const code = (e as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && isNetworkCode(code)) return 'retryable';
  return 'fatal';
}

/**
 * The documented exit code for an error that ended a command (EXIT_CODE_HELP says what each
 * means; test/unit/errors.test.ts holds every class to its code).
 */
export function exitCodeFor(e: unknown): ExitCode {
  if (e instanceof ConfigError) return ExitCode.USAGE;
  if (e instanceof PreflightError) return ExitCode.PREFLIGHT;
  if (e instanceof LockedError) return ExitCode.LOCKED;
  if (e instanceof InfraError) return ExitCode.INFRA;
  if (e instanceof IncompleteError) return ExitCode.FAILED_OBJECTS;
  return ExitCode.INTERNAL;
}

/** What to tell the user: one message and, where we know it, the fix. */
export function describeError(e: unknown): { message: string; fix?: string } {
  if (e instanceof InfraError) {
    const [message = e.message] = e.message.split('\nfix: ');
    return { message, ...(e.fix ? { fix: e.fix } : {}) };
  }
  if (e instanceof ConfigError) return { message: e.message, ...(e.fix ? { fix: e.fix } : {}) };
  if (e instanceof PreflightError) {
    const first = e.problems.find((p) => p.severity === 'error');
    return { message: `preflight failed: ${e.message}`, ...(first?.fix ? { fix: first.fix } : {}) };
  }
  if (e instanceof LockedError)
    return { message: e.message, fix: 'wait for it, or stop it with: ossmigrate stop' };
  if (e instanceof IncompleteError)
    return {
      message: e.message,
      fix: 'check the credentials can list that prefix and the source answers, then run the step again',
    };
  // A classified service failure outside any one object (listing the source…): its class's fix.
  if (e instanceof MigrationError)
    return { message: `${e.failureClass}: ${e.message}`, fix: CLASS_INFO[e.failureClass].fix };
  return { message: (e as Error)?.message ?? String(e) };
}
