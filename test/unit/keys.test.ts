import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compareKeys, ossKeyProblem, prefixEnd } from '../../runner/core/keys.ts';

describe('compareKeys', () => {
  it('orders keys by their UTF-8 bytes, like OSS and COS listings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        const expected = Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
        assert.equal(Math.sign(compareKeys(a, b)), expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('puts astral characters after U+E000..U+FFFF (where UTF-16 order is wrong)', () => {
    assert.ok('😀' < '\uff5e'); // UTF-16 says the emoji is smaller…
    assert.ok(compareKeys('😀', '\uff5e') > 0); // …UTF-8 bytes say it is larger.
  });
});

describe('prefixEnd', () => {
  it('is the smallest key after every key with the prefix', () => {
    assert.equal(prefixEnd('a/'), 'a0');
    assert.equal(prefixEnd(''), undefined);
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), (prefix, rest) => {
        const end = prefixEnd(prefix);
        if (end !== undefined) assert.ok(compareKeys(prefix + rest, end) < 0);
      }),
    );
  });
});

describe('ossKeyProblem', () => {
  it('accepts ordinary and awkward but legal names', () => {
    for (const k of ['a', 'a//b', 'trail/', 'sp ace+plus%25', 'ü/中文/ключ', 'x'.repeat(1023)]) {
      assert.equal(ossKeyProblem(k), undefined, k);
    }
  });
  it('rejects what OSS rejects, with the service EC and a fix', () => {
    assert.equal(ossKeyProblem('')?.ec, '0016-00000001');
    assert.equal(ossKeyProblem('x'.repeat(1024))?.ec, '0016-00000002');
    assert.equal(ossKeyProblem('é'.repeat(512))?.ec, '0016-00000002'); // 1024 bytes in 512 chars
    assert.equal(ossKeyProblem('/lead')?.ec, '0016-00000005');
    assert.equal(ossKeyProblem('\\lead')?.ec, '0016-00000005');
    assert.equal(ossKeyProblem('bad\ud800')?.ec, '0016-00000002');
    assert.match(ossKeyProblem('/lead')!.fix, /rename/);
  });
});
