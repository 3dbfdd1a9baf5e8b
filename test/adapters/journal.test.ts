/**
 * The Journal conformance suite for the local directory and for an OSS prefix (the real ali-oss
 * SDK against the OSS emulator), plus what only the OSS journal does: batching ledger lines into
 * few PUTs, and what a crash can lose.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { LocalJournal } from '../../runner/adapters/journal/localJournal.ts';
import { OssJournal } from '../../runner/adapters/journal/ossJournal.ts';
import { OssStore } from '../../runner/adapters/oss/ossStore.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';
import { defineJournalSuite, outcome } from './journal.suite.ts';

defineJournalSuite('local directory', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-journal-'));
  let n = 0;
  return {
    async make() {
      const root = join(dir, `j${n++}`);
      return { journal: new LocalJournal(root), again: () => new LocalJournal(root) };
    },
    async read(j, passId, taskId, name) {
      return readFile(join((j as LocalJournal).root, passId, 'tasks', taskId, name), 'utf8').catch(
        () => undefined,
      );
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

async function readObject(store: OssStore, key: string): Promise<string | undefined> {
  const exists = await store.head(key);
  if (!exists) return undefined;
  return text((await store.read(key)).body);
}

defineJournalSuite('OSS prefix', async () => {
  const sb = await startSandbox();
  const store = await controlStore(sb, 'ctl-suite');
  let n = 0;
  return {
    async make() {
      const root = `journals/j${n++}`;
      // Small batches, so the suite crosses chunk boundaries.
      return {
        journal: new OssJournal(store, root, { writer: 'a', maxLines: 4 }),
        again: () => new OssJournal(store, root, { writer: 'b', maxLines: 4 }),
      };
    },
    read: (j, passId, taskId, name) =>
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
    assert.equal(puts, 7, '3 ledger chunks + audit.log + attention + summary + STATUS for 250 objects');
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
