/**
 * The worker's poll sleep leaves no abort listener behind when its timer fires: an idle worker
 * polls for days on one drain signal (each listener left made the next addEventListener slower).
 */
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { sleep } from '../../runner/fleet/worker.ts';

describe('fleet worker: poll sleep', () => {
  it('removes its abort listener when the timer fires; an abort still wakes it', async () => {
    const drain = new AbortController();
    for (let i = 0; i < 50; i++) await sleep(1, drain.signal);
    assert.equal(getEventListeners(drain.signal, 'abort').length, 0);
    const woken = sleep(60_000, drain.signal);
    assert.equal(getEventListeners(drain.signal, 'abort').length, 1);
    drain.abort();
    await woken; // resolves at once, not after a minute (the test would time out)
    assert.equal(getEventListeners(drain.signal, 'abort').length, 0);
  });
});
