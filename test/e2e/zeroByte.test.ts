/**
 * 0-byte objects, end to end through the real CLI and the emulators: from a local directory,
 * from COS and from OSS, each is copied (single PUT), verified, and counted in the report.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
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
  dir = await mkdtemp(join(tmpdir(), 'ossmigrate-zero-'));
});
after(async () => {
  await sb.close();
  await rm(dir, { recursive: true, force: true });
});

const hourAgo = () => new Date(Date.now() - 3600_000);
const dstObject = (key: string) => sb.oss.buckets.get(sb.info.oss.bucket)!.get(key);

/** Run an import of `source` into `dstPrefix`, assert exit 0 and return the summary and report. */
async function importFrom(name: string, source: Record<string, unknown>, dstPrefix: string) {
  const file = join(dir, `${name}.yaml`);
  await writeFile(
    file,
    stringify({
      name,
      source,
      destination: { ...sb.jobSpec().destination, prefix: dstPrefix },
      transfer: { retries: 0 },
    }),
  );
  const r = await runCli(['import', file, '--workdir', join(dir, `w-${name}`), '--json'], {
    cwd: dir,
    env: sb.env(),
  });
  assert.equal(r.code, 0, `${r.stderr}\n${r.stdout.slice(-2000)}`);
  const s = events(r.stdout).pop()!;
  assert.equal(s.type, 'summary');
  const report = JSON.parse(await readFile(join(s.report as string, 'summary.json'), 'utf8'));
  const check = await readFile(join(s.report as string, 'check.txt'), 'utf8');
  const failed = await readFile(join(s.report as string, 'failed.ndjson'), 'utf8');
  return { s, report, check, failed };
}

function assertCopied(r: Awaited<ReturnType<typeof importFrom>>, keys: { empty: string; full: string }) {
  assert.equal(r.s.copied, 2);
  assert.equal(r.s.failed, 0, r.failed);
  assert.equal(r.s.verified, 2, r.check);
  assert.equal(r.s.missing, 0);
  assert.equal(r.report.summary.copied, 2);
  assert.equal(r.report.summary.verified, 2);
  assert.equal(r.check, '', 'no verification differences');
  assert.equal(r.failed, '', 'nothing left unmigrated');
  const empty = dstObject(keys.empty);
  assert.ok(empty, `${keys.empty} is in the destination`);
  assert.equal(empty.size, 0);
  assert.equal(empty.crc64, '0', 'CRC-64 of no bytes');
  assert.equal(dstObject(keys.full)?.size, 5);
}

describe('e2e: 0-byte objects', () => {
  it('from a local directory', async () => {
    const src = join(dir, 'local-src');
    await mkdir(join(src, 'd'), { recursive: true });
    await writeFile(join(src, 'd', 'empty.txt'), '');
    await writeFile(join(src, 'd', 'five.txt'), '12345');
    // Written before the job (T1 is its start on a whole second): not "modified after T1".
    for (const f of ['empty.txt', 'five.txt']) await utimes(join(src, 'd', f), hourAgo(), hourAgo());
    const r = await importFrom('zlocal', { type: 'local', path: src }, 'local/');
    assertCopied(r, { empty: 'local/d/empty.txt', full: 'local/d/five.txt' });
  });

  it('from COS', async () => {
    const bucket = sb.info.cos.bucket;
    await sb.cos.seed(bucket, { key: 'z/empty', body: Buffer.alloc(0), size: 0, lastModified: hourAgo() });
    await sb.cos.seed(bucket, { key: 'z/five', body: patternBytes(5, 3), size: 5, lastModified: hourAgo() });
    const r = await importFrom('zcos', { ...sb.jobSpec().source, prefix: 'z/' }, 'cos/');
    assertCopied(r, { empty: 'cos/empty', full: 'cos/five' });
  });

  it('from OSS', async () => {
    sb.oss.createBucket('zero-src', 'oss-cn-shanghai');
    await sb.oss.seed('zero-src', {
      key: 'o/empty',
      body: Buffer.alloc(0),
      size: 0,
      lastModified: hourAgo(),
    });
    await sb.oss.seed('zero-src', {
      key: 'o/five',
      body: patternBytes(5, 4),
      size: 5,
      lastModified: hourAgo(),
    });
    const r = await importFrom(
      'zoss',
      {
        type: 'oss',
        bucket: 'zero-src',
        region: 'cn-shanghai',
        prefix: 'o/',
        endpoint: sb.info.oss.endpoint,
      },
      'oss/',
    );
    assertCopied(r, { empty: 'oss/empty', full: 'oss/five' });
  });
});
