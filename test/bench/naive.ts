/**
 * Baselines for the copy and listing benchmarks: what a first script would do with the two
 * SDKs — list everything into memory, then GET each object into a Buffer and PUT it, N at a
 * time; or a bare streaming pipe for one large object. No CRC, no verification, no resume.
 */
import OSS from 'ali-oss';
import COS from 'cos-nodejs-sdk-v5';
import pLimit from 'p-limit';

const [mode, json] = process.argv.slice(2) as ['copy' | 'list' | 'pipe', string];
const o = JSON.parse(json) as {
  cos: { endpoint: string; region: string; bucket: string; secretId: string; secretKey: string };
  oss: { endpoint: string; region: string; bucket: string; accessKeyId: string; accessKeySecret: string };
  prefix: string;
  dstPrefix: string;
  concurrency: number;
  key?: string;
};
const cos = new COS({
  SecretId: o.cos.secretId,
  SecretKey: o.cos.secretKey,
  Protocol: 'http:',
  Ip: o.cos.endpoint.replace('http://', ''),
  KeepAlive: true,
});
const oss = new OSS({
  accessKeyId: o.oss.accessKeyId,
  accessKeySecret: o.oss.accessKeySecret,
  bucket: o.oss.bucket,
  endpoint: o.oss.endpoint,
  region: `oss-${o.oss.region}`,
  timeout: 600_000,
});
const B = { Bucket: o.cos.bucket, Region: o.cos.region };

async function listAll(): Promise<Array<{ Key: string; Size: string }>> {
  const all: Array<{ Key: string; Size: string }> = [];
  let marker: string | undefined;
  for (;;) {
    const page = await cos.getBucket({
      ...B,
      Prefix: o.prefix,
      MaxKeys: 1000,
      ...(marker ? { Marker: marker } : {}),
    });
    all.push(...(page.Contents as Array<{ Key: string; Size: string }>));
    if (String(page.IsTruncated) !== 'true') return all;
    marker = page.NextMarker ?? all[all.length - 1]!.Key;
  }
}

if (mode === 'list') {
  const all = await listAll();
  process.stdout.write(`${all.length}\n`);
} else if (mode === 'copy') {
  const all = await listAll();
  const limit = pLimit(o.concurrency);
  await Promise.all(
    all.map((c) =>
      limit(async () => {
        const got = await cos.getObject({ ...B, Key: c.Key });
        await oss.put(o.dstPrefix + c.Key.slice(o.prefix.length), got.Body as Buffer);
      }),
    ),
  );
  process.stdout.write(`${all.length}\n`);
} else {
  const stream = cos.getObjectStream({ ...B, Key: o.key! });
  const head = await cos.headObject({ ...B, Key: o.key! });
  await oss.putStream(o.dstPrefix + o.key!, stream, {
    contentLength: Number(head.headers?.['content-length']),
  } as never);
  process.stdout.write('1\n');
}
