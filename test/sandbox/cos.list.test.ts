/** COS emulator: GET Bucket (List Objects V1) through cos-nodejs-sdk-v5's getBucket. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { compareKeys } from '../../runner/core/keys.ts';
import { B, BUCKET, type Harness, harness, sdkError } from './cos/testkit.ts';

type Listing = Awaited<ReturnType<Harness['cos']['getBucket']>>;

/** Page through a listing with Marker/NextMarker; returns every key and common prefix in order. */
async function listAll(h: Harness, params: { Prefix?: string; Delimiter?: string; MaxKeys: number }) {
  const items: string[] = [];
  const pages: Listing[] = [];
  let Marker: string | undefined;
  for (let i = 0; i < 100; i++) {
    const page = await h.cos.getBucket({ ...B, ...params, ...(Marker !== undefined ? { Marker } : {}) });
    pages.push(page);
    const here = [
      ...page.Contents.map((c) => `K:${c.Key}`),
      ...page.CommonPrefixes.map((p) => `P:${p.Prefix}`),
    ].sort((a, b) => compareKeys(a.slice(2), b.slice(2)));
    items.push(...here);
    assert.ok(here.length <= params.MaxKeys);
    if (page.IsTruncated !== 'true') return { items, pages };
    assert.ok(page.NextMarker, 'NextMarker whenever truncated');
    Marker = page.NextMarker;
  }
  throw new Error('listing did not end');
}

describe('COS emulator: GET Bucket listing', () => {
  let h: Harness;
  const keys = [
    'a.txt',
    'dir/1',
    'dir/2',
    'dir/sub/3',
    'dir/sub/4',
    'dir2/5',
    'sp ace/6',
    'plus+/7',
    'ü/中文/8',
    'z',
  ];
  before(async () => {
    h = await harness();
    for (const key of keys) {
      await h.emu.seed(BUCKET, { key, body: key, lastModified: new Date('2024-05-01T08:00:00Z') });
    }
    await h.emu.seed(BUCKET, { key: 'cold/archived', body: 'ice', storageClass: 'ARCHIVE' });
    await h.emu.seed(BUCKET, { key: 'cold/ia', body: 'ia', storageClass: 'standard_ia' });
  });
  after(() => h.close());

  it('returns every field the SDK reads', async () => {
    const page = await h.cos.getBucket({ ...B, Prefix: 'a.txt' });
    assert.equal(page.Name, BUCKET);
    assert.equal(page.Prefix, 'a.txt');
    assert.equal(page.Marker, '');
    assert.equal(page.MaxKeys, '1000');
    assert.equal(page.IsTruncated, 'false');
    assert.equal(page.NextMarker, undefined);
    assert.deepEqual(page.Contents, [
      {
        Key: 'a.txt',
        LastModified: '2024-05-01T08:00:00.000Z',
        ETag: `"${createHash('md5').update('a.txt').digest('hex')}"`,
        Size: '5',
        Owner: { ID: '1250000000', DisplayName: '1250000000' },
        StorageClass: 'STANDARD',
      },
    ]);
    const cold = await h.cos.getBucket({ ...B, Prefix: 'cold/' });
    assert.deepEqual(
      cold.Contents.map((c) => [c.Key, c.StorageClass]),
      [
        ['cold/archived', 'ARCHIVE'],
        ['cold/ia', 'STANDARD_IA'],
      ],
    );
  });

  it('pages with NextMarker even without a delimiter', async () => {
    const { items, pages } = await listAll(h, { MaxKeys: 3 });
    assert.deepEqual(
      items,
      [...keys, 'cold/archived', 'cold/ia'].sort(compareKeys).map((k) => `K:${k}`),
    );
    assert.equal(pages.length, 4);
    assert.equal(pages[0]!.NextMarker, pages[0]!.Contents.at(-1)!.Key);
  });

  it('rolls keys up into CommonPrefixes that count toward MaxKeys', async () => {
    const { items, pages } = await listAll(h, { Delimiter: '/', MaxKeys: 2 });
    assert.deepEqual(items, [
      'K:a.txt',
      'P:cold/',
      'P:dir/',
      'P:dir2/',
      'P:plus+/',
      'P:sp ace/',
      'K:z',
      'P:ü/',
    ]);
    assert.equal((pages[0] as { Delimiter?: string }).Delimiter, '/');
    assert.equal(pages[0]!.NextMarker, 'cold/');
    const sub = await listAll(h, { Prefix: 'dir/', Delimiter: '/', MaxKeys: 1000 });
    assert.deepEqual(sub.items, ['K:dir/1', 'K:dir/2', 'P:dir/sub/']);
  });

  it('filters by prefixes that need encoding', async () => {
    for (const [prefix, expected] of [
      ['sp ace/', ['sp ace/6']],
      ['plus+', ['plus+/7']],
      ['ü/中', ['ü/中文/8']],
    ] as const) {
      const page = await h.cos.getBucket({ ...B, Prefix: prefix });
      assert.deepEqual(
        page.Contents.map((c) => c.Key),
        expected,
        prefix,
      );
    }
  });

  it('starts after Marker', async () => {
    const page = await h.cos.getBucket({ ...B, Marker: 'dir/sub/3', MaxKeys: 2 });
    assert.equal(page.Marker, 'dir/sub/3');
    assert.deepEqual(
      page.Contents.map((c) => c.Key),
      ['dir/sub/4', 'dir2/5'],
    );
  });

  it('URL-encodes keys, prefixes and markers with EncodingType=url', async () => {
    const page = await h.cos.getBucket({
      ...B,
      Prefix: 'ü/',
      Delimiter: '/',
      EncodingType: 'url',
    });
    assert.equal(page.EncodingType, 'url');
    assert.equal(page.Prefix, '%C3%BC/');
    assert.deepEqual(
      page.CommonPrefixes.map((p) => decodeURIComponent(p.Prefix)),
      ['ü/中文/'],
    );
    const spaced = await h.cos.getBucket({ ...B, Prefix: 's', EncodingType: 'url', MaxKeys: 1 });
    assert.equal(spaced.Contents[0]!.Key, 'sp%20ace/6');
    const plus = await h.cos.getBucket({ ...B, Prefix: 'p', EncodingType: 'url', MaxKeys: 1 });
    assert.equal(plus.Contents[0]!.Key, 'plus%2B/7');
  });

  it('defaults MaxKeys to 1000 and caps it there', async () => {
    const big = await harness();
    try {
      for (let i = 0; i < 1005; i++) {
        await big.emu.seed(BUCKET, { key: `k/${String(i).padStart(4, '0')}`, body: '' });
      }
      const first = await big.cos.getBucket({ ...B });
      assert.equal(first.MaxKeys, '1000');
      assert.equal(first.Contents.length, 1000);
      assert.equal(first.IsTruncated, 'true');
      assert.equal(first.NextMarker, 'k/0999');
      const capped = await big.cos.getBucket({ ...B, MaxKeys: 5000 });
      assert.equal(capped.MaxKeys, '1000');
      assert.equal(capped.Contents.length, 1000);
      const rest = await big.cos.getBucket({ ...B, Marker: first.NextMarker });
      assert.equal(rest.Contents.length, 5);
      assert.equal(rest.IsTruncated, 'false');
    } finally {
      await big.close();
    }
  });

  it('rejects malformed parameters with InvalidArgument', async () => {
    const err = await sdkError(h.cos.getBucket({ ...B, MaxKeys: 'lots' as unknown as number }));
    assert.equal(err.code, 'InvalidArgument');
    assert.equal(err.statusCode, 400);
    const enc = await sdkError(h.cos.getBucket({ ...B, EncodingType: 'base64' as 'url' }));
    assert.equal(enc.code, 'InvalidArgument');
  });
});
