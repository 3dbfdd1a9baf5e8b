/**
 * One conformance suite for every Journal: the local directory (standalone, or a directory shared
 * by a test fleet) and the OSS prefix (the cloud fleet). Resume and the report depend on these.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ObjectResult } from '../../runner/core/types.ts';
import type { Journal } from '../../runner/ports/journal.ts';

export type JournalFixture = {
  /** A fresh journal; `again()` opens another instance on the same place (another process). */
  make(): Promise<{ journal: Journal; again(): Journal }>;
  /** A task file as a human finds it (audit.log, error.list, STATUS), or undefined. */
  read(journal: Journal, passId: string, taskId: string, name: string): Promise<string | undefined>;
  close(): Promise<void>;
};

export const outcome = (key: string, o: Partial<ObjectResult> = {}): ObjectResult => ({
  key,
  dstKey: key,
  outcome: 'copied',
  size: 3,
  bytes: 3,
  srcEtag: `etag-${key}`,
  attempts: 1,
  ms: 1,
  ...o,
});

/** Journals that buffer must be flushed before another process can read them. */
export async function settle(j: Journal): Promise<void> {
  const f = (j as { flushAll?: () => Promise<void> }).flushAll;
  if (f) await f.call(j);
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export function defineJournalSuite(name: string, setup: () => Promise<JournalFixture>): void {
  describe(`Journal conformance: ${name}`, () => {
    let fx: JournalFixture;
    before(async () => {
      fx = await setup();
    });
    after(() => fx.close());

    it('knows what a task finished (latest outcome wins; failures are redone)', async () => {
      const { journal: j, again } = await fx.make();
      assert.deepEqual(await j.finished('p', 't'), new Map());
      await j.append('p', 't', [outcome('a'), outcome('b', { outcome: 'failed', failureClass: 'NETWORK' })]);
      await j.append('p', 't', [outcome('c', { outcome: 'skipped', skipReason: 'identical' })]);
      await j.append('p', 't', [outcome('d', { outcome: 'deferred', skipReason: 'outside-window' })]);
      await j.append('p', 't', [outcome('a', { outcome: 'failed', failureClass: 'CRC_MISMATCH' })]);
      await j.append('p', 't', [outcome('b')]);
      const f = await j.finished('p', 't');
      assert.deepEqual([...f.keys()].sort(), ['b', 'c', 'd']);
      assert.equal(f.get('b'), 'etag-b');
      assert.deepEqual(await j.finished('p', 'other'), new Map());
      await settle(j);
      assert.deepEqual(
        [...(await again().finished('p', 't')).keys()].sort(),
        ['b', 'c', 'd'],
        'another process',
      );
    });

    it('streams a pass ledger: every line, each task in append order, nothing from other passes', async () => {
      const { journal: j, again } = await fx.make();
      const keys = (t: string, n: number) => Array.from({ length: n }, (_, i) => `${t}/${i}`);
      for (const k of keys('t1', 30)) await j.append('p', 't1', [outcome(k)]);
      await j.append(
        'p',
        't2',
        keys('t2', 7).map((k) => outcome(k)),
      );
      await j.append('q', 't1', [outcome('other-pass')]);
      const lines = await all(j.ledger('p'));
      assert.equal(lines.length, 37);
      assert.deepEqual(
        lines.filter((r) => r.key.startsWith('t1/')).map((r) => r.key),
        keys('t1', 30),
      );
      assert.ok(!lines.some((r) => r.key === 'other-pass'));
      assert.equal((await all(again().ledger('p'))).length, 37, 'another process reads it all');
      assert.deepEqual(await all(j.ledger('none')), []);
    });

    it('a task that ran twice (two writers) yields each object once: copied wins, bytes add up', async () => {
      const { journal: first, again } = await fx.make();
      const second = again();
      // Both ran task t at once (a lost lease): each copied or found identical the same keys.
      await first.append('p', 't', [
        outcome('a'),
        outcome('b', { outcome: 'failed', failureClass: 'NETWORK' }),
      ]);
      await settle(first);
      await second.append('p', 't', [
        outcome('a', { outcome: 'skipped', skipReason: 'identical', bytes: 0 }),
        outcome('b'),
        outcome('c'),
      ]);
      await settle(second);
      await first.append('p', 'u', [outcome('d')]);
      await settle(first);
      const lines = await all(again().ledger('p'));
      assert.deepEqual(
        lines.map((r) => [r.key, r.outcome, r.bytes]),
        [
          ['a', 'copied', 3],
          ['b', 'copied', 6],
          ['c', 'copied', 3],
          ['d', 'copied', 3],
        ],
      );
    });

    it('writes the ossimport files: STATUS, audit.log, error.list', async () => {
      const { journal: j } = await fx.make();
      await j.setStatus('p', 't', 'Running');
      assert.equal((await fx.read(j, 'p', 't', 'STATUS'))?.trim(), 'Running');
      await j.append('p', 't', [
        outcome('ok'),
        outcome('bad "key"', {
          outcome: 'failed',
          failureClass: 'ACCESS_DENIED',
          reason: 'denied',
          fix: 'grant it',
        }),
      ]);
      await j.setStatus('p', 't', 'Failed');
      assert.equal((await fx.read(j, 'p', 't', 'STATUS'))?.trim(), 'Failed');
      const audit = (await fx.read(j, 'p', 't', 'audit.log'))!.trim().split('\n');
      assert.equal(audit.length, 2);
      assert.match(audit[0]!, /\tCOPIED\t3\tetag-ok\t/);
      assert.match(audit[1]!, /\tFAILED\t.*"bad \\"key\\""$/);
      const errors = (await fx.read(j, 'p', 't', 'error.list'))!.trim().split('\n');
      assert.equal(errors.length, 1);
      assert.match(errors[0]!, /^ACCESS_DENIED\t"bad \\"key\\""\tdenied \| fix: grant it$/);
      assert.ok(j.location('p').includes('p'));
    });
  });
}
