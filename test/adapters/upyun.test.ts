/**
 * The UpYun source against the emulator written from UpYun's REST docs (test/sandbox/upyun):
 * the read side of the ObjectStore port — depth-first listing in UTF-8 key order over per-folder
 * pages, delimiter and startAfter, head with the MD5 as evidence, ranged reads, a change caught,
 * gone, probe, a wrong password and throttling classified.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { text } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { UpyunStore, upyunSignature } from '../../runner/adapters/upyun/upyunStore.ts';
import { MigrationError } from '../../runner/core/errors.ts';
import { compareKeys } from '../../runner/core/keys.ts';
import type { ListEntry } from '../../runner/core/types.ts';
import { startUpyunEmulator, type UpyunEmulator } from '../sandbox/upyun/index.ts';
import { AWKWARD } from './suite.ts';

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
const keyOf = (e: ListEntry) => (e.kind === 'object' ? e.info.key : e.prefix);
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

it("signs as UpYun's documented example", () => {
  assert.equal(
    upyunSignature(
      'password123',
      'POST',
      '/pretreatment/',
      'Wed, 09 Nov 2016 14:26:58 GMT',
      'a2d75510f7ec654cc24cfa2b5a5a8182',
    ),
    '6KGqGX4tFwqnCdSndEmGQsR1jQU=',
  );
});

describe('ObjectStore conformance: upyun', () => {
  let emu: UpyunEmulator;
  let store: UpyunStore;
  const old = new Date(Date.now() - 3600_000);
  // UpYun folders cannot hold an empty name ("a//b") or a key ending in "/".
  const awk = AWKWARD.filter((k) => !k.includes('//') && !k.endsWith('/')).map((k) => `awk/${k}`);
  const many = Array.from({ length: 1005 }, (_, i) => `many/${String(i).padStart(4, '0')}`);
  const make = (password: string) =>
    new UpyunStore({ service: 'media', credentials: { operator: 'op', password }, endpoint: emu.endpoint });
  before(async () => {
    // Pages of 300 at most: a folder of 1005 takes four, in UpYun's (time) order.
    emu = await startUpyunEmulator({ operators: { op: 'op-password' }, pageLimitMax: 300 });
    emu.createService('media');
    for (const [i, k] of [...awk, ...many].entries())
      emu.seed('media', k, `body of ${k}`, { mtime: new Date(old.getTime() - i * 1000) });
    for (const k of ['tree/a.txt', 'tree/a/1', 'tree/a/2', 'tree/b/1', 'tree/c.txt']) emu.seed('media', k, k);
    emu.seed('media', 'meta/object.txt', 'hello metadata', {
      mtime: old,
      contentType: 'text/plain',
      meta: { owner: 'alice' },
    });
    store = make('op-password');
  });
  after(async () => {
    await store.close();
    await emu.close();
  });

  it('lists depth first in UTF-8 byte order, every key once, across pages', async () => {
    const keys = (await all(store.list({ prefix: 'many/' }))).map(keyOf);
    assert.deepEqual(keys, many);
    const a = (await all(store.list({ prefix: 'awk/' }))).map(keyOf);
    assert.deepEqual(a, [...awk].sort(compareKeys));
    const everything = (await all(store.list({ prefix: '' }))).map(keyOf);
    assert.deepEqual(everything, [...everything].sort(compareKeys));
    assert.equal(everything.length, awk.length + many.length + 6);
  });

  it('lists one level with a delimiter, resumes after a key, reports size and mtime', async () => {
    const shallow = (await all(store.list({ prefix: 'tree/', delimiter: '/' }))).map(
      (e) => `${e.kind}:${keyOf(e)}`,
    );
    assert.deepEqual(shallow, ['object:tree/a.txt', 'prefix:tree/a/', 'prefix:tree/b/', 'object:tree/c.txt']);
    const later = (await all(store.list({ prefix: 'many/', startAfter: 'many/1001' }))).map(keyOf);
    assert.deepEqual(later, ['many/1002', 'many/1003', 'many/1004']);
    const deeper = (await all(store.list({ prefix: 'tree/', startAfter: 'tree/a/1' }))).map(keyOf);
    assert.deepEqual(deeper, ['tree/a/2', 'tree/b/1', 'tree/c.txt']);
    const [m] = await all(store.list({ prefix: 'meta/o' }));
    assert.ok(m?.kind === 'object');
    assert.equal(m.info.size, 14);
    assert.equal(m.info.lastModified.getTime(), Math.floor(old.getTime() / 1000) * 1000);
  });

  it('heads with size, mtime, the MD5 as evidence and metadata; missing → undefined', async () => {
    const h = (await store.head('meta/object.txt'))!;
    assert.equal(h.size, 14);
    assert.deepEqual(h.checksums, { md5: createHash('md5').update('hello metadata').digest('base64') });
    assert.equal(h.contentType, 'text/plain');
    assert.deepEqual(h.meta, { owner: 'alice' });
    const [listed] = await all(store.list({ prefix: 'meta/' }));
    assert.equal(
      listed?.kind === 'object' && listed.info.etag,
      h.etag,
      'listing and HEAD give one change token',
    );
    assert.equal(await store.head('meta/does-not-exist'), undefined);
    assert.equal(await store.head('tree/a'), undefined, 'a folder is not an object');
  });

  it('reads whole objects and ranges; headers describe the whole object', async () => {
    assert.equal(await text((await store.read('awk/ü/中文/ключ')).body), 'body of awk/ü/中文/ключ');
    const k = 'awk/sp ace+plus%25pct?q#h&a=b.txt';
    assert.equal(await text((await store.read(k)).body), `body of ${k}`);
    const r = await store.read('meta/object.txt', { range: { start: 6, end: 14 } });
    assert.equal(await text(r.body), 'metadata');
    assert.equal(r.head.size, 14);
  });

  it('classifies read failures: gone, changed since listed', async () => {
    await expectClass(store.read('meta/nope'), 'SOURCE_GONE');
    const h = (await store.head('tree/c.txt'))!;
    await text((await store.read('tree/c.txt', { ifMatch: h.etag! })).body);
    emu.seed('media', 'tree/c.txt', 'rewritten', { mtime: new Date() });
    await expectClass(store.read('tree/c.txt', { ifMatch: h.etag! }), 'SOURCE_CHANGED');
  });

  it('probes the service and reports the clock skew', async () => {
    emu.clockSkewMs = 120_000;
    const p = await store.probe();
    emu.clockSkewMs = 0;
    assert.equal(p.reachable, true);
    assert.ok(p.clockSkewMs! > 100_000 && p.clockSkewMs! < 140_000, String(p.clockSkewMs));
    const missing = new UpyunStore({
      service: 'nope',
      credentials: { operator: 'op', password: 'op-password' },
      endpoint: emu.endpoint,
    });
    const e = await expectClass(missing.probe(), 'ACCESS_DENIED');
    assert.match(e.message, /UpYun service nope not found/);
  });

  it('a wrong password is ACCESS_DENIED naming the fix, never the password', async () => {
    const bad = make('wrong-password');
    for (const [what, p] of [
      ['probe', () => bad.probe()],
      ['head', () => bad.head('meta/object.txt')],
      ['list', () => all(bad.list({ prefix: 'meta/' }))],
    ] as const) {
      const e = await expectClass(p(), 'ACCESS_DENIED');
      // A HEAD answer has no body to carry UpYun's code.
      if (what !== 'head') assert.match(e.message, /40100005 signature error/);
      assert.match(e.message, /check UPYUN_OPERATOR \/ UPYUN_PASSWORD/);
      assert.doesNotMatch(e.message, /wrong-password/);
    }
  });

  it('classifies throttling (429) as THROTTLED, transient, with the wait asked for', async () => {
    emu.faults.push({ op: 'get', kind: 'throttle', times: 1, retryAfterSeconds: 2 });
    const e = await expectClass(store.read('meta/object.txt'), 'THROTTLED');
    assert.equal(e.transient, true);
    assert.equal(e.retryAfterMs, 2000);
  });
});
