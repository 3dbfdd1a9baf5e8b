/** Content evidence, pure: what a source object offers, and the hashes that check it (#13). */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  alignedPartSize,
  combineParts,
  EvidenceHasher,
  newDigest,
  PartDigester,
  planEvidence,
} from '../../runner/core/evidence.ts';
import type { ObjectInfo } from '../../runner/core/types.ts';

const md5 = (b: Buffer) => createHash('md5').update(b).digest();
const info = (o: Partial<ObjectInfo>): ObjectInfo => ({
  key: 'k',
  size: 10,
  lastModified: new Date(0),
  ...o,
});

describe('evidence: what proves a copy', () => {
  it('picks CRC-64 first, then an MD5 ETag, Content-MD5, a multipart ETag with its layout, then checksums', () => {
    const hex = 'a'.repeat(32);
    assert.equal(planEvidence(info({ crc64: '1', etag: hex }), { md5Etags: true }).method, 'crc64');
    assert.equal(planEvidence(info({ etag: hex }), { md5Etags: true }).method, 'md5');
    // Opaque ETags (Azure, URL lists) are never taken for MD5s, whatever they look like.
    assert.equal(planEvidence(info({ etag: hex }), { md5Etags: false }).method, 'size');
    assert.equal(
      planEvidence(info({ etag: '0x8D', checksums: { md5: 'AAAA' } }), { md5Etags: false }).method,
      'content-md5',
    );
    const mp = info({ size: 25, etag: `${hex}-3`, parts: { count: 3, size: 10 } });
    assert.equal(planEvidence(mp, { md5Etags: true }).method, 'multipart-etag');
    // Without the layout, or with one that does not add up, a multipart ETag proves nothing.
    assert.equal(planEvidence(info({ etag: `${hex}-3` }), { md5Etags: true }).method, 'size');
    assert.equal(
      planEvidence(info({ size: 25, etag: `${hex}-3`, parts: { count: 3, size: 5 } }), { md5Etags: true })
        .method,
      'size',
    );
    const sums = info({ etag: `${hex}-3`, checksums: { crc32: 'AAAAAA==', sha256: 'x', sha1: 'y' } });
    assert.equal(planEvidence(sums, { md5Etags: true }).method, 'sha256');
    // A composite checksum needs the layout too; the full-object CRC32 is used instead.
    const composite = info({ etag: 'e', checksums: { sha256: 'abc=-3', crc32: 'AAAAAA==' } });
    assert.equal(planEvidence(composite, { md5Etags: false }).method, 'crc32');
  });

  it('hashes CRC32 and CRC32C as S3 encodes them (big-endian, base64)', () => {
    const check = Buffer.from('123456789');
    const c32 = newDigest('crc32');
    c32.update(check);
    assert.equal(c32.digest().toString('hex'), 'cbf43926');
    const c32c = newDigest('crc32c');
    c32c.update(check.subarray(0, 4));
    const fork = c32c.copy();
    c32c.update(check.subarray(4));
    fork.update(check.subarray(4));
    assert.equal(c32c.digest().toString('hex'), 'e3069283');
    assert.equal(fork.digest().toString('hex'), 'e3069283');
  });

  it('recomputes a multipart ETag from per-part MD5s, whatever the chunking', () => {
    const body = Buffer.alloc(25, 7);
    body[12] = 1;
    const expected = `${createHash('md5')
      .update(Buffer.concat([md5(body.subarray(0, 10)), md5(body.subarray(10, 20)), md5(body.subarray(20))]))
      .digest('hex')}-3`;
    const h = new EvidenceHasher({
      method: 'multipart-etag',
      algo: 'md5',
      expected,
      encoding: 'hex',
      parts: { count: 3, size: 10 },
    });
    // Chunks that straddle part boundaries.
    for (const [a, b] of [
      [0, 3],
      [3, 12],
      [12, 13],
      [13, 25],
    ] as const)
      h.update(body.subarray(a, b));
    assert.equal(h.value(), expected);

    // A copy part that starts on a source part boundary yields exactly its source parts' digests.
    const d = new PartDigester('md5', 10, 10);
    d.update(body.subarray(10));
    assert.equal(combineParts('md5', [md5(body.subarray(0, 10)), ...d.finish()], 'hex'), expected);
  });

  it('aligns the copy part size on whole source parts within the destination limits', () => {
    const limits = { minPartSize: 100, maxPartSize: 10_000, maxParts: 10 };
    assert.equal(alignedPartSize(800, 5000, 300, limits), 900);
    // Too many parts at 1 × 300: grows until ≤ maxParts.
    assert.equal(alignedPartSize(300, 9000, 300, limits), 900);
    assert.equal(alignedPartSize(300, 9000, 300, { ...limits, maxPartSize: 600 }), undefined);
  });
});
