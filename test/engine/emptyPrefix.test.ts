/**
 * An empty source prefix is listed once per pass, not twice: the root scan's complete, empty
 * listing stands for its one task's (issue #16, the fixed cost of a job). Verify still lists the
 * destination, and a prefix with objects is listed by the scan and again by its tasks, as always.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import type { MemoryStore } from '../../runner/adapters/memory/memoryStore.ts';
import { baseSpec, type Harness, harness, past } from '../helpers/engine.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(() => h.close());

/** Count the store's list() calls. */
function countLists(store: MemoryStore): { n: number } {
  const c = { n: 0 };
  const list = store.list.bind(store);
  store.list = (o) => {
    c.n++;
    return list(o);
  };
  return c;
}

const tasksRun = (h: Harness, kind: 'copy' | 'verify') =>
  h.events.filter((e) => e.type === 'task' && e.kind === kind && e.state === 'done').length;

it('an empty source prefix is listed once per pass; verify lists the destination; a full prefix as always', async () => {
  h.dst.put('stray', 'x', { lastModified: past(60) });
  const src = countLists(h.src);
  const dst = countLists(h.dst);
  const empty = { source: { ...baseSpec.source, prefix: 'empty/' } };
  const t1 = new Date();
  const copy = await h.run('copy', { phase: 'full', t1 }, { spec: empty });
  assert.equal(copy.stopped, false);
  assert.equal(tasksRun(h, 'copy'), 1);
  assert.equal(src.n, 1, 'copy pass: the scan lists the empty prefix, the copy task does not again');
  const verify = await h.run('verify', { phase: 'full', t1 }, { spec: empty });
  assert.equal(verify.stopped, false);
  assert.equal(tasksRun(h, 'verify'), 1);
  assert.equal(src.n, 2, 'verify pass: one source listing');
  assert.ok(dst.n >= 1, 'verify lists the destination');
  assert.ok(
    h.events.some((e) => e.type === 'verify' && e.key === 'stray'),
    "verify reports the destination's extra",
  );

  // Objects under the prefix: the scan lists it and so does each task.
  for (const k of ['full/a', 'full/b', 'full/c']) h.src.put(k, k, { lastModified: past(60) });
  const full = { source: { ...baseSpec.source, prefix: 'full/' } };
  const t1b = new Date(t1.getTime() + 1000);
  await h.run('copy', { phase: 'full', t1: t1b }, { spec: full });
  assert.equal(src.n, 4);
  await h.run('verify', { phase: 'full', t1: t1b }, { spec: full });
  assert.equal(src.n, 6);
});
