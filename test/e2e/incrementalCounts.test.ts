/**
 * The incremental phase through the real CLI: the --json summary, the last progress event and
 * report.txt count objects unchanged since T1 apart (not "deferred", not done work), and call
 * objects after T2 "modified after T2".
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
const ago = (min: number) => new Date(Date.now() - min * 60_000);

before(async () => {
  sb = await startSandbox();
  dir = await mkdtemp(join(tmpdir(), 'ossmigrate-incr-'));
});
after(async () => {
  await sb.close();
  await rm(dir, { recursive: true, force: true });
});

describe('e2e: incremental counts', () => {
  it('unchanged since T1 is counted apart; only the window is done/planned', async () => {
    const seed = (key: string, size: number, mtime: Date) =>
      sb.cos.seed(sb.info.cos.bucket, { key, body: patternBytes(size, size), size, lastModified: mtime });
    for (let i = 0; i < 9; i++) await seed(`old/${i}`, 1000 + i, ago(180));
    const file = join(dir, 'incr.yaml');
    await writeFile(file, stringify({ name: 'incr', ...sb.jobSpec(), transfer: { retries: 0 } }));
    const work = join(dir, 'w');
    const full = await runCli(['import', file, '--workdir', work, '--json'], { cwd: dir, env: sb.env() });
    assert.equal(full.code, 0, full.stderr);

    await seed('new/a', 8, ago(60));
    await seed('new/b', 8, ago(60));
    await seed('new/late', 4, ago(1));
    const t1 = ago(120).toISOString();
    const t2 = ago(30).toISOString();
    const r = await runCli(['import', file, '--workdir', work, '--json', '--since', t1, '--until', t2], {
      cwd: dir,
      env: sb.env(),
    });
    const ev = events(r.stdout);
    const s = ev.pop()!;
    assert.equal(s.type, 'summary', r.stderr);
    assert.equal(s.phase, 'incremental');
    assert.equal(s.copied, 2);
    assert.equal(s.unchanged, 9);
    assert.equal(s.deferred, 1);
    assert.equal(s.deferredAfterWindow, 1);
    const progress = ev.filter((e) => e.type === 'progress' && (e.copied as number) > 0).pop()!;
    const n = (k: string) => progress[k] as number;
    assert.equal(n('plannedObjects'), 2);
    assert.equal(n('copied') + n('skipped') + n('failed') + n('deferred') - n('afterWindow'), 2);
    assert.equal(n('doneBytes') - n('afterWindowBytes'), 16);
    assert.equal(n('plannedBytes'), 16);
    const txt = await readFile(join(s.report as string, 'summary.txt'), 'utf8');
    assert.match(txt, /unchanged 9 /);
    assert.match(txt, /1 modified after T2: the next incremental pass copies them/);
    assert.doesNotMatch(txt, /modified after T1/);
  });
});
