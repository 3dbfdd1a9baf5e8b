/**
 * The lean OSS request builder must produce what ali-oss's own createRequest produces — URL,
 * every header, the signature — or the service (and the sandbox) rejects the request. Compared at
 * a frozen clock, for V1, V4, STS, addresses and hostnames, and keys that need escaping.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import OSS from 'ali-oss';
import aliOss from '../../runner/adapters/oss/aliOssRequest.cjs';
import { type AliOssClient, OssRequestBuilder } from '../../runner/adapters/oss/ossRequest.ts';

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

const setups: Array<[string, Record<string, unknown>]> = [
  ['V1, hostname endpoint', { endpoint: 'https://oss-cn-hangzhou.aliyuncs.com' }],
  ['V1, address endpoint (sandbox)', { endpoint: 'http://127.0.0.1:18080' }],
  ['V1, STS token', { stsToken: 'CAIS-token/with+chars==' }],
  ['V4', { authorizationV4: true }],
  [
    'V4, STS token, address endpoint',
    { authorizationV4: true, stsToken: 'tok', endpoint: 'http://10.0.0.7:9000' },
  ],
  ['V1, internal endpoint by region', { internal: true, secure: true }],
];

describe('OSS request builder = ali-oss createRequest', () => {
  for (const [name, extra] of setups) {
    it(`${name}: same URL, headers and signature`, (t) => {
      t.mock.timers.enable({ apis: ['Date'], now: Date.UTC(2026, 10, 22, 8, 33, 10, 123) });
      const client = new OSS({
        accessKeyId: 'LTAI5tExampleKeyId',
        accessKeySecret: 'ExampleSecretNeverShown',
        bucket: 'dest-bucket',
        region: 'oss-cn-hangzhou',
        ...extra,
      } as unknown as OSS.Options);
      const builder = new OssRequestBuilder(client as unknown as AliOssClient);
      const internal = client as unknown as {
        _objectRequestParams(m: string, k: string, o: object): Record<string, unknown>;
      };
      for (const c of cases) {
        const params = internal._objectRequestParams(c.method, c.key, {
          ...(c.headers ? { headers: c.headers } : {}),
          ...(c.subres ? { subres: c.subres } : {}),
        });
        params.mime = c.mime;
        const want = aliOss.createRequest.call(client, params);
        const got = builder.build(c.method, c.key, {
          ...(c.headers ? { headers: { ...c.headers } } : {}),
          ...(c.subres ? { subres: c.subres } : {}),
          ...(c.mime ? { mime: c.mime } : {}),
        });
        assert.equal(got.origin + got.path, want.url, `${c.method} ${c.key}: URL`);
        assert.deepEqual(got.headers, want.params.headers, `${c.method} ${c.key}: headers`);
      }
    });
  }

  it('follows a corrected clock (amendTimeSkewed) like ali-oss does', (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: Date.UTC(2026, 0, 1) });
    const client = new OSS({
      accessKeyId: 'id',
      accessKeySecret: 'secret',
      bucket: 'bkt',
      region: 'oss-cn-hangzhou',
    } as unknown as OSS.Options);
    (client as unknown as AliOssClient).options.amendTimeSkewed = 90_000;
    const got = new OssRequestBuilder(client as unknown as AliOssClient).build('GET', 'k');
    assert.equal(got.headers['x-oss-date'], 'Thu, 01 Jan 2026 00:01:30 GMT');
  });

  it('refuses endpoint styles it does not build (cname)', () => {
    const client = new OSS({
      accessKeyId: 'id',
      accessKeySecret: 'secret',
      bucket: 'bkt',
      endpoint: 'https://files.example.com',
      cname: true,
    } as unknown as OSS.Options);
    assert.throws(() => new OssRequestBuilder(client as unknown as AliOssClient), /cname/);
  });
});
