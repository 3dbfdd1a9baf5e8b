/**
 * transfer.stopOnInternalError through the real CLI: an unknown 4xx from the destination is an
 * INTERNAL failure, tried once (not transfer.retries times); with the setting on, the run stops
 * softly, exits 6 and says why and how to resume; a second run finishes the job.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { events, runCli } from '../helpers/cli.ts';
import { patternBytes } from '../sandbox/common/blobs.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';

let sb: Sandbox;
let dir: string;

before(async () => {
  sb = await startSandbox();
  dir = await mkdtemp(join(tmpdir(), 'ossmigrate-stopint-'));
  for (let i = 0; i < 30; i++) {
    await sb.cos.seed(sb.info.cos.bucket, {
      key: `k/${String(i).padStart(2, '0')}`,
      body: patternBytes(500, i + 1),
      size: 500,
      lastModified: new Date(Date.now() - 3600_000),
    });
  }
});
after(async () => {
  await sb.close();
  await rm(dir, { recursive: true, force: true });
});

describe('e2e: transfer.stopOnInternalError', () => {
  it('stops at the first INTERNAL failure with exit 6, the reason and how to resume', async () => {
    sb.oss.faults.set({
      rules: [{ kind: 'error', ops: ['PutObject'], keyPattern: '^k/02$', status: 418, code: 'Teapot' }],
    });
    const file = join(dir, 'job.yaml');
    await writeFile(
      file,
      stringify({
        name: 'stopint',
        ...sb.jobSpec(),
        tasks: { maxObjects: 5 },
        scan: { parallelism: 1 },
        transfer: { concurrency: 1, retries: 4, stopOnInternalError: true },
      }),
    );
    const work = join(dir, 'w');
    const r = await runCli(['import', file, '--workdir', work, '--json'], { cwd: dir, env: sb.env() });
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /"k\/02" failed with INTERNAL .*Teapot.*transfer\.stopOnInternalError is true/);
    assert.match(r.stderr, /run the same command again to resume/);
    const s = events(r.stdout).pop()!;
    assert.equal(s.type, 'summary');
    assert.equal(s.failed, 1);
    assert.equal((s.stoppedBy as { key: string }).key, 'k/02');
    assert.equal(sb.oss.log.count({ op: 'PutObject', status: 418 }), 1, 'an unknown 4xx is tried once');
    assert.ok((s.copied as number) < 29, `stopped before the end (${s.copied} copied)`);

    sb.oss.faults.set({ rules: [] });
    const again = await runCli(['import', file, '--workdir', work, '--json', '--yes'], {
      cwd: dir,
      env: sb.env(),
    });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(sb.oss.buckets.get(sb.info.oss.bucket)!.objects.size, 30);
  });
});
