/**
 * The lean OSS request builder must produce what ali-oss's own createRequest produces — URL,
 * every header, the signature — or the service (and the sandbox) rejects the request. Compared at
 * a frozen clock, for V1, V4, STS, addresses and hostnames, keys that need escaping, and the
 * bucket-level requests (listing pages, bucketInfo). The builder is made from the options alone;
 * ali-oss's client from the same options through createOssClient, as OssStore made it.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { createOssClient, type OssClientOptions } from '../../runner/adapters/oss/client.ts';
import { OssRequestBuilder } from '../../runner/adapters/oss/ossRequest.ts';

const { createRequest } = createRequire(import.meta.url)('ali-oss/lib/common/utils/createRequest.js') as {
  createRequest(
    this: unknown,
    params: Record<string, unknown>,
  ): { url: string; params: { headers: Record<string, string> } };
};

type Case = {
  method: 'GET' | 'HEAD' | 'PUT';
  key: string;
  headers?: Record<string, string>;
  subres?: Record<string, string>;
  mime?: string;
};

const cases: Case[] = [
  { method: 'GET', key: 'photos/2026/cat.jpg', headers: { Range: 'bytes=0-99', 'If-Match': '"ABC"' } },
  { method: 'HEAD', key: 'no-extension' },
  { method: 'PUT', key: "dir/sub/文件 name+(1)!*~'.txt", headers: { 'Content-Length': '12' } },
  {
    method: 'PUT',
    key: 'a%20b/c?d#e&f=g.bin',
    headers: {
      'Content-Length': '4096',
      'Content-MD5': 'rL0Y20zC+Fzt72VPzMSk2A==',
      'x-oss-meta-owner': 'ops',
      'x-oss-storage-class': 'IA',
      'Cache-Control': 'no-cache',
    },
    mime: 'application/x-custom',
  },
  {
    method: 'PUT',
    key: 'ends-with-type.json',
    headers: { 'Content-Length': '2', 'content-type': 'text/plain' },
  },
  { method: 'PUT', key: '😀/emoji.png', mime: 'png', headers: { 'Content-Length': '1' } },
  {
    method: 'PUT',
    key: 'big/object.iso',
    headers: { 'Content-Length': '104857600' },
    subres: { partNumber: '3', uploadId: '0004B9894A22E5B1888A1E29F823****' },
  },
];

/** ali-oss's listV2 / getBucketInfo requests: [query, sub-resources] as they pass them. */
const bucketCases: Array<{ query?: Record<string, string>; subres?: Record<string, string> }> = [
  { query: { 'list-type': '2', 'max-keys': '1000', 'encoding-type': 'url' } },
  {
    query: {
      'list-type': '2',
      'max-keys': '1000',
      'encoding-type': 'url',
      prefix: 'photos/2026 (a)!/',
      delimiter: '/',
      'start-after': 'photos/2026 (a)!/猫*.jpg',
    },
  },
  {
    query: { 'list-type': '2', 'max-keys': '1000', 'encoding-type': 'url', prefix: 'p/' },
    subres: { 'continuation-token': 'Cg1wLzAwMDAwMTIzNC5iaW4QAA--' },
  },
  { subres: { bucketInfo: '' } },
];

type Setup = Omit<OssClientOptions, 'accessKeyId' | 'accessKeySecret' | 'bucket' | 'region'>;
const setups: Array<[string, Setup]> = [
  ['V1, hostname endpoint', { endpoint: 'https://oss-cn-hangzhou.aliyuncs.com' }],
  ['V1, address endpoint (sandbox)', { endpoint: 'http://127.0.0.1:18080' }],
  ['V1, endpoint without protocol', { endpoint: 'oss-cn-shanghai.aliyuncs.com' }],
  ['V1, STS token, by region', { securityToken: 'CAIS-token/with+chars==' }],
  ['V4, by region', { signatureV4: true }],
  [
    'V4, STS token, address endpoint',
    { signatureV4: true, securityToken: 'tok', endpoint: 'http://10.0.0.7:9000' },
  ],
  ['V1, internal endpoint by region', { internal: true }],
];

type AliInternals = {
  userAgent: string;
  _objectRequestParams(m: string, k: string, o: object): Record<string, unknown>;
  _bucketRequestParams(m: string, b: string, subres: unknown, o: object): Record<string, unknown>;
};

describe('OSS request builder = ali-oss createRequest', () => {
  for (const [name, extra] of setups) {
    it(`${name}: same URL, headers and signature`, (t) => {
      t.mock.timers.enable({ apis: ['Date'], now: Date.UTC(2026, 10, 22, 8, 33, 10, 123) });
      const base = {
        accessKeyId: 'LTAI5tExampleKeyId',
        accessKeySecret: 'ExampleSecretNeverShown',
        bucket: 'dest-bucket',
        region: 'cn-hangzhou',
        ...extra,
      };
      // As OssStore makes both: HTTPS to the region's endpoint when there is no override.
      const client = createOssClient(base);
      const internal = client as unknown as AliInternals;
      const builder = new OssRequestBuilder({
        ...base,
        ...(base.endpoint ? {} : { secure: true }),
        userAgent: internal.userAgent,
      });
      for (const c of cases) {
        const params = internal._objectRequestParams(c.method, c.key, {
          ...(c.headers ? { headers: c.headers } : {}),
          ...(c.subres ? { subres: c.subres } : {}),
        });
        params.mime = c.mime;
        const want = createRequest.call(client, params);
        const got = builder.build(c.method, c.key, {
          ...(c.headers ? { headers: { ...c.headers } } : {}),
          ...(c.subres ? { subres: c.subres } : {}),
          ...(c.mime ? { mime: c.mime } : {}),
        });
        assert.equal(got.origin + got.path, want.url, `${c.method} ${c.key}: URL`);
        assert.deepEqual(got.headers, want.params.headers, `${c.method} ${c.key}: headers`);
      }
      for (const c of bucketCases) {
        const params = c.query
          ? internal._objectRequestParams('GET', '', c.subres ? { subres: c.subres } : {})
          : internal._bucketRequestParams('GET', base.bucket, 'bucketInfo', {});
        if (c.query) params.query = c.query;
        const want = createRequest.call(client, params);
        const got = builder.build('GET', '', {
          ...(c.query ? { query: c.query } : {}),
          ...(c.subres ? { subres: c.subres } : {}),
        });
        const what = JSON.stringify(c);
        assert.equal(got.origin + got.path, want.url, `${what}: URL`);
        assert.deepEqual(got.headers, want.params.headers, `${what}: headers`);
      }
    });
  }

  it('derives the V4 signing key once a day, not per request, and anew the next day', (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.UTC(2026, 0, 1, 23, 59, 59) });
    const base = { accessKeyId: 'id', accessKeySecret: 'secret', bucket: 'bkt', region: 'cn-hangzhou' };
    const client = createOssClient({ ...base, signatureV4: true });
    const internal = client as unknown as AliInternals;
    const builder = new OssRequestBuilder({
      ...base,
      secure: true,
      signatureV4: true,
      userAgent: internal.userAgent,
    });
    for (let i = 0; i < 2; i++) {
      const want = createRequest.call(client, internal._objectRequestParams('GET', 'k', {}));
      assert.deepEqual(builder.build('GET', 'k').headers, want.params.headers, `day ${i + 1}`);
      t.mock.timers.tick(2000);
    }
  });
});
