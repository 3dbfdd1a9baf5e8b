/**
 * `ossmigrate migrate`, headless, through the real CLI against the sandbox (in-process emulators):
 * with --yes it walks all ten phases on the demo data and exits 0; without it, the cutover and
 * the teardown wait for their flags (exit 6, the flag named, the next run resumes there), and a
 * --confirm-cutover naming another bucket is refused (exit 2) before anything is written.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ndjson } from '../../runner/cli/commands/migrate.ts';
import { events, runCli } from '../helpers/cli.ts';
import { patternBytes } from '../sandbox/common/blobs.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';
import { demoObjects } from '../sandbox/seed.ts';

const TITLES = [
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
];

/** A job file as a user writes it (YAML; JSON is YAML), pointing at the sandbox. */
async function jobFile(sb: Sandbox, dir: string, name: string): Promise<string> {
  const path = join(dir, `${name}.yaml`);
  await writeFile(
    path,
    JSON.stringify({
      name,
      ...sb.jobSpec(),
      // Small multipart settings so the demo's large objects go multipart, as in the demo.
      transfer: { concurrency: 8, multipartThreshold: '8MiB', partSize: '4MiB', retries: 6 },
    }),
  );
  return path;
}

const saved = async (work: string, job: string) =>
  JSON.parse(await readFile(join(work, 'jobs', job, 'tui.json'), 'utf8')) as {
    done: string[];
    t2?: string;
  };

describe('ossmigrate migrate --infra sandbox --yes (demo data)', () => {
  let sb: Sandbox;
  let dir: string;
  before(async () => {
    sb = await startSandbox({ seed: 'demo' });
    dir = await mkdtemp(join(tmpdir(), 'ossmigrate-migrate-'));
  });
  after(async () => {
    await sb.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs all ten phases headless, turns the mirror rule on then off, exits 0 with the report path', async () => {
    const work = join(dir, 'w');
    const job = await jobFile(sb, dir, 'demo');
    const r = await runCli(['migrate', job, '--infra', 'sandbox', '--yes', '--workdir', work], {
      cwd: dir,
      env: sb.env(),
    });
    assert.equal(r.code, 0, r.stderr);
    for (const [i, t] of TITLES.entries())
      assert.match(r.stderr, new RegExp(`^\\[${i + 1}/10\\] ${t}$`, 'm'), t);
    assert.match(r.stderr, /--yes: cutover confirmed/);
    assert.match(r.stderr, /--yes: teardown confirmed/);
    assert.match(r.stderr, /^migration complete\.$/m);
    assert.equal(sb.oss.log.count({ op: 'PutBucketWebsite', status: 200 }), 1);
    assert.equal(sb.oss.log.count({ op: 'DeleteBucketWebsite', status: 204 }), 1);
    const report = r.stdout.trim();
    assert.equal(report, join(work, 'jobs', 'demo', 'reports', 'migration'));
    const json = JSON.parse(await readFile(join(report, 'report.json'), 'utf8'));
    assert.equal(json.verdict.ok, true);
    assert.equal(json.verdict.sourceObjects, demoObjects().length);
    assert.equal((await saved(work, 'demo')).done.length, 10);
  });
});

describe('ossmigrate migrate: the cutover and teardown confirmations', () => {
  let sb: Sandbox;
  let dir: string;
  let work: string;
  let job: string;
  const requests = () => sb.oss.log.all().length + sb.cos.log.all().length;
  before(async () => {
    sb = await startSandbox();
    for (let i = 0; i < 6; i++)
      await sb.cos.seed(sb.info.cos.bucket, {
        key: `site/${i}.html`,
        body: patternBytes(1200 + i, i + 1),
        size: 1200 + i,
        lastModified: new Date(Date.now() - 86_400_000),
      });
    dir = await mkdtemp(join(tmpdir(), 'ossmigrate-migrate-confirm-'));
    work = join(dir, 'w');
    job = await jobFile(sb, dir, 'site');
  });
  after(async () => {
    await sb.close();
    await rm(dir, { recursive: true, force: true });
  });
  const run = (args: string[]) =>
    runCli(['migrate', ...args, '--infra', 'sandbox', '--workdir', work], { cwd: dir, env: sb.env() });

  it('--infra is required: exit 2', async () => {
    const r = await runCli(['migrate', job, '--workdir', work], { cwd: dir, env: sb.env() });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /required option '--infra <kind>' not specified/);
  });

  it('a destination bucket that does not exist: exit 3 with the fix, and the work dir is not created', async () => {
    const typo = join(dir, 'typo.yaml');
    const spec = JSON.parse(await readFile(job, 'utf8')) as { destination: { bucket: string } };
    spec.destination.bucket = 'no-such-bucket';
    await writeFile(typo, JSON.stringify(spec));
    const elsewhere = join(dir, 'w-typo');
    const r = await runCli(['migrate', typo, '--infra', 'sandbox', '--yes', '--workdir', elsewhere], {
      cwd: dir,
      env: sb.env(),
    });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /BUCKET_NOT_FOUND/);
    assert.equal(existsSync(elsewhere), false, 'nothing written before the preflight passes');
  });

  it('without --confirm-cutover: stops at the cutover (exit 6), names the flag; --json ends with the summary', async () => {
    const r = await run([job, '--json']);
    assert.equal(r.code, 6, r.stderr);
    assert.match(
      r.stderr,
      /the cutover waits for you: switch the business to oss:\/\/demo-dst, then run this command again with --confirm-cutover demo-dst/,
    );
    assert.match(r.stderr, /continue with: --confirm-cutover demo-dst/);
    const ev = events(r.stdout);
    const done = ev.filter((e) => e.type === 'phase-done').map((e) => e.phase);
    assert.deepEqual(done, ['plan', 'provision', 'full', 'verify', 'mirror']);
    assert.deepEqual(ev.at(-1), {
      type: 'summary',
      infra: 'sandbox',
      status: 'stopped',
      exitCode: 6,
      message: `stopped during cutover; the job is saved in ${work}`,
      waitingFor: 'cutover',
      continueWith: '--confirm-cutover demo-dst',
    });
    assert.deepEqual((await saved(work, 'site')).done, done);
  });

  it('--confirm-cutover naming another bucket: exit 2 with the fix, nothing written', async () => {
    const before = requests();
    for (const args of [
      [job, '--confirm-cutover', 'demo-dts'],
      ['--confirm-cutover', 'demo-dts'],
    ]) {
      const r = await run(args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(
        r.stderr,
        /^error: --confirm-cutover demo-dts: this job's destination bucket is demo-dst$/m,
      );
      assert.match(r.stderr, /fix: confirm with the destination bucket: --confirm-cutover demo-dst/);
    }
    assert.equal(requests(), before, 'no request reached the sandbox');
    const s = await saved(work, 'site');
    assert.equal(s.done.length, 5);
    assert.equal(s.t2, undefined);
  });

  it('--confirm-cutover BUCKET resumes at the cutover and stops at the teardown; --confirm-teardown finishes', async () => {
    const cut = await run(['--confirm-cutover', 'demo-dst']);
    assert.equal(cut.code, 6, cut.stderr);
    assert.match(cut.stderr, /--confirm-cutover: cutover confirmed/);
    assert.doesNotMatch(cut.stderr, /\[1\/10\] plan/, 'resumed, not started over');
    assert.match(cut.stderr, /the teardown waits for you: it removes the mirror rule \(back-to-origin\)/);
    assert.match(cut.stderr, /continue with: --confirm-teardown/);
    const s = await saved(work, 'site');
    assert.equal(s.done.length, 9);
    assert.ok(s.t2, 'T2 recorded');
    assert.equal(sb.oss.log.count({ op: 'DeleteBucketWebsite' }), 0, 'the mirror rule is still on');

    const end = await run(['--confirm-teardown']);
    assert.equal(end.code, 0, end.stderr);
    assert.match(end.stderr, /--confirm-teardown: teardown confirmed/);
    assert.equal(sb.oss.log.count({ op: 'DeleteBucketWebsite', status: 204 }), 1);
    assert.equal((await saved(work, 'site')).done.length, 10);
    const report = end.stdout.trim();
    const json = JSON.parse(await readFile(join(report, 'report.json'), 'utf8'));
    assert.equal(json.verdict.ok, true);
    assert.equal(json.verdict.sourceObjects, 6);
  });
});

describe('ossmigrate migrate --json', () => {
  it('masks the queue password in the infra outputs it prints', () => {
    const line = ndjson({
      type: 'infra-outputs',
      outputs: { bucket: 'media', queueUrl: 'redis://:s3cret-pw@10.0.0.5:6379/0' },
    });
    assert.ok(!line.includes('s3cret-pw'), line);
    assert.match(line, /redis:\/\/[^"]*10\.0\.0\.5:6379/);
    assert.ok(line.endsWith('}\n'));
  });
});
