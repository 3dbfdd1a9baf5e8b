import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { readAheadOf } from '../../runner/engine/taskRange.ts';

/** Pages of `size` numbers; `asked` counts page requests (each after a short wait, like a LIST). */
function paged(pages: number, size: number, o: { failAt?: number } = {}) {
  const s = {
    asked: 0,
    async *list(): AsyncIterable<number> {
      for (let p = 0; p < pages; p++) {
        s.asked++;
        await sleep(5);
        if (p === o.failAt) throw new Error(`page ${p} failed`);
        for (let i = 0; i < size; i++) yield p * size + i;
      }
    },
  };
  return s;
}

describe('readAheadOf', () => {
  it('asks for page k+1 before the caller has worked through page k, and yields every entry in order', async () => {
    const src = paged(4, 10);
    const askedAtLastOfPage: number[] = [];
    const seen: number[] = [];
    for await (const n of readAheadOf(src.list(), 10)) {
      seen.push(n);
      if (n % 10 === 9) askedAtLastOfPage.push(src.asked);
    }
    assert.deepEqual(
      seen,
      Array.from({ length: 40 }, (_, i) => i),
    );
    // Without read-ahead page k+1 is asked for only after the last entry of page k: 1, 2, 3, 4.
    assert.deepEqual(askedAtLastOfPage, [2, 3, 4, 4]);
  });

  it('stops pulling after the entry that ends the range (no request for a page nobody reads)', async () => {
    const src = paged(5, 10);
    const seen: number[] = [];
    for await (const n of readAheadOf(src.list(), 10, (n) => n >= 15)) seen.push(n);
    assert.equal(seen.at(-1), 15);
    await sleep(30);
    assert.equal(src.asked, 2);
  });

  it("passes the store's error on, and a caller that stops early leaves nothing unhandled", async () => {
    await assert.rejects(async () => {
      for await (const _ of readAheadOf(paged(3, 10, { failAt: 1 }).list(), 10)) {
      }
    }, /page 1 failed/);
    const src = paged(3, 10, { failAt: 1 });
    for await (const n of readAheadOf(src.list(), 10)) if (n === 2) break;
    // The request for page 1 was in flight when the caller stopped; its failure is dropped.
    await sleep(30);
    assert.equal(src.asked, 2);
  });
});
