/**
 * One error taxonomy (runner/core/errors.ts): every class that ends a command maps to its
 * documented exit code, every failure is retryable, not retryable or fatal, and the CLI prints
 * each through the same describeError.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError as StackConfigError } from '../../infra/config.ts';
import { reportError } from '../../runner/cli/shared.ts';
import {
  ConfigError,
  describeError,
  errorKind,
  exitCodeFor,
  IncompleteError,
  InfraError,
  LockedError,
  MigrationError,
  PreflightError,
} from '../../runner/core/errors.ts';
import { EXIT_CODE_HELP, ExitCode } from '../../runner/core/exitCodes.ts';

const preflight = () =>
  new PreflightError([
    { severity: 'error', code: 'BUCKET_MISSING', message: 'bucket media does not exist', fix: 'create it' },
    { severity: 'warning', code: 'CLOCK', message: 'clock 2 s off' },
  ]);

/** What reportError writes on stderr, and the code it returns. */
function report(e: unknown, debug = false): { code: number; err: string } {
  const write = process.stderr.write;
  let err = '';
  process.stderr.write = ((s: string) => {
    err += s;
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: reportError(e, debug), err };
  } finally {
    process.stderr.write = write;
  }
}

describe('error taxonomy', () => {
  it('every error class maps to its documented exit code', () => {
    const cases: Array<[unknown, ExitCode]> = [
      [new ConfigError('bad', 'fix it'), ExitCode.USAGE],
      [ConfigError.list('invalid stack configuration', ['a', 'b']), ExitCode.USAGE],
      [preflight(), ExitCode.PREFLIGHT],
      [new LockedError(42, 'host-a', '/w/lock'), ExitCode.LOCKED],
      [new InfraError('pulumi up failed', 'run pulumi preview'), ExitCode.INFRA],
      [
        new IncompleteError([{ kind: 'scan', range: 'prefix "b/"', error: 'ACCESS_DENIED' }], 1),
        ExitCode.FAILED_OBJECTS,
      ],
      [new MigrationError('ACCESS_DENIED', 'denied', { status: 403 }), ExitCode.INTERNAL],
      [new TypeError('x is undefined'), ExitCode.INTERNAL],
      ['a string', ExitCode.INTERNAL],
    ];
    for (const [e, code] of cases) {
      assert.equal(exitCodeFor(e), code, String(e));
      assert.ok(EXIT_CODE_HELP[code], `exit ${code} is documented`);
    }
  });

  it('retryable / not retryable / fatal: a bug is not a 5xx', () => {
    assert.equal(errorKind(new MigrationError('THROTTLED', 'slow down', { status: 503 })), 'retryable');
    assert.equal(errorKind(new MigrationError('NETWORK', 'reset')), 'retryable');
    assert.equal(errorKind(new MigrationError('INTERNAL', 'boom', { status: 500 })), 'retryable');
    assert.equal(errorKind(new MigrationError('INTERNAL', 'teapot', { status: 418 })), 'not-retryable');
    assert.equal(errorKind(new MigrationError('ACCESS_DENIED', 'denied', { status: 403 })), 'not-retryable');
    assert.equal(errorKind(Object.assign(new Error('socket'), { code: 'ECONNRESET' })), 'retryable');
    for (const e of [new ConfigError('bad'), preflight(), new LockedError(1, 'h', 'p'), new InfraError('x')])
      assert.equal(errorKind(e), 'not-retryable', e.name);
    assert.equal(errorKind(new TypeError('x is undefined')), 'fatal');
    assert.equal(errorKind(new RangeError('Invalid array length')), 'fatal');
  });

  it('one ConfigError: the stack config lists every problem through the core class', () => {
    assert.equal(StackConfigError, ConfigError);
    const e = ConfigError.list('invalid stack configuration', [
      'ossmigrate:days is required',
      'ossmigrate:x',
    ]);
    assert.equal(
      e.message,
      'invalid stack configuration:\n  - ossmigrate:days is required\n  - ossmigrate:x',
    );
    assert.deepEqual(e.problems, ['ossmigrate:days is required', 'ossmigrate:x']);
    assert.deepEqual(new ConfigError('bad').problems, []);
  });

  it('describeError: the message and the fix, for every class', () => {
    assert.deepEqual(describeError(new InfraError('the mirror rule is not on', 'pulumi up again')), {
      message: 'the mirror rule is not on',
      fix: 'pulumi up again',
    });
    assert.deepEqual(describeError(new MigrationError('ACCESS_DENIED', 'ListObjects: denied')), {
      message: 'ACCESS_DENIED: ListObjects: denied',
      fix: 'check the RAM / CAM policy of the key in use (read on the source, write on the destination) and run `ossmigrate retry`',
    });
    assert.deepEqual(describeError(preflight()), {
      message: 'preflight failed: BUCKET_MISSING: bucket media does not exist',
      fix: 'create it',
    });
  });

  it('reportError prints each through describeError and returns exitCodeFor', () => {
    assert.deepEqual(report(new ConfigError('--days must be a positive number, not "x"', 'e.g. --days 7')), {
      code: 2,
      err: 'error: --days must be a positive number, not "x"\n  fix: e.g. --days 7\n',
    });
    assert.deepEqual(report(preflight()), {
      code: 3,
      err: 'preflight failed; nothing was written:\n  ✗ BUCKET_MISSING: bucket media does not exist\n      fix: create it\n',
    });
    assert.deepEqual(report(new LockedError(42, 'host-a', '/w/lock')), {
      code: 7,
      err: 'error: the job is being run by process 42 on host-a (lock /w/lock)\n  fix: wait for it, or stop it with: ossmigrate stop\n',
    });
    assert.deepEqual(report(new InfraError('pulumi up failed: quota', 'raise the ECS quota')), {
      code: 8,
      err: 'error: pulumi up failed: quota\n  fix: raise the ECS quota\n',
    });
    const bug = report(new TypeError('x is undefined'));
    assert.equal(bug.code, 1);
    assert.equal(
      bug.err,
      'internal error: x is undefined\n  (a bug: the job log in the work dir has details)\n',
    );
    assert.match(report(new TypeError('x'), true).err, /at .*errorTaxonomy\.test\.ts/);
    // A URL with a password never reaches the terminal.
    assert.doesNotMatch(report(new ConfigError('cannot reach redis://:hunter2@h:6379/0')).err, /hunter2/);
  });
});
