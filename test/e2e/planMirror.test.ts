/**
 * `ossmigrate plan` says whether OSS mirroring can serve the cutover (its `mirror` JSON field and
 * text line) for every source type; --listers / --inventory are checked; an unreadable inventory
 * stops plan, import and migrate in the preflight (exit 3, nothing written) instead of surveying
 * 0 objects, and an empty one is a loud warning. The real CLI, the sandbox's emulators, s3rver's
 * stand-in (the COS emulator's S3 API), Azurite, the UpYun emulator and a node:http origin.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { stringify } from 'yaml';
import { startAzurite, type TestAzurite } from '../helpers/azurite.ts';
import { type CliResult, events, runCli } from '../helpers/cli.ts';
import { type HttpListServer, startHttpListServer } from '../helpers/httpListServer.ts';
import { type Sandbox, startSandbox } from '../sandbox/sandbox.ts';
import { startUpyunEmulator, type UpyunEmulator } from '../sandbox/upyun/index.ts';

type Env = {
  sb: Sandbox;
  az: TestAzurite;
  up: UpyunEmulator;
  srv: HttpListServer;
  dir: string;
  env: Record<string, string>;
};
let e: Env;
const hourAgo = () => new Date(Date.now() - 3600_000);

before(async () => {
  const [sb, az, up, srv] = await Promise.all([
    startSandbox(),
    startAzurite(),
    startUpyunEmulator({ operators: { migrator: 'upyun-pw' } }),
    startHttpListServer(),
  ]);
  const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-e2e-planmirror-'));
  up.createService('media');
  up.seed('media', 'a.txt', 'upyun', { mtime: hourAgo() });
  await sb.cos.seed(sb.info.cos.bucket, { key: 'a.txt', body: 'cos', lastModified: hourAgo() });
  sb.oss.createBucket('old-src');
  await sb.oss.seed('old-src', { key: 'a.txt', body: 'oss', lastModified: hourAgo() });
  await (await az.container('media')).getBlockBlobClient('a.txt').upload('azure', 5);
  srv.put('/d/a.txt', 'http', { mtime: hourAgo() });
  await mkdir(join(dir, 'local'));
  await writeFile(join(dir, 'local', 'a.txt'), 'local');
  await writeFile(join(dir, 'list.txt'), `${srv.origin}/d/\ta.txt\n`);
  const env = sb.env();
  e = {
    sb,
    az,
    up,
    srv,
    dir,
    env: {
      ...env,
      // The COS emulator's S3 API takes the COS key.
      AWS_ACCESS_KEY_ID: env.TENCENTCLOUD_SECRET_ID!,
      AWS_SECRET_ACCESS_KEY: env.TENCENTCLOUD_SECRET_KEY!,
      AZURE_STORAGE_ACCOUNT: az.account,
      AZURE_STORAGE_KEY: az.key,
      UPYUN_OPERATOR: 'migrator',
      UPYUN_PASSWORD: 'upyun-pw',
      TMPDIR: dir,
    },
  };
});
after(async () => {
  await Promise.all([e.sb.close(), e.az.close(), e.up.close(), e.srv.close()]);
  await rm(e.dir, { recursive: true, force: true });
});

const dst = () => [
  '--dst',
  `oss://${e.sb.info.oss.bucket}/`,
  '--dst-region',
  e.sb.info.oss.region,
  '--dst-endpoint',
  e.sb.info.oss.endpoint,
];
const run = (args: string[], work: string) =>
  runCli([...args, '--workdir', join(e.dir, work)], { cwd: e.dir, env: e.env });
const planOf = (r: CliResult) => events(r.stdout).find((x) => x.type === 'plan') as PlanEvent | undefined;
type PlanEvent = {
  objects: number;
  warnings?: string[];
  mirror: { mirror: 'yes' | 'no'; summary: string; how: string; why: string; fix: string };
};

describe('plan: the mirror field per source type', () => {
  const sources: Record<string, () => string[]> = {
    cos: () => [
      '--src',
      `cos://${e.sb.info.cos.bucket}/`,
      '--src-region',
      e.sb.info.cos.region,
      '--src-endpoint',
      e.sb.info.cos.endpoint,
    ],
    oss: () => [
      '--src',
      'oss://old-src/',
      '--src-region',
      e.sb.info.oss.region,
      '--src-endpoint',
      e.sb.info.oss.endpoint,
    ],
    s3: () => [
      '--src',
      `s3://${e.sb.info.cos.bucket}/`,
      '--src-provider',
      'minio',
      '--src-region',
      e.sb.info.cos.region,
      '--src-endpoint',
      e.sb.info.cos.endpoint,
    ],
    azure: () => ['--src', `azure://${e.az.account}/media/`, '--src-endpoint', e.az.endpoint],
    upyun: () => ['--src', 'upyun://media/', '--src-endpoint', e.up.endpoint],
    'http-list': () => ['--src', `http-list://${join(e.dir, 'list.txt')}`],
    local: () => ['--src', `local://${join(e.dir, 'local')}/`],
  };
  const expected: Record<string, { mirror: 'yes' | 'no'; how: RegExp }> = {
    cos: { mirror: 'yes', how: /MirrorAuth S3V4 \(the COS key, region ap-guangzhou\)/ },
    oss: { mirror: 'yes', how: /MirrorRole/ },
    s3: { mirror: 'yes', how: /MirrorAuth S3V4 \(the source key and region\)/ },
    azure: { mirror: 'no', how: /only a public-read container/ },
    upyun: { mirror: 'no', how: /only a public service/ },
    'http-list': { mirror: 'yes', how: /MirrorURL = http:\/\/127\.0\.0\.1:\d+\/d\/ .*no MirrorAuth/ },
    local: { mirror: 'no', how: /a directory has no URL/ },
  };
  for (const [type, flags] of Object.entries(sources))
    it(`${type}: mirror ${expected[type]!.mirror}, in --json and in the text`, async () => {
      const r = await run(['plan', ...flags(), ...dst(), '--json'], `w-${type}`);
      assert.equal(r.code, 0, r.stderr);
      const p = planOf(r);
      assert.ok(p, r.stdout);
      assert.equal(p.objects, 1, `the survey saw the ${type} source`);
      assert.equal(p.mirror.mirror, expected[type]!.mirror);
      assert.match(p.mirror.how, expected[type]!.how);
      assert.ok(p.mirror.why && p.mirror.fix && p.mirror.summary);
      // The text says the same, with why and the fix (or the check).
      assert.match(r.stderr, new RegExp(`\\n  mirror    ${p.mirror.mirror} — `));
      assert.ok(r.stderr.includes(`why: ${p.mirror.why}`), r.stderr);
      // The sandbox's origins are local, its OSS emulator reaches them: said, not hidden.
      if (p.mirror.mirror === 'yes') assert.match(p.mirror.why, /local OSS emulator/);
    });
});

/** A CSV inventory downloaded keeping the bucket layout, listing `keys` (0 data files when empty). */
async function inventory(name: string, keys: string[], o: { dropData?: boolean } = {}): Promise<string> {
  const base = join(e.dir, name);
  await mkdir(join(base, 'inv', '2026-05-17T16-00Z'), { recursive: true });
  await mkdir(join(base, 'inv', 'data'), { recursive: true });
  const files: Array<{ key: string }> = [];
  if (keys.length) {
    const csv = keys.map((k) => `"src","${k}","5","Standard","2026-05-01T00:00:00Z"`).join('\n');
    const key = 'inv/data/part-0.csv.gz';
    if (!o.dropData) await writeFile(join(base, key), gzipSync(`${csv}\n`));
    files.push({ key });
  }
  const manifest = join(base, 'inv', '2026-05-17T16-00Z', 'manifest.json');
  await writeFile(
    manifest,
    JSON.stringify({
      creationTimestamp: String(Math.floor(Date.now() / 1000)),
      fileFormat: 'CSV',
      fileSchema: 'Bucket, Key, Size, StorageClass, LastModifiedDate',
      files,
    }),
  );
  return manifest;
}

describe('--listers and --inventory', () => {
  const local = () => ['--src', `local://${join(e.dir, 'local')}/`, ...dst()];

  it('--listers must be a whole number from 1 to 64 (exit 2, the flag and the fix named)', async () => {
    for (const bad of ['0', '65']) {
      const r = await run(['plan', ...local(), '--listers', bad], 'w-listers');
      assert.equal(r.code, 2, `${bad}: ${r.stderr}`);
      assert.match(r.stderr, /option '--listers <n>' argument '.*' is invalid/);
      assert.match(r.stderr, /Use a whole number from 1 to 64, e\.g\. --listers 16/);
    }
    const ok = await run(['plan', ...local(), '--listers', '64', '--json'], 'w-listers');
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('a valid inventory is surveyed instead of LIST (the preflight lets it through)', async () => {
    const m = await inventory('inv-ok', ['x/1', 'x/2', 'x/3']);
    const r = await run(['plan', ...local(), '--inventory', m, '--json'], 'w-inv-ok');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(planOf(r)?.objects, 3, 'the three rows of the inventory, not the one file listed');
    assert.equal(planOf(r)?.warnings, undefined);
  });

  it('a missing manifest fails the preflight of plan, import and migrate (exit 3), naming --inventory, the path and the fix', async () => {
    const missing = join(e.dir, 'nope', 'manifest.json');
    const mark = e.sb.oss.log.mark();
    for (const cmd of [['plan'], ['import'], ['migrate', '--infra', 'none', '--yes']]) {
      const r = await run([...cmd, ...local(), '--inventory', missing, '--json'], `w-missing-${cmd[0]}`);
      assert.equal(r.code, 3, `${cmd[0]}: ${r.stderr}`);
      assert.match(r.stderr, /INVENTORY_UNREADABLE: listing\.inventory \(--inventory\): cannot read /);
      assert.ok(r.stderr.includes(missing), r.stderr);
      assert.match(
        r.stderr,
        /fix: check the path to manifest\.json .*or drop --inventory \/ listing\.inventory/,
      );
      assert.equal(planOf(r), undefined, 'no survey of 0 objects');
    }
    const writes = e.sb.oss.log.since(mark).filter((x) => /Put|Upload|Copy/.test(x.op));
    assert.deepEqual(writes, [], 'nothing was written');
  });

  it('the job file key too, and a manifest whose data file is missing; in the destination bucket too', async () => {
    const file = join(e.dir, 'inv-job.yaml');
    const m = await inventory('inv-nodata', ['x/1'], { dropData: true });
    await writeFile(
      file,
      stringify({
        name: 'inv',
        source: { type: 'local', path: `${join(e.dir, 'local')}/` },
        destination: e.sb.jobSpec().destination,
        listing: { inventory: m },
      }),
    );
    const r = await run(['plan', file], 'w-nodata');
    assert.equal(r.code, 3, r.stderr);
    assert.match(
      r.stderr,
      /INVENTORY_UNREADABLE: listing\.inventory \(--inventory\): the manifest names inv\/data\/part-0\.csv\.gz, which is not under/,
    );
    // Delivered to the destination bucket (read with its key), and not there.
    const inBucket = await run(
      [
        'plan',
        ...local(),
        '--inventory',
        `oss://${e.sb.info.oss.bucket}/inv/2026-05-17T16-00Z/manifest.json`,
      ],
      'w-bucket',
    );
    assert.equal(inBucket.code, 3, inBucket.stderr);
    assert.match(
      inBucket.stderr,
      /INVENTORY_UNREADABLE: listing\.inventory \(--inventory\): cannot read oss:\/\//,
    );
  });

  it('a manifest listing 0 data files: plan warns in the preflight, under the plan and in --json', async () => {
    const m = await inventory('inv-empty', []);
    const r = await run(['plan', ...local(), '--inventory', m, '--json'], 'w-empty');
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /! INVENTORY_EMPTY: listing\.inventory \(--inventory\): the manifest .* lists 0 data files/,
    );
    const p = planOf(r)!;
    assert.equal(p.objects, 0);
    assert.match(
      p.warnings?.[0] ?? '',
      /lists 0 data files: a scan from it sees an empty source and copies nothing/,
    );
    // Once more at the end of the text, after the numbers.
    assert.match(
      r.stderr.split('  mirror ')[1] ?? '',
      /\n {2}! listing\.inventory \(--inventory\): .* lists 0 data files/,
    );
  });
});
