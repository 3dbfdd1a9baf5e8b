/**
 * Scan back-pressure (listing.maxWaitingTasks) with more scans than task slots: a deep key space.
 * Scans that found the queue full used to wait in their slots; with every slot holding one, no
 * copy task ran to make room, and after a stall they went on regardless, past the bound.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Task } from '../../runner/core/types.ts';
import { harness, past } from '../helpers/engine.ts';

describe('engine: scan back-pressure in a deep key space', () => {
  it('scans hand their rest back instead of holding slots: the bound holds and every object is copied once', async () => {
    const h = await harness();
    try {
      // 24 sub-prefixes of 30 objects: 24 scans for 6 task slots, 2 objects per copy task.
      const keys: string[] = [];
      for (let p = 0; p < 24; p++)
        for (let i = 0; i < 30; i++)
          keys.push(`d${String(p).padStart(2, '0')}/k${String(i).padStart(2, '0')}`);
      for (const k of keys) h.src.put(k, `v-${k}`, { lastModified: past(5) });
      const bound = 10;
      let peak = 0;
      const enqueue = h.state.enqueue.bind(h.state);
      h.state.enqueue = async (passId: string, tasks: Task[]) => {
        const fresh = await enqueue(passId, tasks);
        peak = Math.max(peak, (await h.state.counts(passId, 'copy')).pending);
        return fresh;
      };
      const spec = {
        tasks: { maxObjects: 2 },
        scan: { depth: 1, parallelism: 2 },
        listing: { listers: 1, maxWaitingTasks: bound },
      };
      const r = await h.run('copy', { phase: 'full', t1: new Date() }, { spec });
      assert.equal(r.summary.copied, keys.length);
      assert.equal(r.summary.failed, 0);
      const copied = new Map<string, number>();
      for (const e of h.events)
        if (e.type === 'object' && e.outcome === 'copied') copied.set(e.key, (copied.get(e.key) ?? 0) + 1);
      assert.deepEqual(
        [...copied.values()].filter((n) => n !== 1),
        [],
        'each key copied once',
      );
      assert.equal(copied.size, keys.length);
      // Six slots, each a scan that saw the same room at the same instant, add at most 6 × bound.
      assert.ok(peak <= 6 * bound, `${peak} copy tasks waited at once (bound ${bound})`);
      const handedBack = h.events.filter(
        (e) => e.type === 'task' && e.kind === 'scan' && e.state === 'start',
      ).length;
      assert.ok(handedBack > 25, `${handedBack} scan starts: ranges were handed back and resumed`);
    } finally {
      await h.close();
    }
  });
});
