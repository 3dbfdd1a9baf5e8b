/**
 * Error semantics: only what can succeed on a retry is retried (5xx, throttling, network, CRC),
 * and transfer.stopOnInternalError stops the run softly at the first INTERNAL failure.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MigrationError, toMigrationError } from '../../runner/core/errors.ts';
import { listOpen } from '../../runner/core/ledger.ts';
import { harness, past } from '../helpers/engine.ts';

describe('engine: which failures are retried', () => {
  it('a programming error (TypeError) is tried once, recorded as INTERNAL, not retried', async () => {
    const h = await harness();
    try {
      h.src.put('bug', 'x', { lastModified: past(60) });
      let reads = 0;
      h.src.hook = (op) => {
        if (op !== 'read') return;
        reads++;
        // What a bug looks like: not a MigrationError, no status.
        (undefined as unknown as { x: number }).x;
      };
      const r = await h.run(
        'copy',
        { phase: 'full', t1: new Date() },
        { spec: { transfer: { retries: 3 } } },
      );
      assert.equal(reads, 1, 'a bug fails the same way every time: one attempt');
      assert.equal(r.summary.failed, 1);
      assert.deepEqual(r.summary.failuresByClass, { INTERNAL: 1 });
      assert.equal((await listOpen(r.totals.open))[0]!.attempts, 1);
    } finally {
      await h.close();
    }
  });

  it('an unknown 4xx is not retried; a 5xx INTERNAL is', async () => {
    const h = await harness();
    try {
      h.src.put('four', 'x', { lastModified: past(60) });
      h.src.put('five', 'y', { lastModified: past(60) });
      const reads: Record<string, number> = { four: 0, five: 0 };
      h.src.hook = (op, key) => {
        if (op !== 'read') return;
        reads[key] = (reads[key] ?? 0) + 1;
        if (key === 'four')
          throw new MigrationError('INTERNAL', 'HTTP 418 Teapot', { status: 418, code: 'Teapot' });
        if (reads[key]! <= 1) throw new MigrationError('INTERNAL', 'HTTP 500 InternalError', { status: 500 });
      };
      const r = await h.run(
        'copy',
        { phase: 'full', t1: new Date() },
        { spec: { transfer: { retries: 2 } } },
      );
      assert.equal(reads.four, 1, 'an unknown 4xx: one attempt');
      assert.equal(reads.five, 2, 'a 5xx: retried, then copied');
      assert.equal(r.summary.copied, 1);
      assert.equal(r.summary.failed, 1);
      assert.equal(h.dst.objects.has('five'), true);
    } finally {
      await h.close();
    }
  });

  it('transience is a property of the error; the class names stay', () => {
    assert.equal(new MigrationError('INTERNAL', 'x', { status: 500 }).transient, true);
    assert.equal(new MigrationError('INTERNAL', 'x', { status: 400 }).transient, false);
    assert.equal(new MigrationError('INTERNAL', 'x').transient, false);
    assert.equal(toMigrationError(new TypeError('bug')).transient, false);
    assert.equal(toMigrationError(new TypeError('bug')).failureClass, 'INTERNAL');
    assert.equal(new MigrationError('THROTTLED', 'x', { status: 429 }).transient, true);
    assert.equal(new MigrationError('NETWORK', 'x').transient, true);
    assert.equal(new MigrationError('CRC_MISMATCH', 'x').transient, true);
    assert.equal(new MigrationError('ACCESS_DENIED', 'x', { status: 403 }).transient, false);
    assert.equal(toMigrationError(Object.assign(new Error('reset'), { code: 'ECONNRESET' })).transient, true);
  });
});

describe('engine: transfer.stopOnInternalError', () => {
  const seed = (h: Awaited<ReturnType<typeof harness>>) => {
    for (let i = 0; i < 40; i++)
      h.src.put(`k/${String(i).padStart(2, '0')}`, `v${i}`, { lastModified: past(60) });
    h.src.hook = (op, key) => {
      if (op === 'read' && key === 'k/03') throw new TypeError('a bug');
    };
  };
  // One task at a time and one object at a time: what comes after the failure is deterministic.
  const spec = {
    transfer: { retries: 1, concurrency: 1, stopOnInternalError: true },
    tasks: { maxObjects: 5 },
    scan: { parallelism: 1 },
  };

  it('stops the run softly at the first INTERNAL failure, records it and says why', async () => {
    const h = await harness();
    try {
      seed(h);
      const r = await h.run('copy', { phase: 'full', t1: new Date() }, { spec });
      assert.equal(r.stopped, true, 'the pass is left to resume');
      assert.equal(r.summary.failed, 1, 'the failure is recorded');
      assert.equal(r.summary.stoppedBy?.key, 'k/03');
      assert.equal(r.summary.stoppedBy?.setting, 'transfer.stopOnInternalError');
      assert.ok(h.dst.objects.size < 39, `stopped before the end (${h.dst.objects.size} copied)`);
      const said = h.events.filter((e) => e.type === 'log' && e.level === 'error');
      assert.equal(said.length, 1);
      assert.match(
        (said[0] as { message: string }).message,
        /"k\/03" failed with INTERNAL .*transfer\.stopOnInternalError is true.*run the same command again to resume/,
      );
      // Resuming (the bug fixed) finishes the rest, the object that failed included.
      h.src.hook = undefined;
      const again = await h.run('copy', { phase: 'full', t1: new Date(r.pass.t1) }, { spec, resume: r.pass });
      assert.equal(again.stopped, false);
      assert.equal(h.dst.objects.size, 40);
      assert.equal(again.summary.failed, 0);
    } finally {
      await h.close();
    }
  });

  it('off (the default): the failure is recorded and the run goes on', async () => {
    const h = await harness();
    try {
      seed(h);
      const r = await h.run(
        'copy',
        { phase: 'full', t1: new Date() },
        {
          spec: { ...spec, transfer: { ...spec.transfer, stopOnInternalError: false } },
        },
      );
      assert.equal(r.stopped, false);
      assert.equal(r.summary.stoppedBy, undefined);
      assert.equal(h.dst.objects.size, 39);
      assert.equal(r.summary.failed, 1);
    } finally {
      await h.close();
    }
  });
});
