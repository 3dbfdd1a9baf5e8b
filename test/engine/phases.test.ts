import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROVENANCE } from '../../runner/core/copyPolicy.ts';
import { MigrationError } from '../../runner/core/errors.ts';
import { bytes, harness, past, problemsOf } from '../helpers/engine.ts';

describe('engine: incremental phase', () => {
  it('copies exactly what changed since T1 and never clobbers business writes after T2', async () => {
    const h = await harness();
    try {
      const t0 = past(120);
      for (const k of ['a', 'b', 'c', 'd']) h.src.put(k, `${k}-v1`, { lastModified: t0 });
      const t1 = past(60);
      await h.run('copy', { phase: 'full', t1 });
      assert.equal(h.dst.objects.size, 4);

      // Between T1 and T2 the business still writes to COS.
      h.src.put('b', 'b-v2', { lastModified: past(30) });
      h.src.put('e', 'e-new', { lastModified: past(30) });
      h.src.put('f', 'f-new', { lastModified: past(30) });
      const t2 = past(20);
      // After cutover (T2) the business writes to OSS directly: f exists there, newer than T2.
      h.dst.put('f', 'f-written-by-business', { lastModified: past(10) });
      // A later COS write after T2 is out of the window too.
      h.src.put('g', 'g-after-t2', { lastModified: past(5) });

      const writesBefore = h.dst.calls.write;
      const r = await h.run('copy', { phase: 'incremental', t1, t2 });
      assert.equal(r.summary.copied, 2, 'b (changed) and e (new)');
      assert.equal(h.dst.objects.get('b')!.body.toString(), 'b-v2');
      assert.equal(h.dst.objects.get('e')!.body.toString(), 'e-new');
      assert.equal(
        h.dst.objects.get('f')!.body.toString(),
        'f-written-by-business',
        'post-T2 write untouched',
      );
      assert.equal(r.totals.skippedBy.DEST_NEWER, 1);
      assert.equal(h.dst.objects.has('g'), false);
      assert.equal(h.dst.calls.write - writesBefore, 2);
      // a, c, d were not touched (outside the window) and are not counted as work.
      assert.equal(r.summary.skipped, 1);
    } finally {
      await h.close();
    }
  });

  it('re-running an incremental pass after T2 recognises its own writes by provenance', async () => {
    const h = await harness();
    try {
      h.src.put('x', 'x-v2', { lastModified: past(30) });
      const t1 = past(60);
      const t2 = past(20);
      await h.run('copy', { phase: 'incremental', t1, t2 });
      // Our write happened after T2 (now) — a naive "dest newer than T2" rule would call it DEST_NEWER.
      assert.ok(h.dst.objects.get('x')!.lastModified!.getTime() > t2.getTime());
      assert.equal(h.dst.objects.get('x')!.meta[PROVENANCE.srcEtag], h.src.objects.get('x')!.etag);
      const r = await h.run('copy', { phase: 'incremental', t1, t2: new Date(t2.getTime() + 1) });
      assert.equal(r.summary.copied, 0);
      assert.equal(r.totals.skippedBy.identical, 1);
    } finally {
      await h.close();
    }
  });
});

describe('engine: crash and resume', () => {
  it('resumes a multipart copy inside the object without re-sending finished parts', async () => {
    const h = await harness();
    try {
      const body = bytes(10 * 1024 * 1024 + 5, 7);
      h.src.put('huge.bin', body, { lastModified: past(5), etag: 'feed-2' });
      const spec = {
        transfer: {
          multipartThreshold: 1024 * 1024,
          partSize: 1024 * 1024,
          partConcurrency: 1,
          concurrency: 2,
          retries: 0,
        },
      };
      const hard = new AbortController();
      let parts = 0;
      h.dst.hook = (op) => {
        if (op === 'part' && ++parts === 5) hard.abort(new Error('killed'));
      };
      const t1 = new Date();
      const first = await h.run('copy', { phase: 'full', t1 }, { spec, signal: hard.signal });
      assert.equal(first.stopped, true);
      assert.equal(first.summary.failed, 0, 'an object cut off by a hard stop is unfinished, not failed');
      assert.equal(await h.state.failureCount(), 0);
      assert.equal(h.dst.objects.has('huge.bin'), false, 'nothing half-written looks complete');
      const cp = await h.state.getMultipart('huge.bin');
      assert.ok(cp && cp.parts.length >= 4, 'checkpoint has the finished parts');

      h.reopen(); // a new process
      h.dst.hook = undefined;
      const partsBefore = h.dst.calls.part;
      const pass = (await h.state.currentPass())!;
      const second = await h.run('copy', { phase: 'full', t1 }, { spec, resume: pass });
      assert.equal(second.summary.copied, 1);
      assert.equal(h.dst.calls.part - partsBefore, 11 - cp.parts.length, 'only the missing parts were sent');
      assert.ok(h.dst.objects.get('huge.bin')!.body.equals(body));
      assert.equal(await h.state.getMultipart('huge.bin'), undefined);
    } finally {
      await h.close();
    }
  });

  it('a crash between Initiate and saving its answer: the resume adopts that upload, none is left behind', async () => {
    const h = await harness();
    try {
      const body = bytes(3 * 1024 * 1024 + 1, 3);
      h.src.put('big.bin', body, { lastModified: past(5), etag: 'feed-3' });
      const spec = {
        transfer: { multipartThreshold: 1024 * 1024, partSize: 1024 * 1024, partConcurrency: 1, retries: 0 },
      };
      const hard = new AbortController();
      // The process dies as it writes the checkpoint that holds Initiate's answer.
      const put = h.state.putMultipart.bind(h.state);
      h.state.putMultipart = async (cp) => {
        if (cp.uploadId && cp.parts.length === 0) {
          hard.abort(new Error('killed'));
          throw new Error('killed');
        }
        return put(cp);
      };
      const first = await h.run('copy', { phase: 'full', t1: new Date() }, { spec, signal: hard.signal });
      assert.equal(first.stopped, true);
      assert.equal(h.dst.openUploads, 1, 'the crash left an upload the checkpoint does not name');
      assert.equal((await h.state.getMultipart('big.bin'))?.uploadId, '', 'an intent names the key');

      h.reopen(); // a new process
      const second = await h.run(
        'copy',
        { phase: 'full', t1: new Date() },
        { spec, resume: (await h.state.currentPass())! },
      );
      assert.equal(second.summary.copied, 1);
      assert.ok(h.dst.objects.get('big.bin')!.body.equals(body));
      assert.equal(h.dst.openUploads, 0, 'the orphan was adopted and completed, not left behind');
      assert.equal(await h.state.getMultipart('big.bin'), undefined);
    } finally {
      await h.close();
    }
  });

  it('a soft stop finishes in-flight objects; the next run copies the rest and nothing twice', async () => {
    const h = await harness();
    try {
      for (let i = 0; i < 40; i++)
        h.src.put(`k${String(i).padStart(2, '0')}`, `v${i}`, { lastModified: past(5) });
      const soft = new AbortController();
      h.dst.hook = (op) => {
        if (op === 'write' && h.dst.calls.write === 12) soft.abort();
      };
      const t1 = new Date();
      const first = await h.run('copy', { phase: 'full', t1 }, { softStop: soft.signal });
      assert.equal(first.stopped, true);
      const copiedFirst = first.summary.copied;
      assert.ok(copiedFirst >= 12 && copiedFirst < 40, `copied ${copiedFirst}`);
      h.dst.hook = undefined;
      const writes = h.dst.calls.write;
      const second = await h.run('copy', { phase: 'full', t1 }, { resume: (await h.state.currentPass())! });
      assert.equal(second.stopped, false);
      assert.equal(second.summary.copied, 40, 'the ledger of the pass counts each object once');
      assert.equal(h.dst.calls.write - writes, 40 - copiedFirst);
      assert.equal(h.dst.objects.size, 40);
    } finally {
      await h.close();
    }
  });
});

describe('engine: verify', () => {
  it('finds missing, different (same size, other bytes) and extra objects without downloading', async () => {
    const h = await harness();
    try {
      for (const k of ['p/1', 'p/2', 'p/3', 'q/1']) h.src.put(k, `content-${k}`, { lastModified: past(30) });
      const t1 = past(10);
      await h.run('copy', { phase: 'full', t1 });
      h.dst.objects.delete('p/2');
      h.dst.put('p/3', 'CONTENT-p/3', { lastModified: past(1) }); // same size, corrupted
      h.dst.put('z/extra', 'only in dst', { lastModified: past(1) });
      h.src.put('q/2', 'changed after T1', { lastModified: past(5) });
      const reads = h.src.calls.read + h.dst.calls.read;
      const v = await h.run('verify', { phase: 'full', t1 });
      const problems = await problemsOf(h, v.pass.id);
      const by = Object.fromEntries(problems.map((p) => [p.status === 'extra' ? p.dstKey : p.key, p.status]));
      assert.deepEqual(by, { 'p/2': 'missing', 'p/3': 'different', 'z/extra': 'extra', 'q/2': 'pending' });
      const c = await h.state.counters(v.pass.id);
      assert.equal(c.verified, 2);
      assert.equal(h.src.calls.read + h.dst.calls.read, reads, 'no object body was read');
      assert.equal(problems.find((p) => p.key === 'p/3')!.method, 'crc64');
    } finally {
      await h.close();
    }
  });
});

describe('engine: archived sources', () => {
  it('restores archived objects and copies them once readable', async () => {
    const h = await harness();
    try {
      h.src.put('cold', 'frozen bytes', { lastModified: past(30), storageClass: 'ARCHIVE' });
      h.src.restoreInstantly = false;
      setTimeout(() => {
        h.src.objects.get('cold')!.restored = true;
      }, 150);
      const r = await h.run(
        'copy',
        { phase: 'full', t1: new Date() },
        { spec: { archive: { pollSeconds: 1 } } },
      );
      assert.equal(r.summary.copied, 1);
      assert.equal(r.summary.deferred, 0);
      assert.equal(h.dst.objects.get('cold')!.body.toString(), 'frozen bytes');
      assert.equal(h.dst.objects.get('cold')!.storageClass, 'ARCHIVE');
    } finally {
      await h.close();
    }
  });

  it('archive.mode fail reports them as ARCHIVED failures', async () => {
    const h = await harness();
    try {
      h.src.put('cold', 'x', { lastModified: past(30), storageClass: 'DEEP_COLD_ARCHIVE' });
      const r = await h.run(
        'copy',
        { phase: 'full', t1: new Date() },
        { spec: { archive: { mode: 'fail' } } },
      );
      assert.deepEqual(r.summary.failuresByClass, { ARCHIVED: 1 });
      assert.equal(h.src.calls.read, 0);
    } finally {
      await h.close();
    }
  });
});

describe('engine: integrity', () => {
  it('never commits a single PUT whose bytes disagree with the source CRC', async () => {
    const h = await harness();
    try {
      // A multipart-uploaded source (no MD5 ETag to send as Content-MD5): the client hashes.
      const o = h.src.put('x', 'the real bytes', { lastModified: past(5), etag: 'abc-2' });
      o.crc64 = '12345'; // the source claims another CRC: the bytes read are not what it stores
      const r = await h.run(
        'copy',
        { phase: 'full', t1: new Date() },
        { spec: { transfer: { retries: 1 } } },
      );
      assert.deepEqual(r.summary.failuresByClass, { CRC_MISMATCH: 1 });
      assert.equal(h.dst.objects.has('x'), false);
    } finally {
      await h.close();
    }
  });

  it('detects a destination that stores other bytes than were sent', async () => {
    const h = await harness();
    try {
      h.src.put('x', 'payload', { lastModified: past(5) });
      const realWrite = h.dst.write.bind(h.dst);
      h.dst.write = async (key, body, opts) => {
        const r = await realWrite(key, body, opts);
        return { ...r, crc64: '1' };
      };
      const r = await h.run(
        'copy',
        { phase: 'full', t1: new Date() },
        { spec: { transfer: { retries: 1 } } },
      );
      assert.deepEqual(r.summary.failuresByClass, { CRC_MISMATCH: 1 });
      assert.equal(h.dst.calls.write, 2, 'retried once');
    } finally {
      await h.close();
    }
  });

  it('aborts a multipart upload when the source changes between parts (If-Match)', async () => {
    const h = await harness();
    try {
      h.src.put('big', bytes(3 * 1024 * 1024, 3), { lastModified: past(5), etag: 'abc-1' });
      let reads = 0;
      h.src.hook = (op) => {
        if (op === 'read' && ++reads === 2)
          h.src.put('big', bytes(3 * 1024 * 1024, 4), { lastModified: new Date(Date.now() + 5000) });
      };
      const spec = {
        transfer: {
          multipartThreshold: 1024 * 1024,
          partSize: 1024 * 1024,
          partConcurrency: 1,
          concurrency: 1,
          retries: 2,
        },
      };
      const r = await h.run('copy', { phase: 'full', t1: new Date() }, { spec });
      assert.equal(r.summary.deferred, 1);
      assert.deepEqual(r.summary.failuresByClass, { SOURCE_CHANGED: 1 });
      assert.equal(h.dst.openUploads, 0, 'the upload was aborted');
      assert.equal(h.dst.objects.has('big'), false);
    } finally {
      await h.close();
    }
  });
});

describe('engine: retry tasks', () => {
  it('a keys-only task re-runs exactly the failed objects', async () => {
    const h = await harness();
    try {
      for (const k of ['a', 'b', 'c']) h.src.put(k, k, { lastModified: past(5) });
      h.dst.hook = (op, key) => {
        if (op === 'write' && key === 'b')
          throw new MigrationError('ACCESS_DENIED', 'denied', { status: 403 });
      };
      const t1 = new Date();
      const r1 = await h.run('copy', { phase: 'full', t1 });
      assert.equal(r1.summary.failed, 1);
      h.dst.hook = undefined;
      const failed = await h.state.failures(r1.pass.id);
      const seed = [
        {
          kind: 'copy' as const,
          id: 'retry-1',
          range: { prefix: '' },
          objects: 1,
          bytes: 1,
          seenObjects: 1,
          seenBytes: 1,
          keys: failed.map((f) => f.key),
        },
      ];
      const heads = h.src.calls.list;
      const r2 = await h.run('copy', { phase: 'full', t1 }, { resume: r1.pass, seed });
      assert.equal(r2.summary.copied, 3);
      assert.equal(r2.summary.failed, 0);
      assert.equal(await h.state.failureCount(r1.pass.id), 0);
      assert.equal(h.src.calls.list, heads, 'no listing for a retry');
    } finally {
      await h.close();
    }
  });
});

describe('engine: summary order', () => {
  it('a later retry wins over the earlier failure whatever the task ids sort like', async () => {
    const { ledgerTotals } = await import('../../runner/engine/summary.ts');
    const { LocalJournal } = await import('../../runner/adapters/journal/localJournal.ts');
    const h = await harness();
    try {
      const j = new LocalJournal(`${h.dir}/j`);
      const base = { key: 'k', dstKey: 'k', size: 1, bytes: 1, attempts: 1, ms: 1 };
      await j.append('p', 'copy-ffff', [{ ...base, outcome: 'failed', failureClass: 'ACCESS_DENIED' }]);
      await j.append('p', 'retry-00000000000001-000000', [{ ...base, outcome: 'copied' }]);
      const t = await ledgerTotals(j.ledger('p'));
      assert.deepEqual([t.copied, t.failed], [1, 0]);
    } finally {
      await h.close();
    }
  });
});
