import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeTaskResults } from '../../runner/core/ledger.ts';
import type { ObjectResult } from '../../runner/core/types.ts';

const r = (key: string, outcome: ObjectResult['outcome'], o: Partial<ObjectResult> = {}): ObjectResult => ({
  key,
  dstKey: key,
  outcome,
  size: 10,
  bytes: outcome === 'copied' ? 10 : 0,
  attempts: 1,
  ms: 1,
  ...o,
});
const view = (xs: ObjectResult[]) => xs.map((x) => `${x.key}:${x.outcome}:${x.bytes}:${x.attempts}`);

describe('mergeTaskResults (one result per object of a task that ran more than once)', () => {
  it('leaves a single run alone', () => {
    const lines = [r('a', 'copied'), r('b', 'skipped'), r('c', 'failed'), r('d', 'deferred')];
    assert.deepEqual(mergeTaskResults(lines), lines);
  });

  it('a copy in any attempt wins over a later skip or failure', () => {
    assert.deepEqual(view(mergeTaskResults([r('a', 'copied'), r('a', 'skipped')])), ['a:copied:10:2']);
    assert.deepEqual(view(mergeTaskResults([r('a', 'copied'), r('a', 'failed')])), ['a:copied:10:2']);
    assert.deepEqual(view(mergeTaskResults([r('a', 'skipped'), r('a', 'copied')])), ['a:copied:10:2']);
    assert.deepEqual(view(mergeTaskResults([r('a', 'copied'), r('a', 'copied')])), ['a:copied:20:2']);
  });

  it('else the latest final outcome, else the latest open one', () => {
    assert.deepEqual(view(mergeTaskResults([r('a', 'failed'), r('a', 'skipped')])), ['a:skipped:0:2']);
    assert.deepEqual(view(mergeTaskResults([r('a', 'skipped'), r('a', 'failed')])), ['a:skipped:0:2']);
    const f = mergeTaskResults([
      r('a', 'failed', { failureClass: 'NETWORK' }),
      r('a', 'deferred', { failureClass: 'ARCHIVED' }),
    ]);
    assert.deepEqual(
      f.map((x) => [x.outcome, x.failureClass]),
      [['deferred', 'ARCHIVED']],
    );
  });

  it('keeps the order of first appearance', () => {
    const out = mergeTaskResults([r('b', 'failed'), r('a', 'copied'), r('b', 'copied'), r('c', 'copied')]);
    assert.deepEqual(
      out.map((x) => x.key),
      ['b', 'a', 'c'],
    );
  });
});
