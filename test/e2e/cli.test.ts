/** The other CLI verbs, end to end: the real CLI in a subprocess against the sandbox. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { SqliteStore } from '../../runner/adapters/state/sqliteStore.ts';
import { events, runCli, startCli } from '../helpers/cli.ts';
import { patternBytes } from '../sandbox/common/blobs.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';

let sb: Sandbox;
let dir: string;
let env: Record<string, string>;

before(async () => {
  sb = await startSandbox();
  dir = await mkdtemp(join(tmpdir(), 'ossmigrate-cli-'));
  env = sb.env();
});
after(async () => {
  await sb.close();
  await rm(dir, { recursive: true, force: true });
});

const ossKeys = (prefix: string) =>
  [...sb.oss.buckets.get(sb.info.oss.bucket)!.objects.keys()].filter((k) => k.startsWith(prefix)).sort();

async function seedCos(prefix: string, n: number, size = 1000): Promise<void> {
  for (let i = 0; i < n; i++) {
    await sb.cos.seed(sb.info.cos.bucket, {
      key: `${prefix}${i}`,
      body: patternBytes(size, i + 1),
      size,
      lastModified: new Date(Date.now() - 3600_000),
    });
  }
}

async function job(name: string, prefix: string, extra: Record<string, unknown> = {}): Promise<string> {
  const path = join(dir, `${name}.yaml`);
  await writeFile(
    path,
    stringify({
      name,
      ...sb.jobSpec({ srcPrefix: prefix, dstPrefix: prefix }),
      transfer: { retries: 2 },
      ...extra,
    }),
  );
  return path;
}

describe('cli: sources', () => {
  it('imports a local directory from flags alone', async () => {
    const src = join(dir, 'local-src');
    await mkdir(join(src, 'a b', 'c'), { recursive: true });
    await writeFile(join(src, 'top.txt'), 'top');
    await writeFile(join(src, 'a b', 'one.txt'), 'one');
    await writeFile(join(src, 'a b', 'c', 'two.txt'), 'two');
    // Written before the job starts (T1 is the job start, on a whole second).
    const hourAgo = new Date(Date.now() - 3600_000);
    for (const f of ['top.txt', 'a b/one.txt', 'a b/c/two.txt']) await utimes(join(src, f), hourAgo, hourAgo);
    const r = await runCli(
      [
        'import',
        '--src',
        `local://${src}/`,
        '--dst',
        `oss://${sb.info.oss.bucket}/from-local/`,
        '--dst-region',
        'cn-hangzhou',
        '--dst-endpoint',
        sb.info.oss.endpoint,
        '--workdir',
        join(dir, 'w-local'),
        '--json',
      ],
      { cwd: dir, env },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(ossKeys('from-local/'), [
      'from-local/a b/c/two.txt',
      'from-local/a b/one.txt',
      'from-local/top.txt',
    ]);
    const s = events(r.stdout).pop()!;
    assert.equal(s.copied, 3);
    assert.equal(
      s.verified,
      3,
      'local files: verify computes their CRC-64 (reading a local file is not a download)',
    );
  });

  it("runs an ossimport local_job.cfg as it is (keys in the cfg, ossimport's key names)", async () => {
    const src = join(dir, 'cfg-src');
    await mkdir(src, { recursive: true });
    await writeFile(join(src, 'f1'), 'first');
    await writeFile(join(src, 'f2'), 'second');
    const hourAgo = new Date(Date.now() - 3600_000);
    for (const f of ['f1', 'f2']) await utimes(join(src, f), hourAgo, hourAgo);
    const cfg = join(dir, 'local_job.cfg');
    await writeFile(
      cfg,
      [
        'jobName=local_test',
        'srcType=local',
        `srcPrefix=${src}/`,
        `destAccessKey=${env.ALIBABA_CLOUD_ACCESS_KEY_ID}`,
        `destSecretKey=${env.ALIBABA_CLOUD_ACCESS_KEY_SECRET}`,
        'destDomain=http://oss-cn-hangzhou.aliyuncs.com',
        `destBucket=${sb.info.oss.bucket}`,
        'destPrefix=from-cfg/',
        'isSkipExistFile=true',
        'taskObjectCountLimit=1000',
        '',
      ].join('\n'),
    );
    // The cfg names the public endpoint; point it at the sandbox the way workers are pointed at
    // the internal endpoint.
    const r = await runCli(['import', cfg, '--workdir', join(dir, 'w-cfg')], {
      cwd: dir,
      env: { OSSMIGRATE_OSS_ENDPOINT: sb.info.oss.endpoint },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(ossKeys('from-cfg/'), ['from-cfg/f1', 'from-cfg/f2']);
    assert.ok(!r.stderr.includes(env.ALIBABA_CLOUD_ACCESS_KEY_SECRET!));
  });
});

describe('cli: OSS to OSS', () => {
  it('migrates between OSS buckets (another region) with metadata and CRC-64 verification', async () => {
    sb.oss.createBucket('old-bucket', 'oss-cn-shanghai');
    for (let i = 0; i < 5; i++) {
      await sb.oss.seed('old-bucket', {
        key: `o/${i}`,
        body: patternBytes(3000 + i, i + 1),
        size: 3000 + i,
        contentType: 'application/x-test',
        meta: { n: String(i) },
        lastModified: new Date(Date.now() - 3600_000),
      });
    }
    const file = join(dir, 'oss2oss.yaml');
    await writeFile(
      file,
      stringify({
        name: 'oss2oss',
        source: {
          type: 'oss',
          bucket: 'old-bucket',
          region: 'cn-shanghai',
          prefix: 'o/',
          endpoint: sb.info.oss.endpoint,
        },
        destination: {
          bucket: sb.info.oss.bucket,
          region: sb.info.oss.region,
          prefix: 'moved/',
          endpoint: sb.info.oss.endpoint,
        },
      }),
    );
    const r = await runCli(['import', file, '--workdir', join(dir, 'w-oss2oss'), '--json'], {
      cwd: dir,
      env,
    });
    assert.equal(r.code, 0, r.stderr);
    const s = events(r.stdout).pop()!;
    assert.equal(s.copied, 5);
    assert.equal(s.verified, 5);
    const dst = sb.oss.buckets.get(sb.info.oss.bucket)!.get('moved/3')!;
    assert.equal(dst.contentType, 'application/x-test');
    assert.equal(dst.meta.n, '3');
    assert.equal(dst.crc64, sb.oss.buckets.get('old-bucket')!.get('o/3')!.crc64);
  });
});

describe('cli: submit, start, stat, report, plan, limit', () => {
  it('submit registers without copying; start runs; stat and report describe it', async () => {
    await seedCos('s1/', 12);
    const work = join(dir, 'w-s1');
    const file = await job('s1', 's1/');
    const sub = await runCli(['submit', file, '--workdir', work], { cwd: dir, env });
    assert.equal(sub.code, 0, sub.stderr);
    assert.equal(ossKeys('s1/').length, 0, 'submit copies nothing');

    const start = await runCli(['start', '--workdir', work, '--json'], { cwd: dir, env });
    assert.equal(start.code, 0, start.stderr);
    assert.equal(ossKeys('s1/').length, 12);
    // Once it has copied, a different job under the same name is refused (before, it is replaced).
    const again = await runCli(['submit', await job('s1', 'other/'), '--workdir', work], { cwd: dir, env });
    assert.equal(again.code, 2, 'a different job under the same name is refused');
    assert.match(again.stderr, /ossmigrate clean --job s1/);

    const stat = await runCli(['stat', '--workdir', work, '--json'], { cwd: dir, env });
    assert.equal(stat.code, 0, stat.stderr);
    const st = events(stat.stdout).find((x) => x.type === 'stat')!;
    assert.equal(st.job, 's1');
    assert.equal(st.running, null);
    assert.ok(
      (st.passes as Array<{ mode: string; status: string }>).some(
        (p) => p.mode === 'copy' && p.status === 'done',
      ),
    );

    const report = await runCli(['report', '--workdir', work], { cwd: dir, env });
    assert.equal(report.code, 0);
    assert.match(report.stdout, /copied {4}12 objects/);
    assert.match(report.stdout, /verified {2}12 match/);
  });

  it('plan surveys without copying: counts, histogram, classes, invalid names, fleet estimate', async () => {
    await seedCos('p/', 5, 2048);
    // Longer than OSS's 1023-byte limit (COS itself allows more through its own tools).
    await sb.cos.seed(sb.info.cos.bucket, { key: `p/${'x'.repeat(1100)}`, body: 'x' });
    await sb.cos.seed(sb.info.cos.bucket, { key: 'p/cold', body: 'ice', storageClass: 'ARCHIVE' });
    const r = await runCli(
      ['plan', await job('p', 'p/'), '--workdir', join(dir, 'w-p'), '--json', '--days', '7', '--mbps', '200'],
      { cwd: dir, env },
    );
    assert.equal(r.code, 0, r.stderr);
    const plan = events(r.stdout).find((x) => x.type === 'plan') as Record<string, unknown> & {
      estimate: { fleet: { instances: number; explanation: string; bound: string; warnings?: string[] } };
    };
    assert.equal(plan.objects, 7);
    assert.equal(plan.invalidNames, 1);
    assert.deepEqual((plan.storageClasses as Record<string, { objects: number }>).ARCHIVE?.objects, 1);
    assert.equal(plan.estimate.fleet.instances, 1);
    assert.match(plan.estimate.fleet.explanation, /needs 1 instance/);
    // 200 Mbit/s is above what a pay-as-you-go worker gets: plan sizes as the stack does, and says so.
    assert.equal(plan.estimate.fleet.bound, 'bandwidthCap');
    assert.match(plan.estimate.fleet.warnings?.[0] ?? '', /capped at 100 Mbit\/s/);
    assert.match(r.stderr, /! mbpsPerInstance is 200 Mbit\/s/);
    assert.equal(ossKeys('p/').length, 0);
    assert.match(r.stderr, /invalid names {2}1/);
  });

  it('limit changes the bandwidth of a job live, and rejects nonsense', async () => {
    const work = join(dir, 'w-s1');
    const r = await runCli(['limit', '08:00,10M 20:00,off', '--workdir', work, '--json'], { cwd: dir, env });
    assert.equal(r.code, 0, r.stderr);
    const stat = events((await runCli(['stat', '--workdir', work, '--json'], { cwd: dir, env })).stdout).find(
      (x) => x.type === 'stat',
    )!;
    assert.equal((stat.control as { bandwidth: string }).bandwidth, '08:00,10M 20:00,off');
    const bad = await runCli(['limit', 'ludicrous', '--workdir', work], { cwd: dir, env });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not a bandwidth/);
    assert.equal((await runCli(['limit', 'job', '--workdir', work], { cwd: dir, env })).code, 0);
  });
});

describe('cli: stop, resume, retry, lock, clean', () => {
  it('stop finishes in-flight objects and exits 6; start resumes to the end', async () => {
    await seedCos('stop/', 40, 5000);
    const work = join(dir, 'w-stop');
    // Slow enough that the run cannot finish before `stop` (a CLI start) arrives, even under load.
    sb.oss.faults.set({
      rules: [{ kind: 'latency', ops: ['PutObject'], keyPrefix: 'stop/', latencyMs: 1500 }],
    });
    const file = await job('stopme', 'stop/', { transfer: { concurrency: 2, retries: 2 } });
    const running = startCli(['import', file, '--workdir', work, '--json'], { cwd: dir, env });
    // Copying (so the run holds the job's lock) before a second run and `stop` are tried.
    for (
      let i = 0;
      i < 800 && (ossKeys('stop/').length < 1 || !existsSync(join(work, 'jobs', 'stopme', 'run.lock')));
      i++
    ) {
      await new Promise((r) => setTimeout(r, 25));
    }
    const locked = await runCli(['import', file, '--workdir', work], { cwd: dir, env });
    assert.equal(locked.code, 7, `a second run of the same job is refused: ${locked.stderr}`);
    assert.match(locked.stderr, /ossmigrate stop/);
    const stop = await runCli(['stop', '--workdir', work], { cwd: dir, env });
    assert.equal(stop.code, 0, stop.stderr);
    const stopped = await running.done;
    assert.equal(stopped.code, 6, stopped.stderr);
    const copiedFirst = ossKeys('stop/').length;
    assert.ok(copiedFirst < 40, `stopped early (${copiedFirst})`);
    sb.oss.faults.clear();
    const resumed = await runCli(['start', '--workdir', work, '--json'], { cwd: dir, env });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(ossKeys('stop/').length, 40);
    assert.equal(events(resumed.stdout).pop()!.copied, 40);
  });

  it('without a terminal, failures are not retried automatically; `retry` redoes only them', async () => {
    await seedCos('r/', 6);
    const work = join(dir, 'w-retry');
    sb.oss.faults.set({
      rules: [{ kind: 'error', ops: ['PutObject'], keyPrefix: 'r/2', status: 403, code: 'AccessDenied' }],
    });
    const first = await runCli(['import', await job('retry', 'r/'), '--workdir', work], { cwd: dir, env });
    assert.equal(first.code, 4, first.stderr);
    assert.match(first.stderr, /ACCESS_DENIED/);
    assert.match(first.stderr, /run `ossmigrate retry` later/);
    sb.oss.faults.clear();
    const mark = sb.oss.log.mark();
    const retry = await runCli(['retry', '--workdir', work, '--json'], { cwd: dir, env });
    assert.equal(retry.code, 0, retry.stderr);
    const puts = sb.oss.log
      .since(mark)
      .filter((x) => x.op === 'PutObject')
      .map((x) => x.key);
    assert.deepEqual(puts, ['r/2']);
    const s = events(retry.stdout).pop()!;
    assert.equal(s.failed, 0);
    assert.equal(s.copied, 6);
  });

  it('clean removes the job from the work dir (and never touches objects)', async () => {
    const work = join(dir, 'w-s1');
    const before = ossKeys('s1/').length;
    const noYes = await runCli(['clean', '--workdir', work], { cwd: dir, env });
    assert.equal(noYes.code, 2, 'refuses without a terminal or --yes');
    const r = await runCli(['clean', '--workdir', work, '--yes'], { cwd: dir, env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(join(work, 'jobs', 's1')), false);
    assert.equal(ossKeys('s1/').length, before);
    const gone = await runCli(['stat', '--workdir', work], { cwd: dir, env });
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, /no job in/);
  });
});

describe('cli: clean and unfinished uploads', () => {
  it("clean aborts the job's unfinished uploads, also one whose Initiate answer a crash lost", async () => {
    await seedCos('mpc/', 1, 3 * 1024 * 1024);
    const work = join(dir, 'w-mpc');
    sb.oss.faults.set({
      rules: [
        { kind: 'error', ops: ['UploadPart'], keyPrefix: 'mpc/', status: 503, code: 'ServiceUnavailable' },
      ],
    });
    const spec = { transfer: { retries: 0, multipartThreshold: '1MiB', partSize: '1MiB' } };
    const first = await runCli(['import', await job('mpc', 'mpc/', spec), '--workdir', work], {
      cwd: dir,
      env,
    });
    sb.oss.faults.clear();
    assert.notEqual(first.code, 0, 'every part refused');
    const bucket = sb.oss.buckets.get(sb.info.oss.bucket)!;
    const open = () => [...bucket.uploads.values()].filter((u) => u.key.startsWith('mpc/'));
    assert.equal(open().length, 1, 'a transient failure keeps the upload for the resume');
    // What a crash between Initiate and its checkpoint leaves: the intent, not the upload's id.
    const state = new SqliteStore(join(work, 'jobs', 'mpc', 'state.db'));
    const [cp, ...more] = await state.allMultipart();
    assert.ok(cp && more.length === 0);
    await state.putMultipart({ ...cp, uploadId: '', initiating: Date.now() });
    await state.close();
    const r = await runCli(['clean', '--workdir', work, '--yes'], { cwd: dir, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /aborted 1 unfinished multipart upload\b/);
    assert.equal(open().length, 0);
  });
});

describe('cli: help and exit codes', () => {
  it('documents every verb and exits 2 on an unknown one', async () => {
    const help = await runCli(['--help'], { cwd: dir });
    assert.equal(help.code, 0);
    for (const verb of [
      'import',
      'plan',
      'submit',
      'start',
      'stat',
      'retry',
      'verify',
      'report',
      'stop',
      'limit',
      'clean',
      'sandbox',
    ]) {
      assert.match(help.stdout, new RegExp(`\\b${verb}\\b`), verb);
    }
    const bad = await runCli(['frobnicate'], { cwd: dir });
    assert.equal(bad.code, 2);
    const report = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    assert.ok(report.length > 0);
  });
});

describe('cli: the job log', () => {
  it('records passes, stages, failures and the summary — and never a secret', async () => {
    const log = await readFile(join(dir, 'w-retry', 'jobs', 'retry', 'logs', 'ossmigrate.log'), 'utf8');
    const lines = log
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; level: number; key?: string; class?: string });
    assert.ok(lines.some((l) => l.msg === 'pass'));
    assert.ok(lines.some((l) => l.msg === 'stage'));
    assert.ok(lines.some((l) => l.msg === 'object failed' && l.key === 'r/2' && l.class === 'ACCESS_DENIED'));
    assert.ok(lines.some((l) => l.msg === 'summary'));
    for (const secret of [env.ALIBABA_CLOUD_ACCESS_KEY_SECRET!, env.TENCENTCLOUD_SECRET_KEY!])
      assert.ok(!log.includes(secret));
  });
});
