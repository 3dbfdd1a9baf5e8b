/** ossimport's isIncremental: repeated incremental passes, each from where the last ended. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeStores } from '../../runner/adapters/factory.ts';
import { JobSession } from '../../runner/app/jobService.ts';
import { Workspace } from '../../runner/app/workspace.ts';
import { loadCredentials } from '../../runner/config/credentials.ts';
import { parseJob } from '../../runner/config/job.ts';
import { startSandbox } from '../sandbox/sandbox.ts';

describe('repeating incremental passes (window.repeatSeconds)', () => {
  it('copies what each interval brought, until stopped', async () => {
    const sb = await startSandbox();
    const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-repeat-'));
    try {
      const seed = (key: string, body: string, lastModified?: Date) =>
        sb.cos.seed(sb.info.cos.bucket, { key, body, ...(lastModified ? { lastModified } : {}) });
      await seed('a', 'first', new Date(Date.now() - 3600_000));
      const spec = parseJob({
        name: 'rep',
        ...sb.jobSpec(),
        window: { repeatSeconds: 900 },
      });
      const creds = await loadCredentials({ env: sb.env() });
      const session = await JobSession.submit(new Workspace(join(dir, 'w')), spec, creds, makeStores);
      const soft = new AbortController();
      const passes: string[] = [];
      let rounds = 0;
      const done = session.runRepeating({
        emit: () => {},
        signal: new AbortController().signal,
        softStop: soft.signal,
        intervalMs: 1200,
        onResult: (r) => {
          passes.push(`${r.summary.phase}:${r.summary.copied}`);
          rounds++;
          // Between rounds the business writes (after the pass started: the next window has it).
          if (rounds === 1) void seed('b', 'second');
          if (rounds === 2) void seed('c', 'third');
          if (rounds === 3) soft.abort();
        },
      });
      const last = await done;
      await session.close();
      assert.deepEqual(passes, ['full:1', 'incremental:1', 'incremental:1']);
      assert.equal(last.exitCode, 0);
      const keys = [...sb.oss.buckets.get(sb.info.oss.bucket)!.objects.keys()].sort();
      assert.deepEqual(keys, ['a', 'b', 'c']);
    } finally {
      await sb.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
