/**
 * The migration report's use of the final verify's problems (streamed from the journals): joined
 * per object only while objects.ndjson lists objects, report.json's list capped with the rest
 * counted, extras and kept objects never in that list.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { finalProblems } from '../../runner/app/migration/migrationReport.ts';
import type { VerifyResult } from '../../runner/core/types.ts';

const p = (key: string, status: VerifyResult['status']): VerifyResult => ({ key, dstKey: key, status });

describe('migration report: the final verify problems', () => {
  const stream = [
    p('a', 'missing'),
    p('b', 'extra'),
    p('c', 'dest-newer'),
    p('d', 'different'),
    p('e', 'pending'),
  ];

  it('joins per object and lists the real problems (not extras, not kept ones)', async () => {
    const r = await finalProblems(stream, true);
    assert.equal(r.perObject, true);
    assert.deepEqual([...r.problemOf.keys()], ['a', 'c', 'd', 'e']);
    assert.deepEqual(
      r.extras.map((x) => x.key),
      ['b'],
    );
    assert.deepEqual(
      r.listedProblems.map((x) => x.key),
      ['a', 'd', 'e'],
    );
    assert.equal(r.unlistedProblems, 0);
  });

  it('lists up to the cap and counts the rest', async () => {
    const r = await finalProblems(stream, false, { listCap: 2 });
    assert.deepEqual(
      r.listedProblems.map((x) => x.key),
      ['a', 'd'],
    );
    assert.equal(r.unlistedProblems, 1);
    assert.equal(r.problemOf.size, 0, 'no per-object join asked for: nothing kept per object');
  });

  it('drops the per-object join once problems outgrow the object list, keeping the counts', async () => {
    const many = Array.from({ length: 50 }, (_, i) => p(`x/${i}`, 'extra'));
    const r = await finalProblems([...stream, ...many], true, { objectCap: 20 });
    assert.equal(r.perObject, false);
    assert.equal(r.problemOf.size + r.extras.length, 0);
    assert.equal(r.listedProblems.length, 3);
  });
});
