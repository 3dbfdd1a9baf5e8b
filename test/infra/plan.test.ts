// Pure planners behind the program: policy, mirror rule, user data, names, Redis password, zones.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { mirrorRule, privateHostReason, sourceMirror } from '../../infra/mirror.ts';
import {
  cosOrigin,
  makeNaming,
  ossInternalEndpoint,
  redisPublicPrefix,
  redisUrl,
} from '../../infra/naming.ts';
import { pickZone } from '../../infra/network.ts';
import { WORKER_OSS_ACTIONS, workerPolicy, workerPolicyDocument } from '../../infra/ramPolicy.ts';
import { deriveRedisPassword, redisPasswordProblem } from '../../infra/redisPassword.ts';
import {
  ENV_FILE,
  encodeUserData,
  envLine,
  renderUserData,
  systemdUnit,
  USER_DATA_MAX_BYTES,
  type UserDataInput,
  workerEnv,
} from '../../infra/userData.ts';
import { loadCredentials } from '../../runner/config/credentials.ts';

describe('RAM policy', () => {
  it('grants only the listed actions on the given buckets and their objects', () => {
    const doc = JSON.parse(workerPolicyDocument(['dest-bkt', 'dest-bkt-ossmigrate']));
    assert.equal(doc.Version, '1');
    assert.equal(doc.Statement.length, 1);
    const [st] = doc.Statement;
    assert.equal(st.Effect, 'Allow');
    assert.deepEqual(st.Action, [...WORKER_OSS_ACTIONS]);
    assert.deepEqual(st.Resource, [
      'acs:oss:*:*:dest-bkt',
      'acs:oss:*:*:dest-bkt/*',
      'acs:oss:*:*:dest-bkt-ossmigrate',
      'acs:oss:*:*:dest-bkt-ossmigrate/*',
    ]);
  });

  it('never contains a delete, a bucket-config write, or a wildcard action', () => {
    for (const a of WORKER_OSS_ACTIONS) {
      assert.doesNotMatch(a, /\*|Delete|PutBucket/);
      assert.match(a, /^oss:[A-Za-z]+$/);
    }
  });

  it('refuses something that is not a bucket name (e.g. a wildcard)', () => {
    assert.throws(() => workerPolicy(['*']), /not an OSS bucket name/);
    assert.throws(() => workerPolicy([]), /at least one bucket/);
  });
});

describe('mirror rule', () => {
  const base = {
    cosBucket: 'media-1250000000',
    cosRegion: 'ap-guangzhou',
    accessKeyId: 'AKID',
    accessKeySecret: 'SK',
  };

  it('mirrors 404s at the bucket root to the COS bucket, signed with s3v4', () => {
    assert.deepEqual(mirrorRule({ ...base, cosPrefix: '', destPrefix: '' }), {
      ruleNumber: 1,
      condition: { httpErrorCodeReturnedEquals: '404' },
      redirect: {
        redirectType: 'Mirror',
        mirrorUrl: 'https://media-1250000000.cos.ap-guangzhou.myqcloud.com/',
        mirrorPassQueryString: true,
        mirrorFollowRedirect: true,
        mirrorAllowHeadObject: true,
        mirrorAuth: { authType: 's3v4', region: 'ap-guangzhou', accessKeyId: 'AKID', accessKeySecret: 'SK' },
      },
    });
  });

  it('matches the destination prefix and keeps it when both sides use the same prefix', () => {
    const r = mirrorRule({ ...base, cosPrefix: 'img/', destPrefix: 'img/' });
    assert.equal(r.condition.keyPrefixEquals, 'img/');
    assert.equal(r.redirect.enableReplacePrefix, undefined);
    assert.equal(r.redirect.replaceKeyPrefixWith, undefined);
  });

  it('rewrites the prefix when they differ (insert, replace, strip)', () => {
    const insert = mirrorRule({ ...base, cosPrefix: 'old/', destPrefix: '' });
    assert.equal(insert.condition.keyPrefixEquals, undefined);
    assert.equal(insert.redirect.enableReplacePrefix, true);
    assert.equal(insert.redirect.replaceKeyPrefixWith, 'old/');
    const replace = mirrorRule({ ...base, cosPrefix: 'old/', destPrefix: 'new/' });
    assert.equal(replace.condition.keyPrefixEquals, 'new/');
    assert.equal(replace.redirect.replaceKeyPrefixWith, 'old/');
    const strip = mirrorRule({ ...base, cosPrefix: '', destPrefix: 'new/' });
    assert.equal(strip.redirect.enableReplacePrefix, true);
    assert.equal(strip.redirect.replaceKeyPrefixWith, '');
  });

  it('points at an origin ending with / (OSS appends the key)', () => {
    assert.match(cosOrigin('a-1250000000', 'ap-shanghai'), /^https:\/\/.+\/$/);
  });
});

describe('mirror origin per source type', () => {
  it('mirrors COS and public S3-compatible origins with S3V4, virtual-hosted or path style', () => {
    assert.deepEqual(sourceMirror({ type: 'cos', bucket: 'media-1250000000', region: 'ap-guangzhou' }), {
      origin: { url: 'https://media-1250000000.cos.ap-guangzhou.myqcloud.com/', region: 'ap-guangzhou' },
    });
    assert.deepEqual(sourceMirror({ type: 's3', provider: 'aws', bucket: 'media', region: 'us-west-2' }), {
      origin: { url: 'https://media.s3.us-west-2.amazonaws.com/', region: 'us-west-2' },
    });
    assert.deepEqual(
      sourceMirror({
        type: 's3',
        provider: 'minio',
        bucket: 'media',
        endpoint: 'https://minio.example.com:9000',
      }),
      { origin: { url: 'https://minio.example.com:9000/media/', region: 'us-east-1' } },
    );
    assert.deepEqual(sourceMirror({ type: 's3', provider: 'qiniu', bucket: 'media', region: 'cn-east-1' }), {
      origin: { url: 'https://s3.cn-east-1.qiniucs.com/media/', region: 'cn-east-1' },
    });
    // A public address is reachable from OSS.
    assert.ok(
      'origin' in
        sourceMirror({ type: 's3', provider: 'other', bucket: 'b', endpoint: 'http://203.0.113.9:9000' }),
    );
    // The rule uses the origin as given.
    const o = sourceMirror({ type: 's3', provider: 'aws', bucket: 'media', region: 'us-west-2' });
    assert.ok('origin' in o);
    const rule = mirrorRule({
      origin: o.origin,
      cosPrefix: '',
      destPrefix: '',
      accessKeyId: 'AKIA',
      accessKeySecret: 'SK',
    });
    assert.equal(rule.redirect.mirrorUrl, 'https://media.s3.us-west-2.amazonaws.com/');
    assert.deepEqual(rule.redirect.mirrorAuth, {
      authType: 's3v4',
      region: 'us-west-2',
      accessKeyId: 'AKIA',
      accessKeySecret: 'SK',
    });
  });

  it('gives a private S3 endpoint no origin, and a note saying why and what to do', () => {
    for (const [endpoint, why] of [
      ['http://10.0.0.5:9000', 'is a private address'],
      ['http://192.168.1.20:9000', 'is a private address'],
      ['http://172.20.0.2:9000', 'is a private address'],
      ['http://127.0.0.1:9000', 'is a private address'],
      ['http://100.100.1.2', 'carrier-grade NAT'],
      ['http://169.254.0.9', 'link-local'],
      ['http://[fd00::5]:9000', 'unique local'],
      ['http://[::1]:9000', 'loopback'],
      ['http://localhost:9000', 'localhost'],
      ['http://minio:9000', 'single-label'],
      ['https://minio.corp', 'private name'],
      ['https://s3.svc.cluster.local', 'private name'],
      ['https://ks3-cn-beijing-internal.ksyuncs.com', 'intranet'],
    ] as const) {
      const r = sourceMirror({ type: 's3', provider: 'other', bucket: 'media', endpoint });
      assert.ok('note' in r, `${endpoint} must get no rule`);
      assert.ok(r.note.includes(why), `${endpoint}: ${r.note}`);
      assert.match(r.note, /^No mirror rule: the origin http/);
      assert.match(
        r.note,
        /cut over with a short write freeze instead: stop writes to the source, run the last incremental pass/,
      );
      assert.match(r.note, /pulumi config set ossmigrate:s3Endpoint/);
    }
  });

  it('gives Azure Blob no origin: OSS mirrors sign S3V4 only', () => {
    const r = sourceMirror({ type: 'azure', account: 'mediastore', container: 'media' });
    assert.ok('note' in r);
    assert.match(
      r.note,
      /^No mirror rule: OSS back-to-origin signs its fetches with S3V4 only, and Azure Blob \(mediastore\/media\)/,
    );
    assert.match(r.note, /short write freeze/);
  });

  it('tells public names and addresses from private ones', () => {
    for (const h of ['s3.amazonaws.com', '203.0.113.9', '2001:db8::1', 'internalstore.example.com.cn'])
      assert.equal(privateHostReason(h), undefined, h);
    assert.ok(privateHostReason('172.31.255.255'));
    assert.equal(privateHostReason('172.32.0.1'), undefined);
  });
});

describe('user data', () => {
  const input: UserDataInput = {
    region: 'cn-hangzhou',
    nodeDistUrl: 'https://registry.npmmirror.com/-/binary/node/v24.21.0/node-v24.21.0-linux-x64.tar.xz',
    nodeDistSha256: 'a'.repeat(64),
    controlBucket: 'dest-ossmigrate',
    bundleKey: 'bundle/ossmigrate-0123456789abcdef0123456789abcdef.mjs',
    bundleMd5: '0123456789abcdef0123456789abcdef',
    accessKeyId: 'LTAI5tKeyId',
    accessKeySecret: 'TopSecretAkSecret123',
    redisUrl: 'redis://:Om-9abc@r-x.redis.rds.aliyuncs.com:6379/0',
    source: { type: 'cos', secretId: 'AKIDcos', secretKey: 'CosSecretKey456' },
    workerConcurrency: 24,
  };
  const script = renderUserData(input);

  it('is a valid POSIX sh script well under the 16 KB limit', () => {
    assert.ok(script.startsWith('#!/bin/sh\n'));
    assert.ok(Buffer.byteLength(script) < USER_DATA_MAX_BYTES / 2);
    const dir = mkdtempSync(join(tmpdir(), 'ossmigrate-ud-'));
    try {
      writeFileSync(join(dir, 'ud.sh'), script);
      execFileSync('sh', ['-n', join(dir, 'ud.sh')]); // throws on a syntax error
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(Buffer.from(encodeUserData(script), 'base64').toString('utf8'), script);
  });

  it('writes the env file 0600 root with the queue, OSS endpoint and credentials', () => {
    const env = /cat > "\$tmp\/worker\.env"\) <<'OSSMIGRATE_ENV_EOF'\n([\s\S]*?)OSSMIGRATE_ENV_EOF/.exec(
      script,
    )?.[1];
    assert.ok(env, 'env heredoc present');
    assert.deepEqual(env.trim().split('\n').sort(), [
      'ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tKeyId',
      'ALIBABA_CLOUD_ACCESS_KEY_SECRET=TopSecretAkSecret123',
      'OSSMIGRATE_CONTROL_BUCKET=dest-ossmigrate',
      'OSSMIGRATE_JOURNAL_PREFIX=journals/',
      'OSSMIGRATE_OSS_ENDPOINT=https://oss-cn-hangzhou-internal.aliyuncs.com',
      'OSSMIGRATE_REDIS_URL=redis://:Om-9abc@r-x.redis.rds.aliyuncs.com:6379/0',
      'TENCENTCLOUD_SECRET_ID=AKIDcos',
      'TENCENTCLOUD_SECRET_KEY=CosSecretKey456',
    ]);
    // Staged in the 0700 temp dir, created unreadable, then placed 0600 root.
    assert.match(script, /\(umask 077 && cat > "\$tmp\/worker\.env"\)/);
    assert.ok(
      script.includes(`(umask 077 && install -m 0600 -o root -g root "$tmp/worker.env" ${ENV_FILE})`),
    );
  });

  it('starts the worker under systemd with no secret on its command line', () => {
    const unit = systemdUnit(24);
    assert.ok(script.includes(unit));
    const execStart = /^ExecStart=(.*)$/m.exec(unit)?.[1] ?? '';
    assert.equal(
      execStart,
      '/opt/node/bin/node --enable-source-maps --max-semi-space-size=1 --initial-old-space-size=64 /opt/ossmigrate/ossmigrate.mjs worker --workdir /var/lib/ossmigrate --concurrency 24',
    );
    for (const secret of [input.accessKeySecret, 'CosSecretKey456', 'Om-9abc', 'redis://']) {
      assert.ok(!execStart.includes(secret), `ExecStart leaks ${secret}`);
    }
    for (const line of [
      'EnvironmentFile=/etc/ossmigrate/worker.env',
      'Restart=always',
      'KillSignal=SIGTERM',
      'TimeoutStopSec=300',
    ]) {
      assert.ok(unit.includes(`\n${line}\n`), line);
    }
    assert.match(script, /systemctl enable --now ossmigrate-worker\.service/);
    assert.doesNotMatch(script, /^\s*set -[a-z]*x|set -o xtrace/m);
  });

  it('fetches the bundle over the internal endpoint and verifies it and Node', () => {
    assert.match(script, /BUNDLE_HOST='dest-ossmigrate\.oss-cn-hangzhou-internal\.aliyuncs\.com'/);
    assert.match(script, /-H @"\$tmp\/bundle\.hdr" "https:\/\/\$BUNDLE_HOST\/\$BUNDLE_KEY"/);
    assert.doesNotMatch(script, /openssl/, 'openssl takes an HMAC key only in argv');
    assert.match(script, /md5sum -c -/);
    assert.match(script, /echo "\$NODE_SHA256 {2}\$tmp\/node\.tar" \| sha256sum -c -/);
    assert.ok(script.includes(ossInternalEndpoint('cn-hangzhou')));
  });

  it('leaves the Tencent variables out when no COS credentials are configured', () => {
    const s = renderUserData({ ...input, source: undefined });
    assert.doesNotMatch(s, /TENCENTCLOUD_/);
  });

  it("carries each source type's keys in the variables the runner reads for it, and no other source's", async () => {
    const envOf = (source: UserDataInput['source']) =>
      new Map(
        workerEnv({ ...input, source })
          .trim()
          .split('\n')
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as [string, string]),
      );
    const s3 = envOf({ type: 's3', accessKeyId: 'AKIAS3ID', secretAccessKey: 'S3/Secret+Key=' });
    assert.equal(s3.get('AWS_ACCESS_KEY_ID'), 'AKIAS3ID');
    assert.equal(s3.get('AWS_SECRET_ACCESS_KEY'), 'S3/Secret+Key=');
    assert.ok(![...s3.keys()].some((k) => /^(TENCENTCLOUD|AZURE)_/.test(k)));
    const az = envOf({ type: 'azure', account: 'mediastore', key: 'QXp1cmVLZXk+/w==' });
    assert.equal(az.get('AZURE_STORAGE_ACCOUNT'), 'mediastore');
    assert.equal(az.get('AZURE_STORAGE_KEY'), 'QXp1cmVLZXk+/w==');
    assert.ok(![...az.keys()].some((k) => /^(TENCENTCLOUD|AWS)_/.test(k)));
    // The runner's own credential loader reads them back as that source's keys.
    const read = (env: Map<string, string>) =>
      loadCredentials({ env: { ...Object.fromEntries(env), AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' } });
    assert.deepEqual((await read(az)).azure, { accountKey: 'QXp1cmVLZXk+/w==', accountName: 'mediastore' });
    assert.deepEqual((await read(s3)).s3, {
      accessKeyId: 'AKIAS3ID',
      secretAccessKey: 'S3/Secret+Key=',
    });
  });

  // The signing itself, and the absence of any secret from every argv, are run for real in
  // userdata-run.test.ts.

  it('quotes shell values so a quote in a secret cannot break out', () => {
    const s = renderUserData({ ...input, nodeDistUrl: "https://mirror.example/it's; rm -rf /" });
    const line = s.split('\n').find((l) => l.startsWith('NODE_URL=')) ?? '';
    const echoed = execFileSync('sh', ['-c', `${line}\nprintf '%s' "$NODE_URL"`]).toString();
    assert.equal(echoed, "https://mirror.example/it's; rm -rf /");
  });

  it('refuses env values systemd would not read back verbatim', () => {
    assert.throws(
      () => envLine('TENCENTCLOUD_SECRET_KEY', 'has space'),
      /TENCENTCLOUD_SECRET_KEY contains characters/,
    );
    assert.throws(() => envLine('X', 'a\nB=c'), /contains characters/);
  });

  it('rejects a malformed digest or a non-https Node URL', () => {
    assert.throws(() => renderUserData({ ...input, bundleMd5: 'nope' }), /bundleMd5/);
    assert.throws(() => renderUserData({ ...input, nodeDistUrl: 'http://x/node.tar.xz' }), /https/);
  });

  it('rejects user data over 16 KB', () => {
    assert.throws(
      () => renderUserData({ ...input, redisUrl: `redis://:${'a'.repeat(17_000)}@h:6379/0` }),
      /at most 16384/,
    );
  });
});

describe('names', () => {
  it('prefixes with the stack, stays within limits and unique when truncated', () => {
    const n = makeNaming('Prod_EU');
    assert.equal(n.name('worker'), 'ossmigrate-prod-eu-worker');
    assert.deepEqual(n.tags('Worker'), {
      'ossmigrate-stack': 'prod-eu',
      'ossmigrate-role': 'worker',
      'managed-by': 'pulumi',
    });
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), (stack, suffix) => {
        const x = makeNaming(stack).name(suffix, 30);
        return x.length <= 30 && /^[a-z0-9-]+$/.test(x) && x === makeNaming(stack).name(suffix, 30);
      }),
    );
    const word = fc.stringMatching(/^[a-z0-9]{1,60}$/);
    fc.assert(
      fc.property(word, word, (a, b) => {
        const m = makeNaming('dev');
        return a === b || m.name(a, 30) !== m.name(b, 30);
      }),
    );
  });

  it('makes a Redis public prefix of 8–64 lowercase alphanumerics starting with a letter', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (stack, bucket) =>
        /^[a-z][a-z0-9]{7,63}$/.test(redisPublicPrefix(stack, bucket)),
      ),
    );
  });

  it('builds queue URLs with the password URL-encoded', () => {
    assert.equal(redisUrl({ host: 'h', password: 'p@ss:w/rd' }), 'redis://:p%40ss%3Aw%2Frd@h:6379/0');
  });
});

describe('Redis password', () => {
  it('is stable for the same material and stack, and differs otherwise', () => {
    assert.equal(deriveRedisPassword('secret', 'dev'), deriveRedisPassword('secret', 'dev'));
    assert.notEqual(deriveRedisPassword('secret', 'dev'), deriveRedisPassword('secret', 'prod'));
    assert.notEqual(deriveRedisPassword('secret', 'dev'), deriveRedisPassword('secret2', 'dev'));
  });

  it('always satisfies the ApsaraDB password policy and does not contain the material', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), (material, stack) => {
        const pw = deriveRedisPassword(material, stack);
        return redisPasswordProblem(pw) === undefined && (material.length < 4 || !pw.includes(material));
      }),
    );
  });

  it('flags weak or malformed configured passwords', () => {
    assert.match(redisPasswordProblem('short') ?? '', /8–32/);
    assert.match(redisPasswordProblem('alllowercase') ?? '', /three/);
    assert.equal(redisPasswordProblem('Good-Pass-123'), undefined);
  });
});

describe('zone choice', () => {
  it('picks the first ECS zone that also has Redis', () => {
    assert.equal(
      pickZone('cn-hangzhou', 't', ['cn-hangzhou-h', 'cn-hangzhou-i'], ['cn-hangzhou-j', 'cn-hangzhou-i']),
      'cn-hangzhou-i',
    );
  });

  it('explains when no zone has both, or when a zone is outside the region', () => {
    assert.throws(
      () => pickZone('cn-hangzhou', 'ecs.x', ['cn-hangzhou-h'], ['cn-hangzhou-j']),
      /no zone in cn-hangzhou offers both ecs\.x/,
    );
    assert.throws(
      () => pickZone('cn-hangzhou', 't', ['cn-beijing-a'], ['cn-beijing-a']),
      /not in the bucket's region cn-hangzhou/,
    );
  });
});
