/**
 * One conformance suite for every Journal: the local directory (standalone, or a directory shared
 * by a test fleet) and the OSS prefix (the cloud fleet). Resume and the report depend on these.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { gzipMembers } from '../../runner/adapters/journal/auditLog.ts';
import { compareKeys } from '../../runner/core/keys.ts';
import type { ObjectResult, VerifyResult } from '../../runner/core/types.ts';
import { ledgerTotals } from '../../runner/engine/summary.ts';
import {
  type AuditLogMode,
  type Journal,
  PROBLEMS_KEPT,
  passProblems,
  passTotals,
} from '../../runner/ports/journal.ts';

export type JournalFixture = {
  /** A fresh journal; `again()` opens another instance on the same place (another process). */
  make(o?: { auditLog?: AuditLogMode }): Promise<{ journal: Journal; again(): Journal }>;
  /** A task file's bytes as a human finds them (audit.log.gz, error.list, STATUS), or undefined. */
  readBytes(journal: Journal, passId: string, taskId: string, name: string): Promise<Buffer | undefined>;
  close(): Promise<void>;
};

/** What `gzip -dc` (zcat) prints for these bytes, and its exit status. */
export function zcat(bytes: Buffer): { text: string; status: number | null } {
  const r = spawnSync('gzip', ['-dc'], { input: bytes });
  if (r.error) throw r.error;
  return { text: r.stdout.toString('utf8'), status: r.status };
}

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

const problem = (key: string, status: VerifyResult['status'] = 'missing'): VerifyResult => ({
  key,
  dstKey: key,
  status,
  detail: `why ${key}`,
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
    const read = async (j: Journal, p: string, t: string, name: string) =>
      (await fx.readBytes(j, p, t, name))?.toString('utf8');
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

    it("keeps a verify task's problems: a later attempt replaces them, one that finds none removes them", async () => {
      const { journal: j, again } = await fx.make();
      await j.putVerify('v', 'verify-b', [problem('b/1'), problem('b/2', 'different')]);
      await j.putVerify('v', 'verify-a', [problem('a/1')]);
      await j.putVerify('v', 'verify-c', []);
      await j.putVerify('other', 'verify-a', [problem('x')]);
      const tasks = async (jj: Journal) => {
        const out: Array<[string, string[]]> = [];
        for await (const t of jj.verifyTasks('v')) out.push([t.taskId, t.problems.map((p) => p.key)]);
        return out.sort((x, y) => compareKeys(x[0], y[0]));
      };
      assert.deepEqual(await tasks(j), [
        ['verify-a', ['a/1']],
        ['verify-b', ['b/1', 'b/2']],
      ]);
      assert.deepEqual(await tasks(again()), await tasks(j), 'another process reads the same');
      assert.equal((await j.taskVerify('v', 'verify-b'))[1]?.detail, 'why b/2');
      // The task runs again (a lost lease, a resumed pass): its result replaces the first one's.
      await j.putVerify('v', 'verify-b', [problem('b/3', 'error')]);
      await j.putVerify('v', 'verify-a', []);
      assert.deepEqual(await tasks(j), [['verify-b', ['b/3']]]);
      assert.deepEqual(await j.taskVerify('v', 'verify-a'), []);
      assert.deepEqual(await j.taskVerify('v', 'never-ran'), []);
      assert.deepEqual(await all(passProblems(j, 'nothing-here')), []);
    });

    it('streams a verify pass in key order across tasks, one line per object, awkward keys included', async () => {
      const { journal: j } = await fx.make();
      // Task ids are hashes: their order says nothing about their ranges.
      await j.putVerify('v', 'verify-0f', [problem('m/中文'), problem('m/😀', 'pending')]);
      await j.putVerify('v', 'verify-a1', [
        problem('a b'),
        { ...problem('a/z', 'extra'), key: 'a/z', dstKey: 'a/z' },
      ]);
      await j.putVerify('v', 'verify-77', [problem('z/\uffef', 'unverifiable')]);
      // A resumed pass whose cuts moved verified m/中文 again: listed once, the later task's.
      await j.putVerify('v', 'verify-ff', [problem('m/中文', 'different')]);
      const got = await all(passProblems(j, 'v'));
      assert.deepEqual(
        got.map((p) => p.key),
        ['a b', 'a/z', 'm/中文', 'm/😀', 'z/\uffef'],
      );
      assert.equal(got.find((p) => p.key === 'm/中文')?.status, 'different');
      assert.deepEqual(
        got.map((p) => p.key),
        got.map((p) => p.key).sort(compareKeys),
        'UTF-8 byte order, as the stores list',
      );
    });

    it(`above ${PROBLEMS_KEPT} problems a pass is read again task by task, still in key order`, async () => {
      const { journal: j } = await fx.make();
      const per = Math.ceil((PROBLEMS_KEPT + 10) / 3);
      const keys = (t: string) => Array.from({ length: per }, (_, i) => `${t}/${String(i).padStart(6, '0')}`);
      await j.putVerify(
        'big',
        'verify-3',
        keys('c').map((k) => problem(k)),
      );
      await j.putVerify(
        'big',
        'verify-1',
        keys('b').map((k) => problem(k)),
      );
      await j.putVerify(
        'big',
        'verify-2',
        keys('a').map((k) => problem(k)),
      );
      let reread = 0;
      const counting: Journal = Object.assign(Object.create(j) as Journal, {
        taskVerify: (p: string, t: string) => {
          reread++;
          return j.taskVerify(p, t);
        },
        verifyTasks: (p: string) => j.verifyTasks(p),
      });
      let n = 0;
      let prev = '';
      for await (const p of passProblems(counting, 'big')) {
        assert.ok(compareKeys(prev, p.key) < 0, `${prev} before ${p.key}`);
        prev = p.key;
        n++;
      }
      assert.equal(n, per * 3);
      assert.equal(reread, 3, 'each task read once more, none kept whole');
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

    it('a task that ends leaves a summary and its attention lines; a report folds them into the ledger totals', async () => {
      const { journal: j, again } = await fx.make();
      const keys = (t: string, n: number) =>
        Array.from({ length: n }, (_, i) => `${t}/${String(i).padStart(3, '0')}`);
      await j.setStatus('p', 'a', 'Running');
      await j.append('p', 'a', [
        ...keys('a', 20).map((k) => outcome(k)),
        outcome('a/gone', { outcome: 'skipped', failureClass: 'SOURCE_GONE' }),
        outcome('a/kept', { outcome: 'skipped', failureClass: 'DEST_NEWER' }),
        outcome('a/late', { outcome: 'deferred', skipReason: 'outside-window' }),
        outcome('a/frozen', { outcome: 'deferred', failureClass: 'ARCHIVED' }),
        outcome('a/bad', { outcome: 'failed', failureClass: 'ACCESS_DENIED', reason: 'denied' }),
        outcome('a/flaky', { outcome: 'failed', failureClass: 'NETWORK' }),
      ]);
      await j.setStatus('p', 'a', 'Failed');
      await j.setStatus('p', 'b', 'Running');
      await j.append('p', 'b', [
        ...keys('b', 5).map((k) => outcome(k, { outcome: 'skipped', skipReason: 'identical', bytes: 0 })),
      ]);
      await j.setStatus('p', 'b', 'Completed');
      // Other tasks settle some of a's open objects (a restore, a retry round), one fails again.
      await j.append('p', 'restores', [outcome('a/frozen')]);
      await j.setStatus('p', 'restores', 'Completed');
      await j.setStatus('p', 'retry-1-000000', 'Running');
      await j.append('p', 'retry-1-000000', [
        outcome('a/flaky'),
        outcome('a/bad', { outcome: 'failed', failureClass: 'ACCESS_DENIED', reason: 'still denied' }),
      ]);
      await j.setStatus('p', 'retry-1-000000', 'Failed');
      // And a task still running (no summary yet): its lines count all the same.
      await j.setStatus('p', 'c', 'Running');
      await j.append('p', 'c', [
        outcome('c/1'),
        outcome('c/2', { outcome: 'failed', failureClass: 'NETWORK' }),
      ]);
      await settle(j);

      assert.match((await read(j, 'p', 'a', 'summary.json')) ?? '', /"copied":20/);
      const attention = (await read(j, 'p', 'a', 'attention.ndjson'))!.trim().split('\n');
      assert.deepEqual(
        attention.map((l) => (JSON.parse(l) as ObjectResult).key).sort(),
        ['a/bad', 'a/flaky', 'a/frozen', 'a/kept', 'a/late'],
        'failed, deferred and kept objects only',
      );
      assert.equal(await read(j, 'p', 'c', 'summary.json'), undefined, 'a running task has none');

      const reader = again();
      const old = await ledgerTotals(reader.ledger('p'));
      const now = await passTotals(reader, 'p');
      assert.deepEqual(now, old);
      assert.equal(now.copied, 20 + 1 + 1 + 1);
      assert.deepEqual(
        [...(now.open as ObjectResult[])].map((r) => [r.key, r.reason ?? r.skipReason]).sort(),
        [
          ['a/bad', 'still denied'],
          ['a/late', 'outside-window'],
          ['c/2', undefined],
        ],
      );
      assert.deepEqual(now.skippedBy, { identical: 5, SOURCE_GONE: 1, DEST_NEWER: 1 });
      assert.equal((await reader.taskLedger!('p', 'a')).length, 26);
    });

    it('a task that starts again loses its summary until it ends, and keeps every line', async () => {
      const { journal: j, again } = await fx.make();
      await j.setStatus('p', 't', 'Running');
      await j.append('p', 't', [outcome('x'), outcome('y', { outcome: 'failed', failureClass: 'NETWORK' })]);
      await j.setStatus('p', 't', 'Failed');
      // Run again (resume, or a lost lease): its summary must not hide the new lines.
      await j.setStatus('p', 't', 'Running');
      await j.append('p', 't', [outcome('y'), outcome('z')]);
      await settle(j);
      const mid = await passTotals(again(), 'p');
      assert.deepEqual([mid.copied, mid.failed, mid.bytes], [3, 0, 12]);
      assert.deepEqual([...(await again().finished('p', 't')).keys()].sort(), ['x', 'y', 'z']);
      await j.setStatus('p', 't', 'Completed');
      const reader = again();
      assert.deepEqual(await passTotals(reader, 'p'), await ledgerTotals(reader.ledger('p')));
      assert.equal((await all(reader.ledger('p'))).length, 3);
    });

    it('writes the ossimport files: STATUS, audit.log.gz, error.list', async () => {
      const { journal: j } = await fx.make();
      await j.setStatus('p', 't', 'Running');
      assert.equal((await read(j, 'p', 't', 'STATUS'))?.trim(), 'Running');
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
      assert.equal((await read(j, 'p', 't', 'STATUS'))?.trim(), 'Failed');
      const gz = (await fx.readBytes(j, 'p', 't', 'audit.log.gz'))!;
      const { text, whole, members } = gzipMembers(gz);
      assert.deepEqual([whole, members], [gz.length, 1], 'one whole gzip member once the task ended');
      assert.deepEqual(zcat(gz), { text, status: 0 }, 'zcat reads it');
      assert.equal(await fx.readBytes(j, 'p', 't', 'audit.log'), undefined, 'no plain copy');
      const audit = text.trim().split('\n');
      assert.equal(audit.length, 2);
      assert.match(audit[0]!, /\tCOPIED\t3\tetag-ok\t/);
      assert.match(audit[1]!, /\tFAILED\t.*"bad \\"key\\""$/);
      const errors = (await read(j, 'p', 't', 'error.list'))!.trim().split('\n');
      assert.equal(errors.length, 1);
      assert.match(errors[0]!, /^ACCESS_DENIED\t"bad \\"key\\""\tdenied \| fix: grant it$/);
      assert.ok(j.location('p').includes('p'));
    });

    it('journal.auditLog: plain writes audit.log as ossimport does, off writes none', async () => {
      const lines = [outcome('a'), outcome('b', { outcome: 'skipped', skipReason: 'identical' })];
      for (const auditLog of ['plain', 'off'] as const) {
        const { journal: j } = await fx.make({ auditLog });
        await j.setStatus('p', 't', 'Running');
        await j.append('p', 't', lines.slice(0, 1));
        await j.append('p', 't', lines.slice(1));
        await j.setStatus('p', 't', 'Completed');
        assert.equal(await fx.readBytes(j, 'p', 't', 'audit.log.gz'), undefined, auditLog);
        const plain = await read(j, 'p', 't', 'audit.log');
        if (auditLog === 'off') assert.equal(plain, undefined);
        else
          assert.match(
            plain ?? '',
            /^\S+\tCOPIED\t3\tetag-a\t.*\n\S+\tSKIPPED\t3\tetag-b\t-\tidentical\t"b"\n$/,
          );
        assert.equal((await j.finished('p', 't')).size, 2, 'the ledger is whole either way');
      }
    });
  });
}
