/**
 * The runner end to end: the real CLI in a subprocess, the real SDKs, the sandbox emulators with
 * faults switched on. Each test has its own sandbox and work dir.
 */

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { crc64 } from '../../runner/core/crc64.ts';
import { events, runCli, startCli } from '../helpers/cli.ts';
import { ledgerLines } from '../helpers/ledgerFiles.ts';
import { patternBytes } from '../sandbox/common/blobs.ts';
import type { SeedObject } from '../sandbox/common/emulator.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';

const MiB = 1024 * 1024;

type Env = { sb: Sandbox; dir: string; env: Record<string, string> };

async function setup(o: Parameters<typeof startSandbox>[0] = {}): Promise<Env> {
  const sb = await startSandbox(o);
  const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-e2e-'));
  return { sb, dir, env: sb.env() };
}

async function teardown(e: Env): Promise<void> {
  await e.sb.close();
  await rm(e.dir, { recursive: true, force: true });
}

function seed(e: Env, key: string, size: number, o: Partial<SeedObject> = {}, seedNo = 1): Promise<unknown> {
  return e.sb.cos.seed(e.sb.info.cos.bucket, {
    key,
    body: patternBytes(size, seedNo),
    size,
    lastModified: new Date(Date.now() - 3600_000),
    ...o,
  });
}

/** A job file pointing at the sandbox, with small multipart sizes so tests stay fast. */
async function jobFile(e: Env, extra: Record<string, unknown> = {}): Promise<string> {
  const path = join(e.dir, 'job.yaml');
  await writeFile(
    path,
    stringify({
      name: 'e2e',
      ...e.sb.jobSpec(),
      tasks: { maxObjects: 20 },
      transfer: {
        concurrency: 8,
        multipartThreshold: '2MiB',
        partSize: '1MiB',
        partConcurrency: 2,
        retries: 6,
      },
      archive: { pollSeconds: 1 },
      ...extra,
    }),
  );
  return path;
}

/** Destination keys with a ledger line (the commit record) in any pass and task of the work dir. */
async function ledgerKeys(work: string): Promise<Set<string>> {
  return new Set((await ledgerLines<{ dstKey: string }>(work)).map((l) => l.dstKey));
}

function ossObject(e: Env, key: string) {
  return e.sb.oss.buckets.get(e.sb.info.oss.bucket)!.get(key);
}
function cosObject(e: Env, key: string) {
  return e.sb.cos.buckets.get(e.sb.info.cos.bucket)!.get(key);
}
async function ossBytes(e: Env, key: string): Promise<Buffer> {
  const b = e.sb.oss.buckets.get(e.sb.info.oss.bucket)!;
  return Buffer.from(await text(b.read(b.get(key)!)), 'latin1');
}
async function bodyOf(bucket: ReturnType<Sandbox['oss']['buckets']['get']>, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of bucket!.read(bucket!.get(key)!)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

describe('e2e: import with faults switched on', () => {
  let e: Env;
  before(async () => {
    e = await setup({ seed: 'demo', restoreDelayMs: 300 });
    e.sb.cos.faults.set({
      seed: 11,
      rules: [
        { kind: 'throttle', ops: ['GetObject'], rate: 0.1 },
        { kind: 'error', ops: ['GetObject'], rate: 0.05 },
        { kind: 'reset', ops: ['GetObject'], rate: 0.05, afterBytes: 1000 },
        { kind: 'latency', ops: ['ListObjects'], latencyMs: 20 },
      ],
    });
    e.sb.oss.faults.set({
      seed: 12,
      rules: [
        { kind: 'throttle', ops: ['PutObject', 'UploadPart'], rate: 0.1, code: 'QpsLimitExceeded' },
        { kind: 'throttle', ops: ['CompleteMultipartUpload', 'HeadObject'], rate: 0.1 },
        { kind: 'reset', ops: ['PutObject'], rate: 0.05 },
      ],
    });
  });
  after(() => teardown(e));

  it('copies every object byte-identical with its metadata, verifies, and reports exit 0', async () => {
    const r = await runCli(['import', await jobFile(e), '--workdir', join(e.dir, 'w'), '--json', '--yes'], {
      cwd: e.dir,
      env: e.env,
    });
    assert.equal(r.code, 0, r.stderr);
    const ev = events(r.stdout);
    const summaries = ev.filter((x) => x.type === 'summary');
    assert.equal(summaries.length, 1, 'exactly one summary line');
    assert.equal(ev[ev.length - 1]!.type, 'summary', 'and it is the last line');
    const s = summaries[0]!;
    const cosBucket = e.sb.cos.buckets.get(e.sb.info.cos.bucket)!;
    const total = cosBucket.objects.size;
    assert.equal(s.copied, total);
    assert.equal(s.failed, 0);
    assert.equal(s.verified, total);
    assert.equal((s.missing as number) + (s.different as number), 0);
    assert.ok(
      e.sb.cos.faults.stats().some((f) => f.fired > 0),
      'faults fired on the source',
    );
    assert.ok(
      e.sb.oss.faults.stats().some((f) => f.fired > 0),
      'faults fired on the destination',
    );
    const ossBucket = e.sb.oss.buckets.get(e.sb.info.oss.bucket)!;
    for (const [key, src] of cosBucket.objects) {
      const dst = ossBucket.get(key);
      assert.ok(dst, `missing ${key}`);
      assert.equal(dst.size, src.size, key);
      assert.equal(dst.crc64, src.crc64, key);
      assert.ok((await bodyOf(ossBucket, key)).equals(await bodyOf(cosBucket, key)), `bytes of ${key}`);
      assert.equal(dst.contentType, src.contentType, `content-type of ${key}`);
      assert.deepEqual({ ...dst.headers }, { ...src.headers }, `headers of ${key}`);
      for (const [k, v] of Object.entries(src.meta)) assert.equal(dst.meta[k], v, `meta ${k} of ${key}`);
      assert.equal(dst.meta['ossmigrate-src-etag'], src.etag, `provenance of ${key}`);
    }
    // Storage classes map: COS STANDARD_IA → OSS IA, ARCHIVE (restored first) → Archive.
    assert.equal(ossBucket.get('backups/db-2026-11-01.tar.gz')!.storageClass, 'IA');
    assert.equal(ossBucket.get('archive/cold-2019.tar')!.storageClass, 'Archive');
    assert.equal(e.sb.cos.log.count({ op: 'RestoreObject' }) >= 1, true, 'the archived object was restored');
    // The report is where the summary says.
    const report = JSON.parse(await readFile(join(s.report as string, 'summary.json'), 'utf8'));
    assert.equal(report.summary.copied, total);
    // Secrets never appear in output or reports.
    const secrets = [e.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET!, e.env.TENCENTCLOUD_SECRET_KEY!];
    const reportText = await readFile(join(s.report as string, 'summary.txt'), 'utf8');
    for (const secret of secrets) {
      assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret) && !reportText.includes(secret));
    }
  });
});

describe('e2e: crash and resume', () => {
  let e: Env;
  before(async () => {
    e = await setup();
  });
  after(() => teardown(e));

  it('a SIGKILLed run resumes from its work dir without re-copying finished objects or parts', async () => {
    for (let i = 0; i < 60; i++) await seed(e, `small/${String(i).padStart(3, '0')}`, 2000 + i, {}, i + 1);
    await seed(e, 'big/video.bin', 12 * MiB + 7, { partSize: 5 * MiB }, 999);
    // Slow the big object's parts so the kill lands in the middle of it.
    e.sb.oss.faults.set({
      rules: [
        { kind: 'latency', ops: ['UploadPart'], latencyMs: 150 },
        { kind: 'latency', ops: ['PutObject'], latencyMs: 40 },
      ],
    });
    const job = await jobFile(e, {
      transfer: {
        concurrency: 4,
        multipartThreshold: '2MiB',
        partSize: '1MiB',
        partConcurrency: 1,
        retries: 3,
      },
    });
    const work = join(e.dir, 'w');
    const run = startCli(['import', job, '--workdir', work], { cwd: e.dir, env: e.env });
    // Kill -9 once some small objects and some parts of the big one are done.
    for (let t = 0; t < 400; t++) {
      const parts = e.sb.oss.log.find({ op: 'UploadPart', status: 200 }).length;
      const puts = e.sb.oss.log.find({ op: 'PutObject', status: 200 }).length;
      if (parts >= 4 && puts >= 10) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    run.child.kill('SIGKILL');
    const killed = await run.done;
    assert.equal(killed.signal, 'SIGKILL');
    assert.equal(
      ossObject(e, 'big/video.bin'),
      undefined,
      'the half-copied object is not there looking complete',
    );
    // Requests whose bodies were fully sent before the kill may still finish on the server.
    await new Promise((r) => setTimeout(r, 500));

    const putsBefore = new Map<string, number>();
    for (const x of e.sb.oss.log.find({ op: 'PutObject', status: 200 }))
      putsBefore.set(x.key!, (putsBefore.get(x.key!) ?? 0) + 1);
    const partsBefore = new Set(
      e.sb.oss.log.find({ op: 'UploadPart', status: 200 }).map((x) => /partNumber=(\d+)/.exec(x.url)![1]),
    );
    const mark = e.sb.oss.log.mark();
    e.sb.oss.faults.clear();
    // The commit record the kill left: every ledger line written so far (the process is dead,
    // so this is final).
    const ledgered = await ledgerKeys(work);

    const resumed = Date.now();
    const r = await runCli(['import', job, '--workdir', work, '--json'], { cwd: e.dir, env: e.env });
    assert.equal(r.code, 0, r.stderr);
    const later = e.sb.oss.log.since(mark);
    for (const x of later.filter((y) => y.op === 'PutObject' && y.status === 200)) {
      assert.equal(putsBefore.has(x.key!), false, `${x.key} was copied again`);
    }
    const partsAfter = later
      .filter((y) => y.op === 'UploadPart' && y.status === 200)
      .map((x) => /partNumber=(\d+)/.exec(x.url)![1]);
    const trace = () =>
      e.sb.oss.log
        .find()
        .filter((x) => /Multipart|Part/.test(x.op))
        .map((x) => `${x.seq} ${x.op} ${x.status} ${x.url.slice(0, 90)}`)
        .join('\n');
    for (const p of partsAfter)
      assert.equal(
        partsBefore.has(p),
        false,
        `part ${p} was sent again (mark ${mark})\n${trace()}\n${r.stderr}`,
      );
    assert.equal(partsBefore.size + partsAfter.length, 13, 'every part sent exactly once');
    const src = cosObject(e, 'big/video.bin')!;
    assert.equal(ossObject(e, 'big/video.bin')!.crc64, src.crc64);
    const s = events(r.stdout).pop()!;
    // Every object is accounted for once across both runs. An object whose PUT finished just
    // before the kill, but whose journal line did not, is found identical on resume: reported as
    // skipped (identical), never copied twice (asserted above).
    assert.equal((s.copied as number) + (s.skipped as number), 61, 'each object counted once');
    // Which objects those are follows from the mechanism, not from timing: exactly the objects
    // already in OSS when the resume began (nothing rewrites an identical object, so their
    // Last-Modified still predates it — also a PUT the server finished after the kill) that have
    // no ledger line.
    const bucket = e.sb.oss.buckets.get(e.sb.info.oss.bucket)!;
    const landed = [...bucket.objects.values()].filter((o) => o.lastModified.getTime() < resumed);
    const unrecorded = landed.map((o) => o.key).filter((k) => !ledgered.has(k));
    const skipped = events(r.stdout).filter((x) => x.type === 'object' && x.outcome === 'skipped');
    assert.deepEqual(
      skipped.map((x) => x.key).sort(),
      unrecorded.sort(),
      `skipped on resume = in OSS without a ledger line at the kill (${landed.length} in OSS, ${ledgered.size} ledgered)`,
    );
    for (const x of skipped) assert.equal(x.skipReason, 'identical', `${x.key}`);
    assert.equal(s.skipped, unrecorded.length);
    assert.equal(s.failed, 0);
    assert.equal(s.verified, 61);
  });
});

describe('e2e: source changes during the copy', () => {
  let e: Env;
  beforeEach(async () => {
    e = await setup();
  });
  afterEach(() => teardown(e));

  const RACES = {
    rules: [
      { kind: 'rewrite' as const, ops: ['GetObject'], keyPrefix: 'data/3.bin', afterBytes: 10_000, times: 1 },
      { kind: 'delete' as const, ops: ['GetObject'], keyPrefix: 'data/7.bin', afterBytes: 10_000, times: 1 },
    ],
  };

  /** The incremental phase after the races: exactly the rewritten object, now identical. */
  async function incrementalPicksUpRewrite(job: string, work: string, t1: string): Promise<void> {
    e.sb.cos.faults.clear();
    const mark = e.sb.oss.log.mark();
    const inc = await runCli(['import', job, '--workdir', work, '--since', t1, '--json'], {
      cwd: e.dir,
      env: e.env,
    });
    assert.equal(inc.code, 0, inc.stderr);
    const puts = e.sb.oss.log
      .since(mark)
      .filter((x) => x.op === 'PutObject' && x.status === 200)
      .map((x) => x.key);
    assert.deepEqual(puts, ['data/3.bin'], 'exactly the rewritten object');
    assert.equal(ossObject(e, 'data/3.bin')!.crc64, cosObject(e, 'data/3.bin')!.crc64);
  }

  it('by default copies the listed version of a racing rewrite; the incremental phase copies the new one', async () => {
    for (let i = 0; i < 10; i++) await seed(e, `data/${i}.bin`, 50_000, {}, i + 1);
    const listed = cosObject(e, 'data/3.bin')!.crc64;
    e.sb.cos.faults.set(RACES);
    const job = await jobFile(e);
    const work = join(e.dir, 'w');
    // --no-verify: the verify step HEADs the source for CRCs; this counts the copy's requests.
    const r = await runCli(['import', job, '--workdir', work, '--no-verify', '--json'], {
      cwd: e.dir,
      env: e.env,
    });
    assert.equal(r.code, 0, r.stderr);
    const ev = events(r.stdout);
    const obj = (k: string) => ev.find((x) => x.type === 'object' && x.key === k)!;
    // The GET is pinned to the listed ETag and CRC-checked: what lands is the listed version, whole.
    assert.equal(obj('data/3.bin').outcome, 'copied');
    assert.equal(ossObject(e, 'data/3.bin')!.crc64, listed);
    assert.notEqual(cosObject(e, 'data/3.bin')!.crc64, listed, 'the source was rewritten meanwhile');
    assert.equal(obj('data/7.bin').outcome, 'copied', 'deleted after its GET began: the copy is kept');
    assert.equal(
      e.sb.cos.log.all().filter((x) => x.op === 'HeadObject').length,
      0,
      'no post-copy HEAD unless asked for',
    );
    const t1 = (ev.find((x) => x.type === 'pass') as { t1: string }).t1;
    await incrementalPicksUpRewrite(job, work, t1);
  });

  it('with checkSourceAfterCopy reports SOURCE_CHANGED and SOURCE_GONE; the incremental phase picks up the new version', async () => {
    for (let i = 0; i < 10; i++) await seed(e, `data/${i}.bin`, 50_000, {}, i + 1);
    e.sb.cos.faults.set(RACES);
    const job = await jobFile(e, { transfer: { concurrency: 8, checkSourceAfterCopy: true } });
    const work = join(e.dir, 'w');
    const r = await runCli(['import', job, '--workdir', work, '--json'], { cwd: e.dir, env: e.env });
    const ev = events(r.stdout);
    const obj = (k: string) => ev.find((x) => x.type === 'object' && x.key === k)!;
    assert.equal(obj('data/3.bin').failureClass, 'SOURCE_CHANGED');
    assert.equal(obj('data/3.bin').outcome, 'deferred', 'modified after T1: the incremental phase owns it');
    assert.equal(obj('data/7.bin').failureClass, 'SOURCE_GONE');
    assert.equal(obj('data/7.bin').outcome, 'skipped');
    const s = ev.pop()!;
    assert.equal(s.failed, 0);
    assert.equal(r.code, 0, `changed/gone objects are not failures: ${r.stderr}`);
    const t1 = (ev.find((x) => x.type === 'pass') as { t1: string }).t1;
    await incrementalPicksUpRewrite(job, work, t1);
  });
});

describe('e2e: incremental phase and cutover safety', () => {
  let e: Env;
  before(async () => {
    e = await setup();
  });
  after(() => teardown(e));

  it('copies exactly what changed since T1 and leaves post-T2 destination writes untouched', async () => {
    for (let i = 0; i < 20; i++) await seed(e, `app/${i}.dat`, 3000, {}, i + 1);
    const job = await jobFile(e);
    const work = join(e.dir, 'w');
    const full = await runCli(['import', job, '--workdir', work, '--json'], { cwd: e.dir, env: e.env });
    assert.equal(full.code, 0, full.stderr);
    const t1 = (events(full.stdout).find((x) => x.type === 'pass') as { t1: string }).t1;

    // The business keeps writing to COS until cutover…
    await new Promise((r) => setTimeout(r, 20));
    const changed = ['app/2.dat', 'app/5.dat', 'new/fresh.dat', 'app/9.dat'];
    for (const k of changed) await seed(e, k, 4000, { lastModified: new Date() }, 77);
    const t2 = new Date(Date.now() + 5);
    await new Promise((r) => setTimeout(r, 20));
    // …after T2 it writes to OSS: app/9.dat is theirs now (newer than T2, no provenance).
    await e.sb.oss.seed(e.sb.info.oss.bucket, {
      key: 'app/9.dat',
      body: 'written by the business after cutover',
      lastModified: new Date(),
    });
    const mark = e.sb.oss.log.mark();
    const inc = await runCli(
      ['import', job, '--workdir', work, '--since', t1, '--until', t2.toISOString(), '--json'],
      { cwd: e.dir, env: e.env },
    );
    const puts = e.sb.oss.log
      .since(mark)
      .filter((x) => x.op === 'PutObject' && x.status === 200)
      .map((x) => x.key)
      .sort();
    assert.deepEqual(puts, ['app/2.dat', 'app/5.dat', 'new/fresh.dat']);
    assert.equal((await ossBytes(e, 'app/9.dat')).toString(), 'written by the business after cutover');
    const ev = events(inc.stdout);
    assert.equal(ev.find((x) => x.type === 'object' && x.key === 'app/9.dat')!.failureClass, 'DEST_NEWER');
    // Verify recognises the post-T2 write as the business's (no provenance), not a corruption.
    assert.equal(inc.code, 0, inc.stderr);
    const check = await readFile(join(events(inc.stdout).pop()!.report as string, 'check.txt'), 'utf8');
    assert.match(check, /^> app\/9\.dat\t/m);
  });
});

describe('e2e: names OSS refuses', () => {
  let e: Env;
  before(async () => {
    e = await setup();
  });
  after(() => teardown(e));

  it('reports invalid names with the fix and exit code 4; the rest is copied', async () => {
    await seed(e, 'ok.txt', 10);
    await seed(e, '\\windows-style.txt', 10);
    const r = await runCli(['import', await jobFile(e), '--workdir', join(e.dir, 'w'), '--no-retry'], {
      cwd: e.dir,
      env: e.env,
    });
    assert.equal(r.code, 4);
    assert.match(r.stderr, /INVALID_OBJECT_NAME/);
    assert.match(r.stderr, /starts with "\\"/);
    assert.match(r.stderr, /fix: rename the source object/);
    assert.ok(ossObject(e, 'ok.txt'));
    const failed = await readFile(
      join(
        e.dir,
        'w',
        'jobs',
        'e2e',
        'reports',
        (await import('node:fs')).readdirSync(join(e.dir, 'w', 'jobs', 'e2e', 'reports'))[0]!,
        'failed.ndjson',
      ),
      'utf8',
    );
    assert.match(failed, /INVALID_OBJECT_NAME/);
  });
});

describe('e2e: verify', () => {
  let e: Env;
  before(async () => {
    e = await setup();
  });
  after(() => teardown(e));

  it('catches a corrupted destination object without downloading anything', async () => {
    for (let i = 0; i < 5; i++) await seed(e, `v/${i}`, 4096, {}, i + 1);
    const job = await jobFile(e);
    const work = join(e.dir, 'w');
    assert.equal((await runCli(['import', job, '--workdir', work], { cwd: e.dir, env: e.env })).code, 0);
    // Same size, different bytes (bit rot, a bad tool, an accident).
    await e.sb.oss.seed(e.sb.info.oss.bucket, { key: 'v/3', body: patternBytes(4096, 4242), size: 4096 });
    const mark = e.sb.oss.log.mark();
    const r = await runCli(['verify', '--workdir', work, '--json'], { cwd: e.dir, env: e.env });
    assert.equal(r.code, 5);
    const s = events(r.stdout).pop()!;
    assert.equal(s.different, 1);
    assert.equal(s.verified, 4);
    assert.equal(e.sb.oss.log.since(mark).filter((x) => x.op === 'GetObject').length, 0, 'no download');
    const check = await readFile(join(s.report as string, 'check.txt'), 'utf8');
    assert.match(check, /^\* v\/3\tCRC-64 \d+ vs \d+$/m);
    assert.notEqual(crc64(await ossBytes(e, 'v/3')), cosObject(e, 'v/3')!.crc64);
  });
});

describe('e2e: bad input', () => {
  let e: Env;
  before(async () => {
    e = await setup();
  });
  after(() => teardown(e));

  it('bad job files get a clear error, exit 2, and nothing is written anywhere', async () => {
    const cases: Array<[string, RegExp]> = [
      ['source: [unclosed', /not valid YAML/],
      [
        stringify({
          source: { type: 'cos', bucket: 'nobucketappid', region: 'ap-guangzhou' },
          destination: { bucket: 'dst', region: 'cn-hangzhou' },
        }),
        /source\.bucket: must be "<name>-<APPID>"/,
      ],
      [
        stringify({
          source: { type: 'local', path: '/tmp' },
          destination: { bucket: 'dst', region: 'cn-hangzhou' },
          transfer: { concurency: 4 },
        }),
        /transfer: unknown key\(s\) "concurency"/,
      ],
      [
        stringify({
          source: { type: 'gcs', bucket: 'x' },
          destination: { bucket: 'dst', region: 'cn-hangzhou' },
        }),
        /source\.type/,
      ],
      [
        stringify({
          source: { type: 'local', path: '/tmp' },
          destination: { bucket: 'dst', region: 'cn-hangzhou' },
          bandwidth: { limit: 'fast' },
        }),
        /bandwidth\.limit/,
      ],
      [stringify({ source: { type: 'local', path: '/tmp' } }), /destination: is required/],
    ];
    for (const [body, expected] of cases) {
      const file = join(e.dir, 'bad.yaml');
      await writeFile(file, body);
      const work = join(e.dir, 'bad-work');
      const r = await runCli(['import', file, '--workdir', work], { cwd: e.dir, env: e.env });
      assert.equal(r.code, 2, `${body}\n${r.stderr}`);
      assert.match(r.stderr, expected);
      assert.match(r.stderr, /^error: /);
      assert.equal(existsSync(work), false, 'no work dir was created');
    }
    assert.equal(e.sb.oss.log.all().length + e.sb.cos.log.all().length, 0, 'no request reached a service');
  });

  it('bad flags and missing credentials are usage errors with the fix', async () => {
    const r1 = await runCli(['import', '--src', 'cos://b-125/', '--dst', 'oss://dst/'], {
      cwd: e.dir,
      env: e.env,
    });
    assert.equal(r1.code, 2);
    assert.match(r1.stderr, /--src-region is required/);
    const r2 = await runCli(['import', '--src', 'gs://x/', '--dst', 'oss://dst/'], {
      cwd: e.dir,
      env: e.env,
    });
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /not a location/);
    const r3 = await runCli(['import', await jobFile(e), '--workdir', join(e.dir, 'nocreds')], {
      cwd: e.dir,
      env: {},
    });
    assert.equal(r3.code, 2);
    assert.match(r3.stderr, /TENCENTCLOUD_SECRET_ID/);
    const r4 = await runCli(
      ['import', await jobFile(e), '--since', 'yesterday-ish', '--workdir', join(e.dir, 'x')],
      { cwd: e.dir, env: e.env },
    );
    assert.equal(r4.code, 2);
    assert.match(r4.stderr, /is not a time/);
  });

  it('preflight catches clock skew on either side (exit 3)', async () => {
    const job = await jobFile(e);
    e.sb.oss.clockSkewMs = 20 * 60_000;
    try {
      const r = await runCli(['import', job, '--workdir', join(e.dir, 'skew')], { cwd: e.dir, env: e.env });
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /CLOCK_SKEW/);
      assert.match(r.stderr, /sync the clock/);
    } finally {
      e.sb.oss.clockSkewMs = 0;
    }
    // The COS SDK corrects its own clock from the Date header; preflight still reports the skew.
    e.sb.cos.clockSkewMs = 20 * 60_000;
    try {
      const r = await runCli(['import', job, '--workdir', join(e.dir, 'skew2')], { cwd: e.dir, env: e.env });
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /CLOCK_SKEW: this machine's clock is -?\d+ s off the source service's/);
    } finally {
      e.sb.cos.clockSkewMs = 0;
    }
  });

  it('preflight catches a wrong secret and a wrong region before writing anything (exit 3)', async () => {
    const work = join(e.dir, 'pf');
    const bad = await runCli(['import', await jobFile(e), '--workdir', work], {
      cwd: e.dir,
      env: { ...e.env, TENCENTCLOUD_SECRET_KEY: 'not-the-secret' },
    });
    assert.equal(bad.code, 3, bad.stderr);
    assert.match(bad.stderr, /BAD_CREDENTIALS|ACCESS_DENIED/);
    assert.match(bad.stderr, /TENCENTCLOUD_SECRET/);
    assert.doesNotMatch(bad.stderr, /not-the-secret/);
    const wrongRegion = join(e.dir, 'job-region.yaml');
    const at = e.sb.jobSpec();
    await writeFile(
      wrongRegion,
      stringify({
        name: 'region',
        ...at,
        destination: { ...at.destination, region: 'cn-shanghai' },
      }),
    );
    const r = await runCli(['import', wrongRegion, '--workdir', join(e.dir, 'pf2')], {
      cwd: e.dir,
      env: e.env,
    });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /WRONG_REGION/);
    assert.equal(e.sb.oss.log.find({ op: 'PutObject' }).length, 0);
  });
});
