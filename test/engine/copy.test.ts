import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readAuditLines } from '../../runner/adapters/journal/auditLog.ts';
import { PROVENANCE } from '../../runner/core/copyPolicy.ts';
import { crc64 } from '../../runner/core/crc64.ts';
import { MigrationError } from '../../runner/core/errors.ts';
import { bytes, type Harness, harness, past } from '../helpers/engine.ts';

describe('engine: full pass on memory stores', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
    for (let i = 0; i < 23; i++)
      h.src.put(`dir${i % 3}/obj-${String(i).padStart(2, '0')}`, bytes(1000 + i, i + 1), {
        lastModified: past(60),
      });
    h.src.put('top.txt', 'hello', {
      lastModified: past(60),
      contentType: 'text/plain',
      cacheControl: 'max-age=60',
      contentDisposition: 'attachment',
      meta: { owner: 'alice' },
    });
    h.src.put('big.bin', bytes(3 * 1024 * 1024 + 17, 99), { lastModified: past(60), etag: 'aaaa-3' });
    h.src.put('new-after-t1.txt', 'late', { lastModified: new Date(Date.now() + 60_000) });
  });
  after(() => h.close());

  it('copies every object in the window byte for byte, with metadata and provenance', async () => {
    const r = await h.run(
      'copy',
      { phase: 'full', t1: new Date() },
      {
        spec: {
          transfer: { multipartThreshold: 1024 * 1024, partSize: 1024 * 1024, concurrency: 8, retries: 3 },
        },
      },
    );
    assert.equal(r.summary.copied, 25);
    assert.equal(r.summary.failed, 0);
    assert.equal(r.summary.deferred, 1, 'modified after T1 → left for the incremental phase');
    assert.equal(r.stopped, false);
    for (const [key, o] of h.src.objects) {
      if (key === 'new-after-t1.txt') {
        assert.equal(h.dst.objects.has(key), false);
        continue;
      }
      const d = h.dst.objects.get(key);
      assert.ok(d, key);
      assert.ok(d.body.equals(o.body), key);
      assert.equal(d.meta[PROVENANCE.srcEtag], o.etag);
    }
    const top = h.dst.objects.get('top.txt')!;
    assert.equal(top.contentType, 'text/plain');
    assert.equal(top.cacheControl, 'max-age=60');
    assert.equal(top.contentDisposition, 'attachment');
    assert.equal(top.meta.owner, 'alice');
    const big = h.dst.objects.get('big.bin')!;
    assert.match(big.etag!, /-4$/, 'multipart with 1 MiB parts');
    assert.equal(big.crc64, crc64(h.src.objects.get('big.bin')!.body));
    assert.equal(h.dst.openUploads, 0);
  });

  it('re-running skips everything as identical without writing', async () => {
    const writes = h.dst.calls.write + h.dst.calls.part;
    // A new pass (T1 is on a whole second, so step past the first pass's).
    const r = await h.run('copy', { phase: 'full', t1: new Date(Date.now() + 1500) });
    assert.equal(r.summary.copied, 0);
    assert.equal(r.summary.skipped, 25);
    assert.equal(h.dst.calls.write + h.dst.calls.part, writes);
  });

  it('journals every object in ossimport-style files and an NDJSON ledger', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const passes = await readdir(`${h.dir}/passes`);
    const first = passes.sort()[0]!;
    const tasks = await readdir(`${h.dir}/passes/${first}/tasks`);
    assert.ok(tasks.length >= 5, 'tasks of ≤ 5 objects');
    let lines = 0;
    for (const t of tasks) {
      lines += (await readAuditLines(`${h.dir}/passes/${first}/tasks/${t}`))?.length ?? 0;
      const status = await readFile(`${h.dir}/passes/${first}/tasks/${t}/STATUS`, 'utf8');
      assert.equal(status.trim(), 'Completed');
    }
    assert.equal(lines, 26);
  });
});

describe('engine: failures', () => {
  it('retries throttling and network errors, then succeeds', async () => {
    const h = await harness();
    try {
      h.src.put('a', 'aaa', { lastModified: past(5) });
      let n = 0;
      h.dst.hook = (op) => {
        if (op === 'write' && n++ < 2)
          throw new MigrationError('THROTTLED', 'slow down', { status: 503, retryAfterMs: 10 });
      };
      const r = await h.run('copy', { phase: 'full', t1: new Date() });
      assert.equal(r.summary.copied, 1);
      assert.equal(h.dst.calls.write, 3);
    } finally {
      await h.close();
    }
  });

  it('records permanent failures with class, reason and fix; invalid names are refused', async () => {
    const h = await harness();
    try {
      h.src.put('ok', 'fine', { lastModified: past(5) });
      h.src.put('denied', 'no', { lastModified: past(5) });
      h.src.put('\\backslash', 'x', { lastModified: past(5) });
      h.dst.hook = (op, key) => {
        if (op === 'write' && key === 'denied')
          throw new MigrationError('ACCESS_DENIED', 'AccessDenied', { status: 403 });
      };
      const r = await h.run('copy', { phase: 'full', t1: new Date() });
      assert.equal(r.summary.copied, 1);
      assert.equal(r.summary.failed, 2);
      assert.deepEqual(r.summary.failuresByClass, { ACCESS_DENIED: 1, INVALID_OBJECT_NAME: 1 });
      const f = await h.state.failures();
      const names = f.find((x) => x.key === '\\backslash')!;
      assert.match(names.reason, /starts with "\\"/);
      assert.match(names.fix, /rename/);
      assert.equal(f.find((x) => x.key === 'denied')!.attempts, 1, 'permanent: not retried');
    } finally {
      await h.close();
    }
  });

  it('reports an object rewritten during its copy as SOURCE_CHANGED, deferred to the incremental', async () => {
    const h = await harness();
    try {
      const t1 = new Date();
      h.src.put('moving', 'version-1', { lastModified: past(5) });
      h.src.hook = (op, key) => {
        if (op === 'read' && key === 'moving') {
          h.src.hook = undefined;
          queueMicrotask(() =>
            h.src.put('moving', 'version-2!', { lastModified: new Date(t1.getTime() + 1000) }),
          );
        }
      };
      const r = await h.run('copy', { phase: 'full', t1 });
      assert.equal(r.summary.copied, 0);
      assert.equal(r.summary.deferred, 1);
      assert.deepEqual(r.summary.failuresByClass, { SOURCE_CHANGED: 1 });
    } finally {
      await h.close();
    }
  });

  it('treats an object deleted after listing as SOURCE_GONE (skipped, not failed)', async () => {
    const h = await harness();
    try {
      h.src.put('gone', 'bye', { lastModified: past(5) });
      h.src.hook = (op, key) => {
        if (op === 'read' && key === 'gone') h.src.objects.delete('gone');
      };
      const r = await h.run('copy', { phase: 'full', t1: new Date() });
      assert.equal(r.summary.failed, 0);
      assert.equal(r.summary.skipped, 1);
      assert.equal(r.totals.skippedBy.SOURCE_GONE, 1);
    } finally {
      await h.close();
    }
  });
});
