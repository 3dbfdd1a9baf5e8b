/**
 * One conformance suite every ObjectStore adapter passes (rclone's fstests idea): COS and OSS
 * through their real SDKs against the sandbox, the local directory, and the in-memory store.
 * Capability gaps are declared by the adapter's `features`, never skipped silently.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { crc64 } from '../../runner/core/crc64.ts';
import { MigrationError } from '../../runner/core/errors.ts';
import { compareKeys } from '../../runner/core/keys.ts';
import type { ListEntry, ObjectHead, StorageClass } from '../../runner/core/types.ts';
import type { ObjectStore } from '../../runner/ports/objectStore.ts';

export type SeedOpts = {
  lastModified?: Date;
  contentType?: string;
  meta?: Record<string, string>;
  cacheControl?: string;
  storageClass?: StorageClass;
};

export type Fixture = {
  store: ObjectStore;
  /** Put an object behind the adapter's back (emulator seeding, fs, …). */
  seed(key: string, body: Buffer | string, o?: SeedOpts): Promise<void>;
  /** Make the next request of `op` fail with the vendor's throttling response (if the fixture can). */
  throttleNext?(op: 'read' | 'list' | 'head'): void;
  /** A store like `store` but with a wrong secret (if the fixture has credentials). */
  withBadSecret?(): ObjectStore;
  /** Finish an archive restore instantly (if the fixture models archives). */
  region?: string;
  /** ETags that are version stamps, not MD5s (Azure "0x8D…"): content evidence is checksums.md5. */
  etag?: 'md5' | 'opaque';
  /** How the store spells a user-metadata name (Azure refuses "-" in them: "x-y" is "x_y"). */
  metaName?: (name: string) => string;
  /** Seeding cannot backdate Last-Modified (Azurite): the listing shows the upload time. */
  backdates?: false;
  close(): Promise<void>;
};

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
const keyOf = (e: ListEntry) => (e.kind === 'object' ? e.info.key : e.prefix);

async function expectClass(
  p: Promise<unknown>,
  cls: MigrationError['failureClass'],
): Promise<MigrationError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MigrationError, `expected a MigrationError, got ${String(e)}`);
    assert.equal(e.failureClass, cls, e.message);
    return e;
  }
  assert.fail(`expected ${cls}`);
}

export const AWKWARD = [
  'a//b',
  'trail/',
  ' lead space',
  'sp ace+plus%25pct?q#h&a=b.txt',
  "we!rd'(x)*~.bin",
  'ü/中文/ключ',
  '😀',
  '\uff5e',
];

export function defineObjectStoreSuite(name: string, make: () => Promise<Fixture>): void {
  describe(`ObjectStore conformance: ${name}`, () => {
    let f: Fixture;
    let s: ObjectStore;
    const old = new Date(Date.now() - 3600_000);
    before(async () => {
      f = await make();
      s = f.store;
      for (const k of AWKWARD) await f.seed(`awk/${k}`, `body of ${k}`, { lastModified: old });
      for (let i = 0; i < 1005; i++)
        await f.seed(`many/${String(i).padStart(4, '0')}`, `#${i}`, { lastModified: old });
      for (const k of ['tree/a.txt', 'tree/a/1', 'tree/a/2', 'tree/b/1', 'tree/c.txt'])
        await f.seed(k, k, { lastModified: old });
      await f.seed('meta/object.txt', 'hello metadata', {
        lastModified: old,
        contentType: 'text/plain',
        meta: { owner: 'alice', 'x-y': 'z' },
        cacheControl: 'max-age=60',
      });
    });
    after(() => f.close());

    it('lists in UTF-8 byte order, every key once, across pages', async () => {
      const keys = (await all(s.list({ prefix: 'many/' }))).map(keyOf);
      assert.equal(keys.length, 1005);
      assert.equal(new Set(keys).size, 1005);
      assert.deepEqual(keys, [...keys].sort(compareKeys));
      const awk = (await all(s.list({ prefix: 'awk/' }))).map(keyOf);
      const expected = AWKWARD.map((k) => `awk/${k}`).sort(compareKeys);
      // A local directory cannot hold "a//b" or "trail/" as file names: it reports what it holds.
      if (name !== 'local') assert.deepEqual(awk, expected);
      else assert.ok(awk.every((k) => expected.includes(k)));
      const i = awk.indexOf('awk/😀');
      assert.ok(i > awk.indexOf('awk/\uff5e'), 'astral after U+FF5E in UTF-8 order');
    });

    it('lists with a delimiter (common prefixes in order) and resumes after a key', async () => {
      const shallow = (await all(s.list({ prefix: 'tree/', delimiter: '/' }))).map(
        (e) => `${e.kind}:${keyOf(e)}`,
      );
      assert.deepEqual(shallow, [
        'object:tree/a.txt',
        'prefix:tree/a/',
        'prefix:tree/b/',
        'object:tree/c.txt',
      ]);
      const after = (await all(s.list({ prefix: 'many/', startAfter: 'many/1000' }))).map(keyOf);
      assert.deepEqual(after, ['many/1001', 'many/1002', 'many/1003', 'many/1004']);
      const listing = await all(s.list({ prefix: 'meta/' }));
      const info = listing[0]!;
      assert.equal(info.kind, 'object');
      if (info.kind === 'object') {
        assert.equal(info.info.size, 14);
        const when = f.backdates === false ? Date.now() : old.getTime();
        assert.ok(
          Math.abs(info.info.lastModified.getTime() - when) < (f.backdates === false ? 600_000 : 2000),
        );
      }
    });

    it('heads an object with size, ETag, CRC-64 and metadata; a missing key is undefined', async () => {
      const h = (await s.head('meta/object.txt')) as ObjectHead;
      assert.equal(h.size, 14);
      if (s.features.crc64) assert.equal(h.crc64, crc64('hello metadata'));
      if (name !== 'local') {
        const md5 = createHash('md5').update('hello metadata');
        if (f.etag === 'opaque') assert.equal(h.checksums?.md5, md5.digest('base64'));
        else assert.equal(h.etag, md5.digest('hex'));
        assert.equal(h.contentType, 'text/plain');
        assert.equal(h.cacheControl, 'max-age=60');
        const m = f.metaName ?? ((n: string) => n);
        assert.deepEqual(h.meta, { [m('owner')]: 'alice', [m('x-y')]: 'z' });
      }
      assert.equal(await s.head('meta/does-not-exist'), undefined);
    });

    it('reads whole objects and ranges; headers describe the whole object', async () => {
      const whole = await s.read('awk/ü/中文/ключ');
      assert.equal(await text(whole.body), 'body of ü/中文/ключ');
      const r = await s.read('meta/object.txt', { range: { start: 6, end: 14 } });
      assert.equal(await text(r.body), 'metadata');
      assert.equal(r.head.size, 14);
      if (s.features.crc64) assert.equal(r.head.crc64, crc64('hello metadata'));
    });

    it('classifies read failures: gone, changed (If-Match)', async () => {
      await expectClass(s.read('meta/nope'), 'SOURCE_GONE');
      const h = (await s.head('meta/object.txt'))!;
      const ok = await s.read('meta/object.txt', { ifMatch: h.etag! });
      await text(ok.body);
      await expectClass(
        s.read('meta/object.txt', { ifMatch: 'ffffffffffffffffffffffffffffffff' }),
        'SOURCE_CHANGED',
      );
    });

    it('writes a stream with metadata and reports the CRC-64 it stored', async () => {
      const body = Buffer.from('written through the port');
      const r = await s.write('out/w.txt', Readable.from([body]), {
        size: body.length,
        contentType: 'text/markdown',
        cacheControl: 'no-cache',
        meta: { 'ossmigrate-src-etag': 'abc' },
      });
      if (s.features.crc64) assert.equal(r.crc64, crc64(body));
      const h = (await s.head('out/w.txt'))!;
      assert.equal(h.size, body.length);
      if (name !== 'local') {
        assert.equal(h.contentType, 'text/markdown');
        assert.equal(h.meta[(f.metaName ?? ((n: string) => n))('ossmigrate-src-etag')], 'abc');
      }
      assert.equal(await text((await s.read('out/w.txt')).body), body.toString());
    });

    it('refuses a body that does not match its Content-MD5, and forbid-overwrite', async () => {
      if (name === 'local') return assert.equal(s.features.forbidOverwrite, true);
      await expectClass(
        s.write('out/md5.txt', Readable.from([Buffer.from('abc')]), {
          size: 3,
          meta: {},
          contentMd5: createHash('md5').update('xyz').digest('base64'),
        }),
        'CRC_MISMATCH',
      );
      assert.equal(await s.head('out/md5.txt'), undefined, 'nothing stored');
      if (s.features.forbidOverwrite) {
        await expectClass(
          s.write('out/w.txt', Readable.from([Buffer.from('x')]), {
            size: 1,
            meta: {},
            forbidOverwrite: true,
          }),
          'DEST_NEWER',
        );
      }
    });

    it('multipart: parts with CRC-64, listing for resume, completion with the combined CRC', async (t) => {
      if (!s.features.multipart) {
        // Declared, not discovered: a store without multipart must not half-offer it.
        assert.equal(s.multipartInit, undefined);
        return t.diagnostic(`${name}: multipart not offered (features.multipart = false)`);
      }
      const part = Math.max(s.features.minPartSize, 100 * 1024);
      const a = Buffer.alloc(part, 1);
      const b = Buffer.alloc(1000, 2);
      const id = await s.multipartInit!('mp/obj.bin', {
        size: part + 1000,
        meta: { k: 'v' },
        contentType: 'application/x-test',
      });
      const p1 = await s.multipartPart!('mp/obj.bin', id, 1, Readable.from([a]), a.length);
      assert.equal(p1.crc64, crc64(a));
      const listed = await s.multipartList!('mp/obj.bin', id);
      assert.deepEqual(
        listed?.map((p) => [p.partNumber, p.etag, p.size]),
        [[1, p1.etag, a.length]],
      );
      const p2 = await s.multipartPart!('mp/obj.bin', id, 2, Readable.from([b]), b.length);
      const done = await s.multipartComplete!('mp/obj.bin', id, [p1, p2], {});
      assert.equal(done.crc64, crc64(Buffer.concat([a, b])));
      const h = (await s.head('mp/obj.bin'))!;
      assert.equal(h.size, part + 1000);
      assert.equal(h.meta.k, 'v');
      const gone = await s.multipartInit!('mp/aborted.bin', { size: 1, meta: {} });
      await s.multipartAbort!('mp/aborted.bin', gone);
      assert.equal(await s.multipartList!('mp/aborted.bin', gone), undefined);
    });

    it('multipart: the uploads in progress of exactly one key (past a page of 1,000), with when each began', async (t) => {
      if (!s.features.multipart) return t.diagnostic(`${name}: multipart not offered`);
      assert.ok(s.multipartUploads, 'a multipart store can find an upload whose id was lost');
      const before = Date.now();
      const ids: string[] = [];
      for (let i = 0; i < 1001; i += 50)
        ids.push(
          ...(await Promise.all(
            Array.from({ length: Math.min(50, 1001 - i) }, () =>
              s.multipartInit!('up/same.bin', { size: 1, meta: {} }),
            ),
          )),
        );
      // Neighbours in the listing by prefix: a longer key and a shorter one.
      const longer = await s.multipartInit!('up/same.bin.x', { size: 1, meta: {} });
      const shorter = await s.multipartInit!('up/same', { size: 1, meta: {} });
      const found = await s.multipartUploads!('up/same.bin');
      assert.deepEqual(found.map((u) => u.uploadId).sort(), [...ids].sort());
      for (const u of found)
        assert.ok(
          Math.abs(u.initiated - before) < 60_000,
          `initiated ${new Date(u.initiated).toISOString()}`,
        );
      assert.deepEqual(
        (await s.multipartUploads!('up/same.bin.x')).map((u) => u.uploadId),
        [longer],
      );
      for (const [key, id] of [
        ['up/same.bin.x', longer],
        ['up/same', shorter],
      ] as const)
        await s.multipartAbort!(key, id);
      await Promise.all(ids.map((id) => s.multipartAbort!('up/same.bin', id)));
      assert.deepEqual(await s.multipartUploads!('up/same.bin'), []);
    });

    it('archives: reading needs a restore; restore states are reported', async (t) => {
      if (!s.features.archive) {
        assert.equal(s.restore, undefined);
        return t.diagnostic(`${name}: no archive classes`);
      }
      await f.seed('cold/frozen.bin', 'ice', { lastModified: old, storageClass: 'ARCHIVE' });
      const listed = (await all(s.list({ prefix: 'cold/' })))[0]!;
      assert.equal(listed.kind === 'object' && listed.info.storageClass, 'ARCHIVE');
      assert.ok(s.restore);
      await expectClass(s.read('cold/frozen.bin'), 'ARCHIVED');
      const first = await s.restore!('cold/frozen.bin', { days: 1, tier: 'Standard' });
      assert.ok(first === 'started' || first === 'restored', first);
    });

    it('probes the bucket', async () => {
      const p = await s.probe();
      assert.equal(p.reachable, true);
      if (f.region) assert.equal(p.region, f.region);
    });

    it('classifies throttling as THROTTLED (transient) with the server-suggested wait', async (t) => {
      if (!f.throttleNext) return t.diagnostic(`${name}: cannot throttle`);
      f.throttleNext('read');
      const e = await expectClass(s.read('meta/object.txt'), 'THROTTLED');
      assert.equal(e.transient, true);
      assert.equal(e.retryAfterMs, 2000);
    });

    it('classifies a wrong secret as ACCESS_DENIED', async (t) => {
      if (!f.withBadSecret) return t.diagnostic(`${name}: no credentials`);
      await expectClass(f.withBadSecret().head('meta/object.txt'), 'ACCESS_DENIED');
      await expectClass(all(f.withBadSecret().list({ prefix: 'meta/' })), 'ACCESS_DENIED');
    });
  });
}
