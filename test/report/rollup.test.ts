/**
 * The pass rollup (core/rollup.ts, issue #17): the report's totals come from one record in the job
 * state, folded as tasks end, not from one summary file per task. Against both job states.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { LocalJournal } from '../../runner/adapters/journal/localJournal.ts';
import { RedisJobState } from '../../runner/adapters/state/redisState.ts';
import { SqliteStore } from '../../runner/adapters/state/sqliteStore.ts';
import { writeReport } from '../../runner/app/report.ts';
import { parseJob } from '../../runner/config/job.ts';
import type { Summary } from '../../runner/core/events.ts';
import { listOpen, summarizeTask } from '../../runner/core/ledger.ts';
import { OTHER_PREFIX, ROLLUP_PREFIX_CAP, type RollupStore } from '../../runner/core/rollup.ts';
import type { ObjectResult } from '../../runner/core/types.ts';
import { ledgerTotals } from '../../runner/engine/summary.ts';
import { type Journal, OPEN_KEPT, passTotals, withRollup } from '../../runner/ports/journal.ts';
import { outcome } from '../adapters/journal.suite.ts';
import { baseSpec } from '../helpers/engine.ts';
import { startRedis, type TestRedis } from '../helpers/redis.ts';

/** Content-derived range task ids, as taskRange.ts makes them (disjoint key ranges). */
const copyId = (n: number) => `copy-${n.toString(16).padStart(16, '0')}`;

type Made = { state: RollupStore & { close(): Promise<void> }; fresh(): Promise<RollupStore> };

let P = 'pass-1';

async function runTask(j: Journal, id: string, rs: ObjectResult[], end = true): Promise<void> {
  await j.setStatus(P, id, 'Running');
  await j.append(P, id, rs);
  if (end) await j.setStatus(P, id, rs.some((r) => r.outcome === 'failed') ? 'Failed' : 'Completed');
}

/** A pass: two range tasks (one with failures), a retry round that copies one of them. */
async function mixedPass(j: Journal): Promise<void> {
  await runTask(j, copyId(1), [
    outcome('a/1'),
    outcome('a/2', { outcome: 'skipped', skipReason: 'identical' }),
    outcome('a/bad', { outcome: 'failed', failureClass: 'ACCESS_DENIED', reason: 'denied' }),
    outcome('a/gone', { outcome: 'failed', failureClass: 'NETWORK', reason: 'reset' }),
  ]);
  await runTask(j, copyId(2), [
    outcome('b/1'),
    outcome('b/late', { outcome: 'deferred', skipReason: 'outside-window' }),
    outcome('b/kept', { outcome: 'skipped', failureClass: 'DEST_NEWER' }),
  ]);
  // ossmigrate retry: its ids sort after the range tasks; it copies a/gone, a/bad still fails.
  await runTask(j, 'retry-00000000000001-000000', [
    outcome('a/gone'),
    outcome('a/bad', { outcome: 'failed', failureClass: 'ACCESS_DENIED', reason: 'still denied' }),
  ]);
}

/** Totals with the open objects listed, for deepEqual. */
async function flat(t: Awaited<ReturnType<typeof passTotals>>) {
  return { ...t, open: (await listOpen(t.open)).map((r) => `${r.key} ${r.reason ?? r.skipReason}`).sort() };
}

/** A journal whose per-task reads throw: the report must not need them. */
function noPerTaskReads(j: LocalJournal): Journal {
  return new Proxy(j, {
    get(target, prop) {
      if (prop === 'digests' || prop === 'ledger')
        return () => {
          throw new Error(`read ${String(prop)}`);
        };
      const v: unknown = Reflect.get(target, prop);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/** The journal, counting how often each task's attention file is read. */
function countingReads(j: LocalJournal, reads: Map<string, number>): Journal {
  return new Proxy(j, {
    get(target, prop) {
      if (prop === 'taskAttention')
        return (passId: string, taskId: string) => {
          reads.set(taskId, (reads.get(taskId) ?? 0) + 1);
          return target.taskAttention(passId, taskId);
        };
      const v: unknown = Reflect.get(target, prop);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/** The pass report (summary.json, summary.txt, failed.ndjson, report.html) from these totals. */
async function reportOf(dir: string, totals: Awaited<ReturnType<typeof passTotals>>) {
  const summary: Summary = {
    passId: P,
    phase: 'full',
    copied: totals.copied,
    skipped: totals.skipped,
    failed: totals.failed,
    deferred: totals.deferred,
    deferredAfterWindow: totals.deferredAfterWindow,
    unchanged: 0,
    bytes: totals.bytes,
    verified: 0,
    missing: 0,
    different: 0,
    extra: 0,
    verifyErrors: 0,
    elapsedMs: 0,
    exitCode: 0,
    failuresByClass: totals.failuresByClass,
  };
  const pass = {
    id: P,
    phase: 'full' as const,
    t1: '2026-01-01T00:00:00.000Z',
    mode: 'copy' as const,
    startedAt: '2026-01-01T00:00:00.000Z',
    status: 'done' as const,
  };
  await writeReport({
    dir,
    job: 'j',
    spec: parseJob(baseSpec),
    summary,
    copy: { pass, summary, totals, restoresPending: 0, stopped: false },
    journal: dir,
  });
  const read = (f: string) => readFile(join(dir, f), 'utf8');
  return {
    json: { ...(JSON.parse(await read('summary.json')).summary as Summary), report: '' },
    text: (await read('summary.txt')).replaceAll(dir, '<dir>'),
    failed: (await read('failed.ndjson'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l).key as string)
      .sort(),
    html: await read('report.html'),
  };
}

function suite(name: string, make: () => Promise<Made>) {
  describe(`pass rollup (${name})`, () => {
    let dir: string;
    let m: Made;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'ossmigrate-rollup-'));
      m = await make();
    });
    after(async () => {
      await m.state.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('gives the old totals without reading the per-task summaries; a retry that copied an object settles it', async () => {
      P = 'pass-a';
      const local = new LocalJournal(join(dir, 'a'));
      const j = withRollup(local, m.state);
      await mixedPass(j);
      const fromLines = await ledgerTotals(local.ledger(P));
      const fromRollup = await passTotals(noPerTaskReads(local), P, m.state);
      assert.deepEqual(await flat(fromRollup), await flat(fromLines));
      assert.deepEqual(
        (await flat(fromRollup)).open,
        ['a/bad still denied', 'b/late outside-window'],
        'a/gone was copied by the retry round: not listed',
      );
      assert.deepEqual([fromRollup.failed, fromRollup.deferred], [1, 1]);
      // Streamed twice (counted, then listed): the same objects both times.
      assert.equal((await listOpen(fromRollup.open)).length, 2);
      const r = await m.state.passRollup(P);
      assert.equal(r?.tasks, 3);
      assert.deepEqual(r?.attention, [copyId(1), copyId(2), 'retry-00000000000001-000000']);
      assert.deepEqual(r?.settlers, ['retry-00000000000001-000000']);
      assert.deepEqual(r?.running, []);
    });

    it('the report reads each attention file once: counts from the sums, one stream for every file', async () => {
      P = 'pass-once';
      const local = new LocalJournal(join(dir, 'once'));
      const j = withRollup(local, m.state);
      await runTask(j, copyId(1), [
        outcome('a/1'),
        outcome('a/bad', { outcome: 'failed', failureClass: 'ACCESS_DENIED', reason: 'denied' }),
        outcome('a/late', { outcome: 'deferred', skipReason: 'outside-window' }),
        outcome('a/cold', { outcome: 'deferred', failureClass: 'ARCHIVED' }),
      ]);
      await runTask(j, copyId(2), [
        outcome('b/kept', { outcome: 'skipped', failureClass: 'DEST_NEWER' }),
        outcome('b/reset', { outcome: 'failed', failureClass: 'NETWORK', reason: 'reset' }),
        outcome('b/reset2', { outcome: 'failed', failureClass: 'NETWORK', reason: 'reset' }),
      ]);
      await runTask(j, copyId(3), [outcome('c/1')]);
      const reads = new Map<string, number>();
      const t = await passTotals(countingReads(local, reads), P, m.state);
      assert.deepEqual([...reads], [], 'the counts come from the rollup: no attention file read');
      const expected = await ledgerTotals(local.ledger(P));
      assert.deepEqual(
        [t.failed, t.deferred, t.deferredAfterWindow, t.failuresByClass],
        [3, 2, 1, { NETWORK: 2, ACCESS_DENIED: 1, ARCHIVED: 1 }],
      );
      assert.deepEqual(Object.keys(t.failuresByClass), Object.keys(expected.failuresByClass), 'same order');
      const r = await reportOf(join(dir, 'once-report'), t);
      assert.deepEqual([...reads].sort(), [
        [copyId(1), 1],
        [copyId(2), 1],
      ]);
      assert.deepEqual(r.failed, ['a/bad', 'a/cold', 'a/late', 'b/reset', 'b/reset2']);
      assert.deepEqual([r.json.failed, r.json.deferred, r.json.failuresByClass], [3, 2, t.failuresByClass]);
      assert.match(r.text, /failed {4}3\n {4}NETWORK .*\n {4}ACCESS_DENIED .*\n {4}ARCHIVED/);
      for (const k of r.failed) assert.ok(r.html.includes(k), `report.html lists ${k}`);
      // The same report from every ledger line.
      const o = await reportOf(join(dir, 'once-old'), expected);
      assert.deepEqual(o.failed, r.failed);
      assert.deepEqual(o.json, r.json);
      assert.equal(o.text, r.text);
    });

    it('with a retry round (settlers) the counts read each attention file once and the report none again', async () => {
      P = 'pass-once-retry';
      const local = new LocalJournal(join(dir, 'once-retry'));
      await mixedPass(withRollup(local, m.state));
      const reads = new Map<string, number>();
      const t = await passTotals(countingReads(local, reads), P, m.state);
      assert.deepEqual([t.failed, t.deferred], [1, 1]);
      const r = await reportOf(join(dir, 'once-retry-report'), t);
      assert.deepEqual(r.failed, ['a/bad', 'b/late']);
      assert.deepEqual([...reads].sort(), [
        [copyId(1), 1],
        [copyId(2), 1],
        ['retry-00000000000001-000000', 1],
      ]);
    });

    it('with settlers and more than OPEN_KEPT open objects the list is streamed again, the same objects', async () => {
      P = 'pass-many-open';
      const local = new LocalJournal(join(dir, 'many-open'));
      const j = withRollup(local, m.state);
      const n = OPEN_KEPT + 10;
      const failed = (i: number) =>
        outcome(`m/${String(i).padStart(6, '0')}`, {
          outcome: 'failed',
          failureClass: 'NETWORK',
          reason: 'reset',
        });
      await runTask(
        j,
        copyId(1),
        Array.from({ length: n }, (_, i) => failed(i)),
      );
      // A retry round copies the first of them.
      await runTask(j, 'retry-00000000000001-000000', [outcome('m/000000')]);
      const reads = new Map<string, number>();
      const t = await passTotals(countingReads(local, reads), P, m.state);
      assert.deepEqual([t.failed, t.failuresByClass], [n - 1, { NETWORK: n - 1 }]);
      const listed = await listOpen(t.open);
      assert.equal(listed.length, n - 1);
      assert.ok(!listed.some((r) => r.key === 'm/000000'), 'settled by the retry round');
      assert.equal(reads.get(copyId(1)), 2, 'too many to keep: counted, then streamed again');
    });

    it('summaries from before the breakdown of open objects: counted from the attention files', async () => {
      P = 'pass-old-summaries';
      const local = new LocalJournal(join(dir, 'old-summaries'));
      const state = await m.fresh();
      const j = withRollup(local, state);
      await runTask(j, copyId(1), [
        outcome('a/1'),
        outcome('a/bad', { outcome: 'failed', failureClass: 'ACCESS_DENIED', reason: 'denied' }),
      ]);
      // Written by an older version: no failed / deferredAfterWindow / failuresByClass.
      const old = summarizeTask(
        [outcome('b/1'), outcome('b/late', { outcome: 'deferred', skipReason: 'outside-window' })],
        2,
      );
      delete old.failed;
      delete old.deferredAfterWindow;
      delete old.failuresByClass;
      await runTask(local, copyId(2), [
        outcome('b/1'),
        outcome('b/late', { outcome: 'deferred', skipReason: 'outside-window' }),
      ]);
      await state.rollupTaskEnded(P, copyId(2), old);
      const rb = await state.passRollup(P);
      assert.deepEqual([rb?.totals.open, rb?.brokenDown], [2, 1]);
      const reads = new Map<string, number>();
      const t = await passTotals(countingReads(local, reads), P, state);
      assert.deepEqual(
        [t.failed, t.deferred, t.deferredAfterWindow, t.failuresByClass],
        [1, 1, 1, { ACCESS_DENIED: 1 }],
      );
      assert.deepEqual([...reads].sort(), [
        [copyId(1), 1],
        [copyId(2), 1],
      ]);
      assert.deepEqual(await flat(t), await flat(await ledgerTotals(local.ledger(P))));
    });

    it('counts a task once however often it ends; a stale attempt ending late changes nothing', async () => {
      const id = copyId(7);
      const first = summarizeTask([outcome('k/1'), outcome('k/2', { outcome: 'failed' })], 2);
      const later = summarizeTask([outcome('k/1'), outcome('k/2')], 3);
      await m.state.rollupTaskEnded('p2', id, first);
      await m.state.rollupTaskEnded('p2', id, first);
      await m.state.rollupTaskEnded('p2', id, later);
      await m.state.rollupTaskEnded('p2', id, first); // the other attempt, lease lost, ends last
      let r = await m.state.passRollup('p2');
      assert.deepEqual([r?.tasks, r?.totals.objects, r?.totals.copied, r?.totals.open], [1, 2, 2, 0]);
      assert.deepEqual(r?.attention, []);
      // It runs again: its share leaves the rollup until it ends.
      await m.state.rollupTaskStarted('p2', id);
      r = await m.state.passRollup('p2');
      assert.deepEqual([r?.tasks, r?.totals.objects, r?.running], [0, 0, [id]]);
      await m.state.rollupTaskEnded('p2', id, summarizeTask([outcome('k/1'), outcome('k/2')], 4));
      r = await m.state.passRollup('p2');
      assert.deepEqual([r?.tasks, r?.totals.objects, r?.totals.copied, r?.running], [1, 2, 2, []]);
    });

    it('a task that never ended (interrupted) is read from its ledger', async () => {
      P = 'pass-b';
      const local = new LocalJournal(join(dir, 'b'));
      const j = withRollup(local, m.state);
      await runTask(j, copyId(1), [outcome('a/1'), outcome('a/2')]);
      await runTask(j, copyId(2), [outcome('b/1'), outcome('b/2', { outcome: 'failed' })], false);
      await local.close();
      const t = await passTotals(noPerTaskReads(local), P, m.state);
      assert.deepEqual(await flat(t), await flat(await ledgerTotals(local.ledger(P))));
      assert.deepEqual([t.copied, t.failed], [3, 1]);
    });

    it('a state without the rollup (older job) rebuilds it from the task files, then reads it', async () => {
      P = 'pass-c';
      const local = new LocalJournal(join(dir, 'c'));
      await mixedPass(local); // no rollup: the journal alone, as before
      const state = await m.fresh();
      assert.equal(await state.passRollup(P), undefined);
      const t = await passTotals(local, P, state);
      assert.deepEqual(await flat(t), await flat(await ledgerTotals(local.ledger(P))));
      assert.equal((await state.passRollup(P))?.tasks, 3);
      // Rebuilt once: the next report no longer needs the task files.
      assert.deepEqual(await flat(await passTotals(noPerTaskReads(local), P, state)), await flat(t));
    });

    it('counts objects per evidence; keeps at most ROLLUP_PREFIX_CAP prefixes by name', async () => {
      P = 'pass-d';
      const local = new LocalJournal(join(dir, 'd'));
      const j = withRollup(local, m.state);
      const ev = (key: string, evidence: string) => ({ ...outcome(key), evidence }) as ObjectResult;
      await runTask(j, copyId(1), [ev('e/1', 'crc64'), ev('e/2', 'crc64'), ev('e/3', 'md5'), outcome('e/4')]);
      const s = JSON.parse(await readFile(join(dir, 'd', P, 'tasks', copyId(1), 'summary.json'), 'utf8'));
      assert.deepEqual(s.evidence, { crc64: 2, md5: 1 });
      const many = Array.from({ length: ROLLUP_PREFIX_CAP + 5 }, (_, i) => outcome(`p${i}/x`));
      await runTask(j, copyId(2), many);
      const r = await m.state.passRollup(P);
      assert.deepEqual(r?.totals.evidence, { crc64: 2, md5: 1 });
      assert.equal(Object.keys(r!.totals.prefixes).length, ROLLUP_PREFIX_CAP + 1);
      assert.equal(r!.totals.prefixes[OTHER_PREFIX]?.objects, 6);
      assert.equal(r!.totals.objects, 4 + ROLLUP_PREFIX_CAP + 5);
      assert.ok((await readdir(join(dir, 'd', P, 'tasks'))).length === 2);
    });
  });
}

let n = 0;
suite('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-rollup-state-'));
  const open: SqliteStore[] = [];
  const mk = () => {
    const s = new SqliteStore(join(dir, `state-${n++}.db`));
    open.push(s);
    return s;
  };
  const first = new SqliteStore(join(dir, `state-${n++}.db`));
  // Each test uses its own pass id or journal: one state for the suite, fresh ones on request.
  return {
    state: Object.assign(first, {
      close: async () => {
        first.db.close();
        for (const s of open) await s.close();
        await rm(dir, { recursive: true, force: true });
      },
    }),
    fresh: async () => mk(),
  };
});

let server: TestRedis | undefined;
suite('redis', async () => {
  server = await startRedis();
  const redis = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: null });
  const job = () => `job-${randomBytes(4).toString('hex')}`;
  const state = new RedisJobState(redis, job());
  return {
    state: Object.assign(state, {
      close: async () => {
        redis.disconnect();
        await server?.close();
      },
    }),
    fresh: async () => new RedisJobState(redis, job()),
  };
});
