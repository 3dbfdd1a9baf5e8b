/**
 * The job file (YAML), validated with zod. Every ossimport job.cfg / sys.properties capability
 * has a home here (see ossimportCfg.ts for the mapping). Defaults are the ones a 2-vCPU worker
 * on a 100-200 Mbit/s link wants.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseTimetable, RateSyntaxError } from '../core/bandwidth.ts';
import { ConfigError } from '../core/errors.ts';
import { STORAGE_CLASSES } from '../core/types.ts';
import { formatBytes, parseSize, parseTime } from '../core/units.ts';
import { S3_PROVIDERS, s3SourceProblem } from './s3Providers.ts';

/** What OSS accepts (the destination is always OSS): parts 100 KB – 5 GB, ≤ 10,000 of them; PUT ≤ 5 GB. */
export const OSS_LIMITS = {
  minPartSize: 100 * 1024,
  maxPartSize: 5 * 1024 ** 3,
  maxParts: 10_000,
  maxPutSize: 5 * 1024 ** 3,
} as const;

/**
 * A size within [min, max] (or "auto" when allowed), refused with the service's reason so it
 * fails here, not mid-copy.
 */
function boundedSize<A extends boolean = false>(min: number, max: number, why: string, auto?: A) {
  const range = `from ${formatBytes(min)} to ${formatBytes(max)} (${why})`;
  return z.union([z.string(), z.number()]).transform((v, ctx) => {
    if (auto && v === 'auto') return 'auto' as A extends true ? 'auto' : never;
    let n: number;
    try {
      n = parseSize(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `${(e as Error).message}${auto ? ' or "auto"' : ''}` });
      return z.NEVER;
    }
    if (n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `must be ${range}, not ${formatBytes(n)}` });
      return z.NEVER;
    }
    return n;
  });
}

const size = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return parseSize(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

const time = z.union([z.string(), z.number(), z.date()]).transform((v, ctx) => {
  try {
    return parseTime(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

/** A key prefix: empty, or ending in "/" is usual; we accept any, but never a leading "/". */
const prefix = z
  .string()
  .default('')
  .refine((p) => !p.startsWith('/'), { message: 'must not start with "/" (OSS keys cannot)' });

const endpoint = z
  .string()
  .regex(/^https?:\/\/[^/\s]+\/?$/, { message: 'must be a URL like https://oss-cn-hangzhou.aliyuncs.com' })
  .transform((u) => u.replace(/\/$/, ''))
  .optional();

/** COS bucket names carry the APPID: name-1250000000. */
const cosBucket = z.string().regex(/^[a-z0-9][a-z0-9-]*-\d+$/, {
  message: 'must be "<name>-<APPID>", e.g. media-1250000000 (COS bucket names include the APPID)',
});
const ossBucket = z.string().regex(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, {
  message:
    'must be 3-63 characters: lower-case letters, digits and hyphens, not starting or ending with a hyphen',
});

/** OSS regions are written both ways; keep the bare form (cn-hangzhou). */
const ossRegion = z
  .string()
  .regex(/^(oss-)?[a-z]{2}-[a-z0-9-]+$/, {
    message: 'must be a region like cn-hangzhou (or oss-cn-hangzhou)',
  })
  .transform((r) => r.replace(/^oss-/, ''));

const cosRegion = z
  .string()
  .regex(/^[a-z]{2}-[a-z0-9-]+$/, { message: 'must be a COS region like ap-guangzhou' });

export const SourceSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('cos'),
    bucket: cosBucket,
    region: cosRegion,
    prefix,
    endpoint,
  }),
  z.strictObject({
    type: z.literal('oss'),
    bucket: ossBucket,
    region: ossRegion,
    prefix,
    endpoint,
    internal: z.boolean().default(false),
  }),
  z.strictObject({
    type: z.literal('local'),
    path: z.string().min(1),
    followSymlinks: z.boolean().default(false),
  }),
  /** ossimport srcType=http: a URL list file (httpListFilePath, httpPrefixColumn, relativePathColumn). */
  z
    .strictObject({
      type: z.literal('http-list'),
      listFile: z.string().refine((p) => p.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(p), {
        message: 'must be an absolute path to the URL list file',
      }),
      prefixColumn: z.number().int().min(1).default(1),
      relativePathColumn: z.number().int().min(1).default(2),
      /** Only keys (decoded relative paths) starting with this. */
      prefix,
    })
    .refine((s) => s.prefixColumn !== s.relativePathColumn, {
      message: 'prefixColumn and relativePathColumn must be different columns',
      path: ['relativePathColumn'],
    }),
  /** ossimport srcType=youpai: an UpYun service over its REST API. */
  z.strictObject({
    type: z.literal('upyun'),
    service: z.string().regex(/^[a-z0-9][a-z0-9-]{0,49}$/i, {
      message: 'must be an UpYun service name (letters, digits, hyphens), e.g. my-media',
    }),
    prefix,
    /** https://v0.api.upyun.com by default (v1/v2/v3: per carrier). */
    endpoint,
  }),
  // Azure Blob (#13): account + container; endpoint for Azurite (path style) or a sovereign cloud.
  z.strictObject({
    type: z.literal('azure'),
    account: z.string().regex(/^[a-z0-9]{3,24}$/, {
      message: 'must be an Azure storage account name: 3-24 lower-case letters and digits',
    }),
    container: z.string().regex(/^(\$root|[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9])$/, {
      message:
        'must be an Azure container name: 3-63 lower-case letters, digits and single hyphens, not starting or ending with a hyphen',
    }),
    prefix,
    endpoint: z
      .string()
      .regex(/^https?:\/\/[^/\s]+(\/[a-z0-9]{3,24})?\/?$/, {
        message:
          'must be a URL like https://ACCOUNT.blob.core.chinacloudapi.cn, or http://127.0.0.1:10000/ACCOUNT (Azurite)',
      })
      .transform((u) => u.replace(/\/$/, ''))
      .optional(),
  }),
  // S3 and S3-compatible stores (runner/config/s3Providers.ts has the presets).
  z
    .strictObject({
      type: z.literal('s3'),
      provider: z.enum(S3_PROVIDERS, { message: `must be one of ${S3_PROVIDERS.join(', ')}` }).default('aws'),
      bucket: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$/, {
        message: 'must be an S3 bucket name: 3-255 letters, digits, ".", "-" or "_"',
      }),
      region: z
        .string()
        .regex(/^[a-z0-9][a-z0-9-]*$/, {
          message: 'must be a region like us-east-1 (or cn-east-1, bj, auto)',
        })
        .optional(),
      endpoint,
      prefix: z.string().default(''),
      forcePathStyle: z.boolean().optional(),
    })
    .superRefine((s, ctx) => {
      const p = s3SourceProblem(s);
      if (p) ctx.addIssue({ code: 'custom', path: [p.path], message: p.message });
    }),
]);

type SourceOf = z.output<typeof SourceSchema>;
/** How reports and logs name a source: `cos://bucket/prefix`, `local:///path`, `azure://account/container/prefix`. */
export function sourceLabel(s: SourceOf): string {
  switch (s.type) {
    case 'local':
      return `local://${s.path}`;
    case 'http-list':
      return `http-list://${s.listFile}${s.prefix ? ` (keys ${s.prefix}*)` : ''}`;
    case 'upyun':
      return `upyun://${s.service}/${s.prefix}`;
    case 'azure':
      return `azure://${s.account}/${s.container}/${s.prefix}`;
    default:
      return `${s.type}://${s.bucket}/${s.prefix}`;
  }
}
/** The key prefix the source is read under ('' for a directory: its path is the root). */
export function sourceKeyPrefix(s: SourceOf): string {
  return s.type === 'local' ? '' : s.prefix;
}
/** The region a source bucket is in, where the source has regions (preflight compares it with the probe's). */
export function sourceRegion(s: SourceOf): string | undefined {
  return 'region' in s ? s.region : undefined;
}

export const DestinationSchema = z.strictObject({
  bucket: ossBucket,
  region: ossRegion,
  prefix,
  endpoint,
  /** Use the -internal endpoint (same-region ECS: free, faster). */
  internal: z.boolean().default(false),
  serverSideEncryption: z.enum(['none', 'AES256', 'KMS']).default('none'),
  /** Sign with OSS V4 instead of V1. */
  signatureV4: z.boolean().default(false),
});

const storageClass = z.enum(STORAGE_CLASSES);

/** journal.auditLog: the forms of the per-task audit.log (runner/adapters/journal/auditLog.ts). */
export const AUDIT_LOG_MODES = ['gzip', 'plain', 'off'] as const;

export const JobSchema = z
  .strictObject({
    version: z.literal(1).default(1),
    /** ossimport jobName rules. */
    name: z
      .string()
      .regex(/^[a-zA-Z0-9_-]{1,128}$/, { message: 'may only contain letters, digits, "_" and "-" (1-128)' })
      .default('default'),
    source: SourceSchema,
    destination: DestinationSchema,
    /** T1 / T2. Without `since` a run is the full phase (mtime < T1 = job start). */
    window: z
      .strictObject({
        since: time.optional(),
        until: time.optional(),
        /** ossimport isIncremental + incrementalModeInterval: repeat incremental passes this often. */
        repeatSeconds: z.number().int().min(900, { message: 'must be at least 900 (15 minutes)' }).optional(),
      })
      .refine((w) => !(w.since && w.until && w.until.getTime() < w.since.getTime()), {
        message: 'is before window.since: the window would be empty (until is T2, since is T1)',
        path: ['until'],
      })
      .prefault({}),
    /** What to do when the destination key exists. ossimport isSkipExistFile=true ≈ if-different. */
    overwrite: z.enum(['if-different', 'always', 'never', 'if-newer']).default('if-different'),
    tasks: z
      .strictObject({
        /** ossimport taskObjectCountLimit. */
        maxObjects: z.number().int().min(1).max(50_000).default(1000),
        /** ossimport taskObjectSizeLimit. */
        maxBytes: size.default(1_000_000_000),
      })
      .prefault({}),
    scan: z
      .strictObject({
        /** ossimport scanThreadCount. */
        parallelism: z.number().int().min(1).max(64).default(4),
        /** ossimport maxMultiThreadScanDepth: directory levels listed in parallel. */
        depth: z.number().int().min(0).max(16).default(1),
      })
      .prefault({}),
    /**
     * Listing at scale (issue #17): a flat prefix is split into key ranges listed in parallel, or
     * the scan reads a bucket inventory instead of LIST.
     */
    listing: z
      .strictObject({
        /** Key ranges a flat prefix is split into (each a scan task). Default: transfer.concurrency / 4, 2-16. */
        listers: z.number().int().min(1).max(256).optional(),
        /** Split a prefix once this many objects are listed with no sub-prefix among them (one page). */
        splitAfter: z.number().int().min(10).max(1_000_000).default(1000),
        /**
         * Scans pause while more copy/verify tasks than this wait in the pass (and some run): the
         * queue's Redis holds at most about this many (≈ 1.2 KB each), whatever the object count.
         */
        maxWaitingTasks: z.number().int().min(10).max(100_000_000).default(100_000),
        /** oss://bucket/path/manifest.json (OSS inventory) or cos://bucket/path/manifest.json (COS), or a local path. */
        inventory: z
          .string()
          .regex(/^((oss|cos):\/\/[^/\s]+\/\S*manifest\.json|(file:\/\/)?[^:]*manifest\.json)$/, {
            message:
              'must name an inventory manifest: oss://<bucket>/<path>/manifest.json, cos://<bucket>/<path>/manifest.json or a local path to manifest.json',
          })
          .optional(),
      })
      .prefault({}),
    transfer: z
      .strictObject({
        /** Connections in flight (ossimport workerTaskThreadNum). */
        concurrency: z.number().int().min(1).max(1024).default(32),
        /** ossimport multipartUploadThreshold. Below it one PUT, which OSS limits to 5 GB. */
        multipartThreshold: boundedSize(
          OSS_LIMITS.minPartSize,
          OSS_LIMITS.maxPutSize,
          'objects below it go in one PUT, at most 5 GiB on OSS',
        ).default(100 * 1024 ** 2),
        /**
         * ossimport multipartUploadPartSize; "auto" aims for ≤ 1000 parts of ≥ 8 MiB. An object
         * larger than partSize × 10,000 gets larger parts (choosePartSize): OSS allows 10,000.
         */
        partSize: boundedSize(
          OSS_LIMITS.minPartSize,
          OSS_LIMITS.maxPartSize,
          'the OSS part limits',
          true,
        ).default('auto'),
        /** Parallel parts per large object (ossimport uploadThreadNumPerLargeFile). */
        partConcurrency: z.number().int().min(1).max(64).default(4),
        /** Attempts after the first for transient failures (throttling, network, 5xx). */
        retries: z.number().int().min(0).max(20).default(5),
        /** ossimport workerAbortWhenUncatchedException. */
        stopOnInternalError: z.boolean().default(false),
        /**
         * HEAD the source after each copy to report a rewrite (SOURCE_CHANGED) or deletion
         * (SOURCE_GONE) that raced it. Off by default: reporting only — the GET is pinned to the
         * listed ETag (If-Match) and CRC-checked, a rewrite has a new mtime that the incremental
         * phase copies, and the HEAD is a third request per object (+50% requests, ~+30% CPU on
         * small objects).
         */
        checkSourceAfterCopy: z.boolean().default(false),
        /**
         * Hash CRC-64 on the client even when the source reports it and OSS checks the bytes
         * itself (source CRC-64 = OSS's CRC-64 of what it stored proves the copy, issue #16).
         * Costs ~0.8 CPU-s per GB; --client-crc.
         */
        clientCrc: z.boolean().default(false),
      })
      .prefault({}),
    bandwidth: z
      .strictObject({
        /** A rate ("off", "20M", "200Mbit/s") or an rclone timetable ("08:00,10M 23:00,off"). */
        limit: z
          .string()
          .default('off')
          .superRefine((v, ctx) => {
            try {
              parseTimetable(v);
            } catch (e) {
              if (e instanceof RateSyntaxError) ctx.addIssue({ code: 'custom', message: e.message });
              else throw e;
            }
          }),
      })
      .prefault({}),
    metadata: z
      .strictObject({
        /** Carry Content-Type/Encoding/Disposition/Language, Cache-Control, Expires, user metadata. */
        preserve: z.boolean().default(true),
        /** Record the source ETag and mtime as x-oss-meta-ossmigrate-* on each object. */
        provenance: z.boolean().default(true),
        /** Store the source MD5 as x-oss-meta-md5 when it is known (ossimport workerRecordMd5). */
        recordMd5: z.boolean().default(false),
        /** Destination storage class: "keep" (mapped from the source) or a fixed class. */
        storageClass: z.union([z.literal('keep'), storageClass]).default('keep'),
        /** Override the class mapping, e.g. { INTELLIGENT_TIERING: IA }. */
        storageClassMap: z.partialRecord(storageClass, storageClass).default({}),
      })
      .prefault({}),
    archive: z
      .strictObject({
        /** restore: start restores and copy once readable; skip: report and move on; fail: report as failures. */
        mode: z.enum(['restore', 'skip', 'fail']).default('restore'),
        days: z.number().int().min(1).max(365).default(1),
        tier: z.enum(['Expedited', 'Standard', 'Bulk']).default('Standard'),
        /** How long a run waits for restores before leaving them to `retry`. */
        maxWaitMinutes: z.number().int().min(0).default(360),
        /** How often restores are polled. */
        pollSeconds: z.number().int().min(1).default(60),
      })
      .prefault({}),
    keys: z
      .strictObject({
        /** Map "/a" to "a" (OSS rejects leading "/"; ali-oss silently strips it). */
        stripLeadingSlash: z.boolean().default(false),
      })
      .prefault({}),
    verify: z
      .strictObject({
        /** ossimport isAuditAfterImport. */
        afterImport: z.boolean().default(true),
        /**
         * size: sizes only (ossimport auditMode=simple); crc64: sizes and CRC-64, from both listings
         * joined with the copy ledger, with a HEAD only where the ledger cannot vouch (or `deep`).
         */
        mode: z.enum(['crc64', 'size']).default('crc64'),
        /**
         * HEAD every object as well (`verify --deep`) instead of trusting the copy ledger where both
         * sides are unchanged since the copy.
         */
        deep: z.boolean().default(false),
      })
      .prefault({}),
    journal: z
      .strictObject({
        /**
         * The per-task audit.log (ossimport's one line per object): gzip writes audit.log.gz
         * (zcat/zgrep read it; ≈ 40 instead of ≈ 115 B per object, 10⁹ objects: 40 GB, not
         * 115 GB), plain writes audit.log as ossimport does, off writes none (the ledger holds
         * the same facts).
         */
        auditLog: z.enum(AUDIT_LOG_MODES).default('gzip'),
      })
      .prefault({}),
    /** Fleet mode: a Redis URL (rediss:// for TLS). The password may come from OSSMIGRATE_REDIS_PASSWORD. */
    queue: z.strictObject({ url: z.string().regex(/^rediss?:\/\//) }).optional(),
  })
  .superRefine((job, ctx) => {
    // An inventory in a bucket is read with the source's (or destination's) credentials.
    const m = /^(oss|cos):\/\/([^/]+)\//.exec(job.listing.inventory ?? '');
    if (!m) return;
    const src = job.source;
    const fits =
      (src.type === m[1] && 'bucket' in src && src.bucket === m[2]) ||
      (m[1] === 'oss' && job.destination.bucket === m[2]);
    if (!fits) {
      ctx.addIssue({
        code: 'custom',
        path: ['listing', 'inventory'],
        message: `${m[1]}://${m[2]}/… is neither the source nor the destination bucket: deliver the inventory there, or download it and give the local path of manifest.json`,
      });
    }
  });

export type JobSpec = z.output<typeof JobSchema>;
export type JobInput = z.input<typeof JobSchema>;
export type SourceSpec = JobSpec['source'];
export type DestinationSpec = JobSpec['destination'];

/**
 * The user's own name for a job key (a cfg key such as multipartUploadPartSize, or a flag such
 * as --concurrency) when the job did not come from YAML; undefined = the YAML key.
 */
export type KeyNamer = (yamlPath: string) => string | undefined;

/** Turn zod issues into one message per problem: where, what, how to fix. */
export function formatIssues(file: string, error: z.ZodError, nameOf?: KeyNamer): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.join('.');
      const own = path ? nameOf?.(path) : undefined;
      const where = own ? `${own} (${path})` : path || '(top level)';
      let what = issue.message;
      if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) {
        what = `is required (add "${String(issue.path[issue.path.length - 1])}:" to the file)`;
      } else if (issue.code === 'unrecognized_keys') {
        what = `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')} — check the spelling against docs/job-file.md`;
      } else if (issue.code === 'invalid_union' && issue.path.join('.') === 'source') {
        what = 'source.type must be one of: cos, oss, local, http-list, upyun, azure';
      }
      return `${file}: ${where}: ${what}`;
    })
    .join('\n');
}

export function parseJob(input: unknown, file = 'job', nameOf?: KeyNamer): JobSpec {
  // jitless: the fast path zod compiles (new Function per object schema) costs more than it
  // saves on the one parse a job makes: ~15 → ~6 CPU-ms of every start (issue #16).
  const r = JobSchema.safeParse(input, { jitless: true });
  if (!r.success) {
    throw new ConfigError(
      formatIssues(file, r.error, nameOf),
      `fix ${nameOf ? 'it' : 'the job file'} and run the command again; nothing was written`,
    );
  }
  return r.data;
}

/** Read a YAML job file into its raw mapping (flags are merged in before it is validated). */
export async function readJobFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ConfigError(
      `cannot read job file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      'check the path',
    );
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true });
  } catch (e) {
    throw new ConfigError(`${path}: not valid YAML: ${(e as Error).message}`, 'fix the YAML syntax');
  }
  if (doc === null || typeof doc !== 'object') {
    throw new ConfigError(
      `${path}: expected a YAML mapping with source: and destination:`,
      'see docs/job-file.md for an example job file',
    );
  }
  return doc as Record<string, unknown>;
}

/** Read and validate a YAML job file. */
export async function loadJobFile(path: string): Promise<JobSpec> {
  return parseJob(await readJobFile(path), path);
}
