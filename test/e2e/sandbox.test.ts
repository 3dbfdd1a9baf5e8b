/** `ossmigrate sandbox --seed demo`: the one JSON line, and the real SDKs working through it. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import OSS from 'ali-oss';
import COS from 'cos-nodejs-sdk-v5';
import { crc64 } from '../../runner/core/crc64.ts';
import { startCli } from '../helpers/cli.ts';
import type { SandboxInfo } from '../sandbox/sandbox.ts';

describe('ossmigrate sandbox --seed demo', () => {
  let dir: string;
  let run: ReturnType<typeof startCli>;
  let info: SandboxInfo;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sandbox-cli-'));
    run = startCli(['sandbox', '--seed', 'demo'], { cwd: dir });
    const firstLine = await new Promise<string>((resolve, reject) => {
      const rl = createInterface({ input: run.child.stdout! });
      rl.once('line', resolve);
      run.child.once('exit', (code) => reject(new Error(`sandbox exited early (${code})`)));
    });
    info = JSON.parse(firstLine) as SandboxInfo;
  });
  after(async () => {
    if (run.child.exitCode === null) run.child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('prints one JSON line with both services and fresh credentials', () => {
    assert.match(info.oss.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(info.cos.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(info.oss.region, 'cn-hangzhou');
    assert.match(info.cos.bucket, /-\d+$/);
    assert.ok(info.oss.accessKeySecret.length >= 16 && info.cos.secretKey.length >= 16);
  });

  it('ali-oss lists, writes, reads and multipart-uploads with correct CRC-64 headers', async () => {
    const oss = new OSS({
      accessKeyId: info.oss.accessKeyId,
      accessKeySecret: info.oss.accessKeySecret,
      bucket: info.oss.bucket,
      endpoint: info.oss.endpoint,
      region: `oss-${info.oss.region}`,
    });
    const body = Buffer.from('hello sandbox');
    const put = await oss.put('t/hello.txt', body);
    assert.equal((put.res.headers as Record<string, string>)['x-oss-hash-crc64ecma'], crc64(body));
    const got = await oss.get('t/hello.txt');
    assert.equal(got.content.toString(), 'hello sandbox');
    const big = Buffer.alloc(300 * 1024, 7);
    const file = join(dir, 'big.bin');
    await writeFile(file, big);
    const mp = await oss.multipartUpload('t/big.bin', file, { partSize: 100 * 1024 });
    assert.equal((mp.res.headers as Record<string, string>)['x-oss-hash-crc64ecma'], crc64(big));
    const head = await oss.head('t/big.bin');
    assert.equal((head.res.headers as Record<string, string>)['x-oss-hash-crc64ecma'], crc64(big));
    const list = await oss.list({ prefix: 't/', 'max-keys': 10 }, {});
    assert.deepEqual(list.objects.map((o) => o.name).sort(), ['t/big.bin', 't/hello.txt']);
  });

  it('cos-nodejs-sdk-v5 lists the seeded demo, reads, writes and slice-uploads with CRC-64', async () => {
    const cos = new COS({
      SecretId: info.cos.secretId,
      SecretKey: info.cos.secretKey,
      Protocol: 'http:',
      Ip: info.cos.endpoint.replace('http://', ''),
    });
    const B = { Bucket: info.cos.bucket, Region: info.cos.region };
    const listed = await cos.getBucket({ ...B, Prefix: 'unicode/' });
    assert.ok(listed.Contents.some((c) => c.Key === 'unicode/中文/文件.txt'));
    const video = await cos.headObject({ ...B, Key: 'video/promo.mp4' });
    assert.match(String(video.headers?.etag), /-\d+"$/, 'seeded as a multipart object');
    const body = Buffer.from('written to cos');
    const put = await cos.putObject({ ...B, Key: 'x/new.txt', Body: body });
    assert.equal((put.headers as Record<string, string>)['x-cos-hash-crc64ecma'], crc64(body));
    const got = await cos.getObject({ ...B, Key: 'x/new.txt' });
    assert.equal(got.Body.toString(), 'written to cos');
    const big = Buffer.alloc(3 * 1024 * 1024 + 5, 9);
    const file = join(dir, 'slice.bin');
    await writeFile(file, big);
    const up = await cos.sliceUploadFile({
      ...B,
      Key: 'x/slice.bin',
      FilePath: file,
      ChunkSize: 1024 * 1024,
    });
    assert.equal((up.headers as Record<string, string>)['x-cos-hash-crc64ecma'], crc64(big));
  });

  it('stops cleanly on SIGINT', async () => {
    run.child.kill('SIGINT');
    const r = await run.done;
    assert.equal(r.code, 0);
    assert.match(r.stderr, /sandbox stopped/);
    assert.equal(r.stdout.trim().split('\n').length, 1, 'exactly one line on stdout');
  });
});
