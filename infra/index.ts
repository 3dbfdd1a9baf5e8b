// The ossmigrate stack: destination + control buckets, mirror rule, least-privilege RAM user,
// network, Redis queue, and the pay-as-you-go worker fleet. Thin wiring only: names, RAM policy,
// mirror rule and user data are pure modules next to this file; the sizing is runner/core/sizing.ts.

import * as alicloud from '@pulumi/alicloud';
import * as pulumi from '@pulumi/pulumi';
import { publicBandwidth } from '../runner/core/sizing.ts';
import { buildBundle, describeBundle } from './bundle.ts';
import { loadConfig, type SourceConfig } from './config.ts';
import { mirrorRule, sourceMirror } from './mirror.ts';
import {
  ossInternalEndpoint as internalEndpoint,
  makeNaming,
  ossPublicEndpoint,
  REDIS_PORT,
  redisPublicPrefix,
  redisUrl,
} from './naming.ts';
import { pickZone, VPC_CIDR, VSWITCH_CIDR } from './network.ts';
import { workerPolicyDocument } from './ramPolicy.ts';
import { deriveRedisPassword } from './redisPassword.ts';
import { encodeUserData, renderUserData, type SourceKeys } from './userData.ts';

/** The key pair the mirror rule signs with (S3V4), when the source is S3-signed. */
function sourceMirrorKey(s: SourceConfig): { id: string; secret: string } | undefined {
  if (s.type === 'cos') return { id: s.secretId, secret: s.secretKey };
  if (s.type === 's3') return { id: s.accessKeyId, secret: s.secretAccessKey };
  return undefined;
}

/** What the workers' env file carries to read the source. */
function sourceKeys(s: SourceConfig): SourceKeys {
  if (s.type === 'cos') return { type: 'cos', secretId: s.secretId, secretKey: s.secretKey };
  if (s.type === 's3') return { type: 's3', accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey };
  return { type: 'azure', account: s.account, key: s.key };
}

const cfg = loadConfig();
const naming = makeNaming(pulumi.getStack());
for (const w of [...cfg.warnings, ...cfg.sizing.warnings]) void pulumi.log.warn(w);
if (!cfg.nodeDistSha256) {
  void pulumi.log.warn(
    "ossmigrate:nodeDistSha256 is not set: workers check the Node tarball against the mirror's SHASUMS256.txt only. " +
      'Pin it: pulumi config set ossmigrate:nodeDistSha256 <sha256>',
  );
}
if (cfg.queuePublic) {
  void pulumi.log.warn(
    'ossmigrate:queuePublic allocates a public Redis endpoint without TLS (ApsaraDB refuses TLS on instances with a ' +
      'public endpoint); only ossmigrate:operatorCidr may connect. An SSH tunnel through a worker avoids it.',
  );
}

const sse = { sseAlgorithm: 'AES256' };

// --- Buckets --------------------------------------------------------------------------------
// retainOnDelete: `pulumi destroy` (or a replacement) never deletes the bucket or its data; it only
// drops it from state. ignoreChanges website: the mirror rule is managed by BucketWebsite below.
const destBucket = new alicloud.oss.Bucket(
  'dest',
  { bucket: cfg.destBucket, serverSideEncryptionRule: sse, tags: naming.tags('destination') },
  { retainOnDelete: true, ignoreChanges: ['website'] },
);
new alicloud.oss.BucketAcl('dest-acl', { bucket: destBucket.bucket, acl: 'private' });

// The fleet's own bucket (runner bundle, journals/) keeps the business bucket free of tool files.
const ctlBucket = new alicloud.oss.Bucket(
  'control',
  { bucket: cfg.controlBucket, serverSideEncryptionRule: sse, tags: naming.tags('control') },
  { retainOnDelete: true },
);
new alicloud.oss.BucketAcl('control-acl', { bucket: ctlBucket.bucket, acl: 'private' });
new alicloud.oss.BucketPublicAccessBlock('control-public-access-block', {
  bucket: ctlBucket.bucket,
  blockPublicAccess: true,
});

// --- Mirror (phase 5) -------------------------------------------------------------------------
// COS and reachable S3-compatible origins get an S3V4-signed rule; Azure and private S3 endpoints
// cannot be mirrored, so they get a note (stack output + warning) on how to cut over instead.
const mirrorPlan = sourceMirror(cfg.source);
const mirrorNoteText = 'note' in mirrorPlan ? mirrorPlan.note : '';
if (mirrorNoteText) {
  void pulumi.log.warn(
    cfg.mirror ? `ossmigrate:mirror is true, but nothing is created. ${mirrorNoteText}` : mirrorNoteText,
  );
}
const mirrorKey = sourceMirrorKey(cfg.source);
const mirrorOn = cfg.mirror && 'origin' in mirrorPlan && mirrorKey !== undefined;
if (mirrorOn) {
  const rule = mirrorRule({
    origin: mirrorPlan.origin,
    cosPrefix: cfg.source.prefix,
    destPrefix: cfg.destPrefix,
    accessKeyId: pulumi.secret(mirrorKey.id),
    accessKeySecret: pulumi.secret(mirrorKey.secret),
  });
  new alicloud.oss.BucketWebsite(
    'mirror',
    { bucket: destBucket.bucket, routingRules: { routingRules: [rule] } },
    // OSS returns the secret masked, which would show a diff on every run. To rotate the source
    // key, run `pulumi up --replace <mirror urn>`.
    { ignoreChanges: ['routingRules.routingRules[0].redirect.mirrorAuth.accessKeySecret'] },
  );
}

// --- RAM: the fleet's identity ------------------------------------------------------------------
const ramUser = new alicloud.ram.User('worker', {
  name: naming.name('worker', 64),
  displayName: `ossmigrate workers (${naming.stack})`,
  comments: 'Created by the ossmigrate Pulumi stack; read/write on the migration buckets, no delete rights.',
  force: true,
});
const ramPolicy = new alicloud.ram.Policy('worker-oss', {
  policyName: naming.name('worker-oss', 128),
  policyDocument: workerPolicyDocument([cfg.destBucket, cfg.controlBucket]),
  description: `ossmigrate workers: ${cfg.destBucket} and ${cfg.controlBucket} only, no Delete*`,
  force: true,
});
const attachment = new alicloud.ram.UserPolicyAttachment('worker-oss', {
  policyName: ramPolicy.policyName,
  policyType: 'Custom',
  userName: ramUser.name,
});
const accessKey = new alicloud.ram.AccessKey('worker', { userName: ramUser.name, status: 'Active' });
const akSecret = pulumi.secret(accessKey.secret);

// --- Network: one VPC, one vSwitch in a zone that has both the instance type and Redis ----------
const ecsZones = alicloud.getZonesOutput({
  availableResourceCreation: 'VSwitch',
  availableInstanceType: cfg.instanceType,
  instanceChargeType: 'PostPaid',
});
const redisZones = alicloud.kvstore.getZonesOutput({ instanceChargeType: 'PostPaid', engine: 'Redis' });
const zoneId = pulumi.all([ecsZones, redisZones]).apply(([e, r]) =>
  pickZone(
    cfg.region,
    cfg.instanceType,
    e.zones.map((z) => z.id),
    r.zones.map((z) => z.id),
  ),
);

const vpc = new alicloud.vpc.Network('vpc', {
  vpcName: naming.name('vpc', 128),
  cidrBlock: VPC_CIDR,
  tags: naming.tags('network'),
});
const vswitch = new alicloud.vpc.Switch('vswitch', {
  vswitchName: naming.name('vswitch', 128),
  vpcId: vpc.id,
  cidrBlock: VSWITCH_CIDR,
  zoneId,
  tags: naming.tags('network'),
});
// No ingress rule unless asked: workers only pull (the source) and push (OSS, Redis). innerAccessPolicy Drop
// also stops workers from reaching each other.
const securityGroup = new alicloud.ecs.SecurityGroup('workers', {
  securityGroupName: naming.name('workers', 128),
  vpcId: vpc.id,
  securityGroupType: 'normal',
  innerAccessPolicy: 'Drop',
  description: 'ossmigrate workers: no inbound except SSH from ossmigrate:operatorCidr when set',
  tags: naming.tags('network'),
});
if (cfg.operatorCidr) {
  new alicloud.ecs.SecurityGroupRule('operator-ssh', {
    type: 'ingress',
    ipProtocol: 'tcp',
    portRange: '22/22',
    cidrIp: cfg.operatorCidr,
    nicType: 'intranet',
    policy: 'accept',
    priority: 1,
    securityGroupId: securityGroup.id,
    description: 'SSH from the operator only (ossmigrate:operatorCidr)',
  });
}
const keyPair = cfg.sshPublicKey
  ? new alicloud.ecs.EcsKeyPair('operator', {
      keyPairName: naming.name('operator', 128),
      publicKey: cfg.sshPublicKey,
      tags: naming.tags('access'),
    })
  : undefined;

// --- Queue: ApsaraDB for Redis (BullMQ) --------------------------------------------------------
const redisPassword = pulumi.secret(
  cfg.redisPassword ?? akSecret.apply((s) => deriveRedisPassword(s, naming.stack)),
);
const redis = new alicloud.kvstore.Instance('queue', {
  dbInstanceName: naming.name('queue', 128),
  instanceType: 'Redis',
  instanceClass: cfg.redisInstanceClass,
  engineVersion: cfg.redisEngineVersion,
  paymentType: 'PostPaid',
  zoneId,
  vswitchId: vswitch.id,
  // Whitelist: the workers' subnet, plus the operator when set (for the public endpoint).
  securityIps: [VSWITCH_CIDR, ...(cfg.operatorCidr ? [cfg.operatorCidr] : [])],
  password: redisPassword,
  vpcAuthMode: 'Open',
  // BullMQ loses jobs if Redis evicts keys.
  config: { 'maxmemory-policy': 'noeviction' },
  tags: naming.tags('queue'),
});
const queueInternalUrl = pulumi.secret(
  pulumi
    .all([redis.connectionDomain, redisPassword])
    .apply(([host, password]) => redisUrl({ host, password, port: REDIS_PORT })),
);
const publicEndpoint = cfg.queuePublic
  ? new alicloud.kvstore.Connection('queue-public', {
      instanceId: redis.id,
      connectionStringPrefix: redisPublicPrefix(naming.stack, cfg.destBucket),
      port: String(REDIS_PORT),
    })
  : undefined;
// What the operator's TUI uses: the public endpoint when there is one, else the in-VPC one.
const queueUrl = publicEndpoint
  ? pulumi.secret(
      pulumi
        .all([publicEndpoint.connectionString, redisPassword])
        .apply(([host, password]) => redisUrl({ host, password, port: REDIS_PORT })),
    )
  : queueInternalUrl;

// --- Runner bundle ------------------------------------------------------------------------------
const bundle = pulumi.output(cfg.bundlePath ? describeBundle(cfg.bundlePath) : buildBundle());
const bundleKeyOut = bundle.apply((b) => `bundle/ossmigrate-${b.md5}.mjs`);
const bundleObject = new alicloud.oss.BucketObject('bundle', {
  bucket: ctlBucket.bucket,
  key: bundleKeyOut,
  source: bundle.apply((b) => b.path),
  contentMd5: bundle.apply((b) => b.md5),
  contentType: 'text/javascript',
  serverSideEncryption: 'AES256',
});

// --- Fleet --------------------------------------------------------------------------------------
const bandwidth = publicBandwidth(cfg.mbpsPerInstance);
const image = alicloud.ecs.getImagesOutput({
  owners: 'system',
  nameRegex: '^ubuntu_24_04_x64',
  architecture: 'x86_64',
  instanceType: cfg.instanceType,
  isSupportCloudInit: true,
  mostRecent: true,
});
const imageId = image.apply((r) => {
  const id = r.images[0]?.id ?? r.ids[0];
  if (!id) {
    throw new Error(
      `no Ubuntu 24.04 x86_64 cloud-init image for ${cfg.instanceType} in ${cfg.region}; ` +
        'pick an x86_64 type available there — pulumi config set ossmigrate:instanceType ecs.g7.large',
    );
  }
  return id;
});
const userData = pulumi.secret(
  pulumi
    .all([bundle, bundleKeyOut, accessKey.id, akSecret, queueInternalUrl])
    .apply(([b, bundleKey, accessKeyId, accessKeySecret, redisUrlInternal]) =>
      encodeUserData(
        renderUserData({
          region: cfg.region,
          nodeDistUrl: cfg.nodeDistUrl,
          nodeDistSha256: cfg.nodeDistSha256,
          controlBucket: cfg.controlBucket,
          bundleKey,
          bundleMd5: b.md5,
          accessKeyId,
          accessKeySecret,
          redisUrl: redisUrlInternal,
          source: sourceKeys(cfg.source),
          workerConcurrency: cfg.workerConcurrency,
        }),
      ),
    ),
);

const workers: alicloud.ecs.Instance[] = [];
// Stable logical names: scaling 5 → 3 deletes worker-3 and worker-4 only; 0 deletes the fleet and
// nothing else.
for (let i = 0; i < cfg.sizing.instances; i++) {
  workers.push(
    new alicloud.ecs.Instance(
      `worker-${i}`,
      {
        instanceName: naming.name(`worker-${i}`, 128),
        hostName: naming.name(`w${i}`, 60),
        instanceType: cfg.instanceType,
        imageId,
        securityGroups: [securityGroup.id],
        vswitchId: vswitch.id,
        instanceChargeType: 'PostPaid',
        internetChargeType: 'PayByTraffic',
        // Public bandwidth is for pulling from the source; writes go to OSS over the internal endpoint.
        internetMaxBandwidthOut: bandwidth.internetMaxBandwidthOut,
        systemDiskCategory: 'cloud_essd',
        systemDiskSize: 40,
        stoppedMode: 'StopCharging',
        httpEndpoint: 'enabled',
        httpTokens: 'required',
        userData,
        ...(keyPair && { keyName: keyPair.keyPairName }),
        tags: naming.tags('worker'),
      },
      {
        // cloud-init runs user data once per instance, so a changed script needs a new instance.
        replaceOnChanges: ['userData'],
        // A newer Ubuntu image must not replace a running fleet mid-migration.
        ignoreChanges: ['imageId'],
        dependsOn: [bundleObject, attachment, redis],
      },
    ),
  );
}

// --- Outputs (read by the TUI through `pulumi stack output --json`) -----------------------------
export const region = cfg.region;
export const bucket = destBucket.bucket;
export const controlBucket = ctlBucket.bucket;
export const ossEndpoint = ossPublicEndpoint(cfg.region);
export const ossInternalEndpoint = internalEndpoint(cfg.region);
export { queueInternalUrl, queueUrl };
export const fleetSize = cfg.sizing.instances;
export const instanceIds = pulumi.all(workers.map((w) => w.id));
export const sizing = [cfg.sizing.explanation, ...cfg.sizing.warnings].join(' ');
/** Which figure decides the fleet size: fleetSize, deadline (data over days) or bandwidthCap. */
export const sizingBound = cfg.sizing.bound;
/** True only when the rule exists: an origin OSS cannot mirror from gets none (see mirrorNote). */
export const mirrorEnabled = mirrorOn;
/** Why this source gets no mirror rule and how to cut over instead; '' when it can be mirrored. */
export const mirrorNote = mirrorNoteText;
export const sourceType = cfg.source.type;
export const ramUserName = ramUser.name;
export const accessKeyId = accessKey.id;
export const accessKeySecret = akSecret;
export const bundleKey = bundleKeyOut;
