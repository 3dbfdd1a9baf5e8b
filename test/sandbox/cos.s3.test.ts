/** COS emulator: S3-compatible access (AWS SigV4) with @aws-sdk/client-s3 and raw signed requests (the OSS mirror path). */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { crc64 } from '../../runner/core/crc64.ts';
import { patternBytes } from './common/blobs.ts';
import { rfc3986, signSigV4 } from './common/sigv4.ts';
import { BUCKET, CRED, type Harness, harness, REGION, raw } from './cos/testkit.ts';

const Bucket = BUCKET;

function s3(h: Harness, o: { secret?: string; region?: string } = {}): S3Client {
  return new S3Client({
    endpoint: h.emu.endpoint,
    forcePathStyle: true,
    region: o.region ?? REGION,
    credentials: { accessKeyId: CRED.accessKeyId, secretAccessKey: o.secret ?? CRED.secret },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
  });
}

type S3Err = { name?: string; $metadata?: { httpStatusCode?: number } };

async function s3Error(p: Promise<unknown>): Promise<S3Err> {
  try {
    await p;
  } catch (err) {
    return err as S3Err;
  }
  throw new Error('expected the S3 call to fail');
}

describe('COS emulator: S3-compatible access (SigV4)', () => {
  let h: Harness;
  let client: S3Client;
  before(async () => {
    h = await harness();
    client = s3(h);
  });
  after(async () => {
    client.destroy();
    await h.close();
  });

  it('puts (hashed payload and streamed) and gets objects, path style', async () => {
    const Key = "s3/we!rd'(x)*~ ü.bin";
    const body = Buffer.from('hello from s3');
    const put = await client.send(
      new PutObjectCommand({ Bucket, Key, Body: body, ContentType: 'text/plain' }),
    );
    assert.equal(put.ETag, `"${createHash('md5').update(body).digest('hex')}"`);
    const entry = h.emu.log.find({ op: 'PutObject', key: Key }).at(-1);
    assert.match(entry?.headers['x-amz-content-sha256'] ?? '', /^[0-9a-f]{64}$/);
    assert.equal(entry?.url.startsWith(`/${BUCKET}/`), true);

    const got = await client.send(new GetObjectCommand({ Bucket, Key }));
    assert.equal(await got.Body?.transformToString(), 'hello from s3');
    assert.equal(got.ContentType, 'text/plain');

    const streamed = Buffer.concat([...patternBytes(300_000, 5)]);
    await client.send(
      new PutObjectCommand({
        Bucket,
        Key: 's3/streamed',
        Body: Readable.from([streamed]),
        ContentLength: streamed.length,
      }),
    );
    const head = await client.send(new HeadObjectCommand({ Bucket, Key: 's3/streamed' }));
    assert.equal(head.ContentLength, streamed.length);
    const ranged = await client.send(
      new GetObjectCommand({ Bucket, Key: 's3/streamed', Range: 'bytes=10-19' }),
    );
    assert.deepEqual(Buffer.from(await ranged.Body!.transformToByteArray()), streamed.subarray(10, 20));
  });

  it('lists with ListObjects (V1) and ListObjectsV2', async () => {
    for (const k of ['v/a', 'v/b', 'v/c/1', 'v/c/2', 'v/d']) await h.emu.seed(BUCKET, { key: k, body: k });
    const v1 = await client.send(
      new ListObjectsCommand({ Bucket, Prefix: 'v/', Delimiter: '/', MaxKeys: 2 }),
    );
    assert.equal(v1.IsTruncated, true);
    assert.deepEqual(
      v1.Contents?.map((c) => c.Key),
      ['v/a', 'v/b'],
    );
    assert.equal(v1.NextMarker, 'v/b');
    const v1b = await client.send(
      new ListObjectsCommand({ Bucket, Prefix: 'v/', Delimiter: '/', Marker: v1.NextMarker }),
    );
    assert.deepEqual(
      v1b.CommonPrefixes?.map((p) => p.Prefix),
      ['v/c/'],
    );
    assert.deepEqual(
      v1b.Contents?.map((c) => c.Key),
      ['v/d'],
    );

    const keys: string[] = [];
    let ContinuationToken: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket, Prefix: 'v/', MaxKeys: 2, ContinuationToken }),
      );
      assert.equal(page.KeyCount, page.Contents?.length ?? 0);
      keys.push(...(page.Contents ?? []).map((c) => c.Key!));
      if (!page.IsTruncated) break;
      ContinuationToken = page.NextContinuationToken;
    }
    assert.deepEqual(keys, ['v/a', 'v/b', 'v/c/1', 'v/c/2', 'v/d']);
    const after = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'v/', StartAfter: 'v/c/2' }));
    assert.deepEqual(
      after.Contents?.map((c) => c.Key),
      ['v/d'],
    );
  });

  it('copies, uploads multipart and deletes', async () => {
    await h.emu.seed(BUCKET, { key: 's3/src', body: 'copy me' });
    await client.send(new CopyObjectCommand({ Bucket, Key: 's3/dst', CopySource: `${BUCKET}/s3/src` }));
    const copied = await client.send(new GetObjectCommand({ Bucket, Key: 's3/dst' }));
    assert.equal(await copied.Body?.transformToString(), 'copy me');

    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket, Key: 's3/mp' }));
    const part = Buffer.concat([...patternBytes(100_000, 6)]);
    const up = await client.send(
      new UploadPartCommand({ Bucket, Key: 's3/mp', UploadId, PartNumber: 1, Body: part }),
    );
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket,
        Key: 's3/mp',
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: up.ETag! }] },
      }),
    );
    const head = await client.send(new HeadObjectCommand({ Bucket, Key: 's3/mp' }));
    assert.match(head.ETag ?? '', /-1"$/);
    assert.equal(h.emu.buckets.get(BUCKET)?.get('s3/mp')?.crc64, crc64(part));

    await client.send(new DeleteObjectCommand({ Bucket, Key: 's3/dst' }));
    const gone = await s3Error(client.send(new HeadObjectCommand({ Bucket, Key: 's3/dst' })));
    assert.equal(gone.$metadata?.httpStatusCode, 404);
  });

  it('refuses a wrong secret (SignatureDoesNotMatch) and a wrong region', async () => {
    const bad = s3(h, { secret: 'wrong' });
    const err = await s3Error(bad.send(new GetObjectCommand({ Bucket, Key: 's3/src' })));
    assert.equal(err.name, 'SignatureDoesNotMatch');
    assert.equal(err.$metadata?.httpStatusCode, 403);
    assert.equal(h.emu.lastSignatureMismatch?.scheme, 'sigv4');
    bad.destroy();
    const beijing = s3(h, { region: 'ap-beijing' });
    const region = await s3Error(beijing.send(new ListObjectsCommand({ Bucket })));
    assert.equal(region.name, 'AuthorizationHeaderMalformed');
    beijing.destroy();
  });

  it('checks a real x-amz-content-sha256 against the body', async () => {
    const tampering = s3(h);
    tampering.middlewareStack.add(
      (next) => async (args) => {
        const req = args.request as { body?: unknown };
        if (Buffer.isBuffer(req.body) || req.body instanceof Uint8Array) req.body = Buffer.from('jello');
        return next(args);
      },
      { step: 'deserialize', name: 'tamperBody' },
    );
    const err = await s3Error(
      tampering.send(new PutObjectCommand({ Bucket, Key: 's3/tampered', Body: Buffer.from('hello') })),
    );
    assert.equal(err.name, 'XAmzContentSHA256Mismatch');
    assert.equal(err.$metadata?.httpStatusCode, 400);
    assert.equal(h.emu.buckets.get(BUCKET)?.get('s3/tampered'), undefined);
    tampering.destroy();
  });

  it('serves a raw SigV4 GET with the virtual-hosted Host (how OSS mirroring fetches a private origin)', async () => {
    const key = 'mirror/ü space+(1).txt';
    await h.emu.seed(BUCKET, { key, body: 'origin bytes' });
    const path = `/${key.split('/').map(rfc3986).join('/')}`;
    const host = `${BUCKET}.cos.${REGION}.myqcloud.com`;
    const sign = (secret: string) =>
      signSigV4({
        method: 'GET',
        url: path,
        host,
        region: REGION,
        service: 's3',
        accessKeyId: CRED.accessKeyId,
        secret,
      });
    const ok = await raw(h.emu.port, { method: 'GET', path, headers: sign(CRED.secret) });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.toString(), 'origin bytes');
    assert.equal(ok.headers['x-cos-hash-crc64ecma'], crc64('origin bytes'));
    const bad = await raw(h.emu.port, { method: 'GET', path, headers: sign('wrong') });
    assert.equal(bad.status, 403);
    assert.match(bad.body.toString(), /<Code>SignatureDoesNotMatch<\/Code>/);
    const missing = await raw(h.emu.port, {
      method: 'GET',
      path: '/mirror/none',
      headers: signSigV4({
        method: 'GET',
        url: '/mirror/none',
        host,
        region: REGION,
        service: 's3',
        accessKeyId: CRED.accessKeyId,
        secret: CRED.secret,
      }),
    });
    assert.equal(missing.status, 404);
    assert.match(missing.body.toString(), /<Code>NoSuchKey<\/Code>/);
  });
});
