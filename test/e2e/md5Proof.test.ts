/**
 * Issue #13 end to end: a URL list whose server sends Content-MD5 is copied by single PUTs that
 * carry that MD5, and the OSS emulator checks it. With the emulator's `corrupt` fault flipping a
 * bit of the PUT body, OSS refuses it (InvalidDigest): nothing is committed, a retry copies the
 * source's bytes, and the client hashed nothing (the ledger says the destination checked it).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { crc64 } from '../../runner/core/crc64.ts';
import { runCli } from '../helpers/cli.ts';
import { type HttpListServer, startHttpListServer } from '../helpers/httpListServer.ts';
import { ledgerLines } from '../helpers/ledgerFiles.ts';
import { patternBytes } from '../sandbox/common/blobs.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';

const KiB = 1024;
const bytes = (size: number, seed: number) => Buffer.concat([...patternBytes(size, seed)]);
type Line = {
  key: string;
  outcome: string;
  failureClass?: string;
  reason?: string;
  evidence?: string;
  evidenceCheckedBy?: string;
  srcCrc64?: string;
  dstCrc64?: string;
};

describe('e2e: a URL list with Content-MD5 is checked by OSS, not hashed by the client', () => {
  let sb: Sandbox;
  let srv: HttpListServer;
  let dir: string;
  let list: string;
  let runs = 0;
  const files = { 'small.bin': bytes(4 * KiB, 1), 'single.bin': bytes(600 * KiB, 2) };

  before(async () => {
    [sb, srv] = await Promise.all([startSandbox({}), startHttpListServer()]);
    dir = await mkdtemp(join(tmpdir(), 'ossmigrate-md5-'));
    const mtime = new Date(Date.now() - 3600_000);
    // Opaque ETags: the Content-MD5 is the only content evidence.
    for (const [k, body] of Object.entries(files))
      srv.put(`/d/${k}`, body, { mtime, etag: 'opaque', contentMd5: true });
    list = join(dir, 'list.txt');
    await writeFile(
      list,
      `${Object.keys(files)
        .map((k) => `${srv.origin}/d/\t${k}`)
        .join('\n')}\n`,
    );
  });
  after(async () => {
    await srv.close();
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
        name: `md5-${n}`,
        source: { type: 'http-list', listFile: list },
        destination: sb.jobSpec({ dstPrefix: prefix }).destination,
        transfer: { concurrency: 4, retries },
      }),
    );
    const work = join(dir, `w${n}`);
    const r = await runCli(['import', job, '--workdir', work, '--no-retry', ...flags], {
      cwd: dir,
      env: { ...sb.env(), TMPDIR: dir },
    });
    const lines = new Map((await ledgerLines<Line>(work)).map((l) => [l.key, l]));
    const bucket = sb.oss.buckets.get(sb.info.oss.bucket)!;
    return { r, lines, stored: (k: string) => bucket.get(prefix + k) };
  }
  const keyOf = (k: string) => `${srv.origin}/d/${k}`;
  const line = (lines: Map<string, Line>, k: string) =>
    lines.get(k) ?? [...lines.values()].find((l) => l.key === keyOf(k) || l.key.endsWith(k))!;

  it('a bit flipped on the way to OSS: refused (InvalidDigest), nothing committed', async () => {
    sb.oss.faults.set({ rules: [{ kind: 'corrupt', ops: ['PutObject'], afterBytes: 1000 }] });
    const mark = sb.oss.log.mark();
    const { r, lines, stored } = await run(0);
    sb.oss.faults.clear();
    assert.equal(r.code, 4, r.stderr);
    for (const k of Object.keys(files)) {
      const l = line(lines, k);
      assert.equal(l.failureClass, 'CRC_MISMATCH', k);
      assert.match(l.reason!, /InvalidDigest/);
      assert.equal(stored(k), undefined, `${k}: nothing committed`);
    }
    const log = sb.oss.log.since(mark);
    assert.equal(log.filter((x) => x.op === 'PutObject' && x.code === 'InvalidDigest').length, 2);
  });

  it('retried, the copies are the source’s bytes, proven by OSS’s check of the Content-MD5', async () => {
    sb.oss.faults.set({ rules: [{ kind: 'corrupt', ops: ['PutObject'], afterBytes: 1000, times: 2 }] });
    const mark = sb.oss.log.mark();
    const { r, lines, stored } = await run(3);
    sb.oss.faults.clear();
    assert.equal(r.code, 0, r.stderr);
    for (const [k, body] of Object.entries(files)) {
      const l = line(lines, k);
      assert.equal(stored(k)!.crc64, crc64(body), `${k}: OSS holds the source's bytes`);
      assert.equal(l.evidence, 'content-md5');
      assert.equal(l.evidenceCheckedBy, 'destination');
      assert.equal(l.dstCrc64, crc64(body), 'the ledger has OSS’s CRC-64');
      assert.equal(l.srcCrc64, undefined, 'the client computed none');
    }
    const log = sb.oss.log.since(mark);
    assert.equal(log.filter((x) => x.op === 'PutObject' && x.code === 'InvalidDigest').length, 2);
  });

  it('--client-crc hashes on the client again (and the ledger says so)', async () => {
    const { r, lines } = await run(0, ['--client-crc']);
    assert.equal(r.code, 0, r.stderr);
    for (const [k, body] of Object.entries(files)) {
      const l = line(lines, k);
      assert.equal(l.evidence, 'content-md5');
      assert.equal(l.evidenceCheckedBy, undefined);
      assert.equal(l.srcCrc64, crc64(body));
    }
  });
});
