/** OSS emulator conformance: a generic S3 client (AWS SDK v3, SigV4) against OSS's S3-compatible access. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Agent, type AgentOptions } from 'node:http';
import type { LookupFunction } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { FinalizeHandler, FinalizeHandlerArguments, MetadataBearer } from '@smithy/types';
import { crc64 } from '../../runner/core/crc64.ts';
import type { OssEmulator } from './oss/index.ts';
import { AK, BUCKET, bytes, client, SK, startEmu } from './oss/testkit.ts';

/** Resolve every host name to the emulator, so virtual-hosted `dst.oss-cn-hangzhou.aliyuncs.com` works. */
const lookup = ((_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) =>
  opts.all
    ? cb(null, [{ address: '127.0.0.1', family: 4 }])
    : cb(null, '127.0.0.1', 4)) as unknown as LookupFunction;

function s3(
  emu: OssEmulator,
  over: Partial<S3ClientConfig> & { secret?: string; virtualHost?: boolean } = {},
): S3Client {
  const { secret, virtualHost, ...rest } = over;
  return new S3Client({
    region: 'cn-hangzhou',
    credentials: { accessKeyId: AK, secretAccessKey: secret ?? SK },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(virtualHost
      ? {
          endpoint: `http://oss-cn-hangzhou.aliyuncs.com:${emu.port}`,
          forcePathStyle: false,
          requestHandler: new NodeHttpHandler({ httpAgent: new Agent({ lookup } as AgentOptions) }),
        }
      : { endpoint: emu.endpoint, forcePathStyle: true }),
    maxAttempts: 1,
    ...rest,
  });
}

describe('OSS emulator: S3-compatible access (AWS SigV4)', () => {
  let emu: OssEmulator;
  before(async () => {
    emu = await startEmu();
  });
  after(() => emu.close());

  for (const virtualHost of [false, true]) {
    const style = virtualHost ? 'virtual-hosted' : 'path-style';
    it(`${style}: PutObject, HeadObject, GetObject, ListObjectsV2, CopyObject, DeleteObject`, async () => {
      const c = s3(emu, { virtualHost });
      const key = `${style}/a b+ü.txt`;
      const put = await c.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: key,
          Body: 'hello s3',
          ContentType: 'text/plain',
          Metadata: { who: 's3' },
        }),
      );
      assert.equal(put.ETag, `"${createHash('md5').update('hello s3').digest('hex').toUpperCase()}"`);
      const logged = emu.log.find({ op: 'PutObject', key }).at(-1)!;
      assert.match(
        logged.headers.authorization ?? '',
        /^AWS4-HMAC-SHA256 Credential=.+\/cn-hangzhou\/s3\/aws4_request/,
      );
      assert.match(
        logged.headers['x-amz-content-sha256'] ?? '',
        /^[0-9a-f]{64}$/,
        'the payload hash is real and checked',
      );
      const head = await c.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
      assert.equal(head.ContentLength, 8);
      assert.equal(head.ContentType, 'text/plain');
      assert.deepEqual(head.Metadata, { who: 's3' });
      assert.equal(head.ETag, put.ETag);
      const get = await c.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      assert.equal(await get.Body!.transformToString(), 'hello s3');
      const list = await c.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${style}/` }));
      assert.equal(list.KeyCount, 1);
      assert.equal(list.Contents?.[0]?.Key, key);
      assert.equal(list.Contents?.[0]?.Size, 8);
      await c.send(
        new CopyObjectCommand({
          Bucket: BUCKET,
          Key: `${key}.copy`,
          CopySource: `${BUCKET}/${encodeURIComponent(key)}`,
        }),
      );
      const copied = await client(emu).get(`${key}.copy`);
      assert.equal(copied.content.toString(), 'hello s3');
      await c.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
      await assert.rejects(
        c.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })),
        (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
          assert.equal(e.$metadata?.httpStatusCode, 404);
          return true;
        },
      );
    });
  }

  it('multipart upload through the S3 API gives the combined CRC-64', async () => {
    const c = s3(emu);
    const body = bytes(150 * 1024, 4);
    const init = await c.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 's3/mp.bin' }));
    const p1 = await c.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: 's3/mp.bin',
        UploadId: init.UploadId,
        PartNumber: 1,
        Body: body.subarray(0, 102_400),
      }),
    );
    const p2 = await c.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: 's3/mp.bin',
        UploadId: init.UploadId,
        PartNumber: 2,
        Body: body.subarray(102_400),
      }),
    );
    await c.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: 's3/mp.bin',
        UploadId: init.UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.ETag },
            { PartNumber: 2, ETag: p2.ETag },
          ],
        },
      }),
    );
    const h = await client(emu).head('s3/mp.bin');
    assert.equal((h.res.headers as Record<string, string>)['x-oss-hash-crc64ecma'], crc64(body));
  });

  it('CopyObject honours x-amz-metadata-directive and x-amz-copy-source-if-match (S3 names)', async () => {
    const c = s3(emu);
    await c.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 's3/meta-src.txt', Body: 'm', Metadata: { v: 'old' } }),
    );
    const copy = (extra: Partial<ConstructorParameters<typeof CopyObjectCommand>[0]>) =>
      c.send(
        new CopyObjectCommand({
          Bucket: BUCKET,
          Key: 's3/meta-dst.txt',
          CopySource: `${BUCKET}/s3/meta-src.txt`,
          ...extra,
        }),
      );
    await assert.rejects(copy({ CopySourceIfMatch: '"00000000000000000000000000000000"' }), {
      name: 'PreconditionFailed',
    });
    await copy({ MetadataDirective: 'REPLACE', Metadata: { v: 'new' }, ContentType: 'text/x-new' });
    const head = await c.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 's3/meta-dst.txt' }));
    assert.deepEqual(head.Metadata, { v: 'new' });
    assert.equal(head.ContentType, 'text/x-new');
  });

  it('UploadPartCopy honours x-amz-copy-source-range and x-amz-copy-source-if-match (S3 names)', async () => {
    const c = s3(emu);
    const body = bytes(250 * 1024, 6);
    await c.send(new PutObjectCommand({ Bucket: BUCKET, Key: 's3/upc-src.bin', Body: body }));
    const init = await c.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 's3/upc.bin' }));
    const part = (n: number, range: string, ifMatch?: string) =>
      c.send(
        new UploadPartCopyCommand({
          Bucket: BUCKET,
          Key: 's3/upc.bin',
          UploadId: init.UploadId,
          PartNumber: n,
          CopySource: `${BUCKET}/s3/upc-src.bin`,
          CopySourceRange: range,
          ...(ifMatch ? { CopySourceIfMatch: ifMatch } : {}),
        }),
      );
    await assert.rejects(part(1, 'bytes=0-102399', '"00000000000000000000000000000000"'), {
      name: 'PreconditionFailed',
    });
    const p1 = await part(1, 'bytes=0-102399');
    const p2 = await part(2, `bytes=102400-${body.length - 1}`);
    await c.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: 's3/upc.bin',
        UploadId: init.UploadId,
        MultipartUpload: {
          Parts: [
            { PartNumber: 1, ETag: p1.CopyPartResult?.ETag },
            { PartNumber: 2, ETag: p2.CopyPartResult?.ETag },
          ],
        },
      }),
    );
    const got = await client(emu).get('s3/upc.bin');
    assert.equal(got.content.length, body.length);
    assert.ok(
      Buffer.compare(got.content, body) === 0,
      'the parts are the ranges, not the whole source twice',
    );
  });

  it('the signature is really verified: wrong secret, unknown key, wrong region', async () => {
    await assert.rejects(s3(emu, { secret: 'wrong' }).send(new ListObjectsV2Command({ Bucket: BUCKET })), {
      name: 'SignatureDoesNotMatch',
    });
    await assert.rejects(
      s3(emu, { secret: 'wrong' }).send(new PutObjectCommand({ Bucket: BUCKET, Key: 'nope', Body: 'x' })),
      { name: 'SignatureDoesNotMatch' },
    );
    assert.equal(emu.buckets.get(BUCKET)!.get('nope'), undefined);
    await assert.rejects(
      s3(emu, { credentials: { accessKeyId: 'AKnobody', secretAccessKey: SK } }).send(
        new ListObjectsV2Command({ Bucket: BUCKET }),
      ),
      { name: 'InvalidAccessKeyId' },
    );
    // Swap the body after signing: the signature holds, the declared payload hash does not.
    const tampered = s3(emu);
    tampered.middlewareStack.addRelativeTo(
      (next: FinalizeHandler<object, MetadataBearer>) => async (args: FinalizeHandlerArguments<object>) => {
        (args.request as { body: unknown }).body = 'HELLO S3';
        return next(args);
      },
      { relation: 'after', toMiddleware: 'httpSigningMiddleware', name: 'tamper' },
    );
    await assert.rejects(
      tampered.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'tampered', Body: 'hello s3' })),
      {
        name: 'InvalidDigest',
      },
    );
    assert.equal(emu.buckets.get(BUCKET)!.get('tampered'), undefined);
    await assert.rejects(
      s3(emu, { region: 'cn-shanghai' }).send(new ListObjectsV2Command({ Bucket: BUCKET })),
      { name: 'AccessDenied' },
    );
    await assert.rejects(s3(emu).send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' })), {
      name: 'NoSuchBucket',
    });
  });
});
