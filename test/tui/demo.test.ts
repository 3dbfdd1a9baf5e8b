/**
 * `npm run demo -- --yes` as a user runs it (a subprocess, no terminal): it walks every phase
 * unattended, exits 0 and prints the report's path; the report accounts for every object —
 * the seeded ones and everything the simulated business wrote during the migration — as
 * migrated and verified, with none failed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cleanEnv } from '../helpers/cli.ts';
import { demoObjects } from '../sandbox/seed.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'tui/demo.ts'), ...args], {
    cwd: ROOT,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 55_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

type Line = { key: string; migratedBy: string; verify: string; note?: string };

describe('npm run demo -- --yes', () => {
  let dir: string;
  let r: Awaited<ReturnType<typeof run>>;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ossmigrate-demo-test-'));
    r = await run(['--yes', '--workdir', join(dir, 'w')]);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('walks every phase unattended, exits 0 and prints the report path on stdout', () => {
    assert.equal(r.code, 0, r.stderr);
    const report = r.stdout.trim();
    assert.equal(report, join(dir, 'w', 'jobs', 'demo', 'reports', 'migration'));
    for (let n = 1; n <= 10; n++) assert.match(r.stderr, new RegExp(`\\[${n}/10\\] `), `phase ${n}`);
    assert.match(r.stderr, /--yes: cutover confirmed/);
    assert.match(r.stderr, /--yes: teardown confirmed/);
    assert.match(r.stderr, /business: COS PUT uploads\/2026-11\/photo-001\.jpg \(new\)/);
    assert.match(
      r.stderr,
      /oss: MirrorFetch uploads\/2026-11\/photo-001\.jpg ← COS: 200/,
      'back-to-origin, seen happening',
    );
    assert.match(r.stderr, /fetched back-to-origin from COS by the mirror \(the bytes it wrote to COS\)/);
    assert.match(
      r.stderr,
      /✔ final verify: \d+ match, 1 kept \(newer in OSS\), \d+ only in OSS, 0 missing, 0 different/,
    );
    assert.match(r.stderr, /migration complete\./);
    assert.doesNotMatch(r.stderr, /DIFFERENT from what it wrote|business: .*failed/);
  });

  it('the report: every object, seeded and written by the business, migrated and verified; failed 0', async () => {
    const dirReport = r.stdout.trim();
    const json = JSON.parse(await readFile(join(dirReport, 'report.json'), 'utf8'));
    const business = JSON.parse(await readFile(join(dirReport, 'business.json'), 'utf8'));
    const lines = (await readFile(join(dirReport, 'objects.ndjson'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Line);
    const text = await readFile(join(dirReport, 'report.txt'), 'utf8');
    const v = json.verdict;
    assert.equal(v.ok, true);
    assert.equal(v.exitCode, 0);
    assert.equal(v.problems, 0);
    const seeded = demoObjects().map((o) => o.key);
    const newKeys = business.sourceWrites.filter((k: string) => !seeded.includes(k));
    assert.ok(newKeys.length >= 3, 'the business created objects in COS during the migration');
    assert.ok(business.sourceChanged.length >= 1, 'and changed existing ones');
    assert.equal(
      v.sourceObjects,
      seeded.length + newKeys.length,
      'every source object is in the final verification',
    );
    assert.equal(v.verified, v.sourceObjects);
    assert.equal(v.migrated, v.sourceObjects);
    assert.equal(
      json.phases.finalVerify.missing + json.phases.finalVerify.different + json.phases.finalVerify.errors,
      0,
    );
    assert.equal(json.phases.full.failed + json.phases.incremental.failed, 0);
    // The incremental left the business's post-T2 OSS writes alone: report.json counts them as kept,
    // as many as objects.ndjson says were kept, and says what proved the final verification.
    const kept = lines.filter((l) => l.migratedBy === 'kept-destination').length;
    assert.ok(kept >= 1, 'the business rewrote an object in OSS after cutover');
    assert.equal(json.phases.incremental.destNewer, kept);
    const proven = json.phases.finalVerify.provenBy;
    assert.equal(proven.crc64 + proven.md5 + proven.size, json.phases.finalVerify.verified);
    assert.match(text, /proven by {9}\d+ CRC-64 · \d+ MD5 · \d+ size only/);
    assert.deepEqual(json.openFailures, []);

    const byKey = new Map(lines.map((l) => [l.key, l]));
    for (const key of [...seeded, ...business.sourceWrites]) {
      const l = byKey.get(key);
      assert.ok(l, `${key} is in the report`);
      assert.ok(l.verify === 'match' || l.verify === 'dest-newer', `${key} verified (${l.verify})`);
      assert.notEqual(l.migratedBy, 'failed');
      assert.notEqual(l.migratedBy, 'not-copied');
    }
    // Changed during the full copy → the incremental copied the new version (or kept a newer OSS write).
    for (const key of business.sourceWrites.filter((k: string) => !business.ossWrites.includes(k))) {
      assert.ok(
        ['incremental', 'kept-destination'].includes(byKey.get(key)!.migratedBy),
        `${key}: ${byKey.get(key)!.migratedBy}`,
      );
    }
    // Read through OSS after cutover: fetched back-to-origin, identical.
    assert.ok(business.mirrorFetched.length >= 1);
    for (const key of business.mirrorFetched) {
      assert.equal(byKey.get(key)!.verify, 'match');
      assert.match(byKey.get(key)!.note ?? '', /fetched back-to-origin/);
    }
    // Written to OSS after cutover: kept — never overwritten, never a failure.
    const rewritten = business.ossWrites.filter((k: string) => business.sourceChanged.includes(k));
    assert.equal(rewritten.length, 1);
    assert.equal(byKey.get(rewritten[0])!.verify, 'dest-newer');
    assert.equal(byKey.get(rewritten[0])!.migratedBy, 'kept-destination');
    for (const key of business.ossWrites.filter((k: string) => !rewritten.includes(k)))
      assert.equal(byKey.get(key)!.verify, 'extra', `${key}: only in OSS, the business's`);
    assert.equal(lines.filter((l) => l.migratedBy !== 'destination-only').length, v.sourceObjects);

    assert.match(text, /RESULT {2}every object migrated and verified \(\d+ of \d+\); failed 0/);
    assert.match(text, /wrote to COS during the migration {3}\d+ \(\d+ new keys, \d+ changed\)/);
    assert.match(text, /teardown {2}done .*removed the mirror rule/);
  });
});
