/**
 * The README was cut to a front page (≤ ~200 lines) and everything else moved to docs/: these
 * phrases, one or more from every section of the old 800-line README, must still be somewhere a
 * user can find them, so a later edit that drops a fact fails here.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const pages = readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.md'))
  .map((f) => readFileSync(join(ROOT, 'docs', f), 'utf8'));
const all = [readme, ...pages].join('\n').replace(/\s+/g, ' ');

/** Section of the old README → phrases it held. */
const FACTS: Record<string, string[]> = {
  intro: ['Zero-download verification', 'Cutover-safe incremental', 'EBADENGINE', 'npm link'],
  'try it': ['PUT /__sandbox__/faults', '138 demo objects', '--restore-delay MS'],
  tui: [
    'tui.json',
    'alternate screen',
    'CI=true',
    'MirrorFetch',
    'type the destination bucket',
    '`Esc` folds',
  ],
  playbook: ['500 TB in COS Guangzhou', 'ceil(500 / 7 / (100/100)) = 72', 'never propagated'],
  commands: [
    'A job submitted from an ossimport cfg keeps its keys',
    'exit code 6',
    '"Mon-08:00,10M Sat-00:00,off"',
  ],
  'job file': ['version: 1', 'checkSourceAfterCopy', 'storageClassMap', 'stripLeadingSlash', 'MAZ_*'],
  credentials: ['source-oss:', 'chmod 600', 'OSS_ACCESS_KEY_ID'],
  output: [
    '"type":"summary"',
    'SIZE_NOT_MATCH',
    'check.txt',
    'Content-Security-Policy',
    '512 points per pass',
  ],
  distributed: [
    'maxmemory-policy noeviction',
    'ossm:active',
    'one chunk PUT per 500 lines or 5 s',
    'OSSMIGRATE_TASK_BACKOFF_MS',
    '--drain-timeout',
    'AOF fsyncs every second',
  ],
  cloud: [
    'PULUMI_CONFIG_PASSPHRASE',
    'retainOnDelete',
    'sizingBound',
    'pulumi import alicloud:oss/bucket:Bucket',
    'innerAccessPolicy: Drop',
    'HMAC-SHA256',
    'npmmirror',
  ],
  internals: ['Tasks are key ranges', 'x-oss-forbid-overwrite', '≤ 256 results or 100 ms', 'If-Match'],
  ossimport: ['workerAbortWhenUncatchedException', 'isSkipExistFile', 'javaHeapMaxSize'],
  development: ['scripts/system-packages.txt', 'REDIS_SERVER=/path', '.ci/run'],
  benchmarks: ['cpu_per_gb_ratio', 'BENCH_REPS', 'VmHWM', '3.91×'],
};

describe('docs: nothing of the old README was lost', () => {
  it('the README is a front page of at most ~200 lines', () => {
    assert.ok(readme.split('\n').length <= 200, `README.md has ${readme.split('\n').length} lines`);
  });
  for (const [section, phrases] of Object.entries(FACTS))
    it(`${section}: its facts are in the README or docs/`, () => {
      for (const p of phrases)
        assert.ok(all.includes(p), `"${p}" (old README, ${section}) is nowhere in README.md or docs/`);
    });
});
