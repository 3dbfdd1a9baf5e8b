/**
 * keys.stripLeadingSlash through the real CLI: COS keys starting with "/" are copied to the key
 * without it, and verify, the report and the plan survey use the same mapping (one function).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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
  dir = await mkdtemp(join(tmpdir(), 'ossmigrate-slash-'));
  const keys = ['/lead.txt', '/docs/a.txt', '/docs/b.txt', '//double.txt', 'plain.txt', 'sub/c.txt'];
  for (const [i, key] of keys.entries()) {
    await sb.cos.seed(sb.info.cos.bucket, {
      key,
      body: patternBytes(100 + i, i + 1),
      size: 100 + i,
      lastModified: new Date(Date.now() - 3600_000),
    });
  }
});
after(async () => {
  await sb.close();
  await rm(dir, { recursive: true, force: true });
});

async function jobFile(): Promise<string> {
  const file = join(dir, 'slash.yaml');
  await writeFile(
    file,
    stringify({
      name: 'slash',
      ...sb.jobSpec(),
      keys: { stripLeadingSlash: true },
      transfer: { retries: 0 },
    }),
  );
  return file;
}

describe('e2e: keys.stripLeadingSlash', () => {
  it('copies "/x" to "x" and verifies every object against its mapped key (exit 0)', async () => {
    const r = await runCli(['import', await jobFile(), '--workdir', join(dir, 'w'), '--json'], {
      cwd: dir,
      env: sb.env(),
    });
    const s = events(r.stdout).pop()!;
    const check = await readFile(join(s.report as string, 'check.txt'), 'utf8');
    assert.equal(r.code, 0, `${r.stderr}\n${check}`);
    const dst = [...sb.oss.buckets.get(sb.info.oss.bucket)!.objects.keys()].sort();
    assert.deepEqual(dst, ['docs/a.txt', 'docs/b.txt', 'double.txt', 'lead.txt', 'plain.txt', 'sub/c.txt']);
    assert.equal(s.copied, 6);
    assert.equal(s.verified, 6);
    assert.equal(s.missing, 0);
    assert.equal(s.extra, 0);
    assert.equal(check, '');
  });

  it('a destination object with no source is still reported extra', async () => {
    await sb.oss.seed(sb.info.oss.bucket, { key: 'orphan.txt', body: Buffer.from('x'), size: 1 });
    const r = await runCli(['verify', '--workdir', join(dir, 'w'), '--json'], {
      cwd: dir,
      env: sb.env(),
    });
    const s = events(r.stdout).pop()!;
    assert.equal(s?.type, 'summary', `${r.stderr}\n${r.stdout.slice(-1500)}`);
    assert.equal(s.verified, 6, r.stderr);
    assert.equal(s.missing, 0);
    assert.equal(s.extra, 1);
    const check = await readFile(join(s.report as string, 'check.txt'), 'utf8');
    assert.equal(check, '- orphan.txt\tin the destination only\n');
  });

  it('the plan survey maps keys the same way (no invalid names)', async () => {
    const r = await runCli(['plan', await jobFile(), '--workdir', join(dir, 'w-plan'), '--json'], {
      cwd: dir,
      env: sb.env(),
    });
    assert.equal(r.code, 0, r.stderr);
    const plan = events(r.stdout).find((x) => x.type === 'plan') as Record<string, unknown> | undefined;
    assert.ok(plan, r.stdout.slice(-2000));
    assert.match(JSON.stringify(plan), /"objects":6/);
    assert.doesNotMatch(JSON.stringify(plan), /"invalidNames":[1-9]/);
  });
});
