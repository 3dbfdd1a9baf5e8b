/**
 * Issue #16 end to end: the real CLI, the real adapters, the sandbox emulators flipping a bit of
 * a body in flight (the `corrupt` fault) on either leg. A COS source is proven by OSS's CRC-64
 * of what it stored (no client hash); whichever leg changed the bytes, nothing is committed and
 * the copy is retried; --client-crc brings the client's per-part check back.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { runCli } from '../helpers/cli.ts';
import { ledgerLines } from '../helpers/ledgerFiles.ts';
import { patternBytes } from '../sandbox/common/blobs.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
type Line = {
  key: string;
  outcome: string;
  failureClass?: string;
  reason?: string;
  srcCrc64?: string;
  dstCrc64?: string;
};

describe('e2e: a body changed in flight is caught without a client CRC-64', () => {
  let sb: Sandbox;
  let dir: string;
  let runs = 0;
  before(async () => {
    sb = await startSandbox();
    dir = await mkdtemp(join(tmpdir(), 'ossmigrate-crc-'));
    const old = new Date(Date.now() - 3600_000);
    for (const [key, size, n] of [
      ['single', 600 * KiB, 1],
      ['multi', 5 * MiB + 3, 2],
    ] as const)
      await sb.cos.seed(sb.info.cos.bucket, { key, body: patternBytes(size, n), size, lastModified: old });
  });
  after(async () => {
    await sb.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** One import into a fresh destination prefix; its ledger lines by source key. */
  async function run(retries: number, flags: string[] = []) {
    const n = ++runs;
    const prefix = `run${n}/`;
    const job = join(dir, `job${n}.yaml`);
    await writeFile(
      job,
      stringify({
        name: `crc${n}`,
        ...sb.jobSpec({ dstPrefix: prefix }),
        transfer: {
          concurrency: 4,
          multipartThreshold: '2MiB',
          partSize: '1MiB',
          partConcurrency: 2,
          retries,
        },
      }),
    );
    const work = join(dir, `w${n}`);
    const r = await runCli(['import', job, '--workdir', work, '--no-retry', ...flags], {
      cwd: dir,
      env: sb.env(),
    });
    const lines = new Map((await ledgerLines<Line>(work)).map((l) => [l.key, l]));
    const bucket = sb.oss.buckets.get(sb.info.oss.bucket)!;
    return { r, lines, prefix, stored: (k: string) => bucket.get(prefix + k), uploads: bucket.uploads.size };
  }

  it('COS → client: OSS refuses the single PUT (Content-MD5), the multipart upload is aborted', async () => {
    sb.cos.faults.set({ rules: [{ kind: 'corrupt', ops: ['GetObject'], afterBytes: 70_000 }] });
    const mark = sb.oss.log.mark();
    const { r, lines, stored, uploads } = await run(0);
    sb.cos.faults.clear();
    assert.equal(r.code, 4, r.stderr);
    assert.equal(lines.get('single')!.failureClass, 'CRC_MISMATCH');
    assert.match(lines.get('single')!.reason!, /InvalidDigest/);
    assert.equal(lines.get('multi')!.failureClass, 'CRC_MISMATCH');
    assert.match(lines.get('multi')!.reason!, /parts the destination stored is \d+, the source reports \d+/);
    assert.equal(stored('single'), undefined, 'nothing committed');
    assert.equal(stored('multi'), undefined, 'nothing committed');
    assert.equal(uploads, 0, 'the upload was aborted');
    const log = sb.oss.log.since(mark);
    assert.ok(log.some((x) => x.op === 'PutObject' && x.code === 'InvalidDigest'));
    assert.equal(log.filter((x) => x.op === 'CompleteMultipartUpload').length, 0);
  });

  it('client → OSS: a corrupted PUT and part are retried; the copies are the source’s bytes', async () => {
    sb.oss.faults.set({
      rules: [
        { kind: 'corrupt', ops: ['PutObject'], afterBytes: 1000, times: 1 },
        { kind: 'corrupt', ops: ['UploadPart'], afterBytes: 1000, times: 1 },
      ],
    });
    const mark = sb.oss.log.mark();
    const { r, lines, stored } = await run(3);
    sb.oss.faults.clear();
    assert.equal(r.code, 0, r.stderr);
    for (const k of ['single', 'multi']) {
      const src = sb.cos.buckets.get(sb.info.cos.bucket)!.get(k)!;
      assert.equal(stored(k)!.crc64, src.crc64, `${k}: OSS holds the source's bytes`);
      assert.equal(lines.get(k)!.srcCrc64, src.crc64);
      assert.equal(lines.get(k)!.dstCrc64, src.crc64);
    }
    const log = sb.oss.log.since(mark);
    assert.ok(log.some((x) => x.op === 'PutObject' && x.code === 'InvalidDigest'));
    assert.equal(log.filter((x) => x.op === 'AbortMultipartUpload').length, 1, 'the bad upload was aborted');
  });

  it('--client-crc checks each part against OSS’s CRC-64 as it goes', async () => {
    sb.oss.faults.set({ rules: [{ kind: 'corrupt', ops: ['UploadPart'], afterBytes: 1000, times: 1 }] });
    const { r, lines, stored, uploads } = await run(0, ['--client-crc']);
    sb.oss.faults.clear();
    assert.equal(r.code, 4, r.stderr);
    assert.match(
      lines.get('multi')!.reason!,
      /multi part \d+: the destination reports CRC-64 \d+, the bytes sent have \d+/,
    );
    assert.equal(stored('multi'), undefined);
    assert.equal(uploads, 1, 'a transient failure keeps the upload for the next run to resume');
    assert.equal(lines.get('single')!.outcome, 'copied');
  });
});
