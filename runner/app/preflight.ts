/**
 * Preflight doctor: everything that can be checked before a byte is written. Each problem has a
 * stable code, a message and a fix. Errors stop the run (exit 3); warnings are shown.
 */
import { type JobSpec, sourceRegion } from '../config/job.ts';
import { mapKey } from '../core/copyPolicy.ts';
import { MigrationError } from '../core/errors.ts';
import type { Problem } from '../core/events.ts';
import { ossKeyProblem } from '../core/keys.ts';
import { openInventory, parseInventoryUrl } from '../engine/inventory.ts';
import type { ObjectStore } from '../ports/objectStore.ts';

const SKEW_LIMIT_MS = 15 * 60 * 1000;
const SKEW_WARN_MS = 60 * 1000;
const SAMPLE = 1000;

async function probe(
  side: 'source' | 'destination',
  store: ObjectStore,
  expectedRegion: string | undefined,
  problems: Problem[],
  sourceType?: JobSpec['source']['type'],
): Promise<void> {
  try {
    const p = await store.probe();
    if (expectedRegion && p.region && p.region !== expectedRegion) {
      problems.push({
        severity: 'error',
        code: 'WRONG_REGION',
        message: `the ${side} bucket ${store.name} is in ${p.region}, not ${expectedRegion}`,
        fix: `set ${side}.region: ${p.region} (or --${side === 'source' ? 'src' : 'dst'}-region ${p.region})`,
      });
    }
    if (p.clockSkewMs !== undefined) {
      const abs = Math.abs(p.clockSkewMs);
      if (abs > SKEW_LIMIT_MS) {
        problems.push({
          severity: 'error',
          code: 'CLOCK_SKEW',
          message: `this machine's clock is ${Math.round(p.clockSkewMs / 1000)} s off the ${side} service's; requests will be refused (RequestTimeTooSkewed)`,
          fix: 'sync the clock (chronyd / systemd-timesyncd / ntpdate)',
        });
      } else if (abs > SKEW_WARN_MS) {
        problems.push({
          severity: 'warning',
          code: 'CLOCK_SKEW',
          message: `this machine's clock is ${Math.round(p.clockSkewMs / 1000)} s off the ${side} service's`,
          fix: 'sync the clock before the skew reaches 15 minutes',
        });
      }
    }
  } catch (e) {
    const err = e instanceof MigrationError ? e : new MigrationError('NETWORK', (e as Error).message);
    if (err.code === 'RequestTimeTooSkewed') {
      problems.push({
        severity: 'error',
        code: 'CLOCK_SKEW',
        message: `${side} ${store.name}: the service refused the request because this machine's clock is more than 15 minutes off`,
        fix: 'sync the clock (chronyd / systemd-timesyncd / ntpdate)',
      });
      return;
    }
    if (err.code?.startsWith('WrongRegion')) {
      const actual = err.code.split(':')[1];
      problems.push({
        severity: 'error',
        code: 'WRONG_REGION',
        message: `${side} ${store.name}: ${err.message}`,
        fix: actual
          ? `set ${side}.region: ${actual} (or --${side === 'source' ? 'src' : 'dst'}-region ${actual})`
          : `check ${side}.region`,
      });
      return;
    }
    const code =
      err.code === 'NoSuchBucket' || err.status === 404
        ? 'BUCKET_NOT_FOUND'
        : err.code === 'InvalidAccessKeyId' || err.code === 'SignatureDoesNotMatch'
          ? 'BAD_CREDENTIALS'
          : err.failureClass === 'ACCESS_DENIED'
            ? 'ACCESS_DENIED'
            : err.failureClass === 'NETWORK'
              ? 'UNREACHABLE'
              : 'PROBE_FAILED';
    const fixes: Record<string, string> = {
      BUCKET_NOT_FOUND: `check the ${side} bucket name and region`,
      BAD_CREDENTIALS: `check ${side === 'source' ? (SOURCE_KEYS[sourceType ?? 'cos'] ?? 'the source credentials') : OSS_KEYS}`,
      ACCESS_DENIED: `check the ${side} credentials, and that the key may ${side === 'source' ? 'list and read' : 'list, read and write'} the bucket`,
      // Only an -internal OSS endpoint is VPC-bound; other sources' hosts are plain addresses.
      UNREACHABLE: `check network access to the ${side} endpoint${/-internal\./.test(err.message) ? " (internal endpoints only work inside the region's VPC)" : ''}`,
      PROBE_FAILED: 'see the message; retry once the service answers',
    };
    problems.push({
      severity: 'error',
      code,
      message: `${side} ${store.name}: ${err.message}`,
      fix: fixes[code]!,
    });
  }
}

/** Look at the first keys of the source for names OSS would refuse (the full count is in `plan`). */
async function sampleNames(
  spec: JobSpec,
  src: ObjectStore,
  srcPrefix: string,
  problems: Problem[],
): Promise<void> {
  let seen = 0;
  let bad = 0;
  let example: string | undefined;
  try {
    for await (const e of src.list({ prefix: srcPrefix })) {
      if (e.kind !== 'object') continue;
      const m = mapKey(e.info.key, {
        srcPrefix,
        dstPrefix: spec.destination.prefix,
        stripLeadingSlash: spec.keys.stripLeadingSlash,
      });
      const problem = 'problem' in m ? m.problem : ossKeyProblem(m.dstKey);
      if (problem) {
        bad++;
        example ??= `${JSON.stringify(e.info.key)} (${problem.reason})`;
      }
      if (++seen >= SAMPLE) break;
    }
  } catch {
    return; // the probe reports unreachable sources
  }
  if (bad > 0) {
    problems.push({
      severity: 'warning',
      code: 'INVALID_NAMES',
      message: `${bad} of the first ${seen} source keys cannot be OSS object names, e.g. ${example}`,
      fix: 'run `ossmigrate plan` for the full count; set keys.stripLeadingSlash for leading "/", or rename them at the source',
    });
  }
}

/** How messages name the setting: the flag and the job-file key (either may have set it). */
const INVENTORY = 'listing.inventory (--inventory)';

/**
 * listing.inventory must be readable before any work: the scan reads it in place of LIST, so a
 * missing manifest or data file would otherwise survey (and migrate) nothing and exit 0. A
 * manifest that lists no data files is a loud warning: the pass would see an empty source.
 */
async function checkInventory(
  spec: JobSpec,
  src: ObjectStore,
  dst: ObjectStore | undefined,
  problems: Problem[],
): Promise<void> {
  const url = spec.listing.inventory;
  if (!url) return;
  const u = parseInventoryUrl(url);
  const s = spec.source;
  const store =
    u.scheme === 'file'
      ? undefined
      : s.type === u.scheme && 'bucket' in s && s.bucket === u.bucket
        ? src
        : u.scheme === 'oss' && spec.destination.bucket === u.bucket
          ? dst
          : undefined;
  // The job schema refuses other buckets; without the destination's store (none given) skip it,
  // and a bucket that failed its probe has said why already.
  if (u.scheme !== 'file' && (!store || problems.some((p) => p.severity === 'error'))) return;
  const where = u.scheme === 'file' ? `the manifest ${u.path}` : `the manifest ${url}`;
  const unreadable = (e: unknown, fallbackFix: string) => {
    const err = e as Error & { fix?: string };
    problems.push({
      severity: 'error',
      code: 'INVENTORY_UNREADABLE',
      message: `${INVENTORY}: ${err.message.replace(/^listing\.inventory: /, '')}`,
      fix: `${err.fix ?? fallbackFix}; or drop --inventory / listing.inventory to list the source instead`,
    });
  };
  let opened: Awaited<ReturnType<typeof openInventory>>;
  try {
    opened = await openInventory(url, store);
  } catch (e) {
    unreadable(e, `check the path of ${where}`);
    return;
  }
  const { manifest, files } = opened;
  if (manifest.files.length === 0) {
    problems.push({
      severity: 'warning',
      code: 'INVENTORY_EMPTY',
      message: `${INVENTORY}: ${where} lists 0 data files: a scan from it sees an empty source and copies nothing`,
      fix: 'point it at a finished inventory report (one with data files), or drop --inventory / listing.inventory to list the source',
    });
    return;
  }
  // Each data file of a local copy (an open and a close); in a bucket the first and the last
  // (a GET each, the body not read) — a half-downloaded or half-delivered report fails here.
  const keys = manifest.files.map((f) => f.key);
  const check = u.scheme === 'file' ? keys : [...new Set([keys[0]!, keys[keys.length - 1]!])];
  for (const key of check) {
    try {
      const body = await files.stream(key);
      await new Promise<void>((resolve, reject) => {
        body.once('error', reject);
        body.once('readable', () => resolve());
        body.once('end', () => resolve());
      });
      body.destroy();
    } catch (e) {
      unreadable(
        e,
        `the manifest names ${key}, which cannot be read: deliver or download the whole inventory report (manifest.json and its data files)`,
      );
      return;
    }
  }
}

const OSS_KEYS = 'ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET (or the credentials file)';
/** Where each source type's keys come from, for a refused-credentials fix. */
const SOURCE_KEYS: Record<string, string> = {
  cos: 'TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY (or cos: in the credentials file)',
  oss: 'the source OSS key (source-oss: in the credentials file, else the destination key)',
  s3: 'AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or AWS_PROFILE in ~/.aws/credentials, or s3: in the credentials file)',
  azure:
    'AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_ACCOUNT / AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN (or azure: in the credentials file)',
  upyun: 'UPYUN_OPERATOR / UPYUN_PASSWORD (or upyun: in the credentials file)',
};
export async function preflight(
  spec: JobSpec,
  src: ObjectStore,
  dst: ObjectStore,
  srcPrefix: string,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  const srcRegion = sourceRegion(spec.source);
  await Promise.all([
    probe('source', src, srcRegion, problems, spec.source.type),
    probe('destination', dst, spec.destination.region, problems),
  ]);
  if (spec.source.type === 'oss' && spec.source.bucket === spec.destination.bucket) {
    const overlap =
      spec.source.prefix.startsWith(spec.destination.prefix) ||
      spec.destination.prefix.startsWith(spec.source.prefix);
    if (overlap) {
      problems.push({
        severity: 'error',
        code: 'SAME_LOCATION',
        message: 'the source and destination prefixes overlap in the same bucket',
        fix: 'use a different destination bucket or a non-overlapping prefix',
      });
    }
  }
  await checkInventory(spec, src, dst, problems);
  if (!problems.some((p) => p.severity === 'error')) await sampleNames(spec, src, srcPrefix, problems);
  return problems;
}

/**
 * What `plan` checks before it surveys: that the source answers (an unreachable endpoint or a
 * missing bucket would otherwise survey as "nothing to move") and that listing.inventory can be
 * read. The destination may not exist yet: it is only read for an inventory delivered there.
 */
export async function preflightSource(
  spec: JobSpec,
  src: ObjectStore,
  dst?: ObjectStore,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  await probe('source', src, sourceRegion(spec.source), problems, spec.source.type);
  await checkInventory(spec, src, dst, problems);
  return problems;
}
