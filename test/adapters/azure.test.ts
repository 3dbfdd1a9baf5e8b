/**
 * The Azure Blob adapter against Azurite (Microsoft's emulator, independent of this project):
 * the shared conformance suite, then what only Azure has — UTF-16 listing order reordered for the
 * engine, opaque ETags, tiers, rehydration, SAS and connection-string credentials.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { text } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { AzureStore } from '../../runner/adapters/azure/azureStore.ts';
import { MigrationError } from '../../runner/core/errors.ts';
import { compareKeys } from '../../runner/core/keys.ts';
import type { StorageClass } from '../../runner/core/types.ts';
import { startAzurite, type TestAzurite } from '../helpers/azurite.ts';
import { defineObjectStoreSuite } from './suite.ts';

const CONTAINER = 'src-container';
const TIER: Partial<Record<StorageClass, 'Hot' | 'Cool' | 'Archive'>> = { IA: 'Cool', ARCHIVE: 'Archive' };
const metaName = (n: string) => n.replace(/-/g, '_');

defineObjectStoreSuite('azure', async () => {
  const az = await startAzurite();
  const c = await az.container(CONTAINER);
  const make = (key: string) =>
    new AzureStore({
      account: az.account,
      container: CONTAINER,
      credentials: { accountKey: key },
      endpoint: az.endpoint,
    });
  return {
    store: make(az.key),
    etag: 'opaque',
    backdates: false,
    metaName,
    async seed(key, body, o = {}) {
      const b = Buffer.from(body);
      const meta: Record<string, string> = {};
      for (const [k, v] of Object.entries(o.meta ?? {})) meta[metaName(k)] = v;
      const blob = c.getBlockBlobClient(key);
      await blob.upload(b, b.length, {
        metadata: meta,
        blobHTTPHeaders: {
          ...(o.contentType ? { blobContentType: o.contentType } : {}),
          ...(o.cacheControl ? { blobCacheControl: o.cacheControl } : {}),
        },
      });
      const tier = o.storageClass && TIER[o.storageClass];
      if (tier) await blob.setAccessTier(tier);
      // Azurite has no way to backdate a blob; the suite's tolerance is what matters.
    },
    withBadSecret: () => make(Buffer.from('wrong-key-wrong-key-wrong-key!!!').toString('base64')),
    close: () => az.close(),
  };
});

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function failure(p: Promise<unknown>): Promise<MigrationError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MigrationError, String(e));
    return e;
  }
  assert.fail('expected a failure');
}

describe('Azure Blob specifics (Azurite)', () => {
  let az: TestAzurite;
  let store: AzureStore;
  // Both sides of U+FFFF: fullwidth ～ (U+FF5E) and 中 below, emoji above; nested the same way.
  const U = ['u/a', 'u/中', 'u/～', 'u/～/y', 'u/😀', 'u/😀/x', 'u/😀～', 'u/😀😀', 'u/𠀀'];
  before(async () => {
    az = await startAzurite();
    const c = await az.container('specifics');
    for (const k of U) await c.getBlockBlobClient(k).upload(k, Buffer.byteLength(k));
    await c.getBlockBlobClient('t/cool').upload('c', 1, { tier: 'Cool' });
    await c.getBlockBlobClient('t/frozen').upload('ice', 3, { tier: 'Archive' });
    store = new AzureStore({
      account: az.account,
      container: 'specifics',
      credentials: { accountKey: az.key },
      endpoint: az.endpoint,
    });
  });
  after(() => az.close());

  it('Azurite lists in UTF-16 order; the adapter hands out UTF-8 byte order, flat, shallow and after a key', async () => {
    const raw = [];
    const c = await az.container('specifics');
    for await (const b of c.listBlobsFlat({ prefix: 'u/' })) raw.push(b.name);
    assert.ok(raw.indexOf('u/😀') < raw.indexOf('u/～'), `the emulator's own order: ${raw.join(' ')}`);
    const want = [...U].sort(compareKeys);
    const flat = (await all(store.list({ prefix: 'u/' }))).map((e) =>
      e.kind === 'object' ? e.info.key : e.prefix,
    );
    assert.deepEqual(flat, want);
    const shallow = (await all(store.list({ prefix: 'u/', delimiter: '/' }))).map((e) =>
      e.kind === 'object' ? e.info.key : `${e.prefix}*`,
    );
    assert.deepEqual(shallow, [
      'u/a',
      'u/中',
      'u/～',
      'u/～/*',
      'u/😀',
      'u/😀/*',
      'u/😀～',
      'u/😀😀',
      'u/𠀀',
    ]);
    const later = (await all(store.list({ prefix: 'u/', startAfter: 'u/～/y' }))).map((e) =>
      e.kind === 'object' ? e.info.key : e.prefix,
    );
    assert.deepEqual(later, want.slice(want.indexOf('u/～/y') + 1));
  });

  it('reports an opaque ETag (not an MD5), Content-MD5 as checksums.md5, and guards ranged reads with it', async () => {
    const h = (await store.head('u/a'))!;
    assert.match(h.etag!, /^0x[0-9A-F]+$/i);
    assert.equal(h.checksums?.md5, createHash('md5').update('u/a').digest('base64'));
    const r = await store.read('u/a', { range: { start: 2, end: 3 }, ifMatch: h.etag! });
    assert.equal(await text(r.body), 'a');
    assert.equal(r.head.size, 3);
    assert.equal(r.head.checksums?.md5, h.checksums?.md5, 'the whole blob MD5 on a ranged read');
    const c = await az.container('specifics');
    await c.getBlockBlobClient('u/a').upload('u/A', 3); // rewritten: a new ETag
    assert.equal((await failure(store.read('u/a', { ifMatch: h.etag! }))).failureClass, 'SOURCE_CHANGED');
  });

  it('maps tiers (Cool → IA, Archive → ARCHIVE), refuses to read an archived blob, and rehydrates it to Hot', async () => {
    const t = await all(store.list({ prefix: 't/' }));
    assert.deepEqual(
      t.map((e) => e.kind === 'object' && [e.info.key, e.info.storageClass]),
      [
        ['t/cool', 'IA'],
        ['t/frozen', 'ARCHIVE'],
      ],
    );
    assert.equal((await failure(store.read('t/frozen'))).failureClass, 'ARCHIVED');
    const state = await store.restore('t/frozen', { days: 1, tier: 'Expedited' });
    // Azurite moves the tier at once; Azure answers "started" and reports rehydrate-pending-to-hot.
    assert.equal(state, 'restored');
    assert.equal((await store.head('t/frozen'))?.storageClass, 'STANDARD');
    assert.equal(await text((await store.read('t/frozen')).body), 'ice');
    assert.equal(await store.restore('t/frozen', { days: 1, tier: 'Standard' }), 'restored');
  });

  it('takes a connection string or a SAS token as well as a shared key', async () => {
    const viaCs = new AzureStore({
      account: az.account,
      container: 'specifics',
      credentials: { connectionString: az.connectionString },
    });
    assert.equal((await viaCs.head('u/中'))?.size, Buffer.byteLength('u/中'));
    const c = await az.container('specifics');
    const sasUrl = await c.generateSasUrl({
      permissions: (await import('@azure/storage-blob')).ContainerSASPermissions.parse('rl'),
      expiresOn: new Date(Date.now() + 3600_000),
    });
    const viaSas = new AzureStore({
      account: az.account,
      container: 'specifics',
      credentials: { sasToken: new URL(sasUrl).search.slice(1) },
      endpoint: az.endpoint,
    });
    assert.equal((await viaSas.probe()).reachable, true);
    assert.equal(await text((await viaSas.read('u/中')).body), 'u/中');
  });

  it('names the fix for wrong credentials, a missing container and another account’s key', async () => {
    const bad = new AzureStore({
      account: az.account,
      container: 'specifics',
      credentials: { accountKey: Buffer.from('not the key at all, not the key').toString('base64') },
      credentialsOrigin: 'AZURE_STORAGE_ACCOUNT/_KEY',
      endpoint: az.endpoint,
    });
    const auth = await failure(bad.probe());
    assert.equal(auth.failureClass, 'ACCESS_DENIED');
    // Azure answers AuthenticationFailed, Azurite AuthorizationFailure: both name the fix.
    assert.match(auth.message, /Authori[sz]ationFailure|AuthenticationFailed/);
    assert.match(
      auth.message,
      /Azure refused the (credentials|request with the credentials) \(from AZURE_STORAGE_ACCOUNT\/_KEY\); check the/,
    );
    assert.ok(!auth.message.includes(az.key));
    const missing = new AzureStore({
      account: az.account,
      container: 'no-such-container',
      credentials: { accountKey: az.key },
      endpoint: az.endpoint,
    });
    const gone = await failure(missing.probe());
    assert.equal(gone.status, 404);
    assert.match(gone.message, /ContainerNotFound — no container "no-such-container"/);
    assert.throws(
      () =>
        new AzureStore({
          account: 'otheraccount',
          container: 'specifics',
          credentials: { accountName: az.account, accountKey: az.key },
        }),
      /credentials are for account "devstoreaccount1", but the source names account "otheraccount"/,
    );
  });
});

describe('Azure names the SDK cannot address', () => {
  it('refuses a name with a "." or ".." segment before any request (a URL would fold it into another blob)', async () => {
    const s = new AzureStore({
      account: 'devstoreaccount1',
      container: 'any-container',
      credentials: { accountKey: Buffer.from('k').toString('base64') },
      endpoint: 'http://127.0.0.1:9/devstoreaccount1', // nothing listens: no request may be made
    });
    for (const k of ['x/../z', 'a/./b', '..', 'p/%2E%2E/q']) {
      const e = await failure(s.read(k));
      assert.equal(e.failureClass, 'INVALID_OBJECT_NAME', k);
      assert.match(e.message, /"\." or "\.\." segment/);
    }
    assert.equal((await failure(s.head('x/../z'))).failureClass, 'INVALID_OBJECT_NAME');
  });
});
