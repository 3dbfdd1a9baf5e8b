/**
 * ossimport job.cfg / sys.properties as users have them: the fixtures reproduce the keys, values
 * and quirks of Alibaba's published samples (one per srcType, the Express Tunnel variant, the
 * standalone local_job.cfg + sys.properties): Chinese comments, a trailing space, empty values.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { destinationStore, sourceStore } from '../../runner/adapters/factory.ts';
import { parseJob } from '../../runner/config/job.ts';
import {
  decodeCfg,
  loadOssimportCfg,
  parseProperties,
  readOssimportCfg,
  translate,
} from '../../runner/config/ossimportCfg.ts';
import { ConfigError } from '../../runner/core/errors.ts';

const FIX = new URL('../fixtures/ossimport/', import.meta.url);
const fixture = (name: string) => readFile(new URL(name, FIX), 'utf8');
/** A fixture with some keys replaced (value) or deleted (null). */
async function edited(name: string, set: Record<string, string | null>): Promise<Map<string, string>> {
  const p = parseProperties(await fixture(name));
  for (const [k, v] of Object.entries(set)) {
    if (v === null) p.delete(k);
    else p.set(k, v);
  }
  return p;
}
/** The ConfigError a translation throws: message and fix. */
function refusal(fn: () => unknown): { message: string; fix: string } {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return { message: e.message, fix: e.fix ?? '' };
  }
  assert.fail('expected a ConfigError');
}

describe('ossimport samples translate as they are', () => {
  it('cos: srcPrefix=/docs/ is the key prefix docs/, srcDomain=sh is ap-shanghai, appId joins the bucket', async () => {
    const t = translate(parseProperties(await fixture('cos.job.cfg')), new Map(), 'cos.job.cfg');
    assert.deepEqual(t.spec.source, {
      type: 'cos',
      bucket: 'mybucket-1252883280',
      region: 'ap-shanghai',
      prefix: 'docs/',
    });
    assert.equal(t.spec.destination.region, 'cn-hangzhou');
    assert.equal(t.spec.destination.internal, true);
    assert.equal(
      t.spec.destination.endpoint,
      'http://oss-cn-hangzhou-internal.aliyuncs.com',
      'an http:// endpoint is contacted over http, as written',
    );
    assert.equal(t.spec.verify.afterImport, true, '"true " with a trailing space is true');
    assert.ok(t.notes.some((n) => /srcPrefix=\/docs\/: read as the key prefix "docs\/"/.test(n)));
    assert.ok(t.notes.some((n) => /destDomain: http:\/\/.* plain http as written/.test(n)));
  });

  it('local: an odd standard-looking host (oss-cn-hangzhou-zmf) is read, not a crash', async () => {
    const t = translate(
      await edited('local.job.cfg', { srcPrefix: '/data/in/' }),
      new Map(),
      'local.job.cfg',
    );
    assert.deepEqual(t.spec.source, { type: 'local', path: '/data/in/', followSymlinks: false });
    assert.equal(t.spec.destination.region, 'cn-hangzhou-zmf');
  });

  it("local as it stands: the sample's Windows srcPrefix is refused naming srcPrefix", async () => {
    if (process.platform === 'win32') return;
    const r = refusal(() => translate(parseProperties(localText), new Map(), 'local.job.cfg'));
    assert.match(r.message, /srcPrefix=D:\/work\/oss\/data\/ is a Windows path/);
    assert.match(r.fix, /set srcPrefix to the directory on this machine/);
  });

  it('oss: both ends from their standard endpoints', async () => {
    const t = translate(parseProperties(await fixture('oss.job.cfg')), new Map(), 'oss.job.cfg');
    assert.equal(t.spec.source.type, 'oss');
    assert.deepEqual(
      { ...t.spec.source },
      {
        type: 'oss',
        bucket: 'mybucket',
        region: 'cn-hangzhou',
        internal: true,
        prefix: 'src/',
        endpoint: 'http://oss-cn-hangzhou-internal.aliyuncs.com',
      },
    );
    assert.equal(t.credentials.sourceOss?.accessKeyId, 'LTAI******example');
  });

  it("another source type's keys are noted only when they differ from ossimport's template", async () => {
    const quiet = translate(parseProperties(await fixture('cos.job.cfg')), new Map(), 'cos.job.cfg');
    assert.deepEqual(
      quiet.notes.filter((n) => /: ignored \(only for/.test(n)),
      [],
      'the template values (isDownloadFromCdn=false, getObjectMetaMode=stat, the example http.list) say nothing',
    );
    const set = translate(
      await edited('cos.job.cfg', { isDownloadFromCdn: 'true', httpListFilePath: '/data/urls.list' }),
      new Map(),
      'cos.job.cfg',
    );
    assert.ok(set.notes.includes('isDownloadFromCdn: ignored (only for the youpai source)'));
    assert.ok(set.notes.includes('httpListFilePath: ignored (only for the http source)'));
  });

  it('Express Tunnel keys are named once, with why, and the token never appears', async () => {
    const t = translate(parseProperties(await fixture('et.job.cfg')), new Map(), 'et.job.cfg');
    assert.equal(t.spec.name, 'local_test_md');
    assert.equal(t.spec.source.type, 'local');
    const et = t.notes.filter((n) => /expressTunnel/.test(n));
    assert.equal(et.length, 1);
    assert.match(
      et[0]!,
      /isUseExpressTunnel, expressTunnelProxyHost, .*expressTunnelAuthToken: ignored — Express Tunnel/,
    );
    assert.ok(!JSON.stringify(t).includes('do-not-print'), 'the token is neither printed nor kept');
  });

  it('local_job.cfg + sys.properties from the standalone zip', async () => {
    const sys = parseProperties(await fixture('sys.properties'));
    assert.equal(sys.get('workerAbortWhenUncatchedException'), 'false', 'trailing spaces dropped');
    const job = await edited('local_job.cfg', { srcPrefix: '/data/in/', destBucket: 'mybucket' });
    const t = translate(job, sys, 'local_job.cfg');
    assert.equal(t.spec.transfer.concurrency, 60);
    assert.equal(t.spec.transfer.stopOnInternalError, false);
    assert.equal(t.spec.bandwidth.limit, 'off');
    assert.equal(t.spec.destination.prefix, '');
    assert.equal(t.credentials.oss, undefined, 'empty destAccessKey/destSecretKey are no keys');
    assert.match(t.credentials.hint?.oss ?? '', /fill in destAccessKey and destSecretKey in local_job\.cfg/);
  });
});

let localText = '';
before(async () => {
  localText = await fixture('local.job.cfg');
});

describe('srcDomain / destDomain', () => {
  const cos = (srcDomain: string) =>
    translate(
      parseProperties(
        `srcType=cos\nsrcDomain=${srcDomain}\nsrcBucket=b\nappId=1250000000\ndestDomain=oss-cn-beijing.aliyuncs.com\ndestBucket=dst\n`,
      ),
    );
  it('maps the COS v4 short codes and v4 region names to COS regions', () => {
    const want: Record<string, string> = {
      gz: 'ap-guangzhou',
      sh: 'ap-shanghai',
      tj: 'ap-beijing-1',
      bj: 'ap-beijing',
      cd: 'ap-chengdu',
      cq: 'ap-chongqing',
      hk: 'ap-hongkong',
      sgp: 'ap-singapore',
      ca: 'na-toronto',
      ger: 'eu-frankfurt',
      SH: 'ap-shanghai',
      'cn-south': 'ap-guangzhou',
      'ap-nanjing': 'ap-nanjing',
    };
    for (const [code, region] of Object.entries(want)) {
      const s = cos(code).spec.source;
      assert.equal(s.type === 'cos' && s.region, region, code);
    }
  });

  it('takes the region from a standard host name; any other URL or host:port is an endpoint', () => {
    const std = cos('https://mybucket-1250000000.cos.ap-chengdu.myqcloud.com').spec.source;
    assert.equal(std.type === 'cos' && std.region, 'ap-chengdu');
    assert.equal(std.type === 'cos' && std.endpoint, undefined);
    const ep = cos('http://127.0.0.1:9000');
    assert.equal(ep.spec.source.type === 'cos' && ep.spec.source.endpoint, 'http://127.0.0.1:9000');
    assert.equal(ep.spec.source.type === 'cos' && ep.spec.source.region, 'ap-guangzhou');
    assert.ok(
      ep.notes.some((n) => /signs for region ap-guangzhou \(assumed\); --src-region sets the region/.test(n)),
    );
    const bare = translate(
      parseProperties('srcType=local\nsrcPrefix=/d/\ndestDomain=minio.lan:9000\ndestBucket=dst\n'),
    );
    assert.equal(
      bare.spec.destination.endpoint,
      'http://minio.lan:9000',
      'no scheme: http, as ossimport did',
    );
    assert.equal(bare.spec.destination.region, 'cn-hangzhou');
    assert.ok(bare.notes.some((n) => /--dst-region sets the region/.test(n)));
    const b = translate(
      parseProperties(
        'srcType=local\nsrcPrefix=/d/\ndestDomain=oss-ap-southeast-1.aliyuncs.com\ndestBucket=dst\n',
      ),
    );
    assert.equal(b.spec.destination.region, 'ap-southeast-1');
  });

  it('flags replace the region and endpoint of srcDomain/destDomain', () => {
    const t = translate(
      parseProperties('srcType=cos\nsrcDomain=sh\nsrcBucket=b-1250000000\ndestBucket=dst\n'),
      new Map(),
      'job.cfg',
      { srcRegion: 'ap-guangzhou', srcEndpoint: 'http://127.0.0.1:1', dstRegion: 'cn-beijing' },
    );
    assert.deepEqual(t.spec.source, {
      type: 'cos',
      bucket: 'b-1250000000',
      region: 'ap-guangzhou',
      prefix: '',
      endpoint: 'http://127.0.0.1:1',
    });
    assert.equal(t.spec.destination.region, 'cn-beijing', '--dst-region stands in for a missing destDomain');
  });
});

describe('missing keys name the cfg key to add', () => {
  const cases: Array<[string, Record<string, string | null>, RegExp, RegExp]> = [
    [
      'cos.job.cfg',
      { srcType: null },
      /srcType is missing or empty/,
      /add srcType=local .*srcType=cos or srcType=oss/,
    ],
    ['cos.job.cfg', { srcBucket: null }, /srcBucket is missing or empty/, /add srcBucket=/],
    [
      'cos.job.cfg',
      { appId: '0' },
      /srcBucket=mybucket has no APPID and appId is 0/,
      /add appId=<your APPID>/,
    ],
    ['cos.job.cfg', { appId: null }, /appId is missing/, /or write srcBucket=mybucket-<APPID>/],
    ['cos.job.cfg', { destBucket: '' }, /destBucket is missing or empty/, /add destBucket=/],
    ['cos.job.cfg', { destDomain: null }, /destDomain is missing or empty/, /add destDomain=https:\/\/oss-/],
    ['cos.job.cfg', { srcDomain: '' }, /srcDomain is missing or empty/, /add srcDomain=sh/],
    [
      'et.job.cfg',
      { srcPrefix: '' },
      /srcPrefix is missing or empty: for srcType=local it is the directory/,
      /add srcPrefix=/,
    ],
  ];
  for (const [file, set, message, fix] of cases) {
    it(`${file} with ${JSON.stringify(set)}`, async () => {
      const p = await edited(file, set);
      const r = refusal(() => translate(p, new Map(), file));
      assert.match(r.message, message);
      assert.match(r.fix, fix);
      assert.doesNotMatch(`${r.message} ${r.fix}`, /source\.|destination\./, 'no YAML keys');
    });
  }

  it('accepts srcType in any case', async () => {
    const t = translate(await edited('cos.job.cfg', { srcType: 'COS' }));
    assert.equal(t.spec.source.type, 'cos');
    const l = translate(await edited('et.job.cfg', { srcType: 'Local' }));
    assert.equal(l.spec.source.type, 'local');
  });

  it('a bad value is named by its cfg key (multipartUploadPartSize, lastModify)', async () => {
    const r = refusal(() =>
      translate(parseProperties(`${localText}\nsrcPrefix=/d/\nmultipartUploadPartSize=1k\n`)),
    );
    assert.match(
      r.message,
      /multipartUploadPartSize \(transfer\.partSize\): must be from 100 KiB to 5\.0 GiB/,
    );
    const w = refusal(() =>
      translate(
        parseProperties(`${localText}\nsrcPrefix=/d/\nimportSince=1795318245\nlastModify=1795300000\n`),
      ),
    );
    assert.match(w.message, /lastModify \(window\.until\): is before window\.since/);
  });

  it('a key ossimport does not know is named (a typo), never its value', async () => {
    const t = translate(await edited('cos.job.cfg', { destBukcet: 'secretish-value' }));
    assert.ok(t.notes.some((n) => /destBukcet: not ossimport keys, ignored \(check the spelling\)/.test(n)));
    assert.ok(!t.notes.join('\n').includes('secretish-value'));
  });

  it('no OSS keys anywhere: the fix names destAccessKey/destSecretKey in the cfg', async () => {
    const t = translate(
      await edited('cos.job.cfg', { destAccessKey: '', destSecretKey: '' }),
      new Map(),
      'cos.job.cfg',
    );
    await assert.rejects(
      destinationStore(t.spec, { origin: {}, ...(t.credentials.hint ? { hint: t.credentials.hint } : {}) }),
      (e: ConfigError) =>
        /no Alibaba Cloud credentials for the OSS destination/.test(e.message) &&
        /^fill in destAccessKey and destSecretKey in cos\.job\.cfg; or export ALIBABA_CLOUD_ACCESS_KEY_ID/.test(
          e.fix!,
        ),
    );
    const half = translate(await edited('cos.job.cfg', { srcSecretKey: '' }), new Map(), 'cos.job.cfg');
    await assert.rejects(
      sourceStore(half.spec, { origin: {}, hint: half.credentials.hint! }),
      (e: ConfigError) => /^srcSecretKey is empty in cos\.job\.cfg: fill it in/.test(e.fix!),
    );
  });
});

describe('cfg files as editors save them', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cfg-enc-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const body =
    'srcType=local\nsrcPrefix=/data/in/ \ndestDomain=http://oss-cn-beijing.aliyuncs.com\ndestBucket=dst\ndestPrefix=\n';
  it('reads CRLF endings, a UTF-8 BOM and GBK comments alike', async () => {
    // "#中文注释" in GBK: not valid UTF-8, so it is decoded as GBK.
    const gbk = Buffer.from([0x23, 0xd6, 0xd0, 0xce, 0xc4, 0xd7, 0xa2, 0xca, 0xcd, 0x0a]);
    assert.equal(decodeCfg(gbk), '#中文注释\n');
    const files: Record<string, Buffer> = {
      'crlf.cfg': Buffer.from(body.replace(/\n/g, '\r\n')),
      'bom.cfg': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)]),
      'gbk.cfg': Buffer.concat([gbk, Buffer.from(body.replace(/\n/g, '\r\n'))]),
    };
    for (const [name, bytes] of Object.entries(files)) {
      await writeFile(join(dir, name), bytes);
      const t = await loadOssimportCfg(join(dir, name));
      assert.deepEqual(t.spec.source, { type: 'local', path: '/data/in/', followSymlinks: false }, name);
      assert.equal(t.spec.destination.bucket, 'dst', name);
      assert.equal(t.spec.destination.region, 'cn-beijing', name);
    }
    // Without a BOM strip, the first key would be "\uFEFFsrcType" and srcType "missing".
    const bomFirst = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)]);
    await writeFile(join(dir, 'bom2.cfg'), bomFirst);
    assert.equal((await readOssimportCfg(join(dir, 'bom2.cfg'))).input.source.type, 'local');
  });

  it('deleted optional keys take the defaults', () => {
    const t = translate(parseProperties(body));
    assert.equal(t.spec.transfer.partSize, 'auto');
    assert.equal(t.spec.verify.afterImport, true);
    assert.equal(t.spec.name, 'local_test');
  });
});

describe('the schema knows the services limits', () => {
  const minimal = {
    source: { type: 'local', path: '/data' },
    destination: { bucket: 'dst', region: 'cn-hangzhou' },
  };
  const refused = (extra: Record<string, unknown>) =>
    refusal(() => parseJob({ ...minimal, ...extra }, 'job.yaml'));
  it('partSize is 100 KB to 5 GB, multipartThreshold at most one PUT (5 GB)', () => {
    assert.match(
      refused({ transfer: { partSize: '1KB' } }).message,
      /job\.yaml: transfer\.partSize: must be from 100 KiB to 5\.0 GiB .*not 1000 B/,
    );
    assert.match(refused({ transfer: { partSize: '6GiB' } }).message, /transfer\.partSize: .*not 6\.0 GiB/);
    assert.match(
      refused({ transfer: { partSize: 'big' } }).message,
      /transfer\.partSize: "big" is not a size .* or "auto"/,
    );
    assert.match(
      refused({ transfer: { multipartThreshold: '6g' } }).message,
      /transfer\.multipartThreshold: must be from 100 KiB to 5\.0 GiB/,
    );
    assert.match(refused({ transfer: { multipartThreshold: 0 } }).message, /transfer\.multipartThreshold/);
    assert.equal(parseJob({ ...minimal, transfer: { partSize: '5GiB' } }).transfer.partSize, 5 * 1024 ** 3);
    assert.equal(parseJob({ ...minimal, transfer: { partSize: '100KiB' } }).transfer.partSize, 100 * 1024);
  });

  it('window.until before window.since is refused', () => {
    assert.match(
      refused({ window: { since: '2026-11-20', until: '2026-11-19' } }).message,
      /job\.yaml: window\.until: is before window\.since/,
    );
  });
});

describe('ossimport S3-family sources (srcType=s3|qiniu|bos|ks3) read through the S3 API', () => {
  it('s3: the S3 endpoint gives provider aws and its region; the keys are the S3 keys', async () => {
    const t = translate(parseProperties(await fixture('s3.job.cfg')), new Map(), 's3.job.cfg');
    assert.deepEqual(t.spec.source, {
      type: 's3',
      provider: 'aws',
      bucket: 'mybucket',
      region: 'us-west-2',
      endpoint: 'http://s3.us-west-2.amazonaws.com',
      prefix: 'docs/',
    });
    assert.deepEqual(t.credentials.s3, {
      accessKeyId: 'AKIA******EXAMPLE',
      secretAccessKey: 'wJal******EXAMPLEKEY',
    });
    assert.ok(t.notes.some((n) => /plain http as written/.test(n)));
  });

  it('s3 with any other host: a generic S3-compatible server (provider other), contacted as written', async () => {
    const t = translate(await edited('s3.job.cfg', { srcDomain: '127.0.0.1:9000' }), new Map(), 's3.job.cfg');
    assert.equal(t.spec.source.type === 's3' && t.spec.source.provider, 'other');
    assert.equal(t.spec.source.type === 's3' && t.spec.source.endpoint, 'http://127.0.0.1:9000');
  });

  it('bos: the BOS endpoint maps to its S3 twin; ks3: the endpoint and its region', async () => {
    const bos = translate(parseProperties(await fixture('bos.job.cfg')), new Map(), 'bos.job.cfg');
    assert.deepEqual(bos.spec.source, {
      type: 's3',
      provider: 'bos',
      bucket: 'mybucket',
      region: 'gz',
      endpoint: 'http://s3.gz.bcebos.com',
      prefix: 'docs/',
    });
    assert.ok(bos.notes.some((n) => /BOS's S3 endpoint http:\/\/s3\.gz\.bcebos\.com/.test(n)));
    const ks3 = translate(parseProperties(await fixture('ks3.job.cfg')), new Map(), 'ks3.job.cfg');
    assert.equal(ks3.spec.source.type === 's3' && ks3.spec.source.region, 'cn-beijing');
    assert.equal(
      ks3.spec.source.type === 's3' && ks3.spec.source.endpoint,
      'https://ks3-cn-beijing.ksyuncs.com',
    );
  });

  it('qiniu: a download domain is refused with the fix (the region); --src-region or a zone code makes it run', async () => {
    const cfg = parseProperties(await fixture('qiniu.job.cfg'));
    const r = refusal(() => translate(cfg, new Map(), 'qiniu.job.cfg'));
    assert.match(r.message, /srcDomain=http:\/\/mybucket\.u\.qiniudn\.com is a Qiniu download domain/);
    assert.match(r.fix, /--src-region .*z0/);
    const t = translate(cfg, new Map(), 'qiniu.job.cfg', { srcRegion: 'cn-east-1' });
    assert.deepEqual(t.spec.source, {
      type: 's3',
      provider: 'qiniu',
      bucket: 'mybucket',
      region: 'cn-east-1',
      prefix: 'docs/',
    });
    const zone = translate(await edited('qiniu.job.cfg', { srcDomain: 'z2' }), new Map(), 'qiniu.job.cfg');
    assert.equal(zone.spec.source.type === 's3' && zone.spec.source.region, 'cn-south-1');
  });

  it('--src-endpoint replaces srcDomain (a test server) and keeps the provider', async () => {
    const t = translate(parseProperties(await fixture('bos.job.cfg')), new Map(), 'bos.job.cfg', {
      srcEndpoint: 'http://127.0.0.1:9000',
    });
    assert.equal(t.spec.source.type === 's3' && t.spec.source.provider, 'bos');
    assert.equal(t.spec.source.type === 's3' && t.spec.source.endpoint, 'http://127.0.0.1:9000');
  });
});
