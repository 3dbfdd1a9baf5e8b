/**
 * An independent S3 client against both emulators' S3-compatible APIs: rclone (Go) writes XML
 * character references (`&#34;` around every ETag in CompleteMultipartUpload), which the services
 * decode and the emulators must too. Our own SDK tests cannot catch this: the AWS SDK for JS
 * writes `&quot;`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { patternBytes } from '../sandbox/common/blobs.ts';
import type { RequestLog } from '../sandbox/common/requestLog.ts';
import { startCosEmulator } from '../sandbox/cos/index.ts';
import {
  APPID,
  BUCKET as COS_BUCKET,
  CRED as COS_CRED,
  REGION as COS_REGION,
} from '../sandbox/cos/testkit.ts';
import { AK as OSS_AK, BUCKET as OSS_BUCKET, SK as OSS_SK, startEmu } from '../sandbox/oss/testkit.ts';

const run = promisify(execFile);

/** rclone's smallest chunk is 5 MiB; one byte over makes two parts. */
const CHUNK = 5 * 1024 * 1024;
const SIZE = CHUNK + 4097;

type Target = {
  name: string;
  start(): Promise<{ endpoint: string; log: RequestLog; close(): Promise<void> }>;
  bucket: string;
  region: string;
  accessKeyId: string;
  secret: string;
};

const targets: Target[] = [
  {
    name: 'OSS',
    start: startEmu,
    bucket: OSS_BUCKET,
    region: 'cn-hangzhou',
    accessKeyId: OSS_AK,
    secret: OSS_SK,
  },
  {
    name: 'COS',
    start: async () => {
      const emu = await startCosEmulator({ credentials: [COS_CRED] });
      emu.createBucket(COS_BUCKET, COS_REGION);
      return emu;
    },
    bucket: COS_BUCKET,
    region: COS_REGION,
    accessKeyId: COS_CRED.accessKeyId,
    secret: COS_CRED.secret,
  },
];

// Never skip: without the independent client the emulators' XML fidelity goes unchecked. Checked
// before any test is declared, so a missing rclone is one failure with one line, not four.
try {
  await run('rclone', ['version']);
} catch {
  throw new Error(
    'rclone is not installed: run `apt-get update && apt-get install -y rclone` (npm test does it when run as root)',
  );
}

describe('rclone (an independent S3 client) against the emulators', () => {
  let tmp: string;
  let local: string;
  let body: Buffer;
  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'rclone-e2e-'));
    local = join(tmp, 'big.bin');
    body = Buffer.concat([...patternBytes(SIZE, APPID.length)]);
    await writeFile(local, body);
  });
  after(() => rm(tmp, { recursive: true, force: true }));

  for (const t of targets) {
    describe(`${t.name} emulator, S3-compatible API`, () => {
      let emu: Awaited<ReturnType<Target['start']>>;
      let env: NodeJS.ProcessEnv;
      before(async () => {
        emu = await t.start();
        // The remote comes from env vars, the secret included: never in argv. Nothing else is
        // inherited: AWS_* (a CA bundle, a profile) would change how rclone's S3 SDK connects.
        env = {
          PATH: process.env.PATH,
          HOME: tmp,
          RCLONE_CONFIG: join(tmp, `${t.name}.conf`),
          RCLONE_CACHE_DIR: join(tmp, `cache-${t.name}`),
          RCLONE_CONFIG_EMU_TYPE: 's3',
          RCLONE_CONFIG_EMU_PROVIDER: 'Other',
          RCLONE_CONFIG_EMU_ENV_AUTH: 'false',
          RCLONE_CONFIG_EMU_ACCESS_KEY_ID: t.accessKeyId,
          RCLONE_CONFIG_EMU_SECRET_ACCESS_KEY: t.secret,
          RCLONE_CONFIG_EMU_ENDPOINT: emu.endpoint,
          RCLONE_CONFIG_EMU_REGION: t.region,
          RCLONE_CONFIG_EMU_FORCE_PATH_STYLE: 'true',
        };
      });
      after(() => emu.close());

      /** One rclone command; on failure the assertion shows rclone's own log. */
      async function rclone(...args: string[]): Promise<void> {
        const argv = [...args, '--s3-no-check-bucket', '--retries', '1', '--low-level-retries', '1', '-v'];
        try {
          await run('rclone', argv, { env, maxBuffer: 16 * 1024 * 1024 });
        } catch (err) {
          const e = err as { code?: number; stderr?: string };
          assert.fail(`rclone ${args.join(' ')} exited ${e.code}:\n${e.stderr}`);
        }
      }

      async function download(key: string): Promise<Buffer> {
        const out = join(tmp, `${t.name}-${key.replaceAll('/', '_')}`);
        await rclone('copyto', `emu:${t.bucket}/${key}`, out);
        return readFile(out);
      }

      const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

      it('multipart upload (two parts, ETags written as &#34;) completes and reads back byte for byte', async () => {
        const mark = emu.log.mark();
        await rclone(
          'copyto',
          local,
          `emu:${t.bucket}/rc/big.bin`,
          '--s3-upload-cutoff',
          '0',
          '--s3-chunk-size',
          '5Mi',
        );
        const seen = emu.log.since(mark);
        assert.equal(seen.filter((e) => e.op === 'UploadPart' && e.status === 200).length, 2);
        assert.equal(seen.filter((e) => e.op === 'CompleteMultipartUpload' && e.status === 200).length, 1);
        assert.equal(md5(await download('rc/big.bin')), md5(body));
      });

      it('server-side multipart copy (UploadPartCopy + complete) gives the same bytes', async () => {
        // Its own source, by one PutObject (under rclone's default cutoff): independent of the test above.
        await rclone('copyto', local, `emu:${t.bucket}/rc/src.bin`);
        const mark = emu.log.mark();
        await rclone(
          'copyto',
          `emu:${t.bucket}/rc/src.bin`,
          `emu:${t.bucket}/rc/copy.bin`,
          '--s3-copy-cutoff',
          '5Mi',
          '--s3-chunk-size',
          '5Mi',
        );
        const seen = emu.log.since(mark);
        assert.ok(
          seen.some((e) => e.op === 'UploadPartCopy' && e.status === 200),
          'a server-side part copy',
        );
        assert.equal(seen.filter((e) => e.op === 'CompleteMultipartUpload' && e.status === 200).length, 1);
        assert.ok(
          !seen.some((e) => e.op === 'PutObject' || e.op === 'UploadPart'),
          'no bytes through the client',
        );
        assert.equal(md5(await download('rc/copy.bin')), md5(body));
      });
    });
  }
});
