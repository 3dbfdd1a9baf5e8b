/**
 * UpYun end to end: the real CLI, the UpYun emulator (written from UpYun's REST docs) as the
 * source, the OSS emulator as the destination. From flags with UPYUN_OPERATOR / UPYUN_PASSWORD,
 * from ossimport's youpai job.cfg with the operator in it; awkward keys, 0 B, multipart-size;
 * throttling retried; a wrong password stopped by preflight with the fix; kill -9 and resume;
 * verify catching a corrupted copy and a changed source.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { events, runCli, startCli } from '../helpers/cli.ts';
import { patternBytes } from '../sandbox/common/blobs.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';
import { startUpyunEmulator, type UpyunEmulator } from '../sandbox/upyun/index.ts';

const MiB = 1024 * 1024;
const bytes = (size: number, seed: number) => Buffer.concat([...patternBytes(size, seed)]);
const PASSWORD = 'upyun-e2e-password';

type Env = { sb: Sandbox; up: UpyunEmulator; dir: string; env: Record<string, string> };
async function setup(): Promise<Env> {
  const sb = await startSandbox({});
  const up = await startUpyunEmulator({ operators: { migrator: PASSWORD } });
  up.createService('media');
  const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-e2e-upyun-'));
  return { sb, up, dir, env: { ...sb.env(), UPYUN_OPERATOR: 'migrator', UPYUN_PASSWORD: PASSWORD } };
}
async function teardown(e: Env): Promise<void> {
  await e.up.close();
  await e.sb.close();
  await rm(e.dir, { recursive: true, force: true });
}
const hourAgo = () => new Date(Date.now() - 3600_000);
const flags = (e: Env, work: string, srcPrefix = '', dstPrefix = '') => [
  '--src',
  `upyun://media/${srcPrefix}`,
  '--src-endpoint',
  e.up.endpoint,
  '--dst',
  `oss://${e.sb.info.oss.bucket}/${dstPrefix}`,
  '--dst-region',
  e.sb.info.oss.region,
  '--dst-endpoint',
  e.sb.info.oss.endpoint,
  '--workdir',
  join(e.dir, work),
];
async function ossBody(e: Env, key: string): Promise<Buffer> {
  const b = e.sb.oss.buckets.get(e.sb.info.oss.bucket)!;
  const chunks: Buffer[] = [];
  for await (const c of b.read(b.get(key)!)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('e2e: upyun import', () => {
  let e: Env;
  before(async () => {
    e = await setup();
  });
  after(() => teardown(e));

  it('copies awkward keys, 0 B and a multipart-size object with metadata, through throttling', async () => {
    const files: Record<string, Buffer> = {
      'site/sp ace/a+b%c#d?e.txt': Buffer.from('awkward'),
      'site/ü/中文/ключ.txt': Buffer.from('unicode'),
      'site/empty.bin': Buffer.alloc(0),
      'site/big/video.bin': bytes(3 * MiB + 5, 3),
      [`site/long/${'n'.repeat(1000)}`]: Buffer.from('a 1 KiB name'),
    };
    for (const [k, body] of Object.entries(files))
      e.up.seed('media', k, body, { mtime: hourAgo(), contentType: 'text/plain', meta: { owner: 'alice' } });
    e.up.seed('media', 'elsewhere/not-me.txt', 'outside the prefix', { mtime: hourAgo() });
    e.up.faults.push({ op: 'get', kind: 'throttle', times: 2 }, { op: 'list', kind: 'throttle', times: 1 });
    const job = join(e.dir, 'job.yaml');
    await writeFile(
      job,
      [
        'name: upyun-e2e',
        `source: { type: upyun, service: media, prefix: site/, endpoint: "${e.up.endpoint}" }`,
        `destination: { bucket: ${e.sb.info.oss.bucket}, region: ${e.sb.info.oss.region}, endpoint: "${e.sb.info.oss.endpoint}", prefix: up/ }`,
        'transfer: { multipartThreshold: 2MiB, partSize: 1MiB, retries: 6 }',
      ].join('\n'),
    );
    const r = await runCli(['import', job, '--workdir', join(e.dir, 'w'), '--json', '--yes'], {
      cwd: e.dir,
      env: e.env,
    });
    assert.equal(r.code, 0, r.stderr);
    const s = events(r.stdout).pop()!;
    assert.equal(s.copied, 5, r.stderr);
    assert.equal(s.failed, 0);
    for (const [k, body] of Object.entries(files))
      assert.deepEqual(await ossBody(e, `up/${k.slice('site/'.length)}`), body, k);
    const o = e.sb.oss.buckets.get(e.sb.info.oss.bucket)!.get('up/ü/中文/ключ.txt')!;
    assert.equal(o.contentType, 'text/plain');
    assert.equal(
      o.meta?.owner ?? (o as unknown as { userMeta?: Record<string, string> }).userMeta?.owner,
      'alice',
    );
    assert.ok(!r.stderr.includes(PASSWORD) && !r.stdout.includes(PASSWORD), 'the password is never printed');
    assert.equal(
      e.up.faults.every((f) => f.times === 0),
      true,
      'the throttling happened and was retried',
    );
  });

  it('a wrong password stops at preflight (exit 3) with the fix; no credentials at all is exit 2', async () => {
    const wrong = await runCli(['import', ...flags(e, 'w-wrong'), '--yes'], {
      cwd: e.dir,
      env: { ...e.env, UPYUN_PASSWORD: 'not-the-password' },
    });
    assert.equal(wrong.code, 3, wrong.stderr);
    assert.match(wrong.stderr, /check UPYUN_OPERATOR \/ UPYUN_PASSWORD/);
    assert.doesNotMatch(wrong.stderr, /not-the-password/);
    const none = await runCli(['import', ...flags(e, 'w-none'), '--yes'], {
      cwd: e.dir,
      env: { ...e.sb.env(), HOME: e.dir },
    });
    assert.equal(none.code, 2, none.stderr);
    assert.match(none.stderr, /no UpYun operator credentials for the upyun source/);
    assert.match(none.stderr, /export UPYUN_OPERATOR and UPYUN_PASSWORD/);
    const region = await runCli(['import', ...flags(e, 'w-region'), '--src-region', 'cn-east', '--yes'], {
      cwd: e.dir,
      env: e.env,
    });
    assert.equal(region.code, 2);
    assert.match(region.stderr, /--src-region does not apply to an upyun source/);
  });

  it("runs Alibaba's youpai job.cfg once operator, password, domain and OSS keys are filled in", async () => {
    e.up.seed('media', 'docs/guide.txt', 'guide', { mtime: hourAgo() });
    e.up.seed('media', 'docs/img/logo.png', 'png', { mtime: hourAgo() });
    let cfg = await readFile(new URL('../fixtures/ossimport/upyun-youpai.job.cfg', import.meta.url), 'utf8');
    const set = (k: string, v: string) => {
      cfg = cfg.replace(new RegExp(`^${k}=.*$`, 'm'), `${k}=${v}`);
    };
    set('srcAccessKey', 'migrator');
    set('srcSecretKey', PASSWORD);
    set('srcDomain', e.up.endpoint);
    set('srcBucket', 'media');
    set('destAccessKey', e.sb.info.oss.accessKeyId);
    set('destSecretKey', e.sb.info.oss.accessKeySecret);
    set('destDomain', e.sb.info.oss.endpoint);
    set('destBucket', e.sb.info.oss.bucket);
    const path = join(e.dir, 'job.cfg');
    await writeFile(path, cfg);
    const r = await runCli(['import', path, '--workdir', join(e.dir, 'w-cfg'), '--yes'], {
      cwd: e.dir,
      env: { HOME: e.dir },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await ossBody(e, 'docs/img/logo.png')).toString(), 'png');
    assert.doesNotMatch(r.stderr, new RegExp(PASSWORD));
  });
});

describe('e2e: upyun resume and verify', () => {
  let e: Env;
  before(async () => {
    e = await setup();
  });
  after(() => teardown(e));

  it('a SIGKILLed run resumes without copying finished objects again; verify catches a corrupted copy and a changed source', async () => {
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 30; i++) files[`r/${String(i).padStart(3, '0')}`] = bytes(2000 + i, i + 1);
    for (const [k, body] of Object.entries(files)) e.up.seed('media', k, body, { mtime: hourAgo() });
    e.sb.oss.faults.set({ rules: [{ kind: 'latency', ops: ['PutObject'], latencyMs: 60 }] });
    const args = [...flags(e, 'w'), '--concurrency', '2'];
    const run = startCli(['import', ...args, '--yes'], { cwd: e.dir, env: e.env });
    for (let t = 0; t < 800; t++) {
      if (e.sb.oss.log.find({ op: 'PutObject', status: 200 }).length >= 6) break;
      await new Promise((ok) => setTimeout(ok, 25));
    }
    run.child.kill('SIGKILL');
    assert.equal((await run.done).signal, 'SIGKILL');
    await new Promise((ok) => setTimeout(ok, 300));
    e.sb.oss.faults.clear();
    const before = new Set(e.sb.oss.log.find({ op: 'PutObject', status: 200 }).map((x) => x.key));
    assert.ok(before.size < 30, 'killed mid-copy');
    const mark = e.sb.oss.log.mark();
    const r = await runCli(['import', ...args, '--json', '--yes'], { cwd: e.dir, env: e.env });
    assert.equal(r.code, 0, r.stderr);
    for (const x of e.sb.oss.log.since(mark).filter((y) => y.op === 'PutObject' && y.status === 200))
      assert.equal(before.has(x.key), false, `${x.key} copied again`);
    for (const [k, body] of Object.entries(files)) assert.deepEqual(await ossBody(e, k), body);

    // UpYun lists no MD5: verify proves each object by the evidence its copy recorded (the body MD5
    // UpYun reported, checked against the bytes read), joined from the ledger — also the objects the
    // kill left without a ledger line, which the resume found as our own copies. A same-size
    // rewrite on either side is caught by its new ETag / mtime.
    await e.sb.oss.seed(e.sb.info.oss.bucket, {
      key: 'r/003',
      body: bytes(1003, 99),
      lastModified: hourAgo(),
    });
    e.up.seed('media', 'r/007', bytes(3007, 98), { mtime: hourAgo() });
    const v = await runCli(['verify', '--workdir', join(e.dir, 'w'), '--json'], { cwd: e.dir, env: e.env });
    assert.equal(v.code, 5, v.stderr);
    const byStatus = (st: string) =>
      events(v.stdout)
        .filter((x) => x.type === 'verify' && x.status === st)
        .map((x) => x.key as string)
        .sort();
    assert.deepEqual(byStatus('different'), ['r/003', 'r/007'], v.stdout);
    assert.deepEqual(byStatus('unverifiable'), [], v.stdout);
    assert.equal(byStatus('match').length, 28, v.stdout);
  });
});
