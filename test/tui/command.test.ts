/**
 * `ossmigrate tui` from the real CLI: without a terminal it refuses unless --yes (then plain
 * lines, every phase); `--infra sandbox` drives the sandbox's mirror rule; a second start finds
 * the migration finished; `ossmigrate` alone without a terminal prints the help.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { patternBytes } from '../sandbox/common/blobs.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';

describe('ossmigrate tui', () => {
  let sb: Sandbox;
  let dir: string;
  before(async () => {
    sb = await startSandbox();
    for (let i = 0; i < 8; i++)
      await sb.cos.seed(sb.info.cos.bucket, {
        key: `site/${i}.html`,
        body: patternBytes(1500 + i, i + 1),
        size: 1500 + i,
        lastModified: new Date(Date.now() - 86_400_000),
      });
    dir = await mkdtemp(join(tmpdir(), 'ossmigrate-tui-cmd-'));
  });
  after(async () => {
    await sb.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('without a terminal and without --yes: refuses with the fix, exit 2, nothing written', async () => {
    const r = await runCli(['tui', ...sb.importArgs(), '--workdir', join(dir, 'refused')], {
      cwd: dir,
      env: sb.env(),
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /error: ossmigrate tui asks before the irreversible steps \(cutover, teardown\), and there is no terminal/,
    );
    assert.match(r.stderr, /fix: run it in a terminal; or add --yes/);
    assert.equal(sb.oss.log.all().length + sb.cos.log.all().length, 0);
  });

  it('bad flags are usage errors', async () => {
    const bogus = await runCli(['tui', '--infra', 'terraform', '--yes'], { cwd: dir, env: sb.env() });
    assert.equal(bogus.code, 2);
    assert.match(bogus.stderr, /--infra terraform: unknown/);
    const since = await runCli(
      ['tui', ...sb.importArgs(), '--since', '2026-01-01', '--yes', '--workdir', join(dir, 'x')],
      {
        cwd: dir,
        env: sb.env(),
      },
    );
    assert.equal(since.code, 2);
    assert.match(since.stderr, /the TUI sets T1 \(the full copy\) and T2 \(the cutover\) itself/);
  });

  it('--yes --infra sandbox: every phase in plain lines, the mirror rule on then off, the report path on stdout', async () => {
    const work = join(dir, 'w');
    const r = await runCli(
      ['tui', ...sb.importArgs(), '--infra', 'sandbox', '--yes', '--workdir', work, '--job', 'site'],
      {
        cwd: dir,
        env: sb.env(),
      },
    );
    assert.equal(r.code, 0, r.stderr);
    for (const p of [
      'plan',
      'provision',
      'full copy',
      'verify',
      'mirror on',
      'cutover',
      'incremental',
      'final verify',
      'report',
      'teardown',
    ])
      assert.match(r.stderr, new RegExp(`\\] ${p}\\n`));
    assert.match(r.stderr, /infra: PutBucketWebsite oss:\/\/demo-dst: rule 1/);
    assert.match(r.stderr, /infra: DeleteBucketWebsite oss:\/\/demo-dst/);
    assert.equal(sb.oss.log.count({ op: 'PutBucketWebsite', status: 200 }), 1);
    assert.equal(sb.oss.log.count({ op: 'DeleteBucketWebsite', status: 204 }), 1);
    const report = r.stdout.trim();
    assert.equal(report, join(work, 'jobs', 'site', 'reports', 'migration'));
    const json = JSON.parse(await readFile(join(report, 'report.json'), 'utf8'));
    assert.equal(json.verdict.ok, true);
    assert.equal(json.verdict.sourceObjects, 8);
    assert.equal(sb.oss.buckets.get('demo-dst')!.objects.size, 8);
    const saved = JSON.parse(await readFile(join(work, 'jobs', 'site', 'tui.json'), 'utf8'));
    assert.equal(saved.done.length, 10);

    // Started again: it is finished; --yes does not start it over.
    const again = await runCli(['tui', '--infra', 'sandbox', '--yes', '--workdir', work], {
      cwd: dir,
      env: sb.env(),
    });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /the migration had finished; nothing to do/);
    assert.equal(again.stdout.trim(), report);
  });

  it('ossmigrate alone without a terminal prints the help', async () => {
    const r = await runCli([], { cwd: dir, env: sb.env() });
    assert.match(r.stderr + r.stdout, /Usage: ossmigrate/);
    assert.match(r.stderr + r.stdout, /tui .*the terminal UI/);
  });
});
