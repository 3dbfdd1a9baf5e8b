import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { parseJob } from '../../runner/config/job.ts';
import { ConfigError } from '../../runner/core/errors.ts';
import { compareKeys } from '../../runner/core/keys.ts';
import { localFiles, parseManifest, sortedInventory } from '../../runner/engine/inventory.ts';
import { baseSpec, harness, past } from '../helpers/engine.ts';

/** OSS-style URL encoding of a key (space as "+", "+" as %2B). */
const enc = (k: string) => encodeURIComponent(k).replace(/%20/g, '+');

/**
 * An OSS inventory as the bucket delivers it (downloaded keeping the layout):
 * <root>/dest/src/inv1/<date>/manifest.json and <root>/dest/src/inv1/data/<uuid>[-n].csv.gz.
 */
async function writeInventory(
  root: string,
  files: Array<Array<{ key: string; size: number; mtime: Date; etag?: string }>>,
  created: Date,
): Promise<string> {
  const base = join(root, 'dest', 'src', 'inv1');
  await mkdir(join(base, '2026-05-17T16-00Z'), { recursive: true });
  await mkdir(join(base, 'data'), { recursive: true });
  const names: Array<{ key: string; size: number }> = [];
  for (const [i, rows] of files.entries()) {
    const csv = rows
      .map((r) =>
        [
          'src',
          enc(r.key),
          String(r.size),
          'Standard',
          r.mtime.toISOString().replace(/\.\d+Z$/, 'Z'),
          `"${(r.etag ?? 'ABCDEF0123456789ABCDEF0123456789').toUpperCase()}"`,
          'false',
        ]
          .map((f) => `"${f.replace(/"/g, '""')}"`)
          .join(','),
      )
      .join('\n');
    const name = `dest/src/inv1/data/745a29e3${i ? `-${i}` : ''}.csv.gz`;
    const body = gzipSync(`${csv}\n`);
    await writeFile(join(root, name), body);
    names.push({ key: name, size: body.length });
  }
  const manifest = join(base, '2026-05-17T16-00Z', 'manifest.json');
  await writeFile(
    manifest,
    JSON.stringify({
      creationTimestamp: String(Math.floor(created.getTime() / 1000)),
      destinationBucket: 'dest',
      fileFormat: 'CSV',
      fileSchema: 'Bucket, Key, Size, StorageClass, LastModifiedDate, ETag, IsMultipartUploaded',
      files: names.map((n) => ({ key: n.key, size: n.size, MD5checksum: '00' })),
      sourceBucket: 'src',
      version: '2019-09-01',
    }),
  );
  return manifest;
}

const KEYS = [
  'b/2',
  'a b+c.txt',
  '中文/图片 1.jpg',
  'a',
  'ab',
  'z/\u{1F600}',
  'a/x',
  '~tilde',
  'b/10',
  'b/1',
];

describe('listing from a bucket inventory', () => {
  it('a plan pass reads the inventory and issues no LIST at all', async () => {
    const h = await harness();
    const root = await mkdtemp(join(tmpdir(), 'ossmigrate-inv-'));
    try {
      const mtime = past(60);
      for (const k of KEYS) h.src.put(k, `body-${k}`, { lastModified: mtime });
      const rows = KEYS.map((key) => ({ key, size: Buffer.byteLength(`body-${key}`), mtime }));
      const manifest = await writeInventory(root, [rows.slice(5), rows.slice(0, 5)], past(30));
      const r = await h.run(
        'plan',
        { phase: 'full', t1: new Date() },
        { spec: { listing: { inventory: manifest } } },
      );
      assert.equal(r.stopped, false);
      assert.equal(h.src.calls.list, 0, 'no LIST on the source');
      const logs = h.events.filter((e) => e.type === 'log').map((e) => (e as { message: string }).message);
      assert.ok(
        logs.some((m) => /objects written after it are not in the planned counts/.test(m)),
        logs.join('\n'),
      );
    } finally {
      await h.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('a copy pass takes its tasks from the inventory, copies every key once, and objects newer than it too', async () => {
    const h = await harness();
    const root = await mkdtemp(join(tmpdir(), 'ossmigrate-inv-'));
    try {
      const mtime = past(60);
      for (const k of KEYS) h.src.put(k, `body-${k}`, { lastModified: mtime });
      const rows = KEYS.map((key) => ({ key, size: Buffer.byteLength(`body-${key}`), mtime }));
      const manifest = await writeInventory(root, [rows.slice(3), rows.slice(0, 3)], past(30));
      h.src.put('b/15-after-the-inventory', 'late', { lastModified: past(10) });
      const r = await h.run(
        'copy',
        { phase: 'full', t1: new Date() },
        { spec: { listing: { inventory: manifest }, tasks: { maxObjects: 3 } } },
      );
      assert.equal(r.stopped, false);
      const c = await h.state.counters(r.pass.id);
      assert.equal(c.scannedObjects, KEYS.length, 'the counts are the inventory rows');
      const copied = h.events
        .filter((e) => e.type === 'object' && e.outcome === 'copied')
        .map((e) => (e as { key: string }).key);
      assert.deepEqual(
        [...copied].sort(compareKeys),
        [...KEYS, 'b/15-after-the-inventory'].sort(compareKeys),
      );
      assert.equal(new Set(copied).size, copied.length, 'no key twice');
      assert.equal(
        h.dst.objects.get('中文/图片 1.jpg')?.body.toString(),
        'body-中文/图片 1.jpg',
        'keys URL-decoded',
      );
    } finally {
      await h.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('an incremental pass with an inventory older than T1 lists instead, and says so', async () => {
    const h = await harness();
    const root = await mkdtemp(join(tmpdir(), 'ossmigrate-inv-'));
    try {
      const mtime = past(60);
      h.src.put('x', 'x', { lastModified: mtime });
      const manifest = await writeInventory(root, [[{ key: 'x', size: 1, mtime }]], past(50));
      await h.run(
        'copy',
        { phase: 'incremental', t1: past(40), t2: new Date() },
        { spec: { listing: { inventory: manifest } } },
      );
      assert.ok(h.src.calls.list > 0);
      const logs = h.events.filter((e) => e.type === 'log').map((e) => (e as { message: string }).message);
      assert.ok(
        logs.some((m) =>
          /before T1: it cannot show what changed since, so this pass lists the source/.test(m),
        ),
        logs.join('\n'),
      );
    } finally {
      await h.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('sorts unsorted rows with bounded memory (spilled runs) and keeps each key once', async () => {
    const root = await mkdtemp(join(tmpdir(), 'ossmigrate-inv-'));
    try {
      const mtime = past(60);
      const keys = Array.from(
        { length: 500 },
        (_, i) => `k/${(i * 7919) % 1000}-${i % 3 ? 'é' : '\u{1F600}'}`,
      );
      const rows = keys.map((key) => ({ key, size: 1, mtime }));
      const dup = { key: keys[7]!, size: 2, mtime: past(1) };
      const manifest = await writeInventory(root, [rows.slice(250), [...rows.slice(0, 250), dup]], past(30));
      const { readFile } = await import('node:fs/promises');
      const m = parseManifest(await readFile(manifest, 'utf8'), manifest);
      const out: string[] = [];
      let dupSize = 0;
      for await (const o of sortedInventory(m, localFiles(manifest), 'k/', { runRows: 37 })) {
        out.push(o.key);
        if (o.key === dup.key) dupSize = o.size;
      }
      assert.deepEqual(out, [...new Set(keys)].sort(compareKeys));
      assert.equal(dupSize, 2, 'the newest row of a key listed twice');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('refuses what it cannot read, naming listing.inventory and the fix', () => {
    assert.throws(
      () =>
        parseManifest(
          JSON.stringify({ fileFormat: 'ORC', fileSchema: 'Key', files: [] }),
          'oss://dest/m/manifest.json',
        ),
      (e: unknown) =>
        e instanceof ConfigError &&
        /^listing\.inventory: oss:\/\/dest\/m\/manifest\.json has fileFormat "ORC"; only CSV inventories can be read$/.test(
          e.message,
        ),
    );
    assert.throws(
      () => parseManifest('{"fileFormat":"CSV","fileSchema":"Bucket, Key","files":[]}', 'm.json'),
      /has no Size column/,
    );
    assert.throws(
      () =>
        parseJob(
          { ...baseSpec, listing: { inventory: 'cos://other-1250000000/inv/manifest.json' } },
          'job.yaml',
        ),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message.includes(
          'job.yaml: listing.inventory: cos://other-1250000000/… is neither the source nor the destination bucket',
        ),
    );
    assert.throws(
      () => parseJob({ ...baseSpec, listing: { inventory: 'https://x/manifest.json' } }, 'job.yaml'),
      /listing\.inventory: must name an inventory manifest/,
    );
    assert.doesNotThrow(() =>
      parseJob({ ...baseSpec, listing: { inventory: 'cos://src-1250000000/inv/2026-05-17/manifest.json' } }),
    );
  });
});
