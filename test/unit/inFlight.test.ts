import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { InFlight } from '../../runner/engine/inFlight.ts';

describe('InFlight', () => {
  it('never runs more than its limit, admits as soon as one settles, and drains', async () => {
    const gate = new InFlight(3);
    let running = 0;
    let peak = 0;
    const finished: number[] = [];
    for (let i = 0; i < 10; i++) {
      const work = (async () => {
        running++;
        peak = Math.max(peak, running);
        await sleep(1 + ((i * 7) % 5));
        running--;
        finished.push(i);
      })();
      await gate.add(work);
      assert.ok(gate.size < 3, `admitted with ${gate.size} in flight`);
    }
    await gate.drain();
    assert.equal(peak, 3);
    assert.equal(gate.size, 0);
    assert.deepEqual(
      [...finished].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
  });

  it('counts a rejected piece of work as settled', async () => {
    const gate = new InFlight(1);
    const failing = Promise.reject(new Error('x'));
    failing.catch(() => {});
    await gate.add(failing);
    await gate.drain();
    assert.equal(gate.size, 0);
  });
});
