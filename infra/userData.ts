// The worker's cloud-init user data. PURE: renders a POSIX shell script from plain values.
//
// The script holds secrets (it writes them to the env file), so it never echoes them, never runs
// with `set -x`, and the program passes it to ECS as a Pulumi secret. cloud-init runs it once, as
// root, on first boot; it must be ≤ 16 KB before base64.

import { dirname } from 'node:path';
import { RUNTIME_FLAGS } from '../bin/runtimeFlags.js';

export const USER_DATA_MAX_BYTES = 16 * 1024;
export const NODE_DIR = '/opt/node';
export const BUNDLE_PATH = '/opt/ossmigrate/ossmigrate.mjs';
export const ENV_FILE = '/etc/ossmigrate/worker.env';
export const WORKDIR = '/var/lib/ossmigrate';
export const UNIT_NAME = 'ossmigrate-worker.service';
export const UNIT_PATH = `/etc/systemd/system/${UNIT_NAME}`;

export interface UserDataInput {
  region: string;
  nodeDistUrl: string;
  /** Hex SHA-256 of the Node tarball; '' = check against SHASUMS256.txt next to it. */
  nodeDistSha256: string;
  controlBucket: string;
  bundleKey: string;
  bundleMd5: string;
  accessKeyId: string;
  accessKeySecret: string;
  /** The queue's in-VPC URL, password included. */
  redisUrl: string;
  /** The source's keys; the worker reads them from the env file as every command does. */
  source?: SourceKeys | undefined;
  workerConcurrency: number;
}

/** A source's credentials, by type: what the worker needs to read it. */
export type SourceKeys =
  | { type: 'cos'; secretId: string; secretKey: string }
  | { type: 's3'; accessKeyId: string; secretAccessKey: string }
  | { type: 'azure'; account: string; key: string };

/** The vendor variables runner/config/credentials.ts reads for each source type. */
export function sourceEnvLines(k: SourceKeys): string[] {
  switch (k.type) {
    case 'cos':
      return [envLine('TENCENTCLOUD_SECRET_ID', k.secretId), envLine('TENCENTCLOUD_SECRET_KEY', k.secretKey)];
    case 's3':
      return [
        envLine('AWS_ACCESS_KEY_ID', k.accessKeyId),
        envLine('AWS_SECRET_ACCESS_KEY', k.secretAccessKey),
      ];
    case 'azure':
      return [envLine('AZURE_STORAGE_ACCOUNT', k.account), envLine('AZURE_STORAGE_KEY', k.key)];
  }
}

/** Single-quote for sh: nothing inside is expanded. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

// Values systemd's EnvironmentFile= reads back verbatim without quoting rules getting involved.
export const ENV_SAFE = /^[A-Za-z0-9._~:/@%+=,-]*$/;

export function envLine(name: string, value: string): string {
  if (!ENV_SAFE.test(value)) {
    throw new Error(
      `worker env: ${name} contains characters the env file cannot carry verbatim ` +
        '(allowed: letters, digits and ._~:/@%+=,-); check the configured credential',
    );
  }
  return `${name}=${value}`;
}

export function internalOssHost(bucket: string, region: string): string {
  return `${bucket}.oss-${region}-internal.aliyuncs.com`;
}

export function workerEnv(o: UserDataInput): string {
  const lines = [
    envLine('OSSMIGRATE_REDIS_URL', o.redisUrl),
    envLine('OSSMIGRATE_OSS_ENDPOINT', `https://oss-${o.region}-internal.aliyuncs.com`),
    envLine('OSSMIGRATE_CONTROL_BUCKET', o.controlBucket),
    envLine('OSSMIGRATE_JOURNAL_PREFIX', 'journals/'),
    envLine('ALIBABA_CLOUD_ACCESS_KEY_ID', o.accessKeyId),
    envLine('ALIBABA_CLOUD_ACCESS_KEY_SECRET', o.accessKeySecret),
  ];
  if (o.source) lines.push(...sourceEnvLines(o.source));
  return `${lines.join('\n')}\n`;
}

export function systemdUnit(workerConcurrency: number): string {
  if (!Number.isInteger(workerConcurrency) || workerConcurrency < 1) {
    throw new Error(`worker unit: concurrency must be a positive integer (got ${workerConcurrency})`);
  }
  // No secret on the command line: argv is world-readable in /proc. The worker reads
  // OSSMIGRATE_REDIS_URL and the keys from the environment systemd loads from the 0600 file.
  return `[Unit]
Description=ossmigrate migration worker
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
User=ossmigrate
Group=ossmigrate
EnvironmentFile=${ENV_FILE}
ExecStart=${NODE_DIR}/bin/node --enable-source-maps ${RUNTIME_FLAGS.join(' ')} ${BUNDLE_PATH} worker --workdir ${WORKDIR} --concurrency ${workerConcurrency}
StateDirectory=ossmigrate
StateDirectoryMode=0700
Restart=always
RestartSec=5
# SIGTERM lets the worker stop taking tasks and finish the running ones before it exits.
KillSignal=SIGTERM
TimeoutStopSec=300
LimitNOFILE=65536
NoNewPrivileges=true
ProtectSystem=strict
ProtectHome=true
PrivateTmp=true

[Install]
WantedBy=multi-user.target
`;
}

// Runs under the instance's fresh Node (so no openssl, whose -hmac/-macopt take the key in argv):
// the key arrives in the environment, the headers leave on stdout. Double quotes only: it is
// single-quoted for sh.
const SIGN_JS = [
  'const e = process.env;',
  'const date = new Date().toUTCString();',
  'const sig = require("node:crypto").createHmac("sha1", e.AK_SECRET)',
  '  .update("GET\\n\\n\\n" + date + "\\n/" + e.BUNDLE_BUCKET + "/" + e.BUNDLE_KEY).digest("base64");',
  'process.stdout.write("Date: " + date + "\\nAuthorization: OSS " + e.AK_ID + ":" + sig + "\\n");',
].join('\n');

/**
 * Writes "$tmp/bundle.hdr": the Date and Authorization headers of an OSS V1-signed GET for
 * $BUNDLE_BUCKET/$BUNDLE_KEY, Signature = base64(HMAC-SHA1(secret, "GET\n\n\n<Date>\n/<bucket>/<key>")).
 * No secret and no signature in any argv (/proc/<pid>/cmdline is world-readable): node reads the
 * key from its environment (/proc/<pid>/environ is owner-only) and curl reads the headers with
 * -H @file. Needs $NODE_DIR and $tmp. Exported so a test can run it and compare with node:crypto.
 */
export const OSS_V1_SIGN_SH = `AK_ID="$AK_ID" AK_SECRET="$AK_SECRET" BUNDLE_BUCKET="$BUNDLE_BUCKET" BUNDLE_KEY="$BUNDLE_KEY" \\
  "$NODE_DIR/bin/node" -e ${shellQuote(SIGN_JS)} > "$tmp/bundle.hdr"`;

export function renderUserData(o: UserDataInput): string {
  for (const [k, v] of Object.entries({ bundleMd5: o.bundleMd5, nodeDistSha256: o.nodeDistSha256 })) {
    const re = k === 'bundleMd5' ? /^[0-9a-f]{32}$/ : /^([0-9a-f]{64})?$/;
    if (!re.test(v)) throw new Error(`user data: ${k} is not a lowercase hex digest: ${v}`);
  }
  if (!/^https:\/\//.test(o.nodeDistUrl)) throw new Error('user data: nodeDistUrl must be an https:// URL');
  const env = workerEnv(o);
  const unit = systemdUnit(o.workerConcurrency);
  // Every file is staged in the 0700 $tmp and placed with install, and every command is found on
  // PATH except node under $NODE_DIR: a test can run this script with recording stand-ins.
  const script = `#!/bin/sh
# ossmigrate worker bootstrap (cloud-init user data; runs once, as root, on first boot).
# Rendered by infra/userData.ts. It holds secrets: nothing below echoes them or passes one in a
# command's arguments (world-readable in /proc); never add set -x.
set -eu
umask 022
export LC_ALL=C
log() { printf 'ossmigrate-bootstrap: %s\\n' "$*" >&2; }
fetch() { curl -fsS --retry 8 --retry-delay 5 --retry-all-errors --connect-timeout 10 "$@"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

NODE_DIR=${shellQuote(NODE_DIR)}
NODE_URL=${shellQuote(o.nodeDistUrl)}
NODE_SHA256=${shellQuote(o.nodeDistSha256)}
BUNDLE_BUCKET=${shellQuote(o.controlBucket)}
BUNDLE_KEY=${shellQuote(o.bundleKey)}
BUNDLE_MD5=${shellQuote(o.bundleMd5)}
BUNDLE_HOST=${shellQuote(internalOssHost(o.controlBucket, o.region))}
AK_ID=${shellQuote(o.accessKeyId)}
AK_SECRET=${shellQuote(o.accessKeySecret)}

log 'installing Node.js'
fetch -o "$tmp/node.tar" "$NODE_URL"
if [ -n "$NODE_SHA256" ]; then
  echo "$NODE_SHA256  $tmp/node.tar" | sha256sum -c - >/dev/null
else
  # No pinned digest: compare with the mirror's SHASUMS256.txt (catches corruption, not a hostile mirror).
  fetch -o "$tmp/SHASUMS256.txt" "\${NODE_URL%/*}/SHASUMS256.txt"
  expected=$(awk -v f="\${NODE_URL##*/}" '$2 == f { print $1 }' "$tmp/SHASUMS256.txt")
  [ -n "$expected" ] || { log "no checksum for \${NODE_URL##*/} in SHASUMS256.txt"; exit 1; }
  echo "$expected  $tmp/node.tar" | sha256sum -c - >/dev/null
fi
install -d -m 0755 "$NODE_DIR"
tar -xf "$tmp/node.tar" -C "$NODE_DIR" --strip-components=1 --no-same-owner
"$NODE_DIR/bin/node" --version >&2

log 'fetching the runner bundle over the internal OSS endpoint'
# OSS V1 signature: the RAM user's key signs this one GET; no SDK or CLI needed on the instance.
${OSS_V1_SIGN_SH}
fetch -o "$tmp/ossmigrate.mjs" -H @"$tmp/bundle.hdr" "https://$BUNDLE_HOST/$BUNDLE_KEY"
echo "$BUNDLE_MD5  $tmp/ossmigrate.mjs" | md5sum -c - >/dev/null
install -d -m 0755 ${dirname(BUNDLE_PATH)}
install -m 0644 -o root -g root "$tmp/ossmigrate.mjs" ${BUNDLE_PATH}

log 'writing ${ENV_FILE} (0600, root)'
id ossmigrate >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin ossmigrate
install -d -m 0700 -o root -g root ${dirname(ENV_FILE)}
(umask 077 && cat > "$tmp/worker.env") <<'OSSMIGRATE_ENV_EOF'
${env}OSSMIGRATE_ENV_EOF
(umask 077 && install -m 0600 -o root -g root "$tmp/worker.env" ${ENV_FILE})

log 'starting ${UNIT_NAME}'
cat > "$tmp/${UNIT_NAME}" <<'OSSMIGRATE_UNIT_EOF'
${unit}OSSMIGRATE_UNIT_EOF
install -m 0644 -o root -g root "$tmp/${UNIT_NAME}" ${UNIT_PATH}
systemctl daemon-reload
systemctl enable --now ${UNIT_NAME}
log 'done'
`;
  const bytes = Buffer.byteLength(script);
  if (bytes > USER_DATA_MAX_BYTES) {
    throw new Error(`user data is ${bytes} bytes; ECS accepts at most ${USER_DATA_MAX_BYTES} before base64`);
  }
  return script;
}

export function encodeUserData(script: string): string {
  return Buffer.from(script, 'utf8').toString('base64');
}
