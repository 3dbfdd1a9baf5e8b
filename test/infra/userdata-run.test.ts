// Runs the rendered worker user data for real under sh, with every command it executes replaced by
// a stand-in on PATH that records its argv (what /proc/<pid>/cmdline shows any local user) and
// either runs the real tool or fakes the privileged / networked part. Asserts that no secret, and
// no signature derived from one, ever reaches a command's arguments, and that the bundle GET is
// still signed correctly.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  BUNDLE_PATH,
  ENV_FILE,
  NODE_DIR,
  OSS_V1_SIGN_SH,
  renderUserData,
  UNIT_PATH,
  type UserDataInput,
  workerEnv,
} from '../../infra/userData.ts';

const root = mkdtempSync(join(tmpdir(), 'ossmigrate-udrun-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** Absolute path of a real tool, resolved with the test's own PATH (the stand-ins call it). */
const real = (cmd: string): string =>
  execFileSync('sh', ['-c', `command -v ${cmd}`])
    .toString()
    .trim();

const SH = real('sh');

// Commands that run for real after being recorded, and those whose effect is faked.
const PASS_THROUGH = ['mktemp', 'rm', 'cat', 'awk', 'sha256sum', 'md5sum', 'date', 'openssl', 'base64'];
const FAKED = ['curl', 'install', 'tar', 'id', 'useradd', 'chown', 'chmod', 'systemctl'];

interface Sandbox {
  dir: string;
  bin: string;
  nodeDir: string;
  log: string;
  captured: string;
}

const RS = '\x1e'; // record separator between commands
const US = '\x1f'; // unit separator between arguments

function sandbox(name: string): Sandbox {
  const dir = join(root, name);
  const bin = join(dir, 'bin');
  const nodeDir = join(dir, 'node');
  const captured = join(dir, 'captured');
  for (const d of [bin, join(nodeDir, 'bin'), captured, join(dir, 'tmp')]) mkdirSync(d, { recursive: true });
  const log = join(dir, 'argv.log');
  writeFileSync(log, '');
  const record = (cmd: string) => `{ printf '%s${US}' ${cmd} "$@"; printf '${RS}'; } >> '${log}'`;
  const stub = (path: string, body: string) => {
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
  };
  for (const cmd of PASS_THROUGH) {
    let target: string;
    try {
      target = real(cmd);
    } catch {
      continue; // not installed here: the script under test must not need it
    }
    stub(join(bin, cmd), `${record(cmd)}\nexec '${target}' "$@"`);
  }
  const cp = real('cp');
  const fakes: Record<string, string> = {
    // -o FILE, -H VALUE, URL last. Serves the fixtures and keeps what curl was given.
    curl: `out=; for a in "$@"; do
  case "$prev" in -o) out=$a ;; -H) case "$a" in @*) '${cp}' "\${a#@}" '${captured}/headers' ;; esac ;; esac
  prev=$a; url=$a
done
case "$url" in
  */SHASUMS256.txt) '${cp}' '${dir}/fixture-shasums' "$out" ;;
  *.tar.xz) '${cp}' '${dir}/fixture-node.tar' "$out" ;;
  https://*.oss-*-internal.aliyuncs.com/*) '${cp}' '${dir}/fixture-bundle.mjs' "$out" ;;
  *) exit 22 ;;
esac`,
    // Keeps the last-but-one argument (the staged file) under the destination's name.
    install: `for a in "$@"; do src=$dst; dst=$a; done
case " $* " in *" -d "*) exit 0 ;; esac
'${cp}' "$src" '${captured}'/"\${dst##*/}"`,
    id: 'exit 1',
  };
  for (const cmd of FAKED) stub(join(bin, cmd), `${record(cmd)}\n${fakes[cmd] ?? 'exit 0'}`);
  stub(join(nodeDir, 'bin', 'node'), `${record('node')}\nexec '${process.execPath}' "$@"`);
  return { dir, bin, nodeDir, log, captured };
}

/** Every command the script executed, as its argv. */
function argvs(sb: Sandbox): string[][] {
  return readFileSync(sb.log, 'utf8')
    .split(RS)
    .filter(Boolean)
    .map((r) => r.split(US).slice(0, -1));
}

function run(sb: Sandbox, script: string, env: Record<string, string> = {}) {
  // sh by absolute path: the child's PATH holds only the stand-ins.
  return spawnSync(SH, ['-c', script], {
    env: { PATH: sb.bin, TMPDIR: join(sb.dir, 'tmp'), ...env },
    encoding: 'utf8',
  });
}

const input: UserDataInput = {
  region: 'cn-hangzhou',
  nodeDistUrl: 'https://registry.npmmirror.com/-/binary/node/v24.21.0/node-v24.21.0-linux-x64.tar.xz',
  nodeDistSha256: '',
  controlBucket: 'dest-ossmigrate',
  bundleKey: 'bundle/ossmigrate-0123456789abcdef0123456789abcdef.mjs',
  bundleMd5: '',
  accessKeyId: 'LTAI5tKeyId',
  accessKeySecret: 'TopSecret/Ak+Secret=123',
  redisUrl: 'redis://:Om-9RedisPw@r-x.redis.rds.aliyuncs.com:6379/0',
  source: { type: 'cos', secretId: 'AKIDcosSecretId', secretKey: 'CosSecretKey456' },
  workerConcurrency: 8,
};
const SECRETS = [input.accessKeySecret, 'AKIDcosSecretId', 'CosSecretKey456', 'Om-9RedisPw'];

function assertNoSecretInArgv(sb: Sandbox, extra: string[] = []) {
  const all = argvs(sb);
  assert.ok(all.length > 0, 'the stand-ins recorded the commands');
  for (const argv of all) {
    for (const arg of argv) {
      for (const s of [...SECRETS, ...extra]) {
        assert.ok(!arg.includes(s), `${argv[0]} got a secret in its arguments: ${JSON.stringify(argv)}`);
      }
      assert.doesNotMatch(arg, /\$AK_SECRET|\$\{AK_SECRET/, `${argv[0]} got an unexpanded secret reference`);
    }
  }
}

function signatureOf(headers: string, bucket: string, key: string, secret: string) {
  const date = /^Date: (.+)$/m.exec(headers)?.[1] ?? '';
  const auth = /^Authorization: OSS ([^:\n]+):(\S+)$/m.exec(headers);
  assert.match(date, /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  // Not a timing assertion on the run: OSS refuses a Date more than 15 minutes off.
  assert.ok(Math.abs(Date.parse(date) - Date.now()) < 15 * 60_000, date);
  const expected = createHmac('sha1', secret).update(`GET\n\n\n${date}\n/${bucket}/${key}`).digest('base64');
  return { id: auth?.[1], signature: auth?.[2], expected };
}

describe('OSS V1 signing snippet', () => {
  it('keeps the key out of every argv and signs exactly like node:crypto', () => {
    const sb = sandbox('sign');
    const r = run(
      sb,
      `set -eu\ntmp=$TMPDIR\nNODE_DIR='${sb.nodeDir}'\n${OSS_V1_SIGN_SH}\ncat "$tmp/bundle.hdr"`,
      {
        AK_ID: 'LTAI5tKeyId',
        BUNDLE_BUCKET: 'ctl-bkt',
        BUNDLE_KEY: 'bundle/ossmigrate-x.mjs',
        AK_SECRET: input.accessKeySecret,
      },
    );
    // The signature is a credential for this GET: it must not be in an argv either.
    const sig = /Authorization: OSS [^:]+:(\S+)/.exec(r.stdout)?.[1];
    assertNoSecretInArgv(sb, sig ? [sig] : []);
    const { id, signature, expected } = signatureOf(
      r.stdout,
      'ctl-bkt',
      'bundle/ossmigrate-x.mjs',
      input.accessKeySecret,
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(id, 'LTAI5tKeyId');
    assert.equal(signature, expected);
  });
});

describe('worker user data, run end to end with recording stand-ins', () => {
  const sb = sandbox('full');
  const tarball = 'not really a tarball\n';
  const bundle = "console.log('bundle');\n";
  writeFileSync(join(sb.dir, 'fixture-node.tar'), tarball);
  writeFileSync(join(sb.dir, 'fixture-bundle.mjs'), bundle);
  const tarSha = createHash('sha256').update(tarball).digest('hex');
  writeFileSync(
    join(sb.dir, 'fixture-shasums'),
    `${'0'.repeat(64)}  node-v24.21.0-darwin-arm64.tar.xz\n${tarSha}  node-v24.21.0-linux-x64.tar.xz\n`,
  );
  const ud = { ...input, bundleMd5: createHash('md5').update(bundle).digest('hex') };
  const script = renderUserData(ud);
  // The one absolute path the script executes is Node's; point it at the recording stand-in.
  const nodeLine = `NODE_DIR='${NODE_DIR}'\n`;
  assert.ok(script.includes(nodeLine));
  const r = run(sb, script.replace(nodeLine, `NODE_DIR='${sb.nodeDir}'\n`));
  const headers = (() => {
    try {
      return readFileSync(join(sb.captured, 'headers'), 'utf8');
    } catch {
      return '';
    }
  })();

  it('passes no secret and no signature in any command line', () => {
    const sig = /Authorization: OSS [^:]+:(\S+)/.exec(headers)?.[1];
    assertNoSecretInArgv(sb, sig ? [sig] : []);
  });

  it('completes: Node checked against SHASUMS256.txt, bundle fetched, MD5-checked and installed, unit started', () => {
    assert.equal(r.status, 0, r.stderr);
    const cmds = argvs(sb);
    const curlUrls = cmds.filter((a) => a[0] === 'curl').map((a) => a.at(-1));
    assert.deepEqual(curlUrls, [
      input.nodeDistUrl,
      'https://registry.npmmirror.com/-/binary/node/v24.21.0/SHASUMS256.txt',
      `https://dest-ossmigrate.oss-cn-hangzhou-internal.aliyuncs.com/${input.bundleKey}`,
    ]);
    assert.ok(cmds.some((a) => a[0] === 'sha256sum') && cmds.some((a) => a[0] === 'md5sum'));
    assert.equal(readFileSync(join(sb.captured, 'ossmigrate.mjs'), 'utf8'), bundle);
    assert.ok(
      cmds.some((a) => a[0] === 'install' && a.at(-1) === BUNDLE_PATH),
      'bundle installed to its path',
    );
    assert.deepEqual(
      cmds.filter((a) => a[0] === 'systemctl').map((a) => a.slice(1).join(' ')),
      ['daemon-reload', 'enable --now ossmigrate-worker.service'],
    );
  });

  it('signs the bundle GET with the RAM key (checked against node:crypto)', () => {
    const { id, signature, expected } = signatureOf(
      headers,
      input.controlBucket,
      input.bundleKey,
      input.accessKeySecret,
    );
    assert.equal(id, input.accessKeyId);
    assert.equal(signature, expected);
  });

  it('places the env file 0600 root with exactly the worker environment, and the unit', () => {
    const cmds = argvs(sb);
    const envInstall = cmds.find((a) => a[0] === 'install' && a.at(-1) === ENV_FILE);
    assert.deepEqual(envInstall?.slice(1, 7), ['-m', '0600', '-o', 'root', '-g', 'root']);
    assert.equal(readFileSync(join(sb.captured, 'worker.env'), 'utf8'), workerEnv(ud));
    assert.ok(cmds.some((a) => a[0] === 'install' && a.at(-1) === UNIT_PATH));
    assert.match(readFileSync(join(sb.captured, 'ossmigrate-worker.service'), 'utf8'), /^ExecStart=/m);
  });
});
