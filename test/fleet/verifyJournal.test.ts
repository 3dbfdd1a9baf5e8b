/**
 * A fleet verify keeps its problems in the verify tasks' journal files (verify.ndjson in the
 * control bucket), not in Redis: the report streams them from there (issue #17: what the business
 * writes to OSS after cutover alone would be millions of Redis fields at 10⁹ objects).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ExitCode } from '../../runner/core/exitCodes.ts';
import { compareKeys } from '../../runner/core/keys.ts';
import { patternBytes } from '../sandbox/common/blobs.ts';
import { CONTROL_BUCKET, startFleet, summaryOf } from './harness.ts';

describe('fleet: verify problems', () => {
  it('are listed in check.txt from the OSS journal, and Redis holds none of them', async () => {
    const f = await startFleet();
    try {
      await f.seedSmall(30, 2000);
      const env = { OSSMIGRATE_CONTROL_BUCKET: CONTROL_BUCKET };
      await f.startWorkers(2, { env });
      const work = join(f.dir, 'coord');
      const job = await f.jobFile({ tasks: { maxObjects: 8 } });
      const imp = await f.cli(['import', job, '--queue', f.redis.url, '--workdir', work, '--json', '--yes'], {
        env,
      }).done;
      assert.equal(imp.code, 0, imp.stderr);
      // After the copy: two objects lost in OSS, 25 written there by the business.
      const bucket = f.sb.info.oss.bucket;
      const dst = f.sb.oss.buckets.get(bucket)!;
      dst.objects.delete('small/0003.bin');
      dst.objects.delete('small/0017.bin');
      const extras = Array.from(
        { length: 25 },
        (_, i) => `small/0017.bin.extra-${String(i).padStart(2, '0')}`,
      );
      for (const [i, key] of extras.entries())
        await f.sb.oss.seed(bucket, { key, body: patternBytes(10 + i, i), size: 10 + i });

      const v = await f.cli(['verify', '--queue', f.redis.url, '--workdir', work, '--json'], { env }).done;
      assert.equal(v.code, ExitCode.VERIFY_MISMATCH, v.stderr);
      const s = summaryOf(v.stdout);
      assert.equal(s.missing, 2);
      assert.equal(s.extra, 25);
      const check = (await readFile(join(s.report as string, 'check.txt'), 'utf8')).trim().split('\n');
      const expected = ['+ small/0003.bin', '+ small/0017.bin', ...extras.map((k) => `- ${k}`)].sort((a, b) =>
        compareKeys(a.slice(2), b.slice(2)),
      );
      assert.deepEqual(
        check.map((l) => l.split('\t')[0]),
        expected,
        'every problem once, in key order, across the verify tasks',
      );
      const journalFiles = [...f.sb.oss.buckets.get(CONTROL_BUCKET)!.objects.keys()].filter((k) =>
        k.endsWith('/verify.ndjson'),
      );
      assert.ok(journalFiles.length >= 2, `one verify.ndjson per verify task: ${journalFiles.length}`);

      // Nothing of any problem in Redis: no field, member or value names one of these keys.
      const named = ['small/0003.bin', 'small/0017.bin', ...extras];
      const found: string[] = [];
      for (const key of await f.client.keys('*')) {
        const type = await f.client.type(key);
        const texts =
          type === 'hash'
            ? await f.client.hgetall(key).then((h) => Object.entries(h).flat())
            : type === 'set'
              ? await f.client.smembers(key)
              : type === 'zset'
                ? await f.client.zrange(key, '0', '-1')
                : type === 'list'
                  ? await f.client.lrange(key, 0, -1)
                  : type === 'string'
                    ? [(await f.client.get(key)) ?? '']
                    : [];
        for (const t of texts) for (const n of named) if (t.includes(n)) found.push(`${key}: ${n}`);
      }
      assert.deepEqual(found, [], 'Redis keeps no verify problem');
    } finally {
      await f.close();
    }
  });
});
