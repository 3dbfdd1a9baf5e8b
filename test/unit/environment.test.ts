/**
 * The environment is read at the entry points only (runner/cli, runner/worker): the services
 * below take values. readEnvironment maps every variable they used to read themselves, with the
 * same empty-value and default rules.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { readEnvironment } from '../../runner/config/environment.ts';

const root = resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (/\.tsx?$/.test(e.name)) out.push(p);
  }
  return out;
}

/** `process.env` in code (not in comments or strings), as file:line. */
function envReads(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const walk = (n: ts.Node) => {
    if (
      ts.isPropertyAccessExpression(n) &&
      n.name.text === 'env' &&
      ts.isIdentifier(n.expression) &&
      n.expression.text === 'process'
    )
      out.push(`${relative(root, file)}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`);
    ts.forEachChild(n, walk);
  };
  walk(sf);
  return out;
}

describe('the environment', () => {
  it('is not read below the entry points (runner/cli, runner/worker)', () => {
    const below = ['adapters', 'fleet', 'app', 'engine', 'core', 'ports', 'config'];
    const reads = below.flatMap((d) => sources(join(root, 'runner', d))).flatMap(envReads);
    assert.deepEqual(reads, []);
  });

  it('maps every variable the services take, with their defaults', () => {
    assert.deepEqual(readEnvironment({}), { redis: {}, journal: {}, lease: {} });
    const e = readEnvironment({
      OSSMIGRATE_OSS_ENDPOINT: 'http://127.0.0.1:9000',
      OSSMIGRATE_LOG_LEVEL: 'debug',
      OSSMIGRATE_REDIS_URL: 'redis://h:6379/0',
      OSSMIGRATE_REDIS_PASSWORD: 'pw',
      OSSMIGRATE_REDIS_USERNAME: 'u',
      OSSMIGRATE_REDIS_CA_FILE: '/ca.pem',
      OSSMIGRATE_JOURNAL_DIR: '/shared',
      OSSMIGRATE_CONTROL_BUCKET: 'ctl',
      OSSMIGRATE_JOURNAL_PREFIX: 'j/',
      OSSMIGRATE_LOCK_MS: '3000',
      OSSMIGRATE_STALLED_MS: '1000',
      OSSMIGRATE_MAX_STALLED: '5',
      OSSMIGRATE_TASK_ATTEMPTS: '2',
      OSSMIGRATE_TASK_BACKOFF_MS: '100',
    });
    assert.deepEqual(e, {
      ossEndpoint: 'http://127.0.0.1:9000',
      logLevel: 'debug',
      redis: { url: 'redis://h:6379/0', password: 'pw', username: 'u', caFile: '/ca.pem' },
      journal: { dir: '/shared', controlBucket: 'ctl', prefix: 'j/' },
      lease: { lockMs: 3000, stalledMs: 1000, maxStalled: 5, attempts: 2, backoffMs: 100 },
    });
  });

  it('treats what the services ignored as unset: empty endpoint / password, non-positive leases', () => {
    const e = readEnvironment({
      OSSMIGRATE_OSS_ENDPOINT: '',
      OSSMIGRATE_REDIS_PASSWORD: '',
      OSSMIGRATE_LOCK_MS: '0',
      OSSMIGRATE_STALLED_MS: 'soon',
      // An empty prefix is a choice (journals at the bucket's root): kept.
      OSSMIGRATE_JOURNAL_PREFIX: '',
    });
    assert.deepEqual(e, { redis: {}, journal: { prefix: '' }, lease: {} });
  });
});
