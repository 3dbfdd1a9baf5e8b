/**
 * The lean COS signer must sign exactly as cos-nodejs-sdk-v5 does (the service recomputes it):
 * compared with the SDK's own getAuthorization at the same key time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import COS from 'cos-nodejs-sdk-v5';
import { CosSigner, type CosSignRequest } from '../../runner/adapters/cos/cosSign.ts';

const host = 'src-1250000000.cos.ap-guangzhou.myqcloud.com';
const cases: CosSignRequest[] = [
  {
    method: 'GET',
    key: 'photos/2026/cat.jpg',
    query: {},
    headers: { host, range: 'bytes=0-99', 'if-match': '"abc"' },
  },
  { method: 'HEAD', key: "dir/文件 name+(1)!*~'.txt", query: {}, headers: { host } },
  {
    method: 'GET',
    key: '',
    query: { 'encoding-type': 'url', 'max-keys': '1000', prefix: 'a b/é', marker: 'a/1' },
    headers: { host },
  },
  {
    method: 'GET',
    key: 'k',
    query: {},
    headers: { host, 'x-cos-traffic-limit': '819200', 'User-Agent': 'not signed' },
  },
  // A key that starts with "/" is requested as "//lead.txt" and signed as such.
  { method: 'GET', key: '/lead.txt', query: {}, headers: { host } },
];

describe('COS signer = SDK getAuthorization', () => {
  it('signs every case as the SDK does for the same key time', () => {
    const signer = new CosSigner('AKIDexample', 'secretNeverShown', () => Date.UTC(2026, 10, 22, 8, 0, 0));
    for (const c of cases) {
      const got = signer.authorization(c);
      const want = COS.getAuthorization({
        SecretId: 'AKIDexample',
        SecretKey: 'secretNeverShown',
        Method: c.method,
        Key: c.key,
        Query: c.query,
        Headers: c.headers,
        KeyTime: signer.currentKeyTime(),
        UseRawKey: true,
      } as never);
      assert.equal(got, want, `${c.method} /${c.key}`);
    }
  });

  it('keeps its key time for a minute, then renews it; each stays valid 15 minutes', () => {
    let now = Date.UTC(2026, 10, 22, 8, 0, 0);
    const signer = new CosSigner('id', 'secret', () => now);
    const first = signer.currentKeyTime();
    const [start, end] = first.split(';').map(Number);
    assert.equal(end! - start!, 900);
    now += 59_000;
    assert.equal(signer.currentKeyTime(), first);
    now += 2_000;
    const next = signer.currentKeyTime();
    assert.notEqual(next, first);
    assert.equal(Number(next.split(';')[0]), Math.round(now / 1000) - 1);
  });
});
