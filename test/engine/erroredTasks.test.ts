import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { exitCodeOf } from '../../runner/app/jobSession.ts';
import { MigrationError } from '../../runner/core/errors.ts';
import { ExitCode } from '../../runner/core/exitCodes.ts';
import { type Harness, harness, past } from '../helpers/engine.ts';

// A listing that keeps failing (403 on one prefix, say) used to leave its whole range out of
// every count: 20 of 40 objects copied, 0 failed, exit 0 — the rest silently never migrated.
describe('engine: a task that keeps failing makes the pass incomplete', () => {
  let h: Harness;
  const denyB = (op: string, key: string) => {
    if (op === 'list' && key.startsWith('b/'))
      throw new MigrationError('ACCESS_DENIED', 'AccessDenied listing b/', { status: 403 });
  };
  beforeEach(async () => {
    h = await harness();
    for (let i = 0; i < 20; i++) h.src.put(`a/${i}`, `a${i}`, { lastModified: past(60) });
    for (let i = 0; i < 20; i++) h.src.put(`b/${i}`, `b${i}`, { lastModified: past(60) });
  });
  afterEach(() => h.close());

  it('a copy pass names the errored listing, its range and class, and exits 4', async () => {
    h.src.hook = denyB;
    const spec = { scan: { depth: 1 } };
    const copy = await h.run('copy', { phase: 'full', t1: new Date() }, { spec });
    assert.equal(copy.summary.copied, 20);
    assert.equal(copy.summary.failed, 0, 'no object failed: the listing did');
    assert.equal(copy.summary.erroredTasks, 1);
    assert.equal(copy.summary.taskErrors?.[0]?.range, 'prefix "b/"');
    assert.match(copy.summary.taskErrors?.[0]?.error ?? '', /^ACCESS_DENIED: /);
    assert.equal(exitCodeOf(copy, undefined), ExitCode.FAILED_OBJECTS);

    // Resuming the pass (what `retry` and a second `import` do) reruns the errored listing.
    h.src.hook = undefined;
    const again = await h.run('copy', { phase: 'full', t1: new Date() }, { spec, resume: copy.pass });
    assert.equal(again.summary.erroredTasks, undefined);
    assert.equal(h.dst.objects.size, 40);
    assert.equal(exitCodeOf(again, undefined), ExitCode.OK);
  });

  it('a verify pass that cannot list a prefix is a mismatch (exit 5), not "all match"', async () => {
    const spec = { scan: { depth: 1 } };
    const copy = await h.run('copy', { phase: 'full', t1: new Date() }, { spec });
    assert.equal(h.dst.objects.size, 40);
    h.src.hook = denyB;
    const verify = await h.run(
      'verify',
      { phase: 'full', t1: new Date(copy.pass.t1) },
      { spec: { ...spec, transfer: { concurrency: 8, retries: 0 } } },
    );
    assert.equal(verify.summary.erroredTasks, 1);
    assert.equal(exitCodeOf(copy, verify), ExitCode.VERIFY_MISMATCH);
  });

  it('an object that failed is still counted as an object, not as an errored task', async () => {
    h.src.hook = (op, key) => {
      if (op === 'read' && key === 'a/3')
        throw new MigrationError('ACCESS_DENIED', 'denied', { status: 403 });
    };
    const copy = await h.run('copy', { phase: 'full', t1: new Date() });
    assert.equal(copy.summary.failed, 1);
    assert.equal(copy.summary.erroredTasks, undefined);
  });
});
