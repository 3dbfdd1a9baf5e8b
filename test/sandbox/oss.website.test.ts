/** OSS emulator conformance: bucket website configuration and mirroring-based back-to-origin. */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { verifySigV4 } from './common/sigv4.ts';
import type { OssEmulator } from './oss/index.ts';
import { BUCKET, client, raw, rejects, startEmu, xmlField } from './oss/testkit.ts';

const ORIGIN_HOST = 'src-1250000000.cos.ap-guangzhou.myqcloud.com';
const MIRROR_URL = `https://${ORIGIN_HOST}/`;
const COS_AK = 'AKIDcosSandbox';
const COS_SK = 'cos-secret';

type OriginObject = { body: Buffer; contentType?: string; headers?: Record<string, string> };

/** A private origin that verifies AWS SigV4 (service s3) like COS's S3-compatible endpoint. */
class Origin {
  readonly objects = new Map<string, OriginObject>();
  readonly hits: Array<{
    path: string;
    host: string | undefined;
    authorization: string | undefined;
    headers: IncomingMessage['headers'];
  }> = [];
  server!: Server;
  port = 0;
  failWith: number | undefined;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.hits.push({
        path: req.url ?? '',
        host: req.headers.host,
        authorization: req.headers.authorization,
        headers: req.headers,
      });
      if (this.failWith !== undefined) {
        res.writeHead(this.failWith).end();
        return;
      }
      const v = verifySigV4(
        { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers },
        (ak) => (ak === COS_AK ? COS_SK : undefined),
        new Date(),
      );
      if (!v.ok || v.service !== 's3' || v.region !== 'ap-guangzhou') {
        res
          .writeHead(403, { 'content-type': 'application/xml' })
          .end(`<Error><Code>${v.ok ? 'Scope' : v.code}</Code></Error>`);
        return;
      }
      const path = (req.url ?? '/').split('?')[0]!;
      if (path === '/moved.jpg') {
        res.writeHead(302, { location: '/img/target.jpg' }).end();
        return;
      }
      const key = decodeURIComponent(path.slice(1));
      const o = this.objects.get(key);
      if (!o) {
        res
          .writeHead(404, { 'content-type': 'application/xml' })
          .end('<Error><Code>NoSuchKey</Code></Error>');
        return;
      }
      res.writeHead(200, {
        'content-type': o.contentType ?? 'application/octet-stream',
        'content-length': String(o.body.length),
        'last-modified': 'Mon, 01 Jan 2024 00:00:00 GMT',
        ...o.headers,
      });
      res.end(o.body);
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

const mirrorRule = (
  n: number,
  extra: { Condition?: Record<string, unknown>; Redirect?: Record<string, unknown> } = {},
) => ({
  RuleNumber: n,
  Condition: { HttpErrorCodeReturnedEquals: 404, ...extra.Condition },
  Redirect: {
    RedirectType: 'Mirror',
    MirrorURL: MIRROR_URL,
    MirrorAuth: { AuthType: 'S3V4', AccessKeyId: COS_AK, AccessKeySecret: COS_SK, Region: 'ap-guangzhou' },
    ...extra.Redirect,
  },
});

describe('OSS emulator: website configuration and mirroring', () => {
  let emu: OssEmulator;
  const origin = new Origin();
  before(async () => {
    await origin.start();
    emu = await startEmu({
      mirrorResolve: (url) =>
        url.host === ORIGIN_HOST
          ? new URL(`${url.pathname}${url.search}`, `http://127.0.0.1:${origin.port}`)
          : undefined,
    });
  });
  after(async () => {
    await emu.close();
    await origin.close();
  });
  beforeEach(() => {
    origin.hits.length = 0;
    origin.failWith = undefined;
  });

  it('put/get/delete round trip as ali-oss serialises and parses it; AccessKeySecret masked', async () => {
    const c = client(emu);
    const rules = [
      mirrorRule(2, {
        Condition: { KeyPrefixEquals: 'img/' },
        Redirect: {
          MirrorPassQueryString: 'true',
          MirrorHeaders: {
            PassAll: 'false',
            Pass: ['x-a', 'x-b'],
            Set: [
              { Key: 'x-c', Value: 'v' },
              { Key: 'x-d', Value: 'w' },
            ],
          },
        },
      }),
      mirrorRule(1, { Condition: { KeySuffixEquals: '.txt' } }),
    ];
    await c.putBucketWebsite(BUCKET, { index: 'index.html', error: 'error.html', routingRules: rules });
    const got = await c.getBucketWebsite(BUCKET);
    assert.equal(got.index, 'index.html');
    assert.equal(got.error, 'error.html');
    const stringify = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(stringify)
        : v && typeof v === 'object'
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, stringify(x)]))
          : String(v);
    const expected = stringify(rules) as Array<{ Redirect: { MirrorAuth: Record<string, string> } }>;
    for (const r of expected) r.Redirect.MirrorAuth.AccessKeySecret = '****';
    assert.deepEqual(got.routingRules, expected);
    const rawGet = await raw(emu, { method: 'GET', path: '/', query: 'website', subres: { website: null } });
    assert.ok(!rawGet.body.toString().includes(COS_SK));
    assert.equal((await c.deleteBucketWebsite(BUCKET)).res.status, 204);
    await rejects(c.getBucketWebsite(BUCKET), { status: 404, code: 'NoSuchWebsiteConfiguration' });
  });

  it('invalid rules are rejected: MirrorURL without trailing slash, non-404 condition, duplicate numbers', async () => {
    const c = client(emu);
    const put = (rules: unknown[]) => c.putBucketWebsite(BUCKET, { index: 'i.html', routingRules: rules });
    await rejects(put([mirrorRule(1, { Redirect: { MirrorURL: 'https://x.example.com' } })]), {
      status: 400,
      code: 'InvalidArgument',
    });
    await rejects(put([mirrorRule(1, { Redirect: { MirrorURL: 'ftp://x.example.com/' } })]), {
      status: 400,
      code: 'InvalidArgument',
    });
    await rejects(put([mirrorRule(1, { Condition: { HttpErrorCodeReturnedEquals: 403 } })]), {
      status: 400,
      code: 'InvalidArgument',
    });
    await rejects(put([mirrorRule(1), mirrorRule(1)]), { status: 400, code: 'InvalidArgument' });
    await rejects(put(Array.from({ length: 21 }, (_, i) => mirrorRule(i + 1))), {
      status: 400,
      code: 'InvalidArgument',
    });
  });

  it('a missing key is fetched from the origin with SigV4, stored, then served locally', async () => {
    const c = client(emu);
    await c.putBucketWebsite(BUCKET, {
      index: 'index.html',
      routingRules: [
        mirrorRule(1, {
          Condition: { KeyPrefixEquals: 'img/', KeySuffixEquals: '.jpg' },
          Redirect: { MirrorSaveOssMeta: 'true' },
        }),
      ],
    });
    origin.objects.set('img/a b ü.jpg', {
      body: Buffer.from('jpeg bytes'),
      contentType: 'image/jpeg',
      headers: { 'x-amz-meta-origin': 'cos', 'cache-control': 'max-age=5' },
    });
    const before = Date.now();
    const first = await c.get('img/a b ü.jpg');
    assert.equal(first.content.toString(), 'jpeg bytes');
    const h = first.res.headers as Record<string, string>;
    assert.equal(h['content-type'], 'image/jpeg');
    assert.equal(h['x-oss-meta-origin'], 'cos');
    assert.equal(h['cache-control'], 'max-age=5');
    assert.equal(origin.hits.length, 1);
    assert.equal(origin.hits[0]!.host, ORIGIN_HOST, 'the Host header keeps the MirrorURL host');
    assert.match(
      origin.hits[0]!.authorization ?? '',
      /^AWS4-HMAC-SHA256 Credential=AKIDcosSandbox\/\d{8}\/ap-guangzhou\/s3\/aws4_request/,
    );
    assert.equal(origin.hits[0]!.path, `/img/${encodeURIComponent('a b ü.jpg')}`);
    const second = await c.get('img/a b ü.jpg');
    assert.equal(second.content.toString(), 'jpeg bytes');
    assert.equal(origin.hits.length, 1, 'served from OSS the second time');
    const stored = emu.buckets.get(BUCKET)!.get('img/a b ü.jpg')!;
    assert.ok(stored.lastModified.getTime() >= before - 1000, 'Last-Modified is the fetch time');
    const fetches = emu.log.find({ op: 'MirrorFetch', key: 'img/a b ü.jpg' });
    assert.equal(fetches.length, 1);
    assert.equal(fetches[0]!.status, 200);
    assert.equal(fetches[0]!.bytesIn, 10);
    assert.equal(fetches[0]!.url, `${MIRROR_URL}img/${encodeURIComponent('a b ü.jpg')}`);
    assert.equal(emu.log.find({ op: 'GetObject', key: 'img/a b ü.jpg' })[0]!.status, 200);
  });

  it('origin 404 → NoSuchKey; keys outside the prefix/suffix never reach the origin', async () => {
    const c = client(emu);
    await rejects(c.get('img/missing.jpg'), { status: 404, code: 'NoSuchKey' });
    assert.equal(origin.hits.length, 1);
    assert.equal(emu.log.find({ op: 'MirrorFetch', key: 'img/missing.jpg' })[0]?.status, 404);
    await rejects(c.get('doc/a.jpg'), { status: 404, code: 'NoSuchKey' });
    await rejects(c.get('img/a.png'), { status: 404, code: 'NoSuchKey' });
    assert.equal(origin.hits.length, 1);
  });

  it('other origin failures → 424 MirrorFailed (a bad MirrorAuth secret is refused by the origin)', async () => {
    const c = client(emu);
    origin.objects.set('img/err.jpg', { body: Buffer.from('x') });
    origin.failWith = 500;
    const e = await rejects(c.get('img/err.jpg'), { status: 424, code: 'MirrorFailed' });
    assert.match(e.message, /Error status : 500 from mirror host/);
    origin.failWith = undefined;
    await c.putBucketWebsite(BUCKET, {
      index: 'index.html',
      routingRules: [
        mirrorRule(1, {
          Redirect: {
            MirrorAuth: {
              AuthType: 'S3V4',
              AccessKeyId: COS_AK,
              AccessKeySecret: 'bad',
              Region: 'ap-guangzhou',
            },
          },
        }),
      ],
    });
    await rejects(c.get('img/err.jpg'), { status: 424, code: 'MirrorFailed' });
    assert.equal(emu.log.find({ op: 'MirrorFetch', key: 'img/err.jpg' }).at(-1)?.status, 403);
    assert.equal(emu.buckets.get(BUCKET)!.get('img/err.jpg'), undefined);
  });

  it('HEAD mirrors only with MirrorAllowHeadObject', async () => {
    const c = client(emu);
    origin.objects.set('head/x.bin', { body: Buffer.from('head me') });
    await c.putBucketWebsite(BUCKET, { index: 'index.html', routingRules: [mirrorRule(1)] });
    await rejects(c.head('head/x.bin'), { status: 404, code: 'NoSuchKey' });
    assert.equal(origin.hits.length, 0);
    await c.putBucketWebsite(BUCKET, {
      index: 'index.html',
      routingRules: [mirrorRule(1, { Redirect: { MirrorAllowHeadObject: 'true' } })],
    });
    const h = await c.head('head/x.bin');
    assert.equal((h.res.headers as Record<string, string>)['content-length'], '7');
    assert.equal(origin.hits.length, 1);
  });

  it('key rewriting: EnableReplacePrefix, ReplaceKeyWith (key variable), query string, slashes, redirects', async () => {
    const c = client(emu);
    origin.objects.set('origin-dir/a.txt', { body: Buffer.from('prefix replaced') });
    origin.objects.set('wrapped/wrap/b.txt/v1', { body: Buffer.from('key replaced') });
    origin.objects.set('q/c.txt', { body: Buffer.from('with query') });
    origin.objects.set('s/a//b.txt', { body: Buffer.from('double slash') });
    origin.objects.set('s/a/b.txt', { body: Buffer.from('single slash') });
    origin.objects.set('img/target.jpg', { body: Buffer.from('redirected') });
    await c.putBucketWebsite(BUCKET, {
      index: 'index.html',
      routingRules: [
        mirrorRule(1, {
          Condition: { KeyPrefixEquals: 'local-dir/' },
          Redirect: { EnableReplacePrefix: 'true', ReplaceKeyPrefixWith: 'origin-dir/' },
        }),
        mirrorRule(2, {
          Condition: { KeyPrefixEquals: 'wrap/' },
          // biome-ignore lint/suspicious/noTemplateCurlyInString: OSS's own ${key} variable, not a JS template.
          Redirect: { ReplaceKeyWith: 'wrapped/${key}/v1' },
        }),
        mirrorRule(3, { Condition: { KeyPrefixEquals: 'q/' }, Redirect: { MirrorPassQueryString: 'true' } }),
        mirrorRule(4, {
          Condition: { KeyPrefixEquals: 's/a//' },
          Redirect: { MirrorPassOriginalSlashes: 'true' },
        }),
        mirrorRule(5, { Condition: { KeyPrefixEquals: 's/' } }),
        mirrorRule(6),
      ],
    });
    assert.equal((await c.get('local-dir/a.txt')).content.toString(), 'prefix replaced');
    assert.equal((await c.get('wrap/b.txt')).content.toString(), 'key replaced');
    assert.equal(origin.hits.at(-1)!.path, '/wrapped/wrap/b.txt/v1');
    const q = await c.get('q/c.txt', { subres: { 'response-content-type': 'text/q' } });
    assert.equal(q.content.toString(), 'with query');
    assert.equal(origin.hits.at(-1)!.path, '/q/c.txt?response-content-type=text%2Fq');
    assert.equal((await c.get('s/a//b.txt')).content.toString(), 'double slash');
    const collapsed = await c.get('s//a/b.txt');
    assert.equal(
      collapsed.content.toString(),
      'single slash',
      'without MirrorPassOriginalSlashes // is collapsed',
    );
    assert.equal(
      (await c.get('moved.jpg')).content.toString(),
      'redirected',
      'MirrorFollowRedirect defaults to true',
    );
  });

  it('rules apply in RuleNumber order; MirrorUserLastModified keeps the origin date', async () => {
    const c = client(emu);
    origin.objects.set('order/x.txt', { body: Buffer.from('order') });
    await c.putBucketWebsite(BUCKET, {
      index: 'index.html',
      routingRules: [
        mirrorRule(9, {
          Condition: { KeyPrefixEquals: 'order/' },
          Redirect: { MirrorURL: 'https://unreachable.invalid/' },
        }),
        mirrorRule(3, {
          Condition: { KeyPrefixEquals: 'order/' },
          Redirect: { MirrorUserLastModified: 'true' },
        }),
      ],
    });
    await c.get('order/x.txt');
    assert.equal(
      emu.buckets.get(BUCKET)!.get('order/x.txt')!.lastModified.toUTCString(),
      'Mon, 01 Jan 2024 00:00:00 GMT',
    );
  });

  it('MirrorHeaders: Pass / Set headers reach the origin (signed), others and x-oss-* do not', async () => {
    const c = client(emu);
    origin.objects.set('hdr/x.txt', { body: Buffer.from('headers') });
    await c.putBucketWebsite(BUCKET, {
      index: 'index.html',
      routingRules: [
        mirrorRule(1, {
          Redirect: {
            MirrorHeaders: {
              PassAll: 'false',
              Pass: ['x-pass-me', 'x-oss-meta-nope'],
              Set: [
                { Key: 'x-set-me', Value: 'set' },
                { Key: 'x-set-too', Value: 'too' },
              ],
            },
          },
        }),
      ],
    });
    await c.get('hdr/x.txt', { headers: { 'x-pass-me': 'passed', 'x-not-me': 'no' } });
    const hit = origin.hits.at(-1)!;
    assert.equal(hit.headers['x-pass-me'], 'passed');
    assert.equal(hit.headers['x-set-me'], 'set');
    assert.equal(hit.headers['x-not-me'], undefined);
    assert.equal(hit.headers['x-oss-date'], undefined);
    assert.match(hit.authorization ?? '', /SignedHeaders=[^,]*x-pass-me/);
  });

  it('MirrorFetch faults: error and throttle become 424 MirrorFailed, nothing stored', async () => {
    const c = client(emu);
    origin.objects.set('fault/x.txt', { body: Buffer.from('x') });
    await c.putBucketWebsite(BUCKET, { index: 'index.html', routingRules: [mirrorRule(1)] });
    emu.faults.add({ kind: 'error', ops: ['MirrorFetch'], times: 1 });
    emu.faults.add({ kind: 'throttle', ops: ['MirrorFetch'], times: 1, skip: 1 });
    await rejects(c.get('fault/x.txt'), { status: 424, code: 'MirrorFailed' });
    const e = await rejects(c.get('fault/x.txt'), { status: 424, code: 'MirrorFailed' });
    assert.match(e.message, /QoS/);
    assert.equal(origin.hits.length, 0);
    const logged = emu.log.find({ op: 'MirrorFetch', key: 'fault/x.txt' });
    assert.equal(logged.length, 2);
    assert.deepEqual(logged[0]!.faults, [0]);
    assert.equal((await c.get('fault/x.txt')).content.toString(), 'x');
    emu.faults.clear();
    const rawErr = await raw(emu, { method: 'GET', path: '/nothing', key: 'nothing' });
    assert.equal(xmlField(rawErr.body, 'Code'), 'NoSuchKey');
  });
});
