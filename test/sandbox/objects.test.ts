import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compareKeys } from '../../runner/core/keys.ts';
import { DiskBlobStore, MemoryBlobStore } from './common/blobs.ts';
import { Bucket } from './common/objects.ts';

async function putText(b: Bucket, key: string, body: string) {
  const blob = await b.blobs.put([Buffer.from(body)][Symbol.iterator]() as never);
  return b.put({
    key,
    size: blob.size,
    etag: blob.md5.toString('hex'),
    crc64: blob.crc64,
    lastModified: new Date(),
    contentType: 'text/plain',
    headers: {},
    meta: {},
    storageClass: 'Standard',
    objectType: 'Normal',
    segments: [{ blob, offset: 0, length: blob.size }],
  });
}

async function* chunks(...parts: string[]) {
  for (const p of parts) yield Buffer.from(p);
}

describe('Bucket.list', () => {
  it('pages through exactly the keys and common prefixes a naive listing gives', async () => {
    const alphabet = fc.constantFrom('a', 'b', '/', 'é', '😀', '\uff5e', ' ');
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(
          fc.array(alphabet, { minLength: 1, maxLength: 6 }).map((a) => a.join('')),
          { maxLength: 40 },
        ),
        fc.array(alphabet, { maxLength: 2 }).map((a) => a.join('')),
        fc.constantFrom(undefined, '/', 'b'),
        fc.integer({ min: 1, max: 7 }),
        async (keys, prefix, delimiter, maxKeys) => {
          const b = new Bucket('t', 'r', new MemoryBlobStore());
          for (const k of keys) await putText(b, k, k);
          const expected = [
            ...new Set(
              keys
                .filter((k) => k.startsWith(prefix))
                .map((k) => {
                  const at = delimiter ? k.indexOf(delimiter, prefix.length) : -1;
                  return at >= 0 ? `CP:${k.slice(0, at + delimiter!.length)}` : `K:${k}`;
                }),
            ),
          ].sort((x, y) => compareKeys(x.slice(x.indexOf(':') + 1), y.slice(y.indexOf(':') + 1)));
          const got: string[] = [];
          let after: string | undefined;
          for (let page = 0; page < 100; page++) {
            const r = b.list({ prefix, delimiter, after, maxKeys });
            assert.ok(r.contents.length + r.commonPrefixes.length <= maxKeys);
            const entries = [
              ...r.contents.map((o) => `K:${o.key}`),
              ...r.commonPrefixes.map((p) => `CP:${p}`),
            ];
            got.push(...entries);
            if (!r.truncated) break;
            after = r.nextMarker;
          }
          got.sort((x, y) => compareKeys(x.slice(x.indexOf(':') + 1), y.slice(y.indexOf(':') + 1)));
          assert.deepEqual(got, expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('blob stores', () => {
  it('keep an overwritten body readable for a GET already streaming it', async () => {
    const b = new Bucket('t', 'r', new MemoryBlobStore());
    const first = await putText(b, 'k', 'old-bytes');
    const reading = b.read(first);
    await putText(b, 'k', 'new-bytes');
    assert.equal(await text(reading), 'old-bytes');
    assert.equal(await text(b.read(b.get('k')!)), 'new-bytes');
  });

  it('stream to and from disk, enforce Content-Length, and leave nothing behind on a short body', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'blobs-'));
    try {
      const store = new DiskBlobStore(dir);
      const blob = await store.put(chunks('hello ', 'world'), { expectedLength: 11 });
      assert.equal(blob.size, 11);
      assert.equal(blob.crc64, '5981764153023615706');
      assert.equal(await text(store.read(blob, 6, 11)), 'world');
      await assert.rejects(store.put(chunks('short'), { expectedLength: 10 }), /ended after 5 of 10/);
      assert.equal((await readdir(join(dir, 'blobs'))).length, 1);
      store.release(blob);
      await new Promise((r) => setTimeout(r, 20));
      assert.equal((await readdir(join(dir, 'blobs'))).length, 0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
