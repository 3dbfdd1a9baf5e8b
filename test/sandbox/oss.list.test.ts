/** OSS emulator conformance: ListObjects (V1) and ListObjectsV2 through ali-oss. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { OssEmulator } from './oss/index.ts';
import { BUCKET, client, raw, rejects, startEmu, xmlField } from './oss/testkit.ts';

// '😀' (U+1F600) sorts after '～' (U+FF5E) in UTF-8 byte order, before it in UTF-16 order.
const KEYS = ['a/1', 'a/2', 'a/b/1', 'a/b/2', 'a/c/1', 'b', 'c d', 'x+y', 'z/～', 'z/😀', 'é'];

describe('OSS emulator: listing', () => {
  let emu: OssEmulator;
  before(async () => {
    emu = await startEmu();
    for (const key of KEYS) await emu.seed(BUCKET, { key, body: key });
    await emu.seed(BUCKET, { key: 'cold/arch', body: 'x', storageClass: 'Archive' });
    await emu.seed(BUCKET, {
      key: 'cold/mp',
      body: Buffer.alloc(250_000),
      partSize: 200_000,
      storageClass: 'IA',
    });
  });
  after(() => emu.close());

  it('V1: full listing in UTF-8 byte order with Owner, Type, StorageClass, ETag, Size', async () => {
    const c = client(emu);
    const r = await c.list({ 'max-keys': 1000 }, {});
    const names = r.objects.map((o) => o.name);
    assert.deepEqual(
      names,
      [...KEYS, 'cold/arch', 'cold/mp'].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    );
    assert.ok(names.indexOf('z/～') < names.indexOf('z/😀'));
    const first = r.objects[0]!;
    assert.equal(first.owner?.id, '1738291912345678');
    assert.equal(first.type, 'Normal');
    assert.equal(first.storageClass, 'Standard');
    assert.match(first.etag, /^"[0-9A-F]{32}"$/);
    assert.equal(first.size, 3);
    assert.match(first.lastModified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const mp = r.objects.find((o) => o.name === 'cold/mp')!;
    assert.equal(mp.type, 'Multipart');
    assert.equal(mp.storageClass, 'IA');
    assert.equal(r.isTruncated, false);
    assert.equal(r.nextMarker, null);
  });

  it('V1: default max-keys is 100, the maximum 1000', async () => {
    const raw100 = await raw(emu, { method: 'GET', path: '/' });
    assert.equal(xmlField(raw100.body, 'MaxKeys'), '100');
    await rejects(client(emu).list({ 'max-keys': 1001 }, {}), { status: 400, code: 'InvalidArgument' });
  });

  it('V1: prefix + delimiter + marker + max-keys paging; CommonPrefixes count toward max-keys', async () => {
    const c = client(emu);
    const seen: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    for (;;) {
      const r = await c.list(
        { prefix: 'a/', delimiter: '/', 'max-keys': 2, ...(marker ? { marker } : {}) },
        {},
      );
      pages++;
      const entries = [...r.objects.map((o) => o.name), ...(r.prefixes ?? [])];
      assert.ok(entries.length <= 2);
      seen.push(...entries);
      if (!r.isTruncated) {
        assert.equal(r.nextMarker, null);
        break;
      }
      marker = r.nextMarker ?? undefined;
      assert.ok(marker);
    }
    assert.deepEqual(seen.sort(), ['a/1', 'a/2', 'a/b/', 'a/c/'].sort());
    assert.equal(pages, 2);
  });

  it('V1: encoding-type=url encodes Key, Prefix, Marker, Delimiter, NextMarker', async () => {
    const c = client(emu);
    const r = await c.list(
      { prefix: 'c', delimiter: ' ', marker: 'b', 'max-keys': 1, 'encoding-type': 'url' },
      {},
    );
    const rr = await raw(emu, {
      method: 'GET',
      path: '/',
      query: 'prefix=x&marker=x%2B&delimiter=%2F&max-keys=1&encoding-type=url',
    });
    assert.equal(xmlField(rr.body, 'EncodingType'), 'url');
    assert.equal(xmlField(rr.body, 'Key'), 'x%2By');
    assert.equal(xmlField(rr.body, 'Marker'), 'x%2B');
    assert.equal(xmlField(rr.body, 'Delimiter'), '%2F');
    assert.equal(xmlField(rr.body, 'Prefix'), 'x');
    assert.deepEqual(r.prefixes, ['c%20']);
    const all = await c.list({ 'max-keys': 1, marker: 'z/～', 'encoding-type': 'url' }, {});
    assert.deepEqual(
      all.objects.map((o) => o.name),
      [encodeURIComponent('z/😀')],
    );
    assert.equal(all.nextMarker, encodeURIComponent('z/😀'));
  });

  it('V2: continuation tokens, start-after, KeyCount, fetch-owner, encoding-type', async () => {
    const c = client(emu);
    const got: string[] = [];
    let token: string | undefined;
    let first = true;
    for (;;) {
      const r = await c.listV2({ 'max-keys': 3, ...(token ? { 'continuation-token': token } : {}) }, {});
      assert.equal(r.keyCount, r.objects.length + (r.prefixes?.length ?? 0));
      if (first) {
        assert.equal(r.continuationToken, null);
        assert.equal(r.objects[0]?.owner, null, 'no Owner without fetch-owner');
        first = false;
      } else assert.equal(r.continuationToken, token);
      got.push(...r.objects.map((o) => o.name));
      if (!r.isTruncated) {
        assert.equal(r.nextContinuationToken, null);
        break;
      }
      token = r.nextContinuationToken ?? undefined;
    }
    assert.equal(got.length, KEYS.length + 2);
    const after = await c.listV2({ 'start-after': 'z/～', 'fetch-owner': true, 'max-keys': 10 }, {});
    assert.deepEqual(
      after.objects.map((o) => o.name),
      ['z/😀', 'é'],
    );
    assert.equal(after.objects[0]?.owner?.id, '1738291912345678');
    const delim = await c.listV2({ delimiter: '/', 'max-keys': 100 }, {});
    assert.deepEqual(delim.prefixes, ['a/', 'cold/', 'z/']);
    assert.equal(delim.keyCount, 3 + 4);
    const enc = await c.listV2({ prefix: 'x+', 'encoding-type': 'url' }, {});
    assert.deepEqual(
      enc.objects.map((o) => o.name),
      ['x%2By'],
    );
    const rr = await raw(emu, {
      method: 'GET',
      path: '/',
      query: 'list-type=2&start-after=c%20d&max-keys=1',
    });
    assert.equal(xmlField(rr.body, 'StartAfter'), 'c d');
    assert.equal(xmlField(rr.body, 'KeyCount'), '1');
    await rejects(c.listV2({ 'continuation-token': '***' }, {}), { status: 400, code: 'InvalidArgument' });
  });

  it('archived objects show RestoreInfo once a restore was requested', async () => {
    const c = client(emu);
    let r = await c.list({ prefix: 'cold/' }, {});
    assert.equal(r.objects.find((o) => o.name === 'cold/arch')?.restoreInfo, undefined);
    emu.restoreDelayMs = 60_000;
    await c.restore('cold/arch');
    r = await c.list({ prefix: 'cold/' }, {});
    assert.deepEqual(r.objects.find((o) => o.name === 'cold/arch')?.restoreInfo, { ongoingRequest: true });
    emu.buckets.get(BUCKET)!.get('cold/arch')!.restore = {
      status: 'ongoing',
      readyAt: Date.now() - 1,
      days: 1,
    };
    const v2 = await c.listV2({ prefix: 'cold/' }, {});
    const info = v2.objects.find((o) => o.name === 'cold/arch')?.restoreInfo as {
      ongoingRequest: boolean;
      expiryDate: Date;
    };
    assert.equal(info.ongoingRequest, false);
    assert.ok(info.expiryDate.getTime() > Date.now());
  });
});
