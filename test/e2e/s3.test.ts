/**
 * End to end from an S3 source: the real CLI in a subprocess reading an independent S3 server
 * (s3rver, test/helpers/s3Server.ts) and writing the sandbox's OSS emulator. Awkward keys, a
 * key OSS refuses, 0 B, a multipart-size object and metadata; kill -9 and resume; incremental;
 * verify catching a corrupted destination and a changed source.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { stringify } from 'yaml';
import { events, runCli, startCli } from '../helpers/cli.ts';
import { afterTheSecondOf } from '../helpers/clock.ts';
import { S3_KEY, type S3Server, startS3Server } from '../helpers/s3Server.ts';
import { patternBytes as chunks } from '../sandbox/common/blobs.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';

const MiB = 1024 * 1024;
const patternBytes = (size: number, seed: number) => Buffer.concat([...chunks(size, seed)]);
const BUCKET = 'e2e-src';

type Env = { sb: Sandbox; s3: S3Server; dir: string; env: Record<string, string> };

async function setup(): Promise<Env> {
  const [sb, s3] = await Promise.all([startSandbox(), startS3Server()]);
  await s3.createBucket(BUCKET);
  const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-e2e-s3-'));
  const { TENCENTCLOUD_SECRET_ID: _a, TENCENTCLOUD_SECRET_KEY: _b, ...oss } = sb.env();
  return {
    sb,
    s3,
    dir,
    env: { ...oss, AWS_ACCESS_KEY_ID: S3_KEY.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_KEY.secretAccessKey },
  };
}
async function teardown(e: Env): Promise<void> {
  await Promise.all([e.sb.close(), e.s3.close()]);
  await rm(e.dir, { recursive: true, force: true });
}

const put = (e: Env, Key: string, Body: Buffer | string, extra: Record<string, unknown> = {}) =>
  e.s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body, ...extra }));

/** s3rver speaks ListObjects V1 only on Node 24 (docs/sources/s3.md): provider other. */
function source(e: Env, prefix = '') {
  return { type: 's3', provider: 'other', bucket: BUCKET, endpoint: e.s3.endpoint, prefix };
}

async function jobFile(e: Env, extra: Record<string, unknown> = {}): Promise<string> {
  await afterTheSecondOf(Date.now()); // s3rver cannot backdate: start after the puts' second
  const path = join(e.dir, `job-${Math.random().toString(36).slice(2)}.yaml`);
  const { destination } = e.sb.jobSpec();
  await writeFile(
    path,
    stringify({
      name: 'e2e-s3',
      source: source(e),
      destination,
      tasks: { maxObjects: 20 },
      // s3rver's delimiter listing drops common prefixes whose keys lie two or more levels
      // deeper (docs/sources/s3.md): scan flat so every key is seen.
      scan: { depth: 0 },
      transfer: {
        concurrency: 8,
        multipartThreshold: '2MiB',
        partSize: '1MiB',
        partConcurrency: 2,
        retries: 4,
      },
      ...extra,
    }),
  );
  return path;
}

const ossBucket = (e: Env) => e.sb.oss.buckets.get(e.sb.info.oss.bucket)!;
async function ossBytes(e: Env, key: string): Promise<Buffer | undefined> {
  const b = ossBucket(e);
  const o = b.get(key);
  if (!o) return undefined;
  const parts: Buffer[] = [];
  for await (const c of b.read(o)) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

const LONG_OK = `long/${'a'.repeat(200)}/${'b'.repeat(200)}/${'c'.repeat(200)}/${'d'.repeat(200)}/${'é'.repeat(80)}`;
const TOO_LONG = `long/${'x'.repeat(200)}/${'y'.repeat(200)}/${'z'.repeat(200)}/${'w'.repeat(200)}/${'v'.repeat(200)}/${'u'.repeat(30)}`;

describe('e2e: import from an S3 source (s3rver) into OSS', () => {
  let e: Env;
  before(async () => {
    e = await setup();
  });
  after(() => teardown(e));

  it('copies awkward keys, 0 B, a multipart-size object and metadata; a key OSS refuses is reported with the fix', async () => {
    assert.ok(Buffer.byteLength(LONG_OK) <= 1023 && Buffer.byteLength(TOO_LONG) > 1024);
    const bodies = new Map<string, Buffer>([
      ['awk/sp ace.txt', Buffer.from('space')],
      ['awk/#?%+&=.bin', Buffer.from('punct')],
      ['awk/ü/中文/ключ', Buffer.from('unicode')],
      ['awk/😀', Buffer.from('emoji')],
      ['zero', Buffer.alloc(0)],
      ['big/video.bin', patternBytes(5 * MiB + 123, 7)],
      [LONG_OK, Buffer.from('long but fine')],
      [TOO_LONG, Buffer.from('too long for OSS')],
    ]);
    for (const [k, b] of bodies) await put(e, k, b);
    await put(e, 'meta/page.html', '<p>hi</p>', {
      ContentType: 'text/html; charset=utf-8',
      CacheControl: 'max-age=300',
      ContentDisposition: 'inline',
      Metadata: { Owner: 'alice', project: 'x' },
    });
    const work = join(e.dir, 'w1');
    const r = await runCli(['import', await jobFile(e), '--workdir', work, '--json', '--yes'], {
      cwd: e.dir,
      env: e.env,
    });
    assert.equal(r.code, 4, `the over-long key fails, the rest is copied:\n${r.stderr}`);
    assert.match(r.stderr, /INVALID_OBJECT_NAME|OSS allows at most 1023/);
    for (const [k, b] of bodies) {
      if (k === TOO_LONG) {
        assert.equal(ossBucket(e).get(k), undefined);
        continue;
      }
      const got = await ossBytes(e, k);
      assert.ok(got, `${k} copied`);
      assert.equal(createHash('md5').update(got).digest('hex'), createHash('md5').update(b).digest('hex'), k);
    }
    const page = ossBucket(e).get('meta/page.html')!;
    assert.equal(page.contentType, 'text/html; charset=utf-8');
    assert.equal(page.meta.owner, 'alice');
    assert.equal(page.meta.project, 'x');
    assert.equal(page.headers['cache-control'], 'max-age=300');
    assert.ok(
      e.sb.oss.log.find({ op: 'UploadPart', status: 200 }).length >= 5,
      'the 5 MiB object went multipart',
    );
    const s = events(r.stdout).pop()!;
    assert.equal(s.failed, 1);
    assert.equal(s.copied, bodies.size);
  });

  it('from flags (s3:// with --src-provider and --src-endpoint), then incremental --since copies only what changed', async () => {
    await put(e, 'inc/a.txt', 'a1');
    await put(e, 'inc/b.txt', 'b1');
    const work = join(e.dir, 'w2');
    const { destination } = e.sb.jobSpec();
    const flags = [
      '--src',
      `s3://${BUCKET}/inc/`,
      '--src-provider',
      'other',
      '--src-endpoint',
      e.s3.endpoint,
      '--dst',
      `oss://${destination.bucket}/inc2/`,
      '--dst-region',
      destination.region,
      '--dst-endpoint',
      destination.endpoint,
    ];
    await afterTheSecondOf(Date.now()); // s3rver cannot backdate: start after the puts' second
    const full = await runCli(['import', ...flags, '--workdir', work, '--json', '--yes'], {
      cwd: e.dir,
      env: e.env,
    });
    assert.equal(full.code, 0, full.stderr);
    assert.equal((await ossBytes(e, 'inc2/a.txt'))?.toString(), 'a1');
    // S3 Last-Modified has 1 s resolution: T1 strictly after the full copy's objects.
    await new Promise((r) => setTimeout(r, 1100));
    const t1 = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 1100));
    await put(e, 'inc/b.txt', 'b2');
    await put(e, 'inc/c.txt', 'c1');
    const mark = e.sb.oss.log.mark();
    const inc = await runCli(['import', ...flags, '--workdir', work, '--since', t1, '--json', '--yes'], {
      cwd: e.dir,
      env: e.env,
    });
    assert.equal(inc.code, 0, inc.stderr);
    const puts = e.sb.oss.log
      .since(mark)
      .filter((x) => x.op === 'PutObject' && x.status === 200)
      .map((x) => x.key)
      .sort();
    assert.deepEqual(puts, ['inc2/b.txt', 'inc2/c.txt']);
    assert.equal((await ossBytes(e, 'inc2/b.txt'))?.toString(), 'b2');
  });

  it('verify catches a corrupted destination (MD5) and reports a changed source as pending, without downloading', async () => {
    for (let i = 0; i < 4; i++) await put(e, `v/${i}`, patternBytes(4096, i + 1));
    const work = join(e.dir, 'w3');
    const job = await jobFile(e, {
      source: source(e, 'v/'),
      destination: { ...e.sb.jobSpec().destination, prefix: 'v3/' },
    });
    assert.equal(
      (await runCli(['import', job, '--workdir', work, '--yes'], { cwd: e.dir, env: e.env })).code,
      0,
    );
    await e.sb.oss.seed(e.sb.info.oss.bucket, { key: 'v3/1', body: chunks(4096, 4242), size: 4096 });
    await put(e, 'v/2', patternBytes(4096, 999));
    const mark = e.sb.oss.log.mark();
    const r = await runCli(['verify', '--workdir', work, '--json'], { cwd: e.dir, env: e.env });
    assert.equal(r.code, 5, r.stderr);
    const s = events(r.stdout).pop()!;
    const check = await readFile(join(s.report as string, 'check.txt'), 'utf8');
    assert.equal(s.different, 1, `${JSON.stringify(s)}\n${check}`);
    assert.equal(s.verified, 2);
    assert.deepEqual(s.verifiedBy, { crc64: 0, md5: 2, size: 0 }, 'single-part S3 ETags prove by MD5');
    assert.equal(e.sb.oss.log.since(mark).filter((x) => x.op === 'GetObject').length, 0, 'no download');
    assert.match(check, /^\* v\/1\t/m);
    // The changed source (new Last-Modified) is what the next incremental pass copies.
    assert.match(check, /^~ v\/2\tmodified after T1/m);
  });

  it('a SIGKILLed run resumes from its work dir and finishes the multipart object', async () => {
    for (let i = 0; i < 30; i++)
      await put(e, `k/small/${String(i).padStart(3, '0')}`, patternBytes(2000 + i, i + 1));
    const big = patternBytes(12 * MiB + 7, 99);
    await put(e, 'k/big.bin', big);
    e.sb.oss.faults.set({
      rules: [
        { kind: 'latency', ops: ['UploadPart'], latencyMs: 150 },
        { kind: 'latency', ops: ['PutObject'], latencyMs: 40 },
      ],
    });
    const job = await jobFile(e, {
      source: source(e, 'k/'),
      destination: { ...e.sb.jobSpec().destination, prefix: 'k/' },
      transfer: {
        concurrency: 4,
        multipartThreshold: '2MiB',
        partSize: '1MiB',
        partConcurrency: 1,
        retries: 3,
      },
    });
    const work = join(e.dir, 'w4');
    const mark = e.sb.oss.log.mark();
    const run = startCli(['import', job, '--workdir', work, '--yes'], { cwd: e.dir, env: e.env });
    for (let t = 0; t < 400; t++) {
      const since = e.sb.oss.log.since(mark);
      const parts = since.filter((x) => x.op === 'UploadPart' && x.status === 200).length;
      const puts = since.filter((x) => x.op === 'PutObject' && x.status === 200).length;
      if (parts >= 3 && puts >= 5) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    run.child.kill('SIGKILL');
    assert.equal((await run.done).signal, 'SIGKILL');
    assert.equal(ossBucket(e).get('k/big.bin'), undefined, 'no half-copied object looks complete');
    e.sb.oss.faults.clear();
    const r = await runCli(['import', job, '--workdir', work, '--json', '--yes'], { cwd: e.dir, env: e.env });
    assert.equal(r.code, 0, r.stderr);
    const got = await ossBytes(e, 'k/big.bin');
    assert.equal(createHash('md5').update(got!).digest('hex'), createHash('md5').update(big).digest('hex'));
    const s = events(r.stdout).pop()!;
    assert.equal((s.copied as number) + (s.skipped as number), 31, 'each object counted once');
  });
});
