/** COS emulator with `dataDir`: bodies stream to and from files (multi-MB objects, flat memory). */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Crc64 } from '../../runner/core/crc64.ts';
import { patternBytes } from './common/blobs.ts';
import { B, BUCKET, type Harness, harness } from './cos/testkit.ts';

const SIZE = 24 * 1024 * 1024 + 333;

async function blobSizes(dir: string): Promise<number[]> {
  const names = await readdir(join(dir, 'blobs'));
  return Promise.all(names.map(async (n) => (await stat(join(dir, 'blobs', n))).size));
}

describe('COS emulator: dataDir mode', () => {
  let h: Harness;
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cos-emu-data-'));
    h = await harness({ dataDir });
  });
  after(async () => {
    await h.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('streams a multi-MB object in (chunked) and out, keeping the body in a file', async () => {
    const md5 = createHash('md5');
    const crc = new Crc64();
    const source = Readable.from(
      (function* () {
        for (const chunk of patternBytes(SIZE, 99)) {
          md5.update(chunk);
          crc.update(chunk);
          yield chunk;
        }
      })(),
    );
    const put = await h.cos.putObject({ ...B, Key: 'disk/big.bin', Body: source });
    const etag = md5.digest('hex');
    assert.equal(put.ETag, `"${etag}"`);
    assert.equal(put.headers?.['x-cos-hash-crc64ecma'], crc.toString());
    assert.deepEqual(await blobSizes(dataDir), [SIZE]);

    const out = createHash('md5');
    let received = 0;
    for await (const chunk of h.cos.getObjectStream({
      ...B,
      Key: 'disk/big.bin',
    }) as unknown as AsyncIterable<Buffer>) {
      out.update(chunk);
      received += chunk.length;
    }
    assert.equal(received, SIZE);
    assert.equal(out.digest('hex'), etag);
  });

  it('drops the old file on overwrite and keeps multipart parts as files', async () => {
    await h.cos.putObject({ ...B, Key: 'disk/big.bin', Body: Buffer.from('small now') });
    await h.emu.seed(BUCKET, {
      key: 'disk/parts.bin',
      body: patternBytes(3 * 1024 * 1024, 5),
      partSize: 1024 * 1024,
    });
    // Unlinking the replaced blob is asynchronous.
    for (let i = 0; i < 50 && (await blobSizes(dataDir)).includes(SIZE); i++)
      await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(
      (await blobSizes(dataDir)).sort((a, b) => a - b),
      [9, 1024 * 1024, 1024 * 1024, 1024 * 1024],
    );
  });
});
