/**
 * Azure Blob → OSS end to end: the real CLI in a subprocess, Azurite (Microsoft's emulator) as the
 * source, the sandbox OSS emulator as the destination. Azurite cannot backdate a blob, so the
 * tests seed just before a run (the full phase copies mtime < T1 = the run's start).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ContainerClient } from '@azure/storage-blob';
import { stringify } from 'yaml';
import { startAzurite, type TestAzurite } from '../helpers/azurite.ts';
import { events, runCli, startCli } from '../helpers/cli.ts';
import { afterTheSecondOf } from '../helpers/clock.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';

const MiB = 1024 * 1024;
const CONTAINER = 'media';

type Env = { az: TestAzurite; c: ContainerClient; sb: Sandbox; dir: string; env: Record<string, string> };

async function setup(): Promise<Env> {
  const [az, sb] = await Promise.all([startAzurite(), startSandbox()]);
  const c = await az.container(CONTAINER);
  const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-e2e-azure-'));
  const env = {
    ALIBABA_CLOUD_ACCESS_KEY_ID: sb.info.oss.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: sb.info.oss.accessKeySecret,
    AZURE_STORAGE_ACCOUNT: az.account,
    AZURE_STORAGE_KEY: az.key,
  };
  return { az, c, sb, dir, env };
}
async function teardown(e: Env): Promise<void> {
  await Promise.all([e.az.close(), e.sb.close()]);
  await rm(e.dir, { recursive: true, force: true });
}

/** Deterministic bytes of a given size. */
function bytes(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed * 7) & 0xff;
  return b;
}

/** When the test last wrote a blob (Azurite cannot backdate one). */
let lastPut = 0;

async function put(
  e: Env,
  key: string,
  body: Buffer,
  o: { meta?: Record<string, string>; type?: string } = {},
) {
  await e.c.getBlockBlobClient(key).upload(body, body.length, {
    ...(o.meta ? { metadata: o.meta } : {}),
    ...(o.type ? { blobHTTPHeaders: { blobContentType: o.type, blobCacheControl: 'max-age=600' } } : {}),
  });
  lastPut = Date.now();
}

function flags(e: Env, prefix = ''): string[] {
  return [
    '--src',
    `azure://${e.az.account}/${CONTAINER}/${prefix}`,
    '--src-endpoint',
    e.az.endpoint,
    '--dst',
    // The source prefix is replaced by the destination's: the same prefix keeps the keys.
    `oss://${e.sb.info.oss.bucket}/${prefix}`,
    '--dst-region',
    e.sb.info.oss.region,
    '--dst-endpoint',
    e.sb.info.oss.endpoint,
  ];
}
/** A job file for the Azure source with small multipart sizes (no flags for them). */
async function jobFile(
  e: Env,
  name: string,
  prefix: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const path = join(e.dir, `${name}.yaml`);
  await writeFile(
    path,
    stringify({
      name,
      source: { type: 'azure', account: e.az.account, container: CONTAINER, prefix, endpoint: e.az.endpoint },
      destination: {
        bucket: e.sb.info.oss.bucket,
        region: e.sb.info.oss.region,
        endpoint: e.sb.info.oss.endpoint,
        prefix,
      },
      transfer: { concurrency: 4, multipartThreshold: '2MiB', partSize: '1MiB', partConcurrency: 2 },
      ...extra,
    }),
  );
  return path;
}

function ossBucket(e: Env) {
  return e.sb.oss.buckets.get(e.sb.info.oss.bucket)!;
}
async function ossBytes(e: Env, key: string): Promise<Buffer> {
  const b = ossBucket(e);
  const chunks: Buffer[] = [];
  for await (const c of b.read(b.get(key)!)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
const md5 = (b: Buffer) => createHash('md5').update(b).digest('base64');

// Awkward names Azure allows and OSS takes; one that OSS refuses (1,200 UTF-8 bytes > 1,023).
const AWKWARD = [
  'a b/sp ace.txt',
  'q/#?%+&=.bin',
  'ü/中文/ключ.txt',
  'x/😀.png',
  'x/～.png',
  `long/${'n'.repeat(1010)}`,
];
const REFUSED = `refused/${'中'.repeat(400)}`;

describe('e2e: Azure Blob → OSS', () => {
  let e: Env;
  const bodies = new Map<string, Buffer>();
  before(async () => {
    e = await setup();
    let i = 0;
    for (const k of AWKWARD) bodies.set(k, bytes(100 + i, ++i));
    bodies.set('empty/zero.bin', Buffer.alloc(0));
    bodies.set('big/video.bin', bytes(5 * MiB + 7, 99));
    for (const [k, b] of bodies)
      await put(
        e,
        k,
        b,
        k === 'a b/sp ace.txt' ? { meta: { owner: 'alice', dept_id: '42' }, type: 'text/plain' } : {},
      );
  });
  after(() => teardown(e));

  it('copies awkward names, 0 B and a multipart-size blob byte-identical with metadata; Content-MD5 travels', async () => {
    await afterTheSecondOf(lastPut);
    const r = await runCli(
      ['import', await jobFile(e, 'all', ''), '--workdir', join(e.dir, 'w'), '--json', '--yes'],
      {
        cwd: e.dir,
        env: e.env,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    const s = events(r.stdout).pop()!;
    assert.equal(s.type, 'summary');
    assert.equal(s.copied, bodies.size);
    assert.equal(s.failed, 0);
    for (const [k, b] of bodies) {
      const dst = ossBucket(e).get(k);
      assert.ok(dst, `missing ${k}`);
      assert.equal(dst.size, b.length, k);
      assert.ok((await ossBytes(e, k)).equals(b), `bytes of ${k}`);
      assert.match(dst.meta['ossmigrate-src-etag'] ?? '', /^0x[0-9a-f]+$/i, `provenance of ${k}`);
    }
    const meta = ossBucket(e).get('a b/sp ace.txt')!;
    assert.equal(meta.contentType, 'text/plain');
    assert.equal(meta.meta.owner, 'alice');
    assert.equal(meta.meta.dept_id, '42');
    // Azurite reports a Content-MD5 for a single-shot upload, as Azure does: the content evidence.
    const props = await e.c.getBlobClient('x/😀.png').getProperties();
    assert.equal(Buffer.from(props.contentMD5!).toString('base64'), md5(bodies.get('x/😀.png')!));
    for (const secret of [e.env.AZURE_STORAGE_KEY!, e.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET!])
      assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret), 'no secret in the output');
  });

  it('a name OSS refuses is classified up front in plan and fails with the fix in import', async () => {
    await put(e, REFUSED, Buffer.from('x'));
    const plan = await runCli(['plan', ...flags(e, 'refused/'), '--workdir', join(e.dir, 'p')], {
      cwd: e.dir,
      env: e.env,
    });
    assert.match(plan.stdout + plan.stderr, /invalid names {2}1 \(OSS would refuse them/);
    // The example's reason reads "the object name is empty": runner/engine/scanTask.ts hands the
    // survey '' for a refused name instead of the mapping's reason (reported to the lead).
    await afterTheSecondOf(lastPut);
    const r = await runCli(
      ['import', ...flags(e, 'refused/'), '--workdir', join(e.dir, 'wr'), '--json', '--yes'],
      {
        cwd: e.dir,
        env: e.env,
      },
    );
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /1208 bytes long; OSS allows at most 1023/);
    assert.equal(ossBucket(e).get(REFUSED), undefined);
  });
});

describe('e2e: Azure source — verify, incremental, resume, job file and ossimport cfg', () => {
  let e: Env;
  before(async () => {
    e = await setup();
  });
  after(() => teardown(e));

  it('verify flags a changed source blob and never passes a corrupted destination as a match', async () => {
    for (let i = 0; i < 4; i++) await put(e, `v/${i}`, bytes(4096, i + 1));
    const work = join(e.dir, 'wv');
    await afterTheSecondOf(lastPut);
    const first = await runCli(['import', ...flags(e, 'v/'), '--workdir', work, '--json', '--yes'], {
      cwd: e.dir,
      env: e.env,
    });
    assert.equal(first.code, 0, first.stderr);
    // Same size, different bytes at the destination; a rewrite of the same size at the source.
    await e.sb.oss.seed(e.sb.info.oss.bucket, { key: 'v/1', body: bytes(4096, 4242), size: 4096 });
    await put(e, 'v/2', bytes(4096, 777));
    const r = await runCli(['verify', '--workdir', work, '--json'], { cwd: e.dir, env: e.env });
    const ev = events(r.stdout);
    const status = new Map(ev.filter((x) => x.type === 'verify').map((x) => [x.key as string, x.status]));
    // The changed source blob: its Last-Modified is after T1 — the incremental phase copies it.
    assert.equal(status.get('v/2'), 'pending', r.stdout);
    // The corrupted destination is never passed as a match. Until copy/verify use the source's
    // Content-MD5 and the ledger's CRC-64 (the verification work of #13), it is "unverifiable"
    // (sizes agree, Azure has no CRC-64 and no MD5 ETag); then it must read "different".
    assert.ok(['different', 'unverifiable'].includes(status.get('v/1') as string), r.stdout);
    assert.notEqual(status.get('v/0'), 'different');
  });

  it('incremental (--since T1) copies only what changed after T1', async () => {
    for (let i = 0; i < 3; i++) await put(e, `inc/${i}`, bytes(1000, i + 10));
    const work = join(e.dir, 'wi');
    await afterTheSecondOf(lastPut);
    const full = await runCli(['import', ...flags(e, 'inc/'), '--workdir', work, '--json', '--yes'], {
      cwd: e.dir,
      env: e.env,
    });
    assert.equal(full.code, 0, full.stderr);
    // Azure's Last-Modified has one-second resolution: T1 is taken after a second has surely passed.
    await new Promise((r) => setTimeout(r, 1100));
    const t1 = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 1100));
    await put(e, 'inc/1', bytes(1000, 555));
    await put(e, 'inc/new', bytes(10, 556));
    const mark = e.sb.oss.log.mark();
    await afterTheSecondOf(lastPut); // T2 is the incremental's start: the rewrites come before it
    const inc = await runCli(
      ['import', ...flags(e, 'inc/'), '--since', t1, '--workdir', work, '--json', '--yes'],
      {
        cwd: e.dir,
        env: e.env,
      },
    );
    assert.equal(inc.code, 0, inc.stderr);
    const puts = e.sb.oss.log
      .since(mark)
      .filter((x) => x.op === 'PutObject' && x.status === 200)
      .map((x) => x.key)
      .sort();
    assert.deepEqual(puts, ['inc/1', 'inc/new']);
    assert.ok((await ossBytes(e, 'inc/1')).equals(bytes(1000, 555)));
  });

  it('a SIGKILLed run resumes without re-copying finished objects', async () => {
    for (let i = 0; i < 40; i++) await put(e, `k/${String(i).padStart(3, '0')}`, bytes(3000 + i, i));
    await put(e, 'k/zz-big.bin', bytes(6 * MiB, 5));
    e.sb.oss.faults.set({ rules: [{ kind: 'latency', ops: ['PutObject', 'UploadPart'], latencyMs: 100 }] });
    const work = join(e.dir, 'wk');
    await afterTheSecondOf(lastPut);
    const args = ['import', await jobFile(e, 'kill', 'k/'), '--workdir', work, '--yes'];
    const start = e.sb.oss.log.mark();
    const run = startCli(args, { cwd: e.dir, env: e.env });
    for (let t = 0; t < 2000; t++) {
      if (e.sb.oss.log.since(start).filter((x) => x.op === 'PutObject' && x.status === 200).length >= 10)
        break;
      await new Promise((r) => setTimeout(r, 25));
    }
    run.child.kill('SIGKILL');
    assert.equal((await run.done).signal, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    e.sb.oss.faults.clear();
    const before = new Set(
      e.sb.oss.log
        .since(start)
        .filter((x) => x.op === 'PutObject' && x.status === 200)
        .map((x) => x.key),
    );
    assert.ok(before.size < 41, 'killed mid-copy');
    const mark = e.sb.oss.log.mark();
    const r = await runCli([...args, '--json'], { cwd: e.dir, env: e.env });
    assert.equal(r.code, 0, r.stderr);
    for (const x of e.sb.oss.log.since(mark).filter((y) => y.op === 'PutObject' && y.status === 200))
      assert.equal(before.has(x.key), false, `${x.key} was copied again`);
    for (let i = 0; i < 40; i++) assert.ok(ossBucket(e).get(`k/${String(i).padStart(3, '0')}`));
    assert.ok((await ossBytes(e, 'k/zz-big.bin')).equals(bytes(6 * MiB, 5)));
  });

  it('runs from a job file and from an ossimport job.cfg (srcType=azure)', async () => {
    await put(e, 'j/one.txt', Buffer.from('from a job file'));
    const job = join(e.dir, 'job.yaml');
    await writeFile(
      job,
      stringify({
        name: 'azjob',
        source: {
          type: 'azure',
          account: e.az.account,
          container: CONTAINER,
          prefix: 'j/',
          endpoint: e.az.endpoint,
        },
        destination: {
          bucket: e.sb.info.oss.bucket,
          region: e.sb.info.oss.region,
          endpoint: e.sb.info.oss.endpoint,
          prefix: 'fromjob/',
        },
      }),
    );
    await afterTheSecondOf(lastPut);
    const r = await runCli(['import', job, '--workdir', join(e.dir, 'wj'), '--json', '--yes'], {
      cwd: e.dir,
      env: e.env,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(ossBucket(e).get('fromjob/one.txt'));
    // ossimport's azure sample, keys filled in: AccountName/AccountKey in the cfg, no env needed.
    const cfg = join(e.dir, 'blob.job.cfg');
    await writeFile(
      cfg,
      [
        '#源类型 azure',
        'srcType=azure',
        `srcAccessKey=${e.az.account}`,
        `srcSecretKey=${e.az.key}`,
        `srcDomain=${e.az.endpoint}`,
        `srcBucket=${CONTAINER}`,
        'srcPrefix=j/',
        `destAccessKey=${e.sb.info.oss.accessKeyId}`,
        `destSecretKey=${e.sb.info.oss.accessKeySecret}`,
        `destDomain=${e.sb.info.oss.endpoint}`,
        `destBucket=${e.sb.info.oss.bucket}`,
        'destPrefix=fromcfg/',
        'jobName=azure_cfg',
        'isAuditAfterImport=true ',
        '',
      ].join('\n'),
    );
    await afterTheSecondOf(lastPut);
    const c = await runCli(
      [
        'import',
        cfg,
        '--dst-region',
        e.sb.info.oss.region,
        '--workdir',
        join(e.dir, 'wc'),
        '--json',
        '--yes',
      ],
      { cwd: e.dir, env: {} },
    );
    assert.equal(c.code, 0, c.stderr);
    assert.ok(ossBucket(e).get('fromcfg/one.txt'));
    assert.ok(!c.stdout.includes(e.az.key) && !c.stderr.includes(e.az.key));
  });

  it('without Azure credentials: exit 2 naming the variables, nothing written', async () => {
    const work = join(e.dir, 'wn');
    const env = { ...e.env, AZURE_STORAGE_KEY: '', AZURE_STORAGE_ACCOUNT: '' };
    const r = await runCli(['import', ...flags(e), '--workdir', work, '--yes'], { cwd: e.dir, env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /no Azure credentials for the Azure Blob source/);
    assert.match(r.stderr, /AZURE_STORAGE_CONNECTION_STRING/);
    assert.match(r.stderr, /AZURE_STORAGE_KEY/);
    const { existsSync } = await import('node:fs');
    assert.equal(existsSync(work), false, 'no work dir');
  });
});
