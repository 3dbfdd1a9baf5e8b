/**
 * The S3 adapter against an independent S3 server (s3rver, test/helpers/s3Server.ts), asserting
 * the ObjectStore port and what s3rver really does where it differs from AWS (docs/sources/s3.md):
 * it has no checksum mode, no HEAD ?partNumber, no multipart "-N" ETags, ignores If-Match, and its
 * ListObjectsV2 continuation tokens need DES (gone from Node 24's OpenSSL) — so the store runs
 * with provider "other" (ListObjects V1, as rclone's Other preset). The AWS wire behaviour s3rver
 * lacks is exercised in s3.wire.test.ts.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { text } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { S3Store } from '../../runner/adapters/s3/s3Store.ts';
import { MigrationError } from '../../runner/core/errors.ts';
import { compareKeys } from '../../runner/core/keys.ts';
import type { ListEntry } from '../../runner/core/types.ts';
import { S3_KEY, type S3Server, startS3Server } from '../helpers/s3Server.ts';

const BUCKET = 'conformance';
/** What s3rver stores (it refuses keys with "//" or a leading "/": its router 404s them). */
const AWKWARD = [
  'trail/',
  ' lead space',
  'sp ace+plus%25pct?q#h&a=b.txt',
  "we!rd'(x)*~.bin",
  'ü/中文/ключ',
  '😀',
  '\uff5e',
  // 1 KiB+ key in segments a file system accepts (s3rver stores keys as paths).
  `${'k'.repeat(200)}/${'é'.repeat(100)}/${'l'.repeat(200)}/${'m'.repeat(200)}/${'n'.repeat(200)}/${'o'.repeat(100)}`,
];

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
const keyOf = (e: ListEntry) => (e.kind === 'object' ? e.info.key : e.prefix);

async function failure(p: Promise<unknown>): Promise<MigrationError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MigrationError, `expected a MigrationError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a failure');
}

describe('S3 adapter against s3rver (an independent S3 server)', () => {
  let srv: S3Server;
  let s: S3Store;
  const put = (Key: string, Body: string | Buffer, extra: Record<string, unknown> = {}) =>
    srv.client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body, ...extra }));
  before(async () => {
    srv = await startS3Server();
    await srv.createBucket(BUCKET);
    s = new S3Store({ bucket: BUCKET, provider: 'other', endpoint: srv.endpoint, credentials: S3_KEY });
    for (const k of AWKWARD) await put(`awk/${k}`, `body of ${k}`);
    for (let i = 0; i < 1005; i++) await put(`many/${String(i).padStart(4, '0')}`, `#${i}`);
    for (const k of ['tree/a.txt', 'tree/a/1', 'tree/a/2', 'tree/b/1', 'tree/c.txt']) await put(k, k);
    await put('meta/object.txt', 'hello metadata', {
      ContentType: 'text/plain',
      CacheControl: 'max-age=60',
      ContentDisposition: 'attachment; filename="o.txt"',
      Metadata: { Owner: 'alice', 'x-y': 'z' },
    });
    await put('empty', '');
  });
  after(() => srv.close());

  it('lists in UTF-8 byte order, every key once, across pages (ListObjects V1 markers)', async () => {
    const keys = (await all(s.list({ prefix: 'many/' }))).map(keyOf);
    assert.equal(keys.length, 1005);
    assert.equal(new Set(keys).size, 1005);
    assert.deepEqual(keys, [...keys].sort(compareKeys));
    const awk = (await all(s.list({ prefix: 'awk/' }))).map(keyOf);
    assert.deepEqual(awk, AWKWARD.map((k) => `awk/${k}`).sort(compareKeys));
    assert.ok(awk.indexOf('awk/😀') > awk.indexOf('awk/\uff5e'), 'astral after U+FF5E in UTF-8 order');
    assert.ok(
      awk.some((k) => Buffer.byteLength(k) > 1024),
      'a key over 1 KiB survives the listing',
    );
  });

  it('lists with a delimiter (common prefixes in order) and resumes after a key', async () => {
    const shallow = (await all(s.list({ prefix: 'tree/', delimiter: '/' }))).map(
      (e) => `${e.kind}:${keyOf(e)}`,
    );
    assert.deepEqual(shallow, ['object:tree/a.txt', 'prefix:tree/a/', 'prefix:tree/b/', 'object:tree/c.txt']);
    // s3rver drops a common prefix whose keys are all two or more levels deeper (AWS lists it).
    await put('deep/x/y/z', 'z');
    assert.deepEqual((await all(s.list({ prefix: 'deep/', delimiter: '/' }))).map(keyOf), []);
    assert.deepEqual((await all(s.list({ prefix: 'deep/' }))).map(keyOf), ['deep/x/y/z']);
    const rest = (await all(s.list({ prefix: 'many/', startAfter: 'many/1000' }))).map(keyOf);
    assert.deepEqual(rest, ['many/1001', 'many/1002', 'many/1003', 'many/1004']);
    const [e] = await all(s.list({ prefix: 'meta/' }));
    assert.ok(e?.kind === 'object');
    assert.equal(e.info.size, 14);
    assert.equal(e.info.etag, createHash('md5').update('hello metadata').digest('hex'));
    assert.equal(e.info.storageClass, 'STANDARD');
  });

  it('heads with size, MD5 ETag, Content-* and user metadata (lower-case names); a missing key is undefined', async () => {
    const h = await s.head('meta/object.txt');
    assert.ok(h);
    assert.equal(h.size, 14);
    assert.equal(h.etag, createHash('md5').update('hello metadata').digest('hex'));
    assert.equal(h.contentType, 'text/plain');
    assert.equal(h.cacheControl, 'max-age=60');
    assert.equal(h.contentDisposition, 'attachment; filename="o.txt"');
    assert.deepEqual(h.meta, { owner: 'alice', 'x-y': 'z' });
    assert.equal(h.crc64, undefined, 'S3 reports no CRC-64/ECMA');
    assert.equal(h.checksums, undefined, 's3rver has no checksum mode');
    assert.equal(await s.head('meta/does-not-exist'), undefined);
    const empty = await s.head('empty');
    assert.equal(empty?.size, 0);
    assert.equal(empty?.etag, createHash('md5').digest('hex'));
  });

  it('a multipart upload on s3rver: its ETag is a plain MD5 (no "-N"), so head() reports no part layout', async () => {
    const Key = 'mp/obj.bin';
    const a = Buffer.alloc(5 * 1024 * 1024, 1);
    const b = Buffer.alloc(1000, 2);
    const up = await srv.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key }));
    const parts = [];
    for (const [i, Body] of [a, b].entries()) {
      const r = await srv.client.send(
        new UploadPartCommand({ Bucket: BUCKET, Key, UploadId: up.UploadId, PartNumber: i + 1, Body }),
      );
      parts.push({ PartNumber: i + 1, ETag: r.ETag });
    }
    await srv.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key,
        UploadId: up.UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
    const h = await s.head(Key);
    assert.equal(h?.size, a.length + b.length);
    assert.doesNotMatch(h?.etag ?? '', /-\d+$/);
    assert.equal(h?.parts, undefined);
  });

  it('reads whole objects and ranges as streams; the head describes the whole object', async () => {
    const whole = await s.read('awk/ü/中文/ключ');
    assert.equal(await text(whole.body), 'body of ü/中文/ключ');
    const r = await s.read('meta/object.txt', { range: { start: 6, end: 14 } });
    assert.equal(await text(r.body), 'metadata');
    assert.equal(r.head.size, 14);
    assert.deepEqual(r.head.meta, { owner: 'alice', 'x-y': 'z' });
    const odd = await s.read('awk/sp ace+plus%25pct?q#h&a=b.txt');
    assert.equal(await text(odd.body), 'body of sp ace+plus%25pct?q#h&a=b.txt');
  });

  it('classifies a missing object as SOURCE_GONE; s3rver ignores If-Match (AWS answers 412: s3.wire.test.ts)', async () => {
    const gone = await failure(s.read('meta/nope'));
    assert.equal(gone.failureClass, 'SOURCE_GONE');
    const ok = await s.read('meta/object.txt', { ifMatch: 'ffffffffffffffffffffffffffffffff' });
    assert.equal(await text(ok.body), 'hello metadata', 's3rver served the object despite If-Match');
  });

  it('probes the bucket: reachable, the configured region, the server clock', async () => {
    const p = await s.probe();
    assert.equal(p.reachable, true);
    assert.equal(p.region, 'us-east-1');
    assert.ok(p.clockSkewMs !== undefined && Math.abs(p.clockSkewMs) < 10 * 60_000);
  });

  it('classifies an unknown key, a missing bucket and an unreachable endpoint, each naming the fix', async () => {
    // s3rver checks the key id but not SigV4 signatures ("unimplemented"): a wrong secret passes
    // there; SignatureDoesNotMatch is exercised against AWS's wire answer in s3.wire.test.ts.
    const unknown = new S3Store({
      bucket: BUCKET,
      provider: 'other',
      endpoint: srv.endpoint,
      credentials: { accessKeyId: 'NOSUCHKEY', secretAccessKey: 'wrong-secret-value' },
      credentialsOrigin: 'AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY',
    });
    const e = await failure(unknown.probe());
    assert.equal(e.failureClass, 'ACCESS_DENIED');
    assert.equal(e.code, 'InvalidAccessKeyId');
    assert.match(e.message, /credentials from AWS_ACCESS_KEY_ID\/AWS_SECRET_ACCESS_KEY/);
    assert.match(e.message, /check AWS_ACCESS_KEY_ID \/ AWS_SECRET_ACCESS_KEY/);
    assert.doesNotMatch(e.message, /wrong-secret-value/, 'the secret is never printed');
    assert.equal((await failure(unknown.head('meta/object.txt'))).failureClass, 'ACCESS_DENIED');
    const lax = new S3Store({
      bucket: BUCKET,
      provider: 'other',
      endpoint: srv.endpoint,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'wrong' },
    });
    assert.equal((await lax.probe()).reachable, true, 's3rver does not verify SigV4 signatures');
    const nob = new S3Store({
      bucket: 'no-such-bucket',
      provider: 'other',
      endpoint: srv.endpoint,
      credentials: S3_KEY,
    });
    const nb = await failure(nob.probe());
    assert.equal(nb.code, 'NoSuchBucket');
    assert.match(nb.message, /bucket no-such-bucket does not exist at http:\/\/127\.0\.0\.1:\d+/);
    const down = new S3Store({
      bucket: BUCKET,
      provider: 'other',
      endpoint: 'http://127.0.0.1:1',
      credentials: S3_KEY,
    });
    const d = await failure(down.probe());
    assert.equal(d.failureClass, 'NETWORK');
    assert.match(d.message, /cannot reach http:\/\/127\.0\.0\.1:1/);
  });
});
