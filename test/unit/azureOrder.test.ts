/**
 * Azure lists in UTF-16 order; the adapter must hand the engine UTF-8 byte order (its sorted
 * merges of source and destination listings depend on it) without buffering a whole listing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { utf8Order } from '../../runner/adapters/azure/utf8Order.ts';
import { compareKeys } from '../../runner/core/keys.ts';

/**
 * A fake Azure: prefix listings in UTF-16 code-unit order (plain JS comparison), from a name on
 * (startFrom, inclusive) unless it ignores that as an older service would; calls and names read.
 */
function fakeAzure(names: string[], o: { ignoreFrom?: boolean } = {}) {
  const sorted = [...new Set(names)].sort();
  const calls: string[] = [];
  let read = 0;
  const list = async function* (prefix: string, from?: string) {
    calls.push(prefix);
    for (const n of sorted) {
      if (!n.startsWith(prefix) || (!o.ignoreFrom && from !== undefined && n < from)) continue;
      read++;
      yield n;
    }
  };
  return { list, calls, read: () => read };
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

  it('from a key: every later name once, in order, whether or not the service honours startFrom', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(name, { maxLength: 40 }),
        fc.constantFrom('', 'a', '😀', '～'),
        name,
        fc.boolean(),
        async (names, p, rest, ignoreFrom) => {
          const from = p + (rest || 'a');
          const { list } = fakeAzure(names, { ignoreFrom });
          // Names at or before `from` may come too (the adapter drops them): the rest is exact.
          const got = (await all(utf8Order(list, p, (n) => n, from))).filter((n) => compareKeys(n, from) > 0);
          const want = [...new Set(names)].filter((n) => n.startsWith(p)).sort(compareKeys);
          assert.deepEqual(
            got,
            want.filter((n) => compareKeys(n, from) > 0),
          );
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('from a key reads from there, not from the start of the prefix (no quadratic range listings)', async () => {
    const names = Array.from({ length: 1000 }, (_, i) => `p/${String(i).padStart(4, '0')}`);
    const { list, read } = fakeAzure(names);
    const got = await all(utf8Order(list, 'p/', (n) => n, 'p/0899'));
    assert.deepEqual(got, names.slice(899));
    assert.equal(read(), 101);
  });

  it('from a key with U+FF5E in it: the emoji block under it, which UTF-16 lists before, still comes', async () => {
    const { list } = fakeAzure(['d/～a', 'd/～b', 'd/😀', 'd/😀x', 'e', '～😀', '～～']);
    assert.deepEqual(await all(utf8Order(list, '', (n) => n, 'd/～a')), [
      'd/～a',
      'd/～b',
      'd/😀',
      'd/😀x',
      'e',
      '～～',
      '～😀',
    ]);
  });
});
