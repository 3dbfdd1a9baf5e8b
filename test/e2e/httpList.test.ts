/**
 * A URL list end to end: the real CLI, a node:http server as the origin, the OSS emulator as the
 * destination. Import from flags and from a job file with awkward keys, 0 B and multipart-size
 * objects, a key OSS refuses; kill -9 and resume; an incremental pass; verify catching a
 * corrupted destination and a changed source.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { events, runCli, startCli } from '../helpers/cli.ts';
import { afterTheSecondOf } from '../helpers/clock.ts';
import { type HttpListServer, startHttpListServer } from '../helpers/httpListServer.ts';
import { patternBytes } from '../sandbox/common/blobs.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';

const MiB = 1024 * 1024;
const bytes = (size: number, seed: number) => Buffer.concat([...patternBytes(size, seed)]);
const enc = (key: string) => key.split('/').map(encodeURIComponent).join('/');

type Env = { sb: Sandbox; srv: HttpListServer; dir: string; env: Record<string, string> };
async function setup(): Promise<Env> {
  const sb = await startSandbox({});
  const srv = await startHttpListServer();
  const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-e2e-http-'));
  // The URL lists' sorted copies stay inside the test's dir.
  return { sb, srv, dir, env: { ...sb.env(), TMPDIR: dir } };
}
async function teardown(e: Env): Promise<void> {
  await e.srv.close();
  await e.sb.close();
  await rm(e.dir, { recursive: true, force: true });
}
const hourAgo = () => new Date(Date.now() - 3600_000);
/** Serve `keys` under /d/ and write a list file naming them (unsorted: the tool sorts). */
async function serve(e: Env, files: Record<string, Buffer | string>, name = 'list.txt'): Promise<string> {
  for (const [k, body] of Object.entries(files))
    e.srv.put(`/d/${k}`, body, { mtime: hourAgo(), contentMd5: k.endsWith('.md5') });
  const path = join(e.dir, name);
  await writeFile(
    path,
    `${Object.keys(files)
      .reverse()
      .map((k) => `${e.srv.origin}/d/\t${enc(k)}`)
      .join('\r\n')}\r\n`,
  );
  return path;
}
async function jobFile(e: Env, listFile: string, extra: Record<string, unknown> = {}): Promise<string> {
  const path = join(e.dir, 'job.yaml');
  await writeFile(
    path,
    stringify({
      name: 'e2e-http',
      source: { type: 'http-list', listFile },
      destination: e.sb.jobSpec().destination,
      transfer: {
        concurrency: 8,
        multipartThreshold: '2MiB',
        partSize: '1MiB',
        partConcurrency: 2,
        retries: 3,
      },
      ...extra,
    }),
  );
  return path;
}
const ossBucket = (e: Env) => e.sb.oss.buckets.get(e.sb.info.oss.bucket)!;
async function ossBody(e: Env, key: string): Promise<Buffer> {
  const b = ossBucket(e);
  const chunks: Buffer[] = [];
  for await (const c of b.read(b.get(key)!)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('e2e: http-list import', () => {
  let e: Env;
  before(async () => {
    e = await setup();
  });
  after(() => teardown(e));

  it('copies awkward keys, 0 B and multipart-size objects byte-identical, with Content-Type, and verifies', async () => {
    const long = `long/${'n'.repeat(1000)}.txt`;
    const files: Record<string, Buffer | string> = {
      'sp ace/a+b%c#d?e.txt': 'awkward',
      'ü/中文/ключ.txt': 'unicode',
      'empty.bin': '',
      'big/video.bin': bytes(3 * MiB + 11, 7),
      'with.md5': 'content-md5 served',
      [long]: 'a 1 KiB name',
    };
    const list = await serve(e, files);
    e.srv.files.get('/d/ü/中文/ключ.txt')!.contentType = 'text/plain; charset=utf-8';
    const r = await runCli(
      ['import', await jobFile(e, list), '--workdir', join(e.dir, 'w'), '--json', '--yes'],
      {
        cwd: e.dir,
        env: e.env,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    const s = events(r.stdout).pop()!;
    assert.equal(s.copied, 6, r.stderr);
    // The multipart copy has no CRC-64 at the source and a multipart ETag at OSS: until copy-time
    // evidence (the MD5 checked against the bytes read, issue #13) reaches verify, it is size-only.
    const notMatched = events(r.stdout).filter((x) => x.type === 'verify' && x.status !== 'match');
    assert.deepEqual(
      notMatched
        .map((x) => [x.key, x.status])
        .filter(([k, st]) => !(k === 'big/video.bin' && st === 'unverifiable')),
      [],
    );
    assert.equal((s.verified as number) + notMatched.length, 6);
    for (const [k, body] of Object.entries(files))
      assert.deepEqual(await ossBody(e, k), Buffer.from(body), `${k} byte-identical`);
    assert.equal(ossBucket(e).get('ü/中文/ключ.txt')!.contentType, 'text/plain; charset=utf-8');
  });

  it('runs from flags: --src http-list:///ABS/PATH', async () => {
    const list = await serve(e, { 'flags/one.txt': 'one', 'flags/two.txt': 'two' }, 'flags.txt');
    const r = await runCli(
      [
        'import',
        '--src',
        `http-list://${list}`,
        '--dst',
        `oss://${e.sb.info.oss.bucket}/from-flags/`,
        '--dst-region',
        e.sb.info.oss.region,
        '--dst-endpoint',
        e.sb.info.oss.endpoint,
        '--workdir',
        join(e.dir, 'w-flags'),
        '--yes',
      ],
      { cwd: e.dir, env: e.env },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await ossBody(e, 'from-flags/flags/two.txt')).toString(), 'two');
    const bad = await runCli(['import', '--src', 'http-list://relative/list.txt', '--dst', 'oss://x/'], {
      cwd: e.dir,
      env: e.env,
    });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /a URL list file must be absolute/);
    assert.match(bad.stderr, /write http-list:\/\/\/abs\/path\/list\.txt \(three slashes\)/);
  });

  it('a bad list line stops the job before anything is copied (exit 2), naming the line', async () => {
    const path = join(e.dir, 'bad.txt');
    await writeFile(path, `${e.srv.origin}/d/ ok.txt\n${e.srv.origin}/d/ broken%zz\n`);
    const r = await runCli(['import', await jobFile(e, path), '--workdir', join(e.dir, 'w-bad'), '--yes'], {
      cwd: e.dir,
      env: e.env,
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /line 2 relative path "broken%zz" has a "%" that is not a %XX escape/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  });

  it("runs Alibaba's http job.cfg once httpListFilePath and the OSS keys are filled in", async () => {
    const list = await serve(e, { 'cfg/a.jpg': 'jpeg', 'cfg/b/c.png': 'png' }, 'cfg.list');
    let cfg = await readFile(new URL('../fixtures/ossimport/httpList-http.job.cfg', import.meta.url), 'utf8');
    const set = (k: string, v: string) => {
      cfg = cfg.replace(new RegExp(`^${k}=.*$`, 'm'), `${k}=${v}`);
    };
    set('httpListFilePath', list);
    set('destAccessKey', e.sb.info.oss.accessKeyId);
    set('destSecretKey', e.sb.info.oss.accessKeySecret);
    set('destDomain', e.sb.info.oss.endpoint);
    set('destBucket', e.sb.info.oss.bucket);
    const path = join(e.dir, 'job.cfg');
    await writeFile(path, cfg);
    const r = await runCli(['import', path, '--workdir', join(e.dir, 'w-cfg'), '--yes'], {
      cwd: e.dir,
      env: { HOME: e.dir, TMPDIR: e.dir },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await ossBody(e, 'web/cfg/b/c.png')).toString(), 'png');
    assert.doesNotMatch(r.stderr, /httpListFilePath: ignored/);
    const flag = await runCli(
      ['import', path, '--src-region', 'cn-hangzhou', '--workdir', join(e.dir, 'w-cfg2')],
      {
        cwd: e.dir,
        env: { HOME: e.dir },
      },
    );
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /--src-region does not apply: .* has srcType=http \(a URL list\)/);
    set('httpListFilePath', 'c:/example/http.list');
    await writeFile(path, cfg);
    const win = await runCli(['import', path, '--workdir', join(e.dir, 'w-cfg3')], {
      cwd: e.dir,
      env: { HOME: e.dir },
    });
    assert.equal(win.code, 2);
    assert.match(win.stderr, /httpListFilePath=c:\/example\/http\.list is a Windows path/);
  });

  it('a name OSS refuses (over 1023 bytes) is reported with the fix, exit 4; the rest is copied', async () => {
    const list = await serve(e, { [`x/${'y'.repeat(1100)}`]: 'too long', 'x/fine.txt': 'fine' }, 'names.txt');
    const r = await runCli(
      ['import', await jobFile(e, list), '--workdir', join(e.dir, 'w-names'), '--no-retry', '--yes'],
      {
        cwd: e.dir,
        env: e.env,
      },
    );
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /INVALID_OBJECT_NAME/);
    assert.equal((await ossBody(e, 'x/fine.txt')).toString(), 'fine');
  });
});

describe('e2e: http-list resume, incremental, verify', () => {
  let e: Env;
  before(async () => {
    e = await setup();
  });
  after(() => teardown(e));

  it('a SIGKILLed run resumes without copying finished objects again', async () => {
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 40; i++) files[`k/${String(i).padStart(3, '0')}`] = bytes(3000 + i, i + 1);
    const job = await jobFile(e, await serve(e, files), { transfer: { concurrency: 2, retries: 3 } });
    e.sb.oss.faults.set({ rules: [{ kind: 'latency', ops: ['PutObject'], latencyMs: 60 }] });
    const work = join(e.dir, 'w-kill');
    const run = startCli(['import', job, '--workdir', work], { cwd: e.dir, env: e.env });
    for (let t = 0; t < 800; t++) {
      if (e.sb.oss.log.find({ op: 'PutObject', status: 200 }).length >= 8) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    run.child.kill('SIGKILL');
    assert.equal((await run.done).signal, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    e.sb.oss.faults.clear();
    const before = new Set(e.sb.oss.log.find({ op: 'PutObject', status: 200 }).map((x) => x.key));
    assert.ok(before.size < 40, 'killed mid-copy');
    const mark = e.sb.oss.log.mark();
    const r = await runCli(['import', job, '--workdir', work, '--json'], { cwd: e.dir, env: e.env });
    assert.equal(r.code, 0, r.stderr);
    for (const x of e.sb.oss.log.since(mark).filter((y) => y.op === 'PutObject' && y.status === 200))
      assert.equal(before.has(x.key), false, `${x.key} copied again`);
    for (const [k, body] of Object.entries(files)) assert.deepEqual(await ossBody(e, k), body);
    const s = events(r.stdout).pop()!;
    assert.equal(s.failed, 0);
    assert.equal(s.verified, 40);
  });

  it('an incremental pass copies what changed since T1; verify catches a corrupted copy and a changed source', async () => {
    const files = { 'inc/a.txt': 'aaaa', 'inc/b.txt': 'bbbb', 'inc/c.txt': 'cccc' };
    const job = await jobFile(e, await serve(e, files, 'inc.txt'));
    const work = join(e.dir, 'w-inc');
    const full = await runCli(['import', job, '--workdir', work, '--json', '--yes'], {
      cwd: e.dir,
      env: e.env,
    });
    assert.equal(full.code, 0, full.stderr);
    const t1 = (events(full.stdout).find((x) => x.type === 'pass') as { t1: string }).t1;
    const changed = Date.now();
    e.srv.put('/d/inc/b.txt', 'BBBB-changed', { mtime: new Date(changed) });
    const mark = e.sb.oss.log.mark();
    await afterTheSecondOf(changed); // between T1 and T2 (the incremental's start)
    const inc = await runCli(['import', job, '--workdir', work, '--since', t1, '--json'], {
      cwd: e.dir,
      env: e.env,
    });
    assert.equal(inc.code, 0, inc.stderr);
    const puts = e.sb.oss.log
      .since(mark)
      .filter((x) => x.op === 'PutObject' && x.status === 200)
      .map((x) => x.key);
    assert.deepEqual(puts, ['inc/b.txt']);
    assert.equal((await ossBody(e, 'inc/b.txt')).toString(), 'BBBB-changed');

    // Same size, other bytes at the destination; and a source rewritten with the same size.
    await e.sb.oss.seed(e.sb.info.oss.bucket, { key: 'inc/a.txt', body: 'AAAA', lastModified: hourAgo() });
    e.srv.put('/d/inc/c.txt', 'CCCC', { mtime: hourAgo() });
    const v = await runCli(['verify', '--workdir', work, '--json'], { cwd: e.dir, env: e.env });
    assert.equal(v.code, 5, v.stderr);
    const s = events(v.stdout).pop()!;
    assert.equal(s.different, 2, v.stdout);
    assert.equal(s.verified, 1);
    const check = v.stdout;
    assert.match(
      check,
      /"key":"inc\/c\.txt","status":"different","detail":"MD5 [0-9a-f]{32} vs [0-9a-f]{32}"/,
    );
    assert.match(check, /"key":"inc\/a\.txt","status":"different"/);
  });
});
