/**
 * The URL-list source against a plain node:http server: the read side of the ObjectStore port
 * (listing order with prefix / startAfter / delimiter, head, ranged reads, If-Match, gone,
 * probe), plus what only a URL list has — the list file's format and its bad lines, redirects,
 * servers without HEAD, without Range, without a strong ETag.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { HttpListStore } from '../../runner/adapters/httpList/httpListStore.ts';
import { encodePath } from '../../runner/adapters/httpList/listFile.ts';
import { ConfigError, MigrationError } from '../../runner/core/errors.ts';
import { compareKeys } from '../../runner/core/keys.ts';
import type { ListEntry } from '../../runner/core/types.ts';
import { type HttpListServer, startHttpListServer } from '../helpers/httpListServer.ts';
import { AWKWARD } from './suite.ts';

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
const keyOf = (e: ListEntry) => (e.kind === 'object' ? e.info.key : e.prefix);
const enc = (key: string) => key.split('/').map(encodeURIComponent).join('/');
async function expectClass(p: Promise<unknown>, cls: string): Promise<MigrationError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof MigrationError, String(e));
    assert.equal(e.failureClass, cls, e.message);
    return e;
  }
  assert.fail(`expected ${cls}`);
}

let dir: string;
let n = 0;
/** A list file of `lines`, and a store reading it (small sort runs: the merge is exercised). */
async function storeOf(lines: string[], o: { head?: number } = {}) {
  const listFile = join(dir, `list-${++n}.txt`);
  await writeFile(listFile, `${lines.join('\n')}\n`);
  return new HttpListStore({
    listFile,
    prefixColumn: 1,
    relativePathColumn: 2,
    cacheDir: join(dir, 'cache'),
    runRecords: 7,
    ...(o.head ? { headConcurrency: o.head } : {}),
  });
}

describe('ObjectStore conformance: http-list', () => {
  let srv: HttpListServer;
  let store: HttpListStore;
  const old = new Date(Date.now() - 3600_000);
  const keys = [
    ...AWKWARD.filter((k) => !k.endsWith('/')).map((k) => `awk/${k}`),
    ...Array.from({ length: 40 }, (_, i) => `many/${String(i).padStart(4, '0')}`),
    'tree/a.txt',
    'tree/a/1',
    'tree/a/2',
    'tree/b/1',
    'tree/c.txt',
  ];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ossmigrate-httplist-'));
    srv = await startHttpListServer();
    for (const k of keys) srv.put(`/files/${k}`, `body of ${k}`, { mtime: old });
    srv.put('/files/meta/object.txt', 'hello metadata', {
      mtime: old,
      contentType: 'text/plain',
      contentMd5: true,
    });
    // Reverse order on purpose: the store sorts.
    const lines = [...keys, 'meta/object.txt'].reverse().map((k) => `${srv.origin}/files/ ${enc(k)}`);
    store = await storeOf(['# a comment line', '', ...lines]);
  });
  after(async () => {
    await srv.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists every key once in UTF-8 byte order, whatever the order of the list file', async () => {
    const listed = (await all(store.list({ prefix: '' }))).map(keyOf);
    assert.deepEqual(listed, [...keys, 'meta/object.txt'].sort(compareKeys));
    const awk = (await all(store.list({ prefix: 'awk/' }))).map(keyOf);
    assert.ok(awk.indexOf('awk/😀') > awk.indexOf('awk/\uff5e'), 'astral after U+FF5E');
  });

  it('lists with a delimiter and after a key, with size and mtime from HEAD', async () => {
    const shallow = (await all(store.list({ prefix: 'tree/', delimiter: '/' }))).map(
      (e) => `${e.kind}:${keyOf(e)}`,
    );
    assert.deepEqual(shallow, ['object:tree/a.txt', 'prefix:tree/a/', 'prefix:tree/b/', 'object:tree/c.txt']);
    const later = (await all(store.list({ prefix: 'many/', startAfter: 'many/0036' }))).map(keyOf);
    assert.deepEqual(later, ['many/0037', 'many/0038', 'many/0039']);
    const deeper = (await all(store.list({ prefix: 'tree/', delimiter: '/', startAfter: 'tree/a/1' }))).map(
      keyOf,
    );
    assert.deepEqual(deeper, ['tree/b/', 'tree/c.txt']);
    const [m] = await all(store.list({ prefix: 'meta/' }));
    assert.equal(m?.kind, 'object');
    if (m?.kind === 'object') {
      assert.equal(m.info.size, 14);
      assert.equal(Math.floor(m.info.lastModified.getTime() / 1000), Math.floor(old.getTime() / 1000));
    }
  });

  it('heads with size, strong ETag, Content-MD5 as evidence, Content-Type; missing → undefined', async () => {
    const h = await store.head('meta/object.txt');
    assert.equal(h?.size, 14);
    assert.equal(h?.etag, createHash('md5').update('hello metadata').digest('hex'));
    assert.deepEqual(h?.checksums, { md5: createHash('md5').update('hello metadata').digest('base64') });
    assert.equal(h?.contentType, 'text/plain');
    assert.equal(await store.head('not/in/the/list'), undefined);
    srv.files.delete('/files/tree/c.txt');
    assert.equal(await store.head('tree/c.txt'), undefined, 'listed but 404 on the server');
    srv.put('/files/tree/c.txt', 'body of tree/c.txt', { mtime: old });
  });

  it('reads whole objects and ranges; the head describes the whole object', async () => {
    assert.equal(await text((await store.read('awk/ü/中文/ключ')).body), 'body of awk/ü/中文/ключ');
    const r = await store.read('meta/object.txt', { range: { start: 6, end: 14 } });
    assert.equal(await text(r.body), 'metadata');
    assert.equal(r.head.size, 14);
  });

  it('sends percent-encoded URLs for keys with spaces, #, ?, %, + and non-ASCII', async () => {
    const k = 'awk/sp ace+plus%25pct?q#h&a=b.txt';
    assert.equal(await text((await store.read(k)).body), `body of ${k}`);
    assert.ok(srv.log.includes(`GET /files/${k}`), 'the server saw the decoded path, nothing cut at ? or #');
    assert.equal(encodePath('a b#c?d%41%zz/中'), 'a%20b%23c%3Fd%41%25zz/%E4%B8%AD');
  });

  it('classifies read failures: gone (404, 410), changed (If-Match)', async () => {
    await expectClass(store.read('not/in/the/list'), 'SOURCE_GONE');
    srv.gone.add('/files/tree/a/1');
    await expectClass(store.read('tree/a/1'), 'SOURCE_GONE');
    srv.gone.delete('/files/tree/a/1');
    const h = (await store.head('tree/b/1'))!;
    await text((await store.read('tree/b/1', { ifMatch: h.etag! })).body);
    srv.put('/files/tree/b/1', 'rewritten after the listing', { mtime: new Date() });
    await expectClass(store.read('tree/b/1', { ifMatch: h.etag! }), 'SOURCE_CHANGED');
  });

  it('probes the first URL of the list', async () => {
    assert.deepEqual(await store.probe(), { reachable: true });
  });
});

describe('http-list: servers and lists as they come', () => {
  let srv: HttpListServer;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ossmigrate-httplist-'));
    srv = await startHttpListServer();
  });
  after(async () => {
    await srv.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('follows redirects, across servers, and stops after ten', async () => {
    const other = await startHttpListServer();
    try {
      other.put('/real/x.bin', 'moved body');
      srv.redirects.set('/old/x.bin', { to: `${other.origin}/real/x.bin`, status: 301 });
      srv.redirects.set('/loop', { to: '/loop', status: 302 });
      const s = await storeOf([`${srv.origin}/old/ x.bin`, `${srv.origin}/ loop`]);
      assert.equal((await s.head('x.bin'))?.size, 10);
      assert.equal(await text((await s.read('x.bin')).body), 'moved body');
      const e = await expectClass(s.read('loop'), 'INTERNAL');
      assert.match(e.message, /more than 10 redirects/);
      await s.close();
    } finally {
      await other.close();
    }
  });

  it('a server without HEAD: size and ETag from a one-byte GET', async () => {
    const noHead = await startHttpListServer({ noHead: true });
    try {
      noHead.put('/f/a.txt', 'twelve bytes');
      noHead.put('/f/empty', '');
      const s = await storeOf([`${noHead.origin}/f/ a.txt`, `${noHead.origin}/f/ empty`]);
      const listed = await all(s.list({ prefix: '' }));
      assert.deepEqual(
        listed.map((e) => (e.kind === 'object' ? [e.info.key, e.info.size] : [])),
        [
          ['a.txt', 12],
          ['empty', 0],
        ],
      );
      const heads = noHead.log.filter((l) => l.startsWith('HEAD')).length;
      assert.equal((await s.head('a.txt'))?.size, 12);
      assert.equal(noHead.log.filter((l) => l.startsWith('HEAD')).length, heads, 'no HEAD once refused');
      await s.close();
    } finally {
      await noHead.close();
    }
  });

  it('a server ignoring Range and If-Match: the range is cut out, a change is still caught', async () => {
    const simple = await startHttpListServer({ simple: true });
    try {
      simple.put('/f/a.txt', '0123456789', { etag: 'opaque' });
      const s = await storeOf([`${simple.origin}/f/ a.txt`]);
      const h = (await s.head('a.txt'))!;
      assert.equal(await text((await s.read('a.txt', { range: { start: 3, end: 6 } })).body), '345');
      simple.put('/f/a.txt', 'changed!!!', { etag: 'opaque', mtime: new Date() });
      await expectClass(s.read('a.txt', { ifMatch: h.etag! }), 'SOURCE_CHANGED');
      await s.close();
    } finally {
      await simple.close();
    }
  });

  it('without a strong ETag the change token is mtime + size, sent as If-Unmodified-Since', async () => {
    srv.put('/w/a.txt', 'weak etag', { etag: 'weak' });
    srv.put('/w/b.txt', 'no etag', { etag: 'none' });
    const s = await storeOf([`${srv.origin}/w/ a.txt`, `${srv.origin}/w/ b.txt`]);
    const a = (await s.head('a.txt'))!;
    assert.match(a.etag!, /^mtime-\d+-9$/);
    assert.equal(a.checksums, undefined, 'a weak ETag proves nothing');
    await text((await s.read('a.txt', { ifMatch: a.etag! })).body);
    srv.put('/w/a.txt', 'weak etag', { etag: 'weak', mtime: new Date(Date.now() + 5000) });
    await expectClass(s.read('a.txt', { ifMatch: a.etag! }), 'SOURCE_CHANGED');
    await s.close();
  });

  it('a listed URL that is gone is still listed (0 B) and its read says SOURCE_GONE', async () => {
    srv.put('/g/here.txt', 'here');
    const s = await storeOf([`${srv.origin}/g/ here.txt`, `${srv.origin}/g/ missing.txt`]);
    const listed = await all(s.list({ prefix: '' }));
    assert.deepEqual(listed.map(keyOf), ['here.txt', 'missing.txt']);
    await expectClass(s.read('missing.txt'), 'SOURCE_GONE');
    await s.close();
  });

  it("reads ossimport's format: columns, scheme-less prefixes, CRLF, BOM, tabs, other column numbers", async () => {
    srv.put('/aa/bb.jpg', 'jpg');
    const host = srv.origin.replace('http://', '');
    const listFile = join(dir, 'crlf.txt');
    await writeFile(listFile, `\ufeff${host}/aa/  \t bb.jpg\r\n\r\n${host}/   aa/bb.jpg  \r\n`);
    const s = new HttpListStore({
      listFile,
      prefixColumn: 1,
      relativePathColumn: 2,
      cacheDir: join(dir, 'c2'),
    });
    assert.deepEqual((await all(s.list({ prefix: '' }))).map(keyOf), ['aa/bb.jpg', 'bb.jpg']);
    await s.close();
    const swapped = join(dir, 'swapped.txt');
    await writeFile(swapped, `x.txt ${srv.origin}/aa/ extra\n`);
    srv.put('/aa/x.txt', 'x');
    const s2 = new HttpListStore({
      listFile: swapped,
      prefixColumn: 2,
      relativePathColumn: 1,
      cacheDir: join(dir, 'c3'),
    });
    assert.equal(await text((await s2.read('x.txt')).body), 'x');
    await s2.close();
  });

  it('bad lines are a ConfigError naming each line and the fix; nothing is listed', async () => {
    const s = await storeOf([
      `${srv.origin}/ ok.txt`,
      `${srv.origin}/onlyonecolumn`,
      `${srv.origin}/ bad%zzescape`,
      `${srv.origin}/ dir/`,
      `ftp://host/ x`,
    ]);
    await assert.rejects(all(s.list({ prefix: '' })), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /4 bad line\(s\), nothing was copied/);
      assert.match(e.message, /line 2 has 1 column\(s\); httpPrefixColumn=1 and relativePathColumn=2 need 2/);
      assert.match(e.message, /line 3 relative path "bad%zzescape" has a "%" that is not a %XX escape/);
      assert.match(e.message, /line 4 relative path "dir\/" names no file/);
      assert.match(e.message, /line 5 URL prefix "ftp:\/\/host\/" is not http/);
      return true;
    });
    const dup = await storeOf([`${srv.origin}/a/ k`, `${srv.origin}/b/ k`]);
    await assert.rejects(dup.probe(), /lines 1 and 2 both give the key "k"/);
    const gbk = join(dir, 'gbk.txt');
    await writeFile(
      gbk,
      Buffer.concat([Buffer.from(`${srv.origin}/ `), Buffer.from([0xd6, 0xd0]), Buffer.from('\n')]),
    );
    const g = new HttpListStore({
      listFile: gbk,
      prefixColumn: 1,
      relativePathColumn: 2,
      cacheDir: join(dir, 'c4'),
    });
    await assert.rejects(g.probe(), /line 1 is not UTF-8 \(a GBK list\?\)/);
    const missing = new HttpListStore({
      listFile: join(dir, 'nope.txt'),
      prefixColumn: 1,
      relativePathColumn: 2,
    });
    await assert.rejects(missing.probe(), /URL list .*nope\.txt cannot be read \(ENOENT\)/);
  });
});
