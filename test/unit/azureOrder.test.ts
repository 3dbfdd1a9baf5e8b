/**
 * Azure lists in UTF-16 order; the adapter must hand the engine UTF-8 byte order (its sorted
 * merges of source and destination listings depend on it) without buffering a whole listing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { utf8Order } from '../../runner/adapters/azure/utf8Order.ts';
import { compareKeys } from '../../runner/core/keys.ts';

/** A fake Azure: prefix listings in UTF-16 code-unit order (plain JS comparison), counted. */
function fakeAzure(names: string[]) {
  const sorted = [...new Set(names)].sort();
  const calls: string[] = [];
  const list = async function* (prefix: string) {
    calls.push(prefix);
    for (const n of sorted) if (n.startsWith(prefix)) yield n;
  };
  return { list, calls };
}

async function all(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const x of it) out.push(x);
  return out;
}

// Characters on both sides of the UTF-16/UTF-8 divergence, plus ordinary ones.
const ch = fc.constantFrom('a', 'b', '/', 'é', '中', '\ud7ff', '\ue000', '～', '\uffff', '😀', '𠀀', '🎉');
const name = fc.array(ch, { minLength: 0, maxLength: 5 }).map((a) => a.join(''));

describe('Azure listing order (UTF-16) → UTF-8 byte order', () => {
  it('puts fullwidth U+FF5E before an emoji, at the top and under a prefix', async () => {
    const { list } = fakeAzure(['😀', '～', 'a', 'd/😀x', 'd/～', 'd/😀a', 'z']);
    assert.deepEqual(await all(utf8Order(list, '', (n) => n)), [
      'a',
      'd/～',
      'd/😀a',
      'd/😀x',
      'z',
      '～',
      '😀',
    ]);
    assert.deepEqual(await all(utf8Order(list, 'd/', (n) => n)), ['d/～', 'd/😀a', 'd/😀x']);
  });

  it('lists once when no prefix holds both kinds of character', async () => {
    const { list, calls } = fakeAzure(['a😀', 'b～', 'c']);
    assert.deepEqual(await all(utf8Order(list, '', (n) => n)), ['a😀', 'b～', 'c']);
    assert.deepEqual(calls, ['', 'a']); // "a" holds no U+E000..: one extra small listing
  });

  it('yields every name once, in compareKeys order, for any set of names', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(name, { maxLength: 40 }),
        fc.constantFrom('', 'a', '😀', '～'),
        async (names, p) => {
          const { list } = fakeAzure(names);
          const got = await all(utf8Order(list, p, (n) => n));
          const want = [...new Set(names)].filter((n) => n.startsWith(p)).sort(compareKeys);
          assert.deepEqual(got, want);
        },
      ),
      { numRuns: 500 },
    );
  });
});
