/**
 * `ossmigrate report` and report.html: not written by `import` (text and JSON only: the charts
 * cost more CPU than an empty job), written beside summary.txt and named by `report`, rewritten when missing, `--no-html` for text only, `--open` through $BROWSER (or
 * saying that there is no browser), and `--open --no-html` refused as a usage error.
 */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { events, runCli } from '../helpers/cli.ts';
import { patternBytes } from '../sandbox/common/blobs.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';

let sb: Sandbox;
let dir: string;
let env: Record<string, string>;
let work: string;
let reportDir: string;
let startSummary: Record<string, unknown>;

before(async () => {
  sb = await startSandbox();
  dir = await mkdtemp(join(tmpdir(), 'ossmigrate-report-cli-'));
  env = sb.env();
  for (let i = 0; i < 6; i++)
    await sb.cos.seed(sb.info.cos.bucket, {
      key: `r/${i}.bin`,
      body: patternBytes(1000 + i, i + 1),
      size: 1000 + i,
      lastModified: new Date(Date.now() - 3600_000),
    });
  const file = join(dir, 'r.yaml');
  await writeFile(file, stringify({ name: 'r', ...sb.jobSpec({ srcPrefix: 'r/', dstPrefix: 'r/' }) }));
  work = join(dir, 'w');
  const start = await runCli(['import', file, '--workdir', work, '--json'], { cwd: dir, env });
  assert.equal(start.code, 0, start.stderr);
  startSummary = events(start.stdout).find((e) => e.type === 'summary')!;
  reportDir = startSummary.report as string;
});
after(async () => {
  await sb.close();
  await rm(dir, { recursive: true, force: true });
});

describe('ossmigrate report and report.html', () => {
  it('import writes no report.html; report writes it beside summary.txt and names it', async () => {
    await assert.rejects(readFile(join(reportDir, 'report.html')), { code: 'ENOENT' });
    const json = JSON.parse(await readFile(join(reportDir, 'summary.json'), 'utf8'));
    assert.equal(json.html, undefined, 'summary.json names no report.html it did not write');
    assert.match(await readFile(join(reportDir, 'summary.txt'), 'utf8'), /copied {4}6 objects/);
    const r = await runCli(['report', '--workdir', work], { cwd: dir, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`html {6}${join(reportDir, 'report.html')}`));
    const html = await readFile(join(reportDir, 'report.html'), 'utf8');
    assert.match(html, /<figure class="chart" data-chart="outcomes"><svg/);
    assert.match(html, /data-num="copied">6</);
    const j = await runCli(['report', '--workdir', work, '--json'], { cwd: dir, env });
    assert.equal(events(j.stdout).find((e) => e.type === 'report')?.html, join(reportDir, 'report.html'));
  });

  it('import says what proved each match: --json, summary.json, summary.txt (and report writes it in report.html)', async () => {
    // Both emulators report CRC-64 (COS x-cos-hash-crc64ecma, OSS x-oss-hash-crc64ecma).
    const by = { crc64: 6, md5: 0, size: 0 };
    assert.equal(startSummary.verified, 6);
    assert.deepEqual(startSummary.verifiedBy, by);
    const json = JSON.parse(await readFile(join(reportDir, 'summary.json'), 'utf8'));
    assert.deepEqual(json.summary.verifiedBy, by);
    const mix = /6 proven by CRC-64, 0 by MD5, 0 by size only/;
    assert.match(await readFile(join(reportDir, 'summary.txt'), 'utf8'), mix);
    assert.match(await readFile(join(reportDir, 'report.html'), 'utf8'), mix);
  });

  it('rewrites a missing report.html; --no-html neither writes nor names it', async () => {
    await rm(join(reportDir, 'report.html'));
    const off = await runCli(['report', '--workdir', work, '--no-html'], { cwd: dir, env });
    assert.equal(off.code, 0, off.stderr);
    assert.doesNotMatch(off.stdout, /report\.html/);
    await assert.rejects(readFile(join(reportDir, 'report.html')));
    const on = await runCli(['report', '--workdir', work], { cwd: dir, env });
    assert.equal(on.code, 0, on.stderr);
    const html = await readFile(join(reportDir, 'report.html'), 'utf8');
    assert.match(html, /data-chart="outcomes"/);
    assert.match(html, /data-chart="bytes"/, 'from the time series recorded during the run');
  });

  it('--open runs $BROWSER with the file, or says there is no browser', async () => {
    const opened = join(dir, 'opened.txt');
    const fake = join(dir, 'fake-browser');
    await writeFile(fake, `#!/bin/sh\necho "$1" > ${opened}\n`);
    await chmod(fake, 0o755);
    const r = await runCli(['report', '--workdir', work, '--open'], {
      cwd: dir,
      env: { ...env, BROWSER: fake },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /opened .*report\.html with .*fake-browser/);
    let got = '';
    for (let i = 0; i < 100 && !got; i++) {
      got = await readFile(opened, 'utf8').catch(() => '');
      if (!got) await sleep(50);
    }
    assert.equal(got.trim(), join(reportDir, 'report.html'));

    const none = await runCli(['report', '--workdir', work, '--open'], {
      cwd: dir,
      env: { ...env, BROWSER: '', PATH: join(dir, 'empty-path') },
    });
    assert.equal(none.code, 0, none.stderr);
    assert.match(
      none.stderr,
      /no browser here \(\$BROWSER is not set and xdg-open is not installed\): open .*report\.html yourself/,
    );
  });

  it('--open with --no-html is a usage error (exit 2) naming both flags', async () => {
    const r = await runCli(['report', '--workdir', work, '--open', '--no-html'], { cwd: dir, env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--open opens report\.html, which --no-html turns off/);
    assert.match(r.stderr, /drop one of the two flags/);
  });

  it('--objects streams the per-object ledger from the compressed journals; with --open it is a usage error', async () => {
    const r = await runCli(['report', '--workdir', work, '--objects'], { cwd: dir, env });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { key: string; outcome: string });
    assert.deepEqual(
      lines.map((l) => l.key).sort(),
      [0, 1, 2, 3, 4, 5].map((i) => `r/${i}.bin`),
    );
    assert.ok(lines.every((l) => l.outcome === 'copied'));
    const bad = await runCli(['report', '--workdir', work, '--objects', '--open'], { cwd: dir, env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--objects prints the ledger on stdout; --open opens report\.html/);
    assert.equal(bad.stdout, '');
  });

  it('after a later `verify`, report is that pass: its problems from the journal, in text and report.html', async () => {
    const dst = sb.oss.buckets.get(sb.info.oss.bucket)!;
    dst.objects.delete('r/2.bin');
    await sb.oss.seed(sb.info.oss.bucket, { key: 'r/9-business.bin', body: patternBytes(77, 9), size: 77 });
    const v = await runCli(['verify', '--workdir', work, '--json'], { cwd: dir, env });
    assert.equal(v.code, 5, v.stderr);
    const verifyDir = events(v.stdout).find((e) => e.type === 'summary')!.report as string;
    assert.notEqual(verifyDir, reportDir);
    const r = await runCli(['report', '--workdir', work], { cwd: dir, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /missing {3}1/);
    assert.match(r.stdout, new RegExp(`html {6}${join(verifyDir, 'report.html')}`));
    const html = await readFile(join(verifyDir, 'report.html'), 'utf8');
    assert.match(html, /r\/2\.bin/, 'the missing object is listed');
    assert.match(html, /r\/9-business\.bin/, 'and the one only in OSS');
    assert.deepEqual((await readFile(join(verifyDir, 'check.txt'), 'utf8')).trim().split('\n'), [
      '+ r/2.bin\tnot in the destination',
      '- r/9-business.bin\tin the destination only',
    ]);
  });
});
