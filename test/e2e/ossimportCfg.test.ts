/**
 * ossimport users' own files through the real CLI against the sandbox: each sample (fixtures that
 * reproduce Alibaba's) runs once keys, bucket and endpoint are filled in; flags on top of a file
 * are applied or refused (exit 2, naming the flag); bad flags are exit 2 without a stack trace.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { type CliResult, runCli } from '../helpers/cli.ts';
import { patternBytes } from '../sandbox/common/blobs.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';

let sb: Sandbox;
let dir: string;
let data: string;
/** No credentials in the environment or a credentials file: the cfg's own keys must do. */
let bare: Record<string, string>;

before(async () => {
  sb = await startSandbox({ cosBucket: 'mybucket-1252883280' });
  dir = await mkdtemp(join(tmpdir(), 'ossmigrate-cfg-'));
  bare = { HOME: dir };
  data = join(dir, 'data');
  await mkdir(join(data, 'sub'), { recursive: true });
  await writeFile(join(data, 'a.txt'), 'alpha');
  await writeFile(join(data, 'sub', 'b.txt'), 'beta');
  const hourAgo = new Date(Date.now() - 3600_000);
  for (const f of ['a.txt', 'sub/b.txt']) await utimes(join(data, f), hourAgo, hourAgo);
  for (const key of ['docs/one.txt', 'docs/two/three.txt', 'other/no.txt']) {
    await sb.cos.seed('mybucket-1252883280', {
      key,
      body: patternBytes(700, key.length),
      size: 700,
      lastModified: hourAgo,
    });
  }
  sb.oss.createBucket('mybucket', 'oss-cn-hangzhou');
  for (const key of ['src/x.bin', 'src/y/z.bin']) {
    await sb.oss.seed('mybucket', { key, body: patternBytes(900, 3), size: 900, lastModified: hourAgo });
  }
});
after(async () => {
  await sb.close();
  await rm(dir, { recursive: true, force: true });
});

const FIX = new URL('../fixtures/ossimport/', import.meta.url);
const keys = (bucket: string, prefix: string) =>
  [...sb.oss.buckets.get(bucket)!.objects.keys()].filter((k) => k.startsWith(prefix)).sort();

/** A fixture with keys set (the way a user fills in keys, bucket and endpoint), written to dir. */
async function filled(fixture: string, set: Record<string, string | null>, as = fixture): Promise<string> {
  let text = await readFile(new URL(fixture, FIX), 'utf8');
  for (const [k, v] of Object.entries(set)) {
    const line = new RegExp(`^${k.replace(/[()/]/g, '\\$&')}=.*$`, 'm');
    text =
      v === null
        ? text.replace(line, '')
        : line.test(text)
          ? text.replace(line, `${k}=${v}`)
          : `${text}\n${k}=${v}\n`;
  }
  const path = join(dir, as);
  await writeFile(path, text);
  return path;
}
const ossKeys = () => ({
  destAccessKey: sb.info.oss.accessKeyId,
  destSecretKey: sb.info.oss.accessKeySecret,
  destDomain: sb.info.oss.endpoint,
});
let n = 0;
const run = (args: string[], env: Record<string, string> = bare): Promise<CliResult> =>
  runCli([...args, '--workdir', join(dir, `w${n++}`), ...(args[0] === 'import' ? ['--yes'] : [])], {
    cwd: dir,
    env,
  });
/** exit 2, one clear message, no stack trace. */
function usage(r: CliResult, re: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, re);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

describe('the ossimport samples run once keys, bucket and endpoint are filled in', () => {
  it('cos.job.cfg: srcPrefix=/docs/ copies the keys under docs/, over http to the sandbox', async () => {
    const cfg = await filled('cos.job.cfg', {
      srcAccessKey: sb.info.cos.secretId,
      srcSecretKey: sb.info.cos.secretKey,
      srcDomain: sb.info.cos.endpoint,
      ...ossKeys(),
      destBucket: sb.info.oss.bucket,
      destPrefix: 'cos-docs/',
    });
    const r = await run(['import', cfg]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      keys(sb.info.oss.bucket, 'cos-docs/'),
      ['cos-docs/one.txt', 'cos-docs/two/three.txt'],
      r.stderr,
    );
    assert.match(r.stderr, /note: srcPrefix=\/docs\/: read as the key prefix "docs\/"/);
    assert.ok(!r.stderr.includes(sb.info.oss.accessKeySecret) && !r.stderr.includes(sb.info.cos.secretKey));
  });

  it('oss.job.cfg: OSS to OSS with the keys in the cfg', async () => {
    const cfg = await filled('oss.job.cfg', {
      srcAccessKey: sb.info.oss.accessKeyId,
      srcSecretKey: sb.info.oss.accessKeySecret,
      srcDomain: sb.info.oss.endpoint,
      ...ossKeys(),
      destBucket: sb.info.oss.bucket,
    });
    const r = await run(['import', cfg]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(keys(sb.info.oss.bucket, 'dest/'), ['dest/x.bin', 'dest/y/z.bin']);
  });

  for (const [fixture, prefix] of [
    ['local.job.cfg', 'local-sample/'],
    ['et.job.cfg', 'et-sample/'],
  ] as const) {
    it(`${fixture}: the directory in srcPrefix`, async () => {
      const cfg = await filled(fixture, {
        srcPrefix: `${data}/`,
        ...ossKeys(),
        destBucket: sb.info.oss.bucket,
        destPrefix: prefix,
      });
      const r = await run(['import', cfg]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(keys(sb.info.oss.bucket, prefix), [`${prefix}a.txt`, `${prefix}sub/b.txt`]);
      if (fixture === 'et.job.cfg') {
        assert.match(r.stderr, /expressTunnelAuthToken: ignored — Express Tunnel/);
        assert.ok(!r.stderr.includes('do-not-print'));
      }
    });
  }

  it('local_job.cfg with sys.properties (the standalone zip)', async () => {
    const cfg = await filled('local_job.cfg', {
      srcPrefix: `${data}/`,
      ...ossKeys(),
      destBucket: sb.info.oss.bucket,
      destPrefix: 'zip/',
    });
    const r = await run(['import', cfg, '--sys', new URL('sys.properties', FIX).pathname]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(keys(sb.info.oss.bucket, 'zip/'), ['zip/a.txt', 'zip/sub/b.txt']);
  });
});

describe('flags on top of a job file', () => {
  it('--src-endpoint/--src-region/--dst-endpoint replace the cfg standard endpoints (not ignored)', async () => {
    // The cfg names the real services (srcDomain=sh, the hangzhou internal endpoint) as users have it.
    const cfg = await filled(
      'cos.job.cfg',
      {
        srcAccessKey: sb.info.cos.secretId,
        srcSecretKey: sb.info.cos.secretKey,
        destAccessKey: sb.info.oss.accessKeyId,
        destSecretKey: sb.info.oss.accessKeySecret,
        destBucket: sb.info.oss.bucket,
        destPrefix: 'flags/',
      },
      'flags.cfg',
    );
    const r = await run([
      'import',
      cfg,
      '--src-endpoint',
      sb.info.cos.endpoint,
      '--src-region',
      'ap-guangzhou',
      '--dst-endpoint',
      sb.info.oss.endpoint,
      '--dst-region',
      'cn-hangzhou',
      '--concurrency',
      '3',
      '--bwlimit',
      '50M',
      '--job',
      'renamed',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(keys(sb.info.oss.bucket, 'flags/'), ['flags/one.txt', 'flags/two/three.txt']);
    assert.match(r.stderr, /job renamed:/, '--job names the job');
  });

  it('--dst-endpoint on top of a YAML job file is applied', async () => {
    const yaml = join(dir, 'job.yaml');
    const spec = sb.jobSpec({ srcPrefix: 'docs/', dstPrefix: 'yaml-flags/' });
    await writeFile(
      yaml,
      stringify({
        ...spec,
        source: { ...spec.source, bucket: 'mybucket-1252883280' },
        destination: { ...spec.destination, endpoint: 'http://127.0.0.1:9' },
      }),
    );
    const r = await run(['import', yaml, '--dst-endpoint', sb.info.oss.endpoint], sb.env());
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(keys(sb.info.oss.bucket, 'yaml-flags/'), [
      'yaml-flags/one.txt',
      'yaml-flags/two/three.txt',
    ]);
  });

  it('refuses what cannot apply, naming the flag (exit 2)', async () => {
    const local = await filled('et.job.cfg', { srcPrefix: `${data}/`, ...ossKeys() }, 'refuse.cfg');
    const yaml = join(dir, 'plain.yaml');
    await writeFile(yaml, stringify(sb.jobSpec()));
    usage(await run(['submit', local, '--src', 'local:///tmp/']), /--src cannot be used with a job file/);
    usage(await run(['submit', local, '--dst', 'oss://x/']), /--dst cannot be used with a job file/);
    usage(
      await run(['submit', local, '--src-region', 'cn-hangzhou']),
      /--src-region does not apply: .* srcType=local/,
    );
    usage(await run(['submit', local, '--src-endpoint', 'http://x:1']), /--src-endpoint does not apply/);
    usage(
      await run(['submit', yaml, '--sys', 'sys.properties']),
      /--sys reads an ossimport sys\.properties with a job\.cfg/,
    );
    usage(await run(['submit', '--sys', 'sys.properties']), /--sys reads an ossimport sys\.properties/);
    usage(await run(['submit', local, '--since', 'yesterday']), /--since: "yesterday" is not a time/);
    usage(
      await run(['submit', local, '--since', '2026-11-20', '--until', '2026-11-19']),
      /--until \(window\.until\): is before window\.since/,
    );
    usage(await run(['submit', local, '--bwlimit', 'fast']), /--bwlimit \(bandwidth\.limit\)/);
    usage(await run(['submit', local, '--job', 'bad name!']), /--job \(name\)/);
  });
});

describe('bad input is exit 2 naming the user term', () => {
  it('--concurrency 0 / many (and every parser that throws): exit 2, no stack trace', async () => {
    for (const v of ['0', 'many', '-3', '1.5']) {
      usage(await run(['import', '--concurrency', v]), /--concurrency .*Use a whole number of 1 or more/);
    }
    const w = await runCli(['worker', '--tasks', '0'], { cwd: dir, env: bare });
    usage(w, /--tasks .*Use a whole number of 1 or more/);
  });

  it('a deleted srcType line is exit 2 naming srcType (not a silent local import)', async () => {
    const cfg = await filled(
      'local_job.cfg',
      { srcType: null, srcPrefix: `${data}/`, ...ossKeys() },
      'no-type.cfg',
    );
    usage(await run(['import', cfg]), /no-type\.cfg: srcType is missing or empty/);
  });

  it('no OSS keys in the environment, a credentials file or the cfg: the fix names destAccessKey/destSecretKey', async () => {
    const cfg = await filled(
      'local_job.cfg',
      { srcPrefix: `${data}/`, destDomain: sb.info.oss.endpoint, destBucket: sb.info.oss.bucket },
      'nokeys.cfg',
    );
    usage(await run(['import', cfg]), /fix: fill in destAccessKey and destSecretKey in .*nokeys\.cfg/);
  });

  it('a part size OSS would refuse is named by its cfg key', async () => {
    const cfg = await filled(
      'local_job.cfg',
      { srcPrefix: `${data}/`, ...ossKeys(), destBucket: sb.info.oss.bucket, multipartUploadPartSize: '6g' },
      'part.cfg',
    );
    usage(
      await run(['import', cfg]),
      /multipartUploadPartSize \(transfer\.partSize\): must be from 100 KiB to 5\.0 GiB/,
    );
  });
});
