// An S3-compatible source on a private endpoint (a MinIO on 10.x): the workers may reach it (VPN,
// Express Connect), OSS's back-to-origin fetches from the internet cannot. No rule, a mirrorNote,
// and a warning already at provisioning (mirror still false), so the cutover can be planned.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import {
  captureWarnings,
  decodeUserData,
  envFileOf,
  fakeBundle,
  type Harness,
  installMocks,
  loadProgram,
  promiseOf,
  T,
} from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'ossmigrate-s3p-'));
const log = captureWarnings();
after(() => {
  log.restore();
  rmSync(dir, { recursive: true, force: true });
});

let h: Harness;
let program: Awaited<ReturnType<typeof loadProgram>>;
before(async () => {
  h = installMocks(
    {
      destBucket: 'media-dest',
      sourceType: 's3',
      s3Provider: 'minio',
      s3Endpoint: 'http://10.20.0.5:9000',
      s3Bucket: 'media',
      s3AccessKeyId: 'minioadmin',
      s3SecretAccessKey: 'MinioSecret123',
      fleetSize: '1',
      bundlePath: fakeBundle(dir).path,
    },
    ['s3SecretAccessKey'],
  );
  program = await loadProgram();
  await promiseOf(program.instanceIds);
  await h.settle();
});

it('creates no mirror rule for a private endpoint and explains it before phase 5', () => {
  assert.equal(h.ofType(T.website).length, 0);
  assert.equal(program.mirrorEnabled, false);
  assert.match(
    program.mirrorNote,
    /^No mirror rule: the origin http:\/\/10\.20\.0\.5:9000\/media\/ is a private address: OSS's back-to-origin fetches come from the internet and cannot reach it/,
  );
  assert.match(program.mirrorNote, /pulumi config set ossmigrate:s3Endpoint https:\/\/…$/);
  assert.deepEqual(
    log.warnings.filter((w) => w.includes('No mirror rule')),
    [`warning: [runtime] ${program.mirrorNote}`],
  );
  // Workers still get the key: they may have a route to it.
  const env = envFileOf(decodeUserData(h.one(T.instance, 'worker-0')));
  assert.equal(env.get('AWS_SECRET_ACCESS_KEY'), 'MinioSecret123');
});
