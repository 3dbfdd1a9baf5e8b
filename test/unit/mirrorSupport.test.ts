/**
 * core/mirrorSupport: whether OSS back-to-origin mirroring can serve the cutover, per source
 * type; and the README's sources table says the same as MIRROR_SUMMARY.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { urlPrefixesOf } from '../../runner/app/planMirror.ts';
import {
  isPrivateHost,
  MIRROR_SUMMARY,
  mirrorLines,
  mirrorSupport,
} from '../../runner/core/mirrorSupport.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('mirrorSupport per source type', () => {
  it('COS: yes, signed S3V4 against the bucket URL (private buckets work)', () => {
    const m = mirrorSupport({ type: 'cos', bucket: 'media-1250000000', region: 'ap-guangzhou' });
    assert.equal(m.mirror, 'yes');
    assert.match(m.how, /https:\/\/media-1250000000\.cos\.ap-guangzhou\.myqcloud\.com\//);
    assert.match(m.how, /MirrorAuth S3V4/);
    assert.match(m.why, /private COS bucket/);
    assert.match(m.fix, /read one key OSS does not have/);
  });

  it('OSS: yes, through a RAM role', () => {
    const m = mirrorSupport({ type: 'oss', bucket: 'old', region: 'cn-shanghai' });
    assert.equal(m.mirror, 'yes');
    assert.match(m.how, /https:\/\/old\.oss-cn-shanghai\.aliyuncs\.com\//);
    assert.match(m.how, /MirrorRole/);
  });

  it('S3 and compatibles: yes, S3V4; a private endpoint (MinIO on 10.x): no, with the write freeze', () => {
    const aws = mirrorSupport({ type: 's3', provider: 'aws', bucket: 'b', region: 'us-east-1' });
    assert.equal(aws.mirror, 'yes');
    assert.match(aws.how, /MirrorAuth S3V4/);
    const minio = mirrorSupport({
      type: 's3',
      provider: 'minio',
      bucket: 'b',
      endpoint: 'http://10.0.0.5:9000',
    });
    assert.equal(minio.mirror, 'no');
    assert.match(minio.why, /cannot reach http:\/\/10\.0\.0\.5:9000/);
    assert.match(minio.fix, /public address .* or cut over with a write freeze/);
    const qiniu = mirrorSupport({
      type: 's3',
      provider: 'qiniu',
      bucket: 'b',
      endpoint: 'https://s3.cn-east-1.qiniucs.com',
    });
    assert.equal(qiniu.mirror, 'yes');
  });

  it('Azure Blob: no (no Azure auth in a mirror rule); public-read container or a write freeze', () => {
    const m = mirrorSupport({ type: 'azure', account: 'acct', container: 'media' });
    assert.equal(m.mirror, 'no');
    assert.match(m.how, /public-read container: MirrorURL https:\/\/acct\.blob\.core\.windows\.net\/media\//);
    assert.match(m.why, /cannot sign Azure Shared Key/);
    assert.match(m.why, /SAS token cannot ride in MirrorURL/);
    assert.match(m.fix, /public-read .* or cut over with a write freeze/);
  });

  it('UpYun: no for a private service; its public CDN domain is the only way', () => {
    const m = mirrorSupport({ type: 'upyun', service: 'media' });
    assert.equal(m.mirror, 'no');
    assert.match(m.how, /https:\/\/media\.test\.upcdn\.net\//);
    assert.match(m.fix, /write freeze/);
  });

  it('local directory: no', () => {
    const m = mirrorSupport({ type: 'local' });
    assert.equal(m.mirror, 'no');
    assert.match(m.why, /HTTP\(S\) from the internet/);
    assert.match(m.fix, /write freeze/);
  });

  it('http-list: yes for public URL prefixes, no for a private one or more prefixes than rules', () => {
    const pub = mirrorSupport({ type: 'http-list', urlPrefixes: ['https://cdn.example.com/media/'] });
    assert.equal(pub.mirror, 'yes');
    assert.match(pub.how, /MirrorURL = https:\/\/cdn\.example\.com\/media\/ .*no MirrorAuth/);
    const two = mirrorSupport({
      type: 'http-list',
      urlPrefixes: ['https://a.example.com/', 'https://b.example.com/'],
    });
    assert.equal(two.mirror, 'yes');
    assert.match(two.how, /one rule per URL prefix \(2\)/);
    const priv = mirrorSupport({
      type: 'http-list',
      urlPrefixes: ['https://cdn.example.com/', 'http://192.168.1.20/files/'],
    });
    assert.equal(priv.mirror, 'no');
    assert.match(priv.summary, /192\.168\.1\.20/);
    const many = mirrorSupport({
      type: 'http-list',
      urlPrefixes: Array.from({ length: 21 }, (_, i) => `https://h${i}.example.com/`),
    });
    assert.equal(many.mirror, 'no');
    assert.match(many.why, /at most 20 mirror rules/);
  });

  it('a local origin with a local destination (the sandbox emulator) is mirrorable, and says why', () => {
    const alone = mirrorSupport({
      type: 'cos',
      bucket: 'b-1250000000',
      region: 'ap-guangzhou',
      endpoint: 'http://127.0.0.1:9001',
    });
    assert.equal(alone.mirror, 'no');
    const sandbox = mirrorSupport(
      { type: 'cos', bucket: 'b-1250000000', region: 'ap-guangzhou', endpoint: 'http://127.0.0.1:9001' },
      { destinationEndpoint: 'http://127.0.0.1:9002' },
    );
    assert.equal(sandbox.mirror, 'yes');
    assert.match(
      sandbox.why,
      /local OSS emulator, which reaches http:\/\/127\.0\.0\.1:9001; Alibaba Cloud OSS needs a public origin/,
    );
    // A public destination does not make a private origin reachable.
    const cloud = mirrorSupport(
      { type: 'cos', endpoint: 'http://127.0.0.1:9001' },
      { destinationEndpoint: 'https://oss-cn-hangzhou.aliyuncs.com' },
    );
    assert.equal(cloud.mirror, 'no');
  });

  it('private hosts', () => {
    for (const h of [
      'localhost',
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.9.9',
      '192.168.0.1',
      '169.254.1.1',
      '100.100.1.1',
      '::1',
      '[fd00::1]',
    ])
      assert.ok(isPrivateHost(h), h);
    for (const h of ['172.32.0.1', '8.8.8.8', 'cos.ap-guangzhou.myqcloud.com', '100.128.0.1', '2001:db8::1'])
      assert.ok(!isPrivateHost(h), h);
  });

  it('mirrorLines: the answer, why, and check (yes) or fix (no)', () => {
    assert.deepEqual(
      mirrorLines(mirrorSupport({ type: 'local' })).map((l) => l.split(' ')[0]),
      ['no', 'why:', 'fix:'],
    );
    assert.match(mirrorLines(mirrorSupport({ type: 'cos' }))[2]!, /^check: /);
  });
});

describe('the README says what mirrorSupport says', () => {
  it('the sources table has the MIRROR_SUMMARY of each source type in its mirroring column', async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const table = readme.split('## Sources')[1]!.split('\n## ')[0]!;
    const header = table.split('\n').find((l) => l.startsWith('| source'))!;
    const cols = header.split('|').map((c) => c.trim());
    const col = cols.indexOf('OSS mirroring at cutover');
    assert.ok(col > 0, 'the sources table has an "OSS mirroring at cutover" column');
    const rows = table.split('\n').filter((l) => l.startsWith('| ['));
    const cell = (scheme: string) => {
      const row = rows.find((r) => r.includes(`\`${scheme}://`));
      assert.ok(row, `a README row for ${scheme}://`);
      return row.split('|')[col]!.trim();
    };
    for (const [type, summary] of Object.entries(MIRROR_SUMMARY)) assert.equal(cell(type), summary, type);
  });
});

describe('urlPrefixesOf (a URL list)', () => {
  it('the distinct prefixes of the first lines, a scheme added where the list has none', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-mirror-'));
    try {
      const list = join(dir, 'list.txt');
      await writeFile(
        list,
        '# comment\nhttps://cdn.example.com/a/\tx.jpg\n\nhttps://cdn.example.com/a/\ty.jpg\r\n10.0.0.9/b/ z.jpg\n',
      );
      assert.deepEqual(await urlPrefixesOf(list, 1), ['https://cdn.example.com/a/', 'http://10.0.0.9/b/']);
      assert.deepEqual(await urlPrefixesOf(join(dir, 'missing.txt'), 1), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
