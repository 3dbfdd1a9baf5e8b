import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadCredentials, secretValues } from '../../runner/config/credentials.ts';
import { loadJobFile, parseJob } from '../../runner/config/job.ts';
import { parseProperties, translate } from '../../runner/config/ossimportCfg.ts';
import { ConfigError } from '../../runner/core/errors.ts';

const minimal = {
  source: { type: 'local', path: '/data' },
  destination: { bucket: 'dst', region: 'oss-cn-hangzhou' },
};

describe('job file', () => {
  it('fills in defaults and normalises regions and sizes', () => {
    const j = parseJob({
      ...minimal,
      transfer: { multipartThreshold: '150m', partSize: '50MB' },
      tasks: { maxBytes: '2GB' },
    });
    assert.equal(j.destination.region, 'cn-hangzhou');
    assert.equal(j.transfer.multipartThreshold, 150 * 1024 * 1024);
    assert.equal(j.transfer.partSize, 50_000_000);
    assert.equal(j.tasks.maxBytes, 2e9);
    assert.equal(j.tasks.maxObjects, 1000);
    assert.equal(j.overwrite, 'if-different');
    assert.equal(j.metadata.provenance, true);
    assert.equal(j.verify.afterImport, true);
    assert.equal(j.bandwidth.limit, 'off');
  });

  it('accepts times as ISO, dates, unix seconds and milliseconds', () => {
    const a = parseJob({ ...minimal, window: { since: '2026-11-20T08:00:00+08:00' } });
    assert.equal(a.window.since?.toISOString(), '2026-11-20T00:00:00.000Z');
    assert.equal(
      parseJob({ ...minimal, window: { since: 1795318245 } }).window.since?.getTime(),
      1795318245000,
    );
    assert.equal(
      parseJob({ ...minimal, window: { since: '1795318245000' } }).window.since?.getTime(),
      1795318245000,
    );
  });

  it('names the key, the problem and the fix for every mistake, all at once', () => {
    try {
      parseJob(
        {
          source: { type: 'cos', bucket: 'photos', region: 'guangzhou' },
          destination: { bucket: 'Dst_Bucket', region: 'cn-hangzhou', prefix: '/x' },
          transfer: { concurrency: 0, partsize: 5 },
        },
        'job.yaml',
      );
      assert.fail('should throw');
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      const m = e.message;
      assert.match(m, /job\.yaml: source\.bucket: must be "<name>-<APPID>"/);
      assert.match(m, /source\.region: must be a COS region like ap-guangzhou/);
      assert.match(m, /destination\.bucket: must be 3-63 characters/);
      assert.match(m, /destination\.prefix: must not start with "\/"/);
      assert.match(m, /transfer\.concurrency/);
      assert.match(m, /transfer: unknown key\(s\) "partsize"/);
      assert.match(e.fix!, /nothing was written/);
    }
  });

  it('rejects bad bandwidth settings with an example', () => {
    assert.throws(
      () => parseJob({ ...minimal, bandwidth: { limit: '25 MB per second' } }),
      /bandwidth\.limit/,
    );
    assert.throws(
      () => parseJob({ ...minimal, bandwidth: { limit: '25:00,10M' } }),
      /not a timetable entry|time out of range/,
    );
    assert.doesNotThrow(() =>
      parseJob({ ...minimal, bandwidth: { limit: 'Mon-08:00,200Mbit/s Sat-00:00,off' } }),
    );
  });

  describe('files', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'job-'));
    });
    after(() => rm(dir, { recursive: true, force: true }));

    it('reads YAML and reports syntax errors with the file name', async () => {
      await writeFile(
        join(dir, 'ok.yaml'),
        'source: {type: local, path: /data}\ndestination: {bucket: dst, region: cn-hangzhou}\n',
      );
      assert.equal((await loadJobFile(join(dir, 'ok.yaml'))).source.type, 'local');
      await writeFile(join(dir, 'bad.yaml'), 'source: [\n');
      await assert.rejects(loadJobFile(join(dir, 'bad.yaml')), /bad\.yaml: not valid YAML/);
      await assert.rejects(loadJobFile(join(dir, 'missing.yaml')), /cannot read job file .*ENOENT/);
      await writeFile(join(dir, 'scalar.yaml'), 'just a string\n');
      await assert.rejects(loadJobFile(join(dir, 'scalar.yaml')), /expected a YAML mapping/);
    });
  });
});

describe('ossimport job.cfg', () => {
  const cfg = `
# ossimport 2.3 job.cfg for COS
jobName=gz_to_hz
jobType=import
isIncremental=true
incrementalModeInterval=86400
importSince=1795318245
srcType=cos
srcAccessKey=AKIDexample
srcSecretKey=cos-secret-in-cfg
srcDomain=gz
srcBucket=media
srcPrefix=photos/
appId=1250000000
destAccessKey=LTAIexample
destSecretKey=oss-secret-in-cfg
destDomain=http://oss-cn-hangzhou-internal.aliyuncs.com
destBucket=media-hz
destPrefix=photos/
isSkipExistFile=true
taskObjectCountLimit=10000
taskObjectSizeLimit=1000000000
scanThreadCount=4
maxMultiThreadScanDepth=2
multipartUploadThreshold=150m
multipartUploadPartSize=50m
uploadThreadNumPerLargeFile=3
isServerSideEncryption=true
isAuditAfterImport=true
auditMode=simple
isDownloadFromCdn=
`;
  const sys = `workingDir=/var/ossimport
workerTaskThreadNum=60
workerMaxThroughput(KB/s)=2048
workerRecordMd5=true
workerUserName=root
javaHeapMaxSize=2048m
`;

  it('maps every key to its ossmigrate home', () => {
    const t = translate(parseProperties(cfg), parseProperties(sys));
    const s = t.spec;
    assert.equal(s.name, 'gz_to_hz');
    assert.deepEqual(s.source, {
      type: 'cos',
      bucket: 'media-1250000000',
      region: 'ap-guangzhou',
      prefix: 'photos/',
    });
    assert.equal(s.destination.bucket, 'media-hz');
    assert.equal(s.destination.region, 'cn-hangzhou');
    assert.equal(s.destination.internal, true);
    assert.equal(s.destination.serverSideEncryption, 'AES256');
    assert.equal(s.window.since?.getTime(), 1795318245000);
    assert.equal(s.window.repeatSeconds, 86400);
    assert.equal(s.overwrite, 'if-different');
    assert.deepEqual(s.tasks, { maxObjects: 10000, maxBytes: 1e9 });
    assert.deepEqual(s.scan, { parallelism: 4, depth: 2 });
    assert.equal(s.transfer.multipartThreshold, 150 * 1024 ** 2);
    assert.equal(s.transfer.partSize, 50 * 1024 ** 2);
    assert.equal(s.transfer.partConcurrency, 3);
    assert.equal(s.transfer.concurrency, 60);
    assert.equal(s.bandwidth.limit, '2048k');
    assert.equal(s.metadata.recordMd5, true);
    assert.equal(s.verify.mode, 'size');
    assert.equal(t.workdir, '/var/ossimport');
    assert.equal(t.credentials.cos?.secretKey, 'cos-secret-in-cfg');
    assert.equal(t.credentials.oss?.accessKeySecret, 'oss-secret-in-cfg');
    assert.ok(t.notes.some((n) => /workerUserName: not needed/.test(n)));
    assert.ok(
      t.notes.every((n) => !n.includes('secret-in-cfg')),
      'notes never carry secrets',
    );
  });

  it('reads local_job.cfg, audit jobs and rejects sources we do not support', () => {
    const local = translate(
      parseProperties(
        'jobName=local_test\nsrcType=local\nsrcPrefix=/data/in/\ndestBucket=dst\ndestDomain=http://oss-cn-beijing.aliyuncs.com\njobType=audit\n',
      ),
    );
    assert.deepEqual(local.spec.source, { type: 'local', path: '/data/in/', followSymlinks: false });
    assert.equal(local.spec.destination.region, 'cn-beijing');
    assert.equal(local.auditOnly, true);
    assert.throws(
      () => translate(parseProperties('srcType=ftp\ndestBucket=d\n')),
      /srcType=ftp is not supported/,
    );
    assert.throws(
      () => translate(parseProperties('srcType=cos\nsrcDomain=mars\nsrcBucket=b\ndestBucket=d\n')),
      /srcDomain "mars" is not a COS region/,
    );
    assert.throws(
      () => translate(parseProperties('srcType=local\ndestBucket=d\n')),
      /srcPrefix is missing or empty: for srcType=local it is the directory/,
    );
  });

  it('parses .properties escapes, continuations and comments', () => {
    const p = parseProperties('! comment\na\\:b=c\\=d\nlong = one \\\n   two\nempty=\nspaced : value \n');
    assert.equal(p.get('a:b'), 'c=d');
    assert.equal(p.get('long'), 'one two');
    assert.equal(p.get('empty'), '');
    assert.equal(p.get('spaced'), 'value');
  });
});

describe('credentials', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cred-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('takes the vendors environment variables first', async () => {
    const c = await loadCredentials({
      env: {
        ALIBABA_CLOUD_ACCESS_KEY_ID: 'a',
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'b',
        TENCENTCLOUD_SECRET_ID: 'c',
        TENCENTCLOUD_SECRET_KEY: 'd',
        HOME: dir,
      },
      file: undefined,
    });
    assert.deepEqual(c.oss, { accessKeyId: 'a', accessKeySecret: 'b' });
    assert.deepEqual(c.cos, { secretId: 'c', secretKey: 'd' });
    assert.deepEqual(secretValues(c).sort(), ['b', 'd']);
    const o = await loadCredentials({
      env: { OSS_ACCESS_KEY_ID: 'x', OSS_ACCESS_KEY_SECRET: 'y', OSS_SESSION_TOKEN: 't' },
    });
    assert.deepEqual(o.oss, { accessKeyId: 'x', accessKeySecret: 'y', securityToken: 't' });
  });

  it('reads a 0600 file, refuses one others can read, and never echoes values', async () => {
    const file = join(dir, 'credentials.yaml');
    await writeFile(
      file,
      'oss:\n  accessKeyId: fileKey\n  accessKeySecret: fileSecret\ncos:\n  secretId: cosId\n  secretKey: cosSecret\n',
    );
    await chmod(file, 0o600);
    const c = await loadCredentials({ file, env: {} });
    assert.equal(c.oss?.accessKeySecret, 'fileSecret');
    assert.equal(c.origin.cos, file);
    await chmod(file, 0o644);
    await assert.rejects(
      loadCredentials({ file, env: {} }),
      (e: ConfigError) => /readable by other users/.test(e.message) && /chmod 600/.test(e.fix!),
    );
    await writeFile(file, 'oss:\n  accessKeyId: k\n  accessKeySecret: 12345-super-secret\n  extra: 1\n');
    await chmod(file, 0o600);
    await assert.rejects(
      loadCredentials({ file, env: {} }),
      (e: Error) => /malformed at: oss/.test(e.message) && !e.message.includes('12345-super-secret'),
    );
    await assert.rejects(loadCredentials({ file: join(dir, 'nope.yaml'), env: {} }), /does not exist/);
  });
});
