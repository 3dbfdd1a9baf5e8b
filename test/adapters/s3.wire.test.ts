/**
 * The S3 adapter against AWS's documented wire answers where the independent server (s3rver)
 * has none: checksum mode, HEAD ?partNumber=1, If-Match → 412, encoding-type=url listings (a
 * control character in a key), SignatureDoesNotMatch, the wrong-region redirect, RestoreObject,
 * throttling. A tiny HTTP server replays each answer as the S3 API reference shows it and records
 * what the adapter sent.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { S3Store } from '../../runner/adapters/s3/s3Store.ts';
import { MigrationError } from '../../runner/core/errors.ts';

type Handler = (req: IncomingMessage, url: URL, res: ServerResponse) => void;

const xmlError = (
  res: ServerResponse,
  status: number,
  code: string,
  headers: Record<string, string> = {},
) => {
  res.writeHead(status, { 'content-type': 'application/xml', ...headers });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code} message</Message><RequestId>REQ123</RequestId></Error>`,
  );
};

async function failure(p: Promise<unknown>): Promise<MigrationError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MigrationError, String(e));
    return e;
  }
  assert.fail('expected a failure');
}

describe('S3 adapter: AWS wire behaviour (checksum mode, part layout, conditions, encoded listings)', () => {
  let server: Server;
  let endpoint: string;
  let handler: Handler = () => {};
  const seen: { method: string; url: string; headers: IncomingMessage['headers'] }[] = [];
  const store = (o: Partial<ConstructorParameters<typeof S3Store>[0]> = {}) =>
    new S3Store({
      bucket: 'bkt',
      provider: 'minio',
      endpoint,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      ...o,
    });
  before(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      req.resume();
      req.on('end', () => handler(req, url, res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('head() asks for checksum mode and reports full-object checksums; a composite one is left out', async () => {
    let composite = false;
    handler = (_req, _url, res) => {
      res.writeHead(200, {
        'content-length': '5',
        etag: '"5d41402abc4b2a76b9719d911017c592"',
        'last-modified': 'Wed, 01 Jan 2025 00:00:00 GMT',
        'x-amz-checksum-sha256': composite
          ? 'LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564=-2'
          : 'LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564=',
        'x-amz-checksum-crc32': 'NhCmhg==',
        'x-amz-checksum-type': composite ? 'COMPOSITE' : 'FULL_OBJECT',
        'x-amz-storage-class': 'STANDARD_IA',
        'x-amz-meta-owner': 'alice',
        'content-type': 'text/plain',
      });
      res.end();
    };
    seen.length = 0;
    const h = await store().head('k');
    assert.equal(seen[0]?.headers['x-amz-checksum-mode'], 'ENABLED');
    assert.deepEqual(h?.checksums, {
      crc32: 'NhCmhg==',
      sha256: 'LCa0a2j/xo/5m0U8HTBBNBNCLXBkg7+g+YpeiGJm564=',
    });
    assert.equal(h?.storageClass, 'IA');
    assert.equal(h?.etag, '5d41402abc4b2a76b9719d911017c592');
    assert.equal(h?.parts, undefined, 'a single-part ETag needs no part layout');
    composite = true;
    assert.equal((await store().head('k'))?.checksums, undefined);
  });

  it('a multipart ETag: HEAD ?partNumber=1 (If-Match the ETag) gives the parts count and part 1 size', async () => {
    handler = (req, url, res) => {
      const part = url.searchParams.get('partNumber');
      res.writeHead(part ? 206 : 200, {
        'content-length': part ? '8388608' : '20971520',
        etag: '"0123456789abcdef0123456789abcdef-3"',
        'last-modified': 'Wed, 01 Jan 2025 00:00:00 GMT',
        ...(part ? { 'x-amz-mp-parts-count': '3', 'content-range': 'bytes 0-8388607/20971520' } : {}),
      });
      res.end();
      void req;
    };
    seen.length = 0;
    const h = await store().head('big');
    assert.equal(h?.size, 20971520);
    assert.equal(h?.etag, '0123456789abcdef0123456789abcdef-3');
    assert.deepEqual(h?.parts, { count: 3, size: 8388608 });
    assert.match(seen[1]?.url ?? '', /partNumber=1/);
    assert.equal(seen[1]?.headers['if-match'], '"0123456789abcdef0123456789abcdef-3"');
    // R2's multipart ETags are random (rclone): no part layout is claimed for them.
    seen.length = 0;
    const r2 = await store({ provider: 'r2' }).head('big');
    assert.equal(r2?.parts, undefined);
    assert.equal(seen.length, 1);
  });

  it('a whole-object GET sends checksum mode as a header (the SDK does not hash) and streams the body', async () => {
    handler = (_req, _url, res) => {
      res.writeHead(200, {
        'content-length': '5',
        etag: '"5d41402abc4b2a76b9719d911017c592"',
        'x-amz-checksum-crc32': 'NhCmhg==',
        'x-amz-checksum-type': 'FULL_OBJECT',
        'x-amz-meta-a': 'b',
      });
      res.end('hello');
    };
    seen.length = 0;
    const r = await store().read('k');
    assert.equal(await text(r.body), 'hello');
    assert.equal(seen[0]?.headers['x-amz-checksum-mode'], 'ENABLED');
    assert.deepEqual(r.head.checksums, { crc32: 'NhCmhg==' });
    assert.deepEqual(r.head.meta, { a: 'b' });
    // A wrong checksum is handed on, not validated by the SDK: the engine checks the bytes.
    handler = (_req, _url, res) => {
      res.writeHead(200, { 'content-length': '5', 'x-amz-checksum-crc32': 'AAAAAA==' });
      res.end('hello');
    };
    const bad = await store().read('k');
    assert.equal(await text(bad.body), 'hello');
    assert.deepEqual(bad.head.checksums, { crc32: 'AAAAAA==' });
  });

  it('If-Match on a ranged GET: 412 is SOURCE_CHANGED; NoSuchKey is SOURCE_GONE', async () => {
    handler = (req, _url, res) => {
      if (req.headers['if-match'] === '"abc"') return xmlError(res, 412, 'PreconditionFailed');
      xmlError(res, 404, 'NoSuchKey');
    };
    seen.length = 0;
    const changed = await failure(store().read('k', { range: { start: 0, end: 10 }, ifMatch: 'abc' }));
    assert.equal(changed.failureClass, 'SOURCE_CHANGED');
    assert.equal(seen[0]?.headers.range, 'bytes=0-9');
    assert.equal(seen[0]?.headers['x-amz-checksum-mode'], undefined, 'no checksum of a range');
    assert.equal((await failure(store().read('gone'))).failureClass, 'SOURCE_GONE');
  });

  it('lists with encoding-type=url and decodes keys (a control character, spaces as "+")', async () => {
    handler = (_req, url, res) => {
      assert.equal(url.searchParams.get('encoding-type'), 'url');
      assert.equal(url.searchParams.get('list-type'), '2');
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>bkt</Name><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>` +
          `<Contents><Key>a%01b</Key><Size>1</Size><LastModified>2025-01-01T00:00:00.000Z</LastModified><ETag>"x"</ETag><StorageClass>GLACIER</StorageClass></Contents>` +
          `<Contents><Key>sp+ace%2Bplus/%E4%B8%AD</Key><Size>2</Size><LastModified>2025-01-01T00:00:00.000Z</LastModified><ETag>"y"</ETag><StorageClass>DEEP_ARCHIVE</StorageClass></Contents>` +
          `<CommonPrefixes><Prefix>dir%20x/</Prefix></CommonPrefixes></ListBucketResult>`,
      );
    };
    const out = [];
    for await (const e of store().list({ prefix: '', delimiter: '/' }))
      out.push(e.kind === 'object' ? `${e.info.key}|${e.info.storageClass}` : `P:${e.prefix}`);
    assert.deepEqual(out, ['a\u0001b|ARCHIVE', 'P:dir x/', 'sp ace+plus/中|DEEP_COLD_ARCHIVE']);
  });

  it('classifies SignatureDoesNotMatch (naming the env vars), a wrong region and throttling', async () => {
    handler = (_req, _url, res) => xmlError(res, 403, 'SignatureDoesNotMatch');
    const sig = await failure(store({ credentialsOrigin: '/home/u/.aws/credentials [default]' }).probe());
    assert.equal(sig.failureClass, 'ACCESS_DENIED');
    assert.equal(sig.code, 'SignatureDoesNotMatch');
    assert.match(
      sig.message,
      /credentials from \/home\/u\/\.aws\/credentials \[default\]\); check AWS_ACCESS_KEY_ID/,
    );
    handler = (_req, _url, res) =>
      xmlError(res, 301, 'PermanentRedirect', { 'x-amz-bucket-region': 'eu-west-1' });
    const region = await failure(store({ region: 'us-east-1' }).probe());
    assert.equal(region.code, 'WrongRegion:eu-west-1');
    handler = (_req, _url, res) => xmlError(res, 503, 'SlowDown', { 'retry-after': '3' });
    const slow = await failure(store().head('k'));
    assert.equal(slow.failureClass, 'THROTTLED');
    assert.equal(slow.transient, true);
  });

  it('restores archived objects (RestoreObject) and reads the x-amz-restore state', async () => {
    let state = 202;
    handler = (req, url, res) => {
      if (req.method === 'POST' && url.searchParams.has('restore')) {
        if (state === 409) return xmlError(res, 409, 'RestoreAlreadyInProgress');
        res.writeHead(state);
        return res.end();
      }
      if (req.method === 'GET') return xmlError(res, 403, 'InvalidObjectState');
      res.writeHead(200, {
        'content-length': '3',
        'x-amz-storage-class': 'GLACIER',
        'x-amz-restore': 'ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"',
      });
      res.end();
    };
    const s = store();
    assert.equal((await failure(s.read('cold'))).failureClass, 'ARCHIVED');
    assert.equal(await s.restore('cold', { days: 1, tier: 'Bulk' }), 'started');
    state = 200;
    assert.equal(await s.restore('cold', { days: 1, tier: 'Bulk' }), 'restored');
    state = 409;
    assert.equal(await s.restore('cold', { days: 1, tier: 'Bulk' }), 'in-progress');
    const h = await s.head('cold');
    assert.equal(h?.storageClass, 'ARCHIVE');
    assert.deepEqual(h?.restore, { ongoing: false, expiresAt: new Date('2012-12-21T00:00:00Z') });
  });
});
