/**
 * `ossmigrate … | head`: the reader of stdout goes away. Node's default is an unhandled 'error'
 * (EPIPE) trace, mid-job included. A command with nothing to stop ends as it would have; a job
 * stops as on SIGTERM (exit 6, interrupted) and the same command then finishes it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { runCli, startCli } from '../helpers/cli.ts';
import { patternBytes } from '../sandbox/common/blobs.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';

let sb: Sandbox;
let dir: string;

before(async () => {
  sb = await startSandbox();
  dir = await mkdtemp(join(tmpdir(), 'ossmigrate-epipe-'));
  for (let i = 0; i < 40; i++)
    await sb.cos.seed(sb.info.cos.bucket, {
      key: `k/${String(i).padStart(2, '0')}`,
      body: patternBytes(1000, i + 1),
      size: 1000,
      lastModified: new Date(Date.now() - 3600_000),
    });
});
after(async () => {
  await sb.close();
  await rm(dir, { recursive: true, force: true });
});

/** Start the CLI with its stdout's reader closed before it writes a byte (as `| head -0` would). */
function withClosedStdout(args: string[], env: Record<string, string> = {}) {
  const p = startCli(args, { cwd: dir, env });
  p.child.stdout!.destroy();
  return p.done;
}

describe('e2e: stdout loses its reader', () => {
  it('--help ends with exit 0 and no EPIPE trace', async () => {
    const r = await withClosedStdout(['--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /EPIPE|Unhandled 'error'/);
  });

  it('an import stops as on SIGTERM (exit 6, says why), and the same command then finishes it', async () => {
    const file = join(dir, 'job.yaml');
    await writeFile(file, stringify({ name: 'epipe', ...sb.jobSpec() }));
    const work = join(dir, 'w');
    const args = ['import', file, '--workdir', work, '--json'];
    const r = await withClosedStdout(args, sb.env());
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /stdout closed \(its reader went away\): finishing the objects in flight/);
    assert.doesNotMatch(r.stderr, /EPIPE|Unhandled 'error'/);
    const again = await runCli(args, { cwd: dir, env: sb.env() });
    assert.equal(again.code, 0, again.stderr);
    const dst = sb.oss.buckets.get(sb.info.oss.bucket)!;
    assert.equal(dst.list({ prefix: '', maxKeys: 1000 }).contents.length, 40);
  });
});
