/** --listers and --inventory set listing.listers / listing.inventory on top of flags or a job file. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { listersCount } from '../../runner/cli/options.ts';
import { definitionFrom } from '../../runner/cli/shared.ts';
import { ConfigError } from '../../runner/core/errors.ts';

const flags = { src: 'local:///data/', dst: 'oss://dest-bucket/', dstRegion: 'cn-hangzhou' };

describe('--listers / --inventory', () => {
  it('listersCount takes 1-64 and refuses the rest with the fix', () => {
    assert.equal(listersCount('1'), 1);
    assert.equal(listersCount('64'), 64);
    for (const bad of ['0', '65', '2.5', '', ' ', 'x', '-3'])
      assert.throws(
        () => listersCount(bad),
        (e: unknown) => e instanceof InvalidArgumentError && /1 to 64/.test((e as Error).message),
        bad,
      );
  });

  it('from flags: the listing section; a local manifest made absolute, a bucket URL kept', async () => {
    const a = await definitionFrom(undefined, { ...flags, listers: 8, inventory: 'inv/manifest.json' });
    assert.equal(a.spec.listing.listers, 8);
    assert.equal(a.spec.listing.inventory, resolve('inv/manifest.json'));
    assert.equal(a.spec.listing.splitAfter, 1000, 'the other listing defaults stay');
    const b = await definitionFrom(undefined, { ...flags, inventory: 'oss://dest-bucket/inv/manifest.json' });
    assert.equal(b.spec.listing.inventory, 'oss://dest-bucket/inv/manifest.json');
    assert.equal(b.spec.listing.listers, undefined);
  });

  it('on top of a job file: replaces its listing keys, keeps the others; a bad one names the flag', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-listing-flags-'));
    try {
      const file = join(dir, 'job.yaml');
      await writeFile(
        file,
        'name: j\nsource: { type: local, path: /data/ }\ndestination: { bucket: dest-bucket, region: cn-hangzhou }\nlisting: { listers: 2, splitAfter: 50 }\n',
      );
      const d = await definitionFrom(file, { listers: 32 });
      assert.equal(d.spec.listing.listers, 32);
      assert.equal(d.spec.listing.splitAfter, 50);
      await assert.rejects(
        definitionFrom(file, { inventory: 'cos://other-1250000000/m/manifest.json' }),
        (e: unknown) =>
          e instanceof ConfigError &&
          /--inventory \(listing\.inventory\): cos:\/\/other-1250000000\/… is neither/.test(e.message),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
