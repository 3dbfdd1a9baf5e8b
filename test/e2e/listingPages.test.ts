/**
 * Listings ask for the page they need (issue #16): a split probe wants the 100 keys the splitter
 * learns the key alphabet from (core/keySplit), so it asks COS for max-keys=100 rather than
 * parsing a 1,000-entry page; a copy or verify task of a bounded range
 * asks for the count its scan saw plus one (the entry past its end). Every object is still copied
 * and verified.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { events, runCli } from '../helpers/cli.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';

const N = 1500;
let sb: Sandbox;
let dir: string;

before(async () => {
  sb = await startSandbox();
  dir = await mkdtemp(join(tmpdir(), 'ossmigrate-e2e-pages-'));
  const old = new Date(Date.now() - 3600_000);
  for (let i = 0; i < N; i++)
    await sb.cos.seed(sb.info.cos.bucket, {
      key: `flat/${String(i * 7919).padStart(8, '0')}`,
      body: Buffer.from(`o${i}`),
      size: `o${i}`.length,
      lastModified: old,
    });
});
after(async () => {
  await sb.close();
  await rm(dir, { recursive: true, force: true });
});

const maxKeys = (url: string) => Number(new URL(url, 'http://x').searchParams.get('max-keys'));

describe('listing page sizes', () => {
  it('split probes ask for one key, bounded tasks for their count + 1; all objects copied and verified', async () => {
    const job = join(dir, 'job.yaml');
    await writeFile(
      job,
      stringify({
        name: 'pages',
        ...sb.jobSpec({ srcPrefix: 'flat/', dstPrefix: 'flat/' }),
        listing: { listers: 4, splitAfter: 100 },
        tasks: { maxObjects: 50 },
      }),
    );
    const mark = sb.cos.log.mark();
    const r = await runCli(['import', job, '--workdir', join(dir, 'w'), '--json'], {
      cwd: dir,
      env: sb.env(),
    });
    assert.equal(r.code, 0, r.stderr);
    const summary = events(r.stdout).find((e) => e.type === 'summary')!;
    assert.equal(summary.copied, N);
    assert.equal(summary.verified, N);

    const lists = sb.cos.log.since(mark).filter((e) => e.op === 'ListObjects');
    const params = (u: string) => new URL(u, 'http://x').searchParams;
    const probes = lists.filter((e) => params(e.url).has('marker') && !params(e.url).has('delimiter'));
    assert.ok(probes.length >= 3, `${probes.length} split probes`);
    assert.deepEqual(
      [...new Set(probes.map((e) => maxKeys(e.url)))],
      [100],
      'every probe asks for the sample it reads, not a full page',
    );
    // A task cut at tasks.maxObjects saw 50 objects: its first page asks for 51.
    const full = lists.filter((e) => maxKeys(e.url) === 51);
    assert.ok(full.length >= 10, `${full.length} task listings asked for 51 keys`);
    assert.ok(
      lists.every((e) => maxKeys(e.url) >= 1 && maxKeys(e.url) <= 1000),
      'max-keys within the services’ limits',
    );
  });
});
