/**
 * The scale harness at 10⁵ objects (the bench runs 10⁶–10⁷): 16 fleet workers and the
 * coordinator on one redis-server copy and verify a flat synthetic bucket, and what grows with
 * the count stays out of Redis: no BullMQ job left, a capped event stream, a few hashes per pass.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runScale, scaleFigures } from './harness.ts';

describe('scale harness (10⁵ objects, 16 workers)', () => {
  it('copies and verifies every object, and leaves Redis bounded by tasks', async () => {
    const n = 100_000;
    const r = await runScale({ objects: n, workers: 16 });
    const f = scaleFigures(r);
    assert.equal(r.sink.present, n, 'every object reached the sink');
    assert.equal(r.copy.counters.copied, n);
    assert.equal(r.copy.counters.failed, 0);
    assert.equal(r.verify?.counters.verified, n);
    assert.equal(r.verify?.counters.missing, 0);
    assert.equal(r.copy.tasks, r.verify?.tasks, 'both passes cut the same tasks');
    // Completed jobs are gone from BullMQ; the pass keeps its dedup/state hashes and streams only.
    assert.equal(f.bullmq_jobs_left, 0);
    assert.ok(r.copy.left.keys <= 12, `keys left by the pass: ${r.copy.left.keys}`);
    // Relayed events: one stream entry per worker flush, not one per object.
    assert.ok(r.copy.left.eventEntries < n / 50, `event stream entries: ${r.copy.left.eventEntries}`);
    // Every object's outcome reached the coordinator, about once.
    assert.ok(f.coordinator_events_per_object! >= 1 && f.coordinator_events_per_object! < 1.1);
    // Verify over listings without CRC-64: one HEAD per side and object, plus list pages.
    assert.ok(f.verify_requests_per_object! < 2.1, `verify requests/object ${f.verify_requests_per_object}`);
    // audit.log.gz (the default journal.auditLog): packed per task, smaller than the gzip ledger.
    assert.ok(
      r.copy.journal.audit > 0 && r.copy.journal.audit < r.copy.journal.ledger,
      JSON.stringify(r.copy.journal),
    );
  });
});
