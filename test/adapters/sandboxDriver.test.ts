/**
 * The sandbox InfraDriver against the emulators, through the real ali-oss SDK: the mirror rule
 * fetches COS-only keys back-to-origin (the OSS emulator logs MirrorFetch), teardown removes the
 * rule and keeps buckets and data.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OSS from 'ali-oss';
import { SandboxDriver } from '../../runner/adapters/infra/sandbox.ts';
import { parseJob } from '../../runner/config/job.ts';
import { InfraError } from '../../runner/core/errors.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';

type Client = {
  get(key: string): Promise<{ content: Buffer }>;
  getBucketWebsite(name: string): Promise<{ routingRules: Array<Record<string, Record<string, unknown>>> }>;
};

function client(sb: Sandbox): Client {
  const i = sb.info.oss;
  return new OSS({
    accessKeyId: i.accessKeyId,
    accessKeySecret: i.accessKeySecret,
    bucket: i.bucket,
    region: `oss-${i.region}`,
    endpoint: i.endpoint,
  } as unknown as OSS.Options) as unknown as Client;
}

function driverFor(sb: Sandbox, bucket = sb.info.oss.bucket): SandboxDriver {
  const i = sb.info;
  return new SandboxDriver({
    oss: { ...i.oss, bucket },
    cos: { bucket: i.cos.bucket, region: i.cos.region, secretId: i.cos.secretId, secretKey: i.cos.secretKey },
  });
}

describe('SandboxDriver', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox();
    for (const key of ['only-in-cos/a.txt', 'only-in-cos/b.txt'])
      await sb.cos.seed(sb.info.cos.bucket, { key, body: `bytes of ${key}`, lastModified: new Date() });
  });
  after(() => sb.close());

  it('check, provision (bucket exists), outputs: no fleet, mirror off', async () => {
    const d = driverFor(sb);
    const c = await d.check();
    assert.equal(c.ok, true);
    const lines: string[] = [];
    const o = await d.provision({ onOutput: (l) => lines.push(l), fleetSize: 3, mirror: false });
    assert.deepEqual(
      {
        bucket: o.bucket,
        region: o.region,
        fleetSize: o.fleetSize,
        mirror: o.mirrorEnabled,
        ids: o.instanceIds,
      },
      { bucket: 'demo-dst', region: 'cn-hangzhou', fleetSize: 0, mirror: false, ids: [] },
    );
    assert.equal(o.ossEndpoint, sb.info.oss.endpoint);
    assert.match(lines.join('\n'), /bucket oss:\/\/demo-dst exists/);
    assert.match(lines.join('\n'), /no fleet to size .* only worker \(the plan asked for 3\)/);
    assert.doesNotMatch(lines.join('\n'), /DeleteBucketWebsite/, 'nothing to switch off');
    const f = await d.setFleetSize(5);
    assert.equal(f.fleetSize, 0, 'honest: there are no remote workers');
  });

  it('provision creates a missing bucket', async () => {
    const d = driverFor(sb, 'fresh-bucket');
    assert.match(((await d.check()) as { detail: string }).detail, /will be created/);
    const lines: string[] = [];
    await d.provision({ onOutput: (l) => lines.push(l) });
    assert.ok(sb.oss.buckets.get('fresh-bucket'), 'the bucket exists now');
    assert.match(lines.join('\n'), /bucket oss:\/\/fresh-bucket created/);
  });

  it('mirror on: a GET of a COS-only key through OSS returns it (MirrorFetch), signed S3V4 with the COS key', async () => {
    const d = driverFor(sb);
    const lines: string[] = [];
    const o = await d.setMirror(true, { onOutput: (l) => lines.push(l) });
    assert.equal(o.mirrorEnabled, true);
    assert.match(
      lines[0]!,
      /PutBucketWebsite oss:\/\/demo-dst: rule 1: on 404 → Mirror https:\/\/demo-src-1250000000\.cos\.ap-guangzhou\.myqcloud\.com\//,
    );
    assert.ok(!lines.join('\n').includes(sb.info.cos.secretKey), 'the COS secret is never printed');
    const rule = (await client(sb).getBucketWebsite('demo-dst')).routingRules[0]!;
    assert.equal(rule.Redirect!.RedirectType, 'Mirror');
    assert.equal(rule.Redirect!.MirrorURL, d.mirrorUrl);
    assert.equal((rule.Redirect!.MirrorAuth as Record<string, string>).AuthType, 'S3V4');
    assert.equal(sb.oss.buckets.get('demo-dst')!.get('only-in-cos/a.txt'), undefined);
    const got = await client(sb).get('only-in-cos/a.txt');
    assert.equal(got.content.toString(), 'bytes of only-in-cos/a.txt');
    const fetches = sb.oss.log.find({ op: 'MirrorFetch', key: 'only-in-cos/a.txt' });
    assert.equal(fetches.length, 1);
    assert.equal(fetches[0]!.status, 200);
    assert.ok(sb.oss.buckets.get('demo-dst')!.get('only-in-cos/a.txt'), 'stored in OSS');
    assert.ok(
      sb.cos.log.count({ op: 'GetObject', key: 'only-in-cos/a.txt' }) >= 1,
      'fetched from the COS emulator',
    );
  });

  it('teardown removes the rule and keeps the buckets and their data', async () => {
    const d = driverFor(sb);
    const lines: string[] = [];
    await d.teardown({ onOutput: (l) => lines.push(l) });
    assert.equal((await d.outputs()).mirrorEnabled, false);
    await assert.rejects(client(sb).getBucketWebsite('demo-dst'), { code: 'NoSuchWebsiteConfiguration' });
    assert.ok(sb.oss.buckets.get('demo-dst')!.get('only-in-cos/a.txt'), 'data stays');
    assert.ok(sb.cos.buckets.get(sb.info.cos.bucket)!.get('only-in-cos/b.txt'), 'the source is untouched');
    await assert.rejects(client(sb).get('only-in-cos/b.txt'), { status: 404 }, 'no mirror any more');
    assert.match(lines.join('\n'), /DeleteBucketWebsite/);
    assert.match(lines.join('\n'), /bucket oss:\/\/demo-dst and its data are kept/);
    const again: string[] = [];
    await d.teardown({ onOutput: (l) => again.push(l) });
    assert.match(again.join('\n'), /no mirror rule to remove/, 'teardown twice is harmless');
  });

  it('an unreachable endpoint: a clear problem and the fix', async () => {
    const d = new SandboxDriver({
      oss: { ...sb.info.oss, endpoint: 'http://127.0.0.1:9' },
      cos: { bucket: 'x-1', region: 'ap-guangzhou', secretId: 'a', secretKey: 'b' },
    });
    const c = await d.check();
    assert.equal(c.ok, false);
    if (!c.ok) {
      assert.match(c.problem, /cannot reach OSS at http:\/\/127\.0\.0\.1:9/);
      assert.match(c.fix, /ossmigrate sandbox/);
    }
  });

  it('fromJob: needs the endpoint and both keys; a source OSS cannot mirror from gets no rule', async () => {
    const spec = (o: Record<string, unknown> = {}) =>
      parseJob({
        source: { type: 'cos', bucket: 'src-1250000000', region: 'ap-guangzhou' },
        destination: { bucket: 'dst', region: 'cn-hangzhou', endpoint: 'http://127.0.0.1:1' },
        ...o,
      });
    const creds = {
      oss: { accessKeyId: 'a', accessKeySecret: 'b' },
      cos: { secretId: 'c', secretKey: 'd' },
      origin: {},
    };
    assert.equal(
      SandboxDriver.fromJob(spec(), creds).mirrorUrl,
      'https://src-1250000000.cos.ap-guangzhou.myqcloud.com/',
    );
    assert.throws(
      () => SandboxDriver.fromJob(spec({ destination: { bucket: 'dst', region: 'cn-hangzhou' } }), creds),
      (e: unknown) => e instanceof InfraError && /destination endpoint/.test(e.message),
    );
    const localJob = spec({ source: { type: 'local', path: '/tmp' } });
    assert.throws(() => SandboxDriver.fromJob(localJob, creds), /mirrors from COS and S3 only/);
    // Cutting over without a mirror: the bucket only, and no pretending to turn a mirror on.
    const local = SandboxDriver.fromJob(localJob, creds, { withoutMirror: true });
    assert.equal(local.mirrorUrl, undefined);
    await assert.rejects(
      () => local.setMirror(true),
      (e: unknown) =>
        e instanceof InfraError &&
        /mirroring: not available for local/.test(e.message) &&
        /write freeze/.test(e.fix ?? ''),
    );
    assert.throws(() => SandboxDriver.fromJob(spec(), { origin: {} }), /needs both keys/);
  });
});
