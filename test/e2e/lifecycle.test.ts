/**
 * The job lifecycle through the real CLI against the sandbox (issue #12): submit → start of an
 * ossimport cfg, nothing written before the preflight passes, a job that copied nothing is
 * replaced by its corrected definition, and `plan` is a survey that needs and blocks no job.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { events, runCli } from '../helpers/cli.ts';
import { patternBytes } from '../sandbox/common/blobs.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';

let sb: Sandbox;
let dir: string;
let env: Record<string, string>;

before(async () => {
  sb = await startSandbox();
  dir = await mkdtemp(join(tmpdir(), 'ossmigrate-lifecycle-'));
  env = sb.env();
});
after(async () => {
  await sb.close();
  await rm(dir, { recursive: true, force: true });
});

const ossKeys = (prefix: string) =>
  [...sb.oss.buckets.get(sb.info.oss.bucket)!.objects.keys()].filter((k) => k.startsWith(prefix)).sort();

/** A local source directory of small files, written an hour ago (before any T1). */
async function localSource(name: string, files: string[]): Promise<string> {
  const src = join(dir, name);
  await mkdir(src, { recursive: true });
  const hourAgo = new Date(Date.now() - 3600_000);
  for (const f of files) {
    await writeFile(join(src, f), `content of ${f}`);
    await utimes(join(src, f), hourAgo, hourAgo);
  }
  return src;
}

/**
 * An ossimport local_job.cfg the way users write them: the OSS keys inside, a Chinese comment,
 * the public endpoint (the sandbox is reached through OSSMIGRATE_OSS_ENDPOINT, as workers reach
 * the internal one).
 */
function localCfg(o: { src: string; bucket?: string; destPrefix: string; jobName?: string }): string {
  return [
    '# 作业名称，不要修改',
    `jobName=${o.jobName ?? 'local_test'}`,
    'srcType=local',
    `srcPrefix=${o.src}/`,
    `destAccessKey=${env.ALIBABA_CLOUD_ACCESS_KEY_ID}`,
    `destSecretKey=${env.ALIBABA_CLOUD_ACCESS_KEY_SECRET}`,
    'destDomain=http://oss-cn-hangzhou.aliyuncs.com',
    `destBucket=${o.bucket ?? sb.info.oss.bucket}`,
    `destPrefix=${o.destPrefix}`,
    'isSkipExistFile=true',
    '',
  ].join('\n');
}

/** Only the endpoint: the keys must come from the cfg. */
const endpointOnly = () => ({ OSSMIGRATE_OSS_ENDPOINT: sb.info.oss.endpoint });

/** Every file under a directory (relative paths), to show what a run left behind. */
async function filesUnder(root: string): Promise<string[]> {
  if (!existsSync(root)) return [];
  return (await readdir(root, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name).slice(root.length + 1))
    .sort();
}

describe('lifecycle: submit, then start, of an ossimport cfg', () => {
  it("start reads the cfg's keys again; the work dir never holds them", async () => {
    const src = await localSource('cfg-src', ['a', 'b']);
    const cfg = join(dir, 'local_job.cfg');
    await writeFile(cfg, localCfg({ src, destPrefix: 'submitted/' }));
    const work = join(dir, 'w-submit');
    const sub = await runCli(['submit', cfg, '--workdir', work], { cwd: dir, env: endpointOnly() });
    assert.equal(sub.code, 0, sub.stderr);
    const start = await runCli(['start', '--workdir', work, '--json'], { cwd: dir, env: endpointOnly() });
    assert.equal(start.code, 0, start.stderr);
    assert.deepEqual(ossKeys('submitted/'), ['submitted/a', 'submitted/b']);
    assert.equal(events(start.stdout).pop()!.verified, 2);
    const secret = env.ALIBABA_CLOUD_ACCESS_KEY_SECRET!;
    for (const f of await filesUnder(work)) {
      const text = await readFile(join(work, f), 'latin1');
      assert.ok(!text.includes(secret), `${f} holds the secret`);
    }
    assert.ok(!start.stderr.includes(secret));
  });

  it('start refuses (exit 2) when the cfg is gone, saying where it was and what to do', async () => {
    const cfg = join(dir, 'local_job.cfg');
    const moved = join(dir, 'moved.cfg');
    await rename(cfg, moved);
    const r = await runCli(['start', '--workdir', join(dir, 'w-submit')], { cwd: dir, env: endpointOnly() });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /was submitted from .*local_job\.cfg, which holds its keys, and .* is gone/);
    assert.match(r.stderr, /fix: put it back, or submit the job again/);
    // `stat` and `report` need no keys: they still work.
    const stat = await runCli(['stat', '--workdir', join(dir, 'w-submit')], { cwd: dir, env: {} });
    assert.equal(stat.code, 0, stat.stderr);
    await rename(moved, cfg);
  });

  it('start refuses (exit 2) when the cfg now describes a different job', async () => {
    const cfg = join(dir, 'local_job.cfg');
    const before = await readFile(cfg, 'utf8');
    await writeFile(cfg, before.replace('destPrefix=submitted/', 'destPrefix=elsewhere/'));
    const r = await runCli(['start', '--workdir', join(dir, 'w-submit')], { cwd: dir, env: endpointOnly() });
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /local_job\.cfg now describes a different job than the "local_test" submitted from it/,
    );
    assert.match(r.stderr, /ossmigrate clean --job local_test/);
    assert.deepEqual(ossKeys('elsewhere/'), []);
    await writeFile(cfg, before);
    const again = await runCli(['start', '--workdir', join(dir, 'w-submit')], {
      cwd: dir,
      env: endpointOnly(),
    });
    assert.equal(again.code, 0, again.stderr);
  });
});

describe('lifecycle: nothing is written before the preflight passes', () => {
  it('an import whose preflight fails (exit 3) leaves no job dir, no state.db, no log', async () => {
    const src = await localSource('pf-src', ['x']);
    const cfg = join(dir, 'typo.cfg');
    await writeFile(cfg, localCfg({ src, bucket: 'no-such-bucket', destPrefix: 'pf/' }));
    const work = join(dir, 'w-pf');
    const r = await runCli(['import', cfg, '--workdir', work], { cwd: dir, env: endpointOnly() });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /preflight failed; nothing was written/);
    assert.match(r.stderr, /BUCKET_NOT_FOUND/);
    assert.deepEqual(await filesUnder(work), []);
  });

  it('an import refused for want of credentials (exit 2) leaves nothing either', async () => {
    const file = join(dir, 'nocreds.yaml');
    await writeFile(file, stringify({ name: 'nocreds', ...sb.jobSpec() }));
    const work = join(dir, 'w-nocreds');
    const r = await runCli(['import', file, '--workdir', work], { cwd: dir, env: {} });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /TENCENTCLOUD_SECRET_ID/);
    assert.deepEqual(await filesUnder(work), []);
  });
});

describe('lifecycle: a job that copied nothing is replaced by its corrected definition', () => {
  it('after a failed preflight, the corrected cfg (same jobName) runs', async () => {
    const src = await localSource('fix-src', ['one', 'two']);
    const cfg = join(dir, 'fix.cfg');
    const work = join(dir, 'w-fix');
    await writeFile(cfg, localCfg({ src, bucket: 'typo-bucket', destPrefix: 'fixed/' }));
    assert.equal(
      (await runCli(['import', cfg, '--workdir', work], { cwd: dir, env: endpointOnly() })).code,
      3,
    );
    await writeFile(cfg, localCfg({ src, destPrefix: 'fixed/' }));
    const r = await runCli(['import', cfg, '--workdir', work], { cwd: dir, env: endpointOnly() });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(ossKeys('fixed/'), ['fixed/one', 'fixed/two']);
  });

  it('a submitted job that never ran is replaced; one that copied objects is still refused', async () => {
    const src = await localSource('sub-src', ['p', 'q']);
    const cfg = join(dir, 'resub.cfg');
    const work = join(dir, 'w-resub');
    await writeFile(cfg, localCfg({ src, bucket: 'typo-bucket', destPrefix: 'resub/' }));
    const sub = await runCli(['submit', cfg, '--workdir', work], { cwd: dir, env: endpointOnly() });
    assert.equal(sub.code, 0, sub.stderr);
    await writeFile(cfg, localCfg({ src, destPrefix: 'resub/' }));
    const r = await runCli(['import', cfg, '--workdir', work], { cwd: dir, env: endpointOnly() });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /note: job "local_test" had copied nothing yet: its earlier definition is replaced/,
    );
    assert.deepEqual(ossKeys('resub/'), ['resub/p', 'resub/q']);
    // Now it has copied objects: another definition under its name is refused, with the fix.
    await writeFile(cfg, localCfg({ src, destPrefix: 'resub-other/' }));
    const refused = await runCli(['import', cfg, '--workdir', work], { cwd: dir, env: endpointOnly() });
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(
      refused.stderr,
      /a different job named "local_test" is already in .*, and it has copied objects/,
    );
    assert.match(refused.stderr, /fix: finish it, or remove it with: ossmigrate clean --job local_test/);
    assert.deepEqual(ossKeys('resub-other/'), []);
  });
});

describe('lifecycle: plan is a survey', () => {
  const planArgs = (bucket: string, prefix: string, work: string, extra: string[] = []) => [
    'plan',
    '--src',
    `cos://${bucket}/${prefix}`,
    '--src-region',
    sb.info.cos.region,
    '--src-endpoint',
    sb.info.cos.endpoint,
    '--dst',
    `oss://${sb.info.oss.bucket}/${prefix}`,
    '--dst-region',
    sb.info.oss.region,
    '--dst-endpoint',
    sb.info.oss.endpoint,
    '--workdir',
    work,
    '--json',
    ...extra,
  ];

  it('a missing bucket fails like the preflight (exit 3, the reason and the fix)', async () => {
    const r = await runCli(planArgs('nosuch-1250000000', 'x/', join(dir, 'w-plan-missing')), {
      cwd: dir,
      env,
    });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /BUCKET_NOT_FOUND: source/);
    assert.match(r.stderr, /fix: check the source bucket name and region/);
    assert.doesNotMatch(r.stderr, /nothing to move/);
    assert.equal(events(r.stdout).filter((e) => e.type === 'plan').length, 0);
  });

  it('an unreachable endpoint fails like the preflight (exit 3)', async () => {
    const file = join(dir, 'unreachable.yaml');
    const spec = sb.jobSpec({ srcPrefix: 'u/' });
    // A port nothing listens on: connection refused at once.
    await writeFile(
      file,
      stringify({ name: 'unreachable', ...spec, source: { ...spec.source, endpoint: 'http://127.0.0.1:9' } }),
    );
    const r = await runCli(['plan', file, '--workdir', join(dir, 'w-plan-unreachable')], { cwd: dir, env });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /UNREACHABLE: source/);
    assert.match(r.stderr, /fix: check network access to the source endpoint/);
  });

  it('needs no job and blocks none: two plans of different sources, then an import, in one work dir', async () => {
    for (let i = 0; i < 3; i++)
      await sb.cos.seed(sb.info.cos.bucket, {
        key: `plan-a/${i}`,
        body: patternBytes(100, i + 1),
        size: 100,
        lastModified: new Date(Date.now() - 3600_000),
      });
    await sb.cos.seed(sb.info.cos.bucket, { key: 'plan-b/only', body: 'b' });
    const work = join(dir, 'w-plans');
    const a = await runCli(planArgs(sb.info.cos.bucket, 'plan-a/', work), { cwd: dir, env });
    assert.equal(a.code, 0, a.stderr);
    assert.equal(events(a.stdout).find((e) => e.type === 'plan')!.objects, 3);
    const b = await runCli(planArgs(sb.info.cos.bucket, 'plan-b/', work), { cwd: dir, env });
    assert.equal(b.code, 0, b.stderr);
    assert.equal(events(b.stdout).find((e) => e.type === 'plan')!.objects, 1);
    assert.deepEqual(await filesUnder(work), [], 'a plan writes nothing to the work dir');
    const imp = await runCli(['import', ...planArgs(sb.info.cos.bucket, 'plan-a/', work).slice(1)], {
      cwd: dir,
      env,
    });
    assert.equal(imp.code, 0, imp.stderr);
    assert.equal(events(imp.stdout).pop()!.copied, 3);
    // A job in the work dir does not block a plan of another source either.
    const c = await runCli(planArgs(sb.info.cos.bucket, 'plan-b/', work), { cwd: dir, env });
    assert.equal(c.code, 0, c.stderr);
    // And `plan` of the submitted job (no file) still surveys it.
    const own = await runCli(['plan', '--workdir', work, '--json'], { cwd: dir, env });
    assert.equal(own.code, 0, own.stderr);
    assert.equal(events(own.stdout).find((e) => e.type === 'plan')!.objects, 3);
  });
});
