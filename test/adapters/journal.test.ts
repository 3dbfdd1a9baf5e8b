/**
 * The Journal conformance suite for the local directory and for an OSS prefix (the real ali-oss
 * SDK against the OSS emulator), plus what only the OSS journal does: batching ledger lines into
 * few PUTs, and what a crash can lose; and what only the local one does: audit.log.gz appended
 * batch by batch, and a crash mid-append.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { gzipMembers, readAuditLines } from '../../runner/adapters/journal/auditLog.ts';
import { LocalJournal } from '../../runner/adapters/journal/localJournal.ts';
import { OssJournal } from '../../runner/adapters/journal/ossJournal.ts';
import { OssStore } from '../../runner/adapters/oss/ossStore.ts';
import { parseJob } from '../../runner/config/job.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';
import { defineJournalSuite, outcome, zcat } from './journal.suite.ts';

defineJournalSuite('local directory', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-journal-'));
  let n = 0;
  return {
    async make(o = {}) {
      const root = join(dir, `j${n++}`);
      return { journal: new LocalJournal(root, o), again: () => new LocalJournal(root, o) };
    },
    async readBytes(j, passId, taskId, name) {
      return readFile(join((j as LocalJournal).root, passId, 'tasks', taskId, name)).catch(() => undefined);
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
});

async function controlStore(sb: Sandbox, bucket: string): Promise<OssStore> {
  if (!sb.oss.buckets.get(bucket)) sb.oss.createBucket(bucket, 'oss-cn-hangzhou');
  return new OssStore({
    bucket,
    region: sb.info.oss.region,
    endpoint: sb.info.oss.endpoint,
    credentials: { accessKeyId: sb.info.oss.accessKeyId, accessKeySecret: sb.info.oss.accessKeySecret },
  });
}

async function readObject(store: OssStore, key: string): Promise<Buffer | undefined> {
  const exists = await store.head(key);
  if (!exists) return undefined;
  return buffer((await store.read(key)).body);
}

defineJournalSuite('OSS prefix', async () => {
  const sb = await startSandbox();
  const store = await controlStore(sb, 'ctl-suite');
  let n = 0;
  return {
    async make(o = {}) {
      const root = `journals/j${n++}`;
      // Small batches, so the suite crosses chunk boundaries.
      return {
        journal: new OssJournal(store, root, { writer: 'a', maxLines: 4, ...o }),
        again: () => new OssJournal(store, root, { writer: 'b', maxLines: 4, ...o }),
      };
    },
    readBytes: (j, passId, taskId, name) =>
      readObject(store, `${(j as OssJournal).root}/${passId}/tasks/${taskId}/${name}`),
    close: () => sb.close(),
  };
});

describe('OSS journal', () => {
  let sb: Sandbox;
  let store: OssStore;
  before(async () => {
    sb = await startSandbox();
    store = await controlStore(sb, 'ctl');
  });
  after(() => sb.close());

  const ledgerPuts = (root: string) =>
    sb.oss.log
      .find({ op: 'PutObject' })
      .filter((r) => r.key?.startsWith(`${root}/`) && r.key.includes('/ledger/')).length;

  it('batches ledger lines: a few PUTs per task, not one per object', async () => {
    const j = new OssJournal(store, 'journals/batch', { maxLines: 100, maxDelayMs: 60_000 });
    for (let i = 0; i < 250; i++) await j.append('p', 't', [outcome(`k${i}`)]);
    assert.equal(ledgerPuts('journals/batch'), 2, 'two full chunks so far');
    await j.setStatus('p', 't', 'Completed');
    assert.equal(ledgerPuts('journals/batch'), 3, 'the rest when the task ends');
    const puts = sb.oss.log
      .find({ op: 'PutObject' })
      .filter((r) => r.key?.startsWith('journals/batch/')).length;
    assert.equal(puts, 7, '3 ledger chunks + audit.log.gz + attention + summary + STATUS for 250 objects');
    const audit = (await readObject(store, 'journals/batch/p/tasks/t/audit.log.gz'))!;
    assert.equal(zcat(audit).text.split('\n').filter(Boolean).length, 250, 'zcat reads every line');
    const fresh = new OssJournal(store, 'journals/batch');
    assert.equal((await fresh.finished('p', 't')).size, 250);
    assert.match(fresh.location('p'), /^oss:\/\/ctl\/journals\/batch\/p\/$/);
  });

  it('flushes on a timer, and a crash loses at most the unflushed lines', async () => {
    const j = new OssJournal(store, 'journals/crash', { maxLines: 10, maxDelayMs: 100 });
    for (let i = 0; i < 12; i++) await j.append('p', 't', [outcome(`k${i}`)]);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(
      (await new OssJournal(store, 'journals/crash').finished('p', 't')).size,
      12,
      'timer flushed',
    );
    // "Crash": lines appended, process gone before the timer fires.
    const doomed = new OssJournal(store, 'journals/crash', { maxLines: 10, maxDelayMs: 60_000 });
    for (let i = 12; i < 15; i++) await doomed.append('p', 't', [outcome(`k${i}`)]);
    assert.equal((await doomed.finished('p', 't')).size, 15, 'its own process sees its buffer');
    const survivor = new OssJournal(store, 'journals/crash');
    const f = await survivor.finished('p', 't');
    assert.equal(f.size, 12, 'another process sees only what was written: the 3 buffered objects are redone');
    // The re-run journals them again (as skips): nothing is lost or counted twice.
    for (let i = 12; i < 15; i++)
      await survivor.append('p', 't', [outcome(`k${i}`, { outcome: 'skipped', skipReason: 'identical' })]);
    await survivor.setStatus('p', 't', 'Completed');
    const keys = new Set<string>();
    for await (const r of survivor.ledger('p')) keys.add(r.key);
    assert.equal(keys.size, 15);
    await doomed.close();
  });

  it('keeps the lines when a chunk PUT fails, and writes them with the next flush', async () => {
    const j = new OssJournal(store, 'journals/retry', { maxLines: 2, maxDelayMs: 60_000 });
    sb.oss.faults.set({ rules: [{ kind: 'error', ops: ['PutObject'], times: 1 }] });
    await assert.rejects(j.append('p', 't', [outcome('a'), outcome('b')]));
    sb.oss.faults.set({ rules: [] });
    await j.append('p', 't', [outcome('c')]);
    await j.setStatus('p', 't', 'Completed');
    assert.deepEqual([...(await new OssJournal(store, 'journals/retry').finished('p', 't')).keys()].sort(), [
      'a',
      'b',
      'c',
    ]);
  });
});

describe('local journal: audit.log.gz', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ossmigrate-audit-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const keys = (from: number, n: number) => Array.from({ length: n }, (_, i) => `k${from + i}`);
  const batch = (ks: string[]) => ks.map((k) => outcome(k));
  const auditKeys = (lines: string[] | undefined) =>
    (lines ?? []).map((l) => JSON.parse(l.split('\t').pop()!));

  it('appends one gzip member per batch while the task runs, packed into one when it ends', async () => {
    const j = new LocalJournal(join(dir, 'members'));
    const task = join(dir, 'members', 'p', 'tasks', 't');
    await j.setStatus('p', 't', 'Running');
    for (let b = 0; b < 20; b++) await j.append('p', 't', batch(keys(b * 5, 5)));
    const running = await readFile(join(task, 'audit.log.gz'));
    assert.equal(gzipMembers(running).members, 20, 'a member per batch');
    assert.equal(zcat(running).text.split('\n').filter(Boolean).length, 100, 'zcat reads every member');
    await j.setStatus('p', 't', 'Completed');
    const ended = await readFile(join(task, 'audit.log.gz'));
    const packed = gzipMembers(ended);
    assert.deepEqual([packed.members, packed.whole], [1, ended.length]);
    assert.ok(ended.length < running.length, `packed ${ended.length} B < ${running.length} B in batches`);
    assert.deepEqual(auditKeys(await readAuditLines(task)), keys(0, 100));
    assert.equal(zcat(ended).text, packed.text);
  });

  it('a crash mid-append: read up to the last whole member; the next attempt cuts the torn one off', async () => {
    const root = join(dir, 'crash');
    const task = join(root, 'p', 'tasks', 't');
    const path = join(task, 'audit.log.gz');
    const first = new LocalJournal(root);
    await first.setStatus('p', 't', 'Running');
    await first.append('p', 't', batch(keys(0, 3)));
    await first.append('p', 't', batch(keys(3, 3)));
    const two = (await stat(path)).size;
    await first.append('p', 't', batch(keys(6, 3)));
    await first.close();
    // The process died while the third member was being written.
    await truncate(path, two + Math.floor(((await stat(path)).size - two) / 2));
    assert.deepEqual(auditKeys(await readAuditLines(task)), keys(0, 6), 'the two whole members');
    assert.notEqual(zcat(await readFile(path)).status, 0, 'zcat: unexpected end of file');

    // The task runs again (another process): it appends after the whole members only.
    const again = new LocalJournal(root);
    await again.setStatus('p', 't', 'Running');
    await again.append('p', 't', batch(keys(9, 2)));
    const resumed = await readFile(path);
    assert.deepEqual(zcat(resumed), { text: gzipMembers(resumed).text, status: 0 }, 'zcat reads it all');
    assert.deepEqual(auditKeys(await readAuditLines(task)), [...keys(0, 6), ...keys(9, 2)]);
    await again.setStatus('p', 't', 'Completed');
    assert.deepEqual(auditKeys(await readAuditLines(task)), [...keys(0, 6), ...keys(9, 2)]);
    assert.equal((await again.finished('p', 't')).size, 11, 'the ledger kept the torn batch');
  });

  it('reads foreign members (a name in the header) and an older plain audit.log beside it', async () => {
    const task = join(dir, 'foreign');
    await mkdir(task, { recursive: true });
    // gzip(1) of a named file sets FNAME: the header is longer than zlib's 10 bytes.
    const named = Buffer.from(gzipSync('x\ty\t"a"\n'));
    named[3] = 8;
    const withName = Buffer.concat([named.subarray(0, 10), Buffer.from('audit.log\0'), named.subarray(10)]);
    await writeFile(
      join(task, 'audit.log.gz'),
      Buffer.concat([withName, gzipSync('x\ty\t"b"\n'), Buffer.from('junk')]),
    );
    await writeFile(join(task, 'audit.log'), 'x\ty\t"old"\nx\ty\t"to');
    assert.deepEqual(auditKeys(await readAuditLines(task)), ['a', 'b', 'old']);
    assert.equal(await readAuditLines(join(dir, 'none')), undefined);
  });
});

describe('journal.auditLog', () => {
  const job = {
    source: { type: 'local', path: '/data/' },
    destination: { bucket: 'dst', region: 'cn-hangzhou' },
  };
  it('defaults to gzip; a wrong value names the key and the choices', () => {
    assert.equal(parseJob(job).journal.auditLog, 'gzip');
    assert.equal(parseJob({ ...job, journal: { auditLog: 'off' } }).journal.auditLog, 'off');
    assert.throws(
      () => parseJob({ ...job, journal: { auditLog: 'zip' } }, 'job.yaml'),
      (e: Error) => /journal\.auditLog/.test(e.message) && /gzip/.test(e.message) && /plain/.test(e.message),
    );
  });
});
