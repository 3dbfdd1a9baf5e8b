/** `npm run bench -- --only listing-scale --json`: the keys carry the figures and their raw inputs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listingScaleKeys, listingScaleRows } from '../bench/listingScale.ts';

describe('listing-scale --json keys', () => {
  it('give the 1- and 4-lister keys/s, the speed-up and the request counts behind it', () => {
    const keys = listingScaleKeys(
      listingScaleRows(400_000, 50, { ms: 20_000, lists: 400 }, { ms: 5_000, lists: 490 }),
    );
    assert.equal(keys.list_keys_per_s_flat_1_lister, 20_000);
    assert.equal(keys.list_keys_per_s_flat_4_listers, 80_000);
    assert.equal(keys.list_keys_per_s_flat, 80_000);
    assert.equal(keys.list_speedup_parallel, 4);
    assert.equal(keys.list_requests_1_lister, 400);
    assert.equal(keys.list_requests_4_listers, 490);
    assert.equal(keys.list_flat_label, '400,000 flat keys, 50 ms/page, 4 listers');
    assert.equal(typeof keys.list_projected_hours_1e9_16_listers, 'number');
  });

  it('are null when the suite did not run', () => {
    for (const [k, v] of Object.entries(listingScaleKeys([]))) assert.equal(v, null, k);
  });
});
