/**
 * verify by the copy ledger, end to end (#13, #16): the real CLI, COS emulator → OSS emulator.
 * COS reports CRC-64, so the copy is still proven by CRC-64; the verify that follows lists both
 * sides and joins the ledger — no HEAD or GET per object — and still catches a destination
 * object rewritten with the same size. --deep HEADs every object as before.
 */

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { events, runCli } from '../helpers/cli.ts';
import { ledgerLines } from '../helpers/ledgerFiles.ts';
import { patternBytes } from '../sandbox/common/blobs.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';

const N = 60;

describe('e2e: verify joins the listings with the copy ledger', () => {
  let sb: Sandbox;
  let dir: string;
  let job: string;
  const work = () => join(dir, 'w');
  /** HEAD and GET requests both emulators served since `marks`. */
  const perObject = (marks: [number, number]) =>
    [...sb.cos.log.since(marks[0]), ...sb.oss.log.since(marks[1])].filter(
      (r) => r.op === 'HeadObject' || r.op === 'GetObject',
    ).length;
  const mark = (): [number, number] => [sb.cos.log.mark(), sb.oss.log.mark()];

  before(async () => {
    sb = await startSandbox({ seed: 'none' });
    dir = await mkdtemp(join(tmpdir(), 'ossmigrate-e2e-ledger-'));
    for (let i = 0; i < N; i++)
      await sb.cos.seed(sb.info.cos.bucket, {
        key: `l/${String(i).padStart(3, '0')}.txt`,
        body: patternBytes(100 + i, i + 1),
        size: 100 + i,
        lastModified: new Date(Date.now() - 3600_000),
      });
    job = join(dir, 'job.yaml');
    await writeFile(job, stringify({ name: 'ledger', ...sb.jobSpec(), tasks: { maxObjects: 25 } }));
    const r = await runCli(['import', job, '--workdir', work(), '--json', '--yes', '--no-verify'], {
      cwd: dir,
      env: sb.env(),
    });
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => {
    await sb.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('the copy is proven by CRC-64 (COS reports it) and the ledger says so', async () => {
    const lines = await ledgerLines<{ outcome: string; evidence?: string }>(work());
    assert.equal(lines.filter((l) => l.outcome === 'copied' && l.evidence === 'crc64').length, N);
  });

  it('an intact job verifies with no HEAD or GET; a rewritten destination is different; --deep HEADs', async () => {
    const m = mark();
    const r = await runCli(['verify', '--workdir', work(), '--json'], { cwd: dir, env: sb.env() });
    assert.equal(r.code, 0, r.stderr);
    const s = events(r.stdout).find((x) => x.type === 'summary')!;
    assert.equal(s.verified, N);
    assert.deepEqual(s.verifiedBy, { crc64: N, md5: 0, size: 0 });
    const intact = perObject(m) / N;
    assert.ok(intact <= 0.01, `${intact} HEAD/GET per verified object`);

    // Rewritten in OSS with other bytes of the same size (new ETag).
    await sb.oss.seed(sb.info.oss.bucket, {
      key: 'l/007.txt',
      body: patternBytes(107, 99),
      size: 107,
      lastModified: new Date(Date.now() - 1800_000),
    });
    const bad = await runCli(['verify', '--workdir', work(), '--json'], { cwd: dir, env: sb.env() });
    assert.equal(bad.code, 5, bad.stderr);
    const b = events(bad.stdout).find((x) => x.type === 'summary')!;
    assert.equal(b.different, 1);
    assert.equal(b.verified, N - 1);

    const d0 = mark();
    const deep = await runCli(['verify', '--deep', '--workdir', work(), '--json'], {
      cwd: dir,
      env: sb.env(),
    });
    assert.equal(deep.code, 5, deep.stderr);
    const deepPer = perObject(d0) / N;
    assert.ok(deepPer >= 1.9, `--deep made ${deepPer} HEAD/GET per object`);
    console.log(`# requests per verified object: ledger join ${intact}, --deep ${deepPer.toFixed(2)}`);
  });
});
