/**
 * The Azure Blob adapter against Azurite (Microsoft's emulator, independent of this project):
 * the shared conformance suite, then what only Azure has — UTF-16 listing order reordered for the
 * engine, opaque ETags, tiers, rehydration, SAS and connection-string credentials.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect, createServer, type Server } from 'node:net';
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

  it('after any key or between keys, flat and shallow: exactly the later entries, in UTF-8 order', async () => {
    const name = (e: { kind: string; prefix?: string; info?: { key: string } }) =>
      e.kind === 'object' ? e.info!.key : `${e.prefix}*`;
    const flat = [...U].sort(compareKeys);
    const shallow = (await all(store.list({ prefix: 'u/', delimiter: '/' }))).map(name);
    // Keys and names between them on both sides of U+FFFF (startFrom is UTF-16 order).
    for (const k of [
      ...U,
      'u/',
      'u/b',
      'u/～0',
      'u/～/z',
      'u/😀/',
      'u/😀/y',
      'u/😀～z',
      'u/\uffff',
      'u/😁',
    ]) {
      const got = (await all(store.list({ prefix: 'u/', startAfter: k }))).map(name);
      assert.deepEqual(
        got,
        flat.filter((n) => compareKeys(n, k) > 0),
        `flat after ${k}`,
      );
      const sh = (await all(store.list({ prefix: 'u/', delimiter: '/', startAfter: k }))).map(name);
      const want = shallow.filter((n) =>
        n.endsWith('*')
          ? compareKeys(n.slice(0, -1), k) > 0 || k.startsWith(n.slice(0, -1))
          : compareKeys(n, k) > 0,
      );
      assert.deepEqual(sh, want, `shallow after ${k}`);
    }
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

/**
 * A TCP proxy in front of Azurite that counts the bytes it answers and can drop every kept-alive
 * connection at its second request, as a server does with a socket idle past its keep-alive
 * timeout while the client was too busy to see it close.
 */
async function proxy(target: string, o: { dropSecond: boolean }) {
  const { hostname, port } = new URL(target);
  let bytes = 0;
  let dropped = 0;
  const server: Server = createServer((client) => {
    const up = connect(Number(port), hostname);
    let requests = 0;
    client.on('data', (b) => {
      if (
        /^(GET|PUT|HEAD|POST|DELETE) /.test(b.toString('latin1', 0, 8)) &&
        ++requests === 2 &&
        o.dropSecond
      ) {
        dropped++;
        up.destroy();
        client.resetAndDestroy();
        return;
      }
      up.write(b);
    });
    up.on('data', (b) => {
      bytes += b.length;
      client.write(b);
    });
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
    up.on('end', () => client.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  return {
    endpoint: target.replace(`:${port}`, `:${addr.port}`),
    bytes: () => bytes,
    dropped: () => dropped,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('Azure listing costs and connections (Azurite behind a proxy)', () => {
  let az: TestAzurite;
  const N = 300;
  const keys = Array.from({ length: N }, (_, i) => `n/${String(i).padStart(4, '0')}`);
  before(async () => {
    az = await startAzurite();
    const c = await az.container('many');
    for (const k of keys) await c.getBlockBlobClient(k).upload('x', 1);
  });
  after(() => az.close());
  const storeAt = (endpoint: string) =>
    new AzureStore({ account: az.account, container: 'many', credentials: { accountKey: az.key }, endpoint });

  it('a range listing reads from its start key (startFrom), not the prefix from its start', async () => {
    const p = await proxy(az.endpoint, { dropSecond: false });
    try {
      const s = storeAt(p.endpoint);
      const whole = (await all(s.list({ prefix: 'n/' }))).length;
      const wholeBytes = p.bytes();
      const tail = (await all(s.list({ prefix: 'n/', startAfter: keys[N - 11]! }))).map((e) =>
        e.kind === 'object' ? e.info.key : e.prefix,
      );
      assert.equal(whole, N);
      assert.deepEqual(tail, keys.slice(N - 10));
      const tailBytes = p.bytes() - wholeBytes;
      assert.ok(
        tailBytes * 10 < wholeBytes,
        `10 of ${N} blobs after the key: ${tailBytes} B vs ${wholeBytes} B`,
      );
      // A probe's hint sizes the first page: 5 names, not a 5,000-blob page.
      const before = p.bytes();
      const first: string[] = [];
      for await (const e of s.list({ prefix: 'n/', startAfter: 'n/0100', pageSize: 5 })) {
        first.push(e.kind === 'object' ? e.info.key : e.prefix);
        if (first.length === 5) break;
      }
      assert.deepEqual(first, keys.slice(101, 106));
      assert.ok((p.bytes() - before) * 20 < wholeBytes, `a 5-name probe read ${p.bytes() - before} B`);
    } finally {
      await p.close();
    }
  });

  it('sends a listing again once when the service had closed the kept-alive socket (ECONNRESET)', async () => {
    const p = await proxy(az.endpoint, { dropSecond: true });
    try {
      const s = storeAt(p.endpoint);
      assert.equal((await all(s.list({ prefix: 'n/' }))).length, N);
      // The second request goes out on the same socket: the proxy drops it, the adapter resends.
      assert.equal((await all(s.list({ prefix: 'n/', startAfter: keys[9]! }))).length, N - 10);
      assert.ok(p.dropped() >= 1, 'the proxy dropped a reused connection');
    } finally {
      await p.close();
    }
  });
});
