/**
 * Read an ossimport `job.cfg` / `local_job.cfg` (and optionally `sys.properties`) and translate
 * it into an ossmigrate job, so ossimport users can switch by pointing us at the files they have.
 * Every key is mapped, or reported as not applicable with the reason.
 */
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../core/errors.ts';
import type { Credentials } from './credentials.ts';
import { type JobInput, type JobSpec, parseJob } from './job.ts';

/** Java .properties: `key=value` / `key: value`, `#`/`!` comments, `\` continuations and escapes. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i]!.replace(/^\s+/, '');
    }
    const m = /^((?:\\.|[^=:\s])+)\s*[=:\s]\s*(.*)$/.exec(line);
    const key = (m ? m[1]! : line).replace(/\\(.)/g, '$1');
    const value = (m ? m[2]! : '').replace(
      /\\([tnr\\:=# !])/g,
      (_, c: string) => ({ t: '\t', n: '\n', r: '\r' })[c] ?? c,
    );
    out.set(key, value.trim());
  }
  return out;
}

/** COS v4 short region codes (ossimport srcDomain for srcType=cos) → COS v5 regions. */
const COS_REGIONS: Record<string, string> = {
  gz: 'ap-guangzhou',
  sh: 'ap-shanghai',
  tj: 'ap-beijing-1',
  bj: 'ap-beijing',
  cd: 'ap-chengdu',
  cq: 'ap-chongqing',
  hk: 'ap-hongkong',
  sgp: 'ap-singapore',
  ca: 'na-toronto',
  ger: 'eu-frankfurt',
  sg: 'ap-singapore',
  nj: 'ap-nanjing',
};

export type Translated = {
  spec: JobSpec;
  /** Keys carried inline in the cfg (ossimport keeps them there); never printed. */
  credentials: Partial<Credentials>;
  /** jobType=audit: verify only. */
  auditOnly: boolean;
  workdir?: string;
  /** Keys that have no meaning here, with why — shown to the user. */
  notes: string[];
};

const bool = (v: string | undefined) => v?.trim().toLowerCase() === 'true';
const num = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : Number(v));

/** Parse an OSS endpoint like http://oss-cn-hangzhou-internal.aliyuncs.com. */
function ossEndpoint(domain: string): { region: string; internal: boolean; endpoint?: string } {
  const m = /^(?:https?:\/\/)?oss-([a-z]{2}-[a-z0-9-]+?)(-internal)?\.aliyuncs\.com\/?$/.exec(domain.trim());
  if (m) return { region: m[1]!, internal: m[2] !== undefined };
  throw new ConfigError(
    `destDomain/srcDomain "${domain}" is not an OSS endpoint like http://oss-cn-hangzhou.aliyuncs.com`,
    'set it to the OSS endpoint of the bucket region',
  );
}

export function translate(
  job: Map<string, string>,
  sys: Map<string, string> = new Map(),
  file = 'job.cfg',
): Translated {
  const get = (k: string) => {
    const v = job.get(k);
    return v === undefined || v === '' ? undefined : v;
  };
  const notes: string[] = [];
  const credentials: Partial<Credentials> = { origin: {} };
  const srcType = get('srcType') ?? 'local';
  let source: JobInput['source'];
  if (srcType === 'local') {
    const path = get('srcPrefix');
    if (!path)
      throw new ConfigError(
        `${file}: srcPrefix must be the local directory to import (ending in /)`,
        'set srcPrefix=/data/to/import/',
      );
    source = { type: 'local', path, followSymlinks: bool(get('isAllowSymbolicLink')) };
  } else if (srcType === 'cos') {
    const domain = get('srcDomain') ?? '';
    const region = COS_REGIONS[domain] ?? (/^[a-z]{2}-[a-z0-9-]+$/.test(domain) ? domain : undefined);
    if (!region) {
      throw new ConfigError(
        `${file}: srcDomain "${domain}" is not a COS region`,
        `use a COS region such as ap-guangzhou (or ossimport's short code: ${Object.keys(COS_REGIONS).join(', ')})`,
      );
    }
    const appId = get('appId');
    let bucket = get('srcBucket') ?? '';
    if (appId && appId !== '0' && !bucket.endsWith(`-${appId}`)) bucket = `${bucket}-${appId}`;
    source = { type: 'cos', bucket, region, prefix: get('srcPrefix') ?? '' };
    const id = get('srcAccessKey');
    const key = get('srcSecretKey');
    if (id && key) {
      credentials.cos = { secretId: id, secretKey: key };
      credentials.origin!.cos = file;
    }
  } else if (srcType === 'oss') {
    const ep = ossEndpoint(get('srcDomain') ?? '');
    source = {
      type: 'oss',
      bucket: get('srcBucket') ?? '',
      region: ep.region,
      internal: ep.internal,
      prefix: get('srcPrefix') ?? '',
    };
    const id = get('srcAccessKey');
    const key = get('srcSecretKey');
    if (id && key) {
      credentials.sourceOss = { accessKeyId: id, accessKeySecret: key };
      credentials.origin!.sourceOss = file;
    }
  } else {
    throw new ConfigError(
      `${file}: srcType=${srcType} is not supported by ossmigrate`,
      'supported sources are local, cos and oss; for other clouds use Alibaba Data Online Migration, or export to a local directory first',
    );
  }

  const dest = ossEndpoint(get('destDomain') ?? 'http://oss-cn-hangzhou.aliyuncs.com');
  const destination: JobInput['destination'] = {
    bucket: get('destBucket') ?? '',
    region: dest.region,
    internal: dest.internal,
    prefix: get('destPrefix') ?? '',
    serverSideEncryption: bool(get('isServerSideEncryption')) ? 'AES256' : 'none',
  };
  const dId = get('destAccessKey');
  const dKey = get('destSecretKey');
  if (dId && dKey) {
    credentials.oss = { accessKeyId: dId, accessKeySecret: dKey };
    credentials.origin!.oss = file;
  }

  const since = num(get('importSince'));
  const interval = num(get('incrementalModeInterval'));
  const lastModify = num(get('lastModify'));
  const window: NonNullable<JobInput['window']> = {
    ...(since ? { since } : {}),
    ...(lastModify ? { until: lastModify } : {}),
    ...(bool(get('isIncremental')) && interval ? { repeatSeconds: Math.max(900, interval) } : {}),
  };
  const threads = num(sys.get('workerTaskThreadNum'));
  const throughput = num(sys.get('workerMaxThroughput(KB/s)') ?? sys.get('workerMaxThroughput'));
  const auditMode = get('auditMode');
  const input: JobInput = {
    name: (get('jobName') ?? 'local_test').replace(/[^a-zA-Z0-9_-]/g, '_'),
    source,
    destination,
    window,
    overwrite: bool(get('isSkipExistFile')) ? 'if-different' : 'always',
    tasks: {
      ...(num(get('taskObjectCountLimit'))
        ? { maxObjects: Math.min(50_000, num(get('taskObjectCountLimit'))!) }
        : {}),
      ...(num(get('taskObjectSizeLimit')) ? { maxBytes: num(get('taskObjectSizeLimit'))! } : {}),
    },
    scan: {
      ...(num(get('scanThreadCount')) ? { parallelism: Math.min(64, num(get('scanThreadCount'))!) } : {}),
      ...(num(get('maxMultiThreadScanDepth')) !== undefined
        ? { depth: Math.min(16, num(get('maxMultiThreadScanDepth'))!) }
        : {}),
    },
    transfer: {
      ...(threads ? { concurrency: Math.min(1024, threads) } : {}),
      ...(get('multipartUploadThreshold') ? { multipartThreshold: get('multipartUploadThreshold')! } : {}),
      ...(get('multipartUploadPartSize') ? { partSize: get('multipartUploadPartSize')! } : {}),
      ...(num(get('uploadThreadNumPerLargeFile'))
        ? { partConcurrency: Math.min(64, num(get('uploadThreadNumPerLargeFile'))!) }
        : {}),
      ...(sys.has('workerAbortWhenUncatchedException')
        ? { stopOnInternalError: bool(sys.get('workerAbortWhenUncatchedException')) }
        : {}),
    },
    // ossimport: KB/s per worker, 0 = unlimited; the template's 100000000 means "no limit" in practice.
    bandwidth: { limit: throughput && throughput > 0 && throughput < 100_000_000 ? `${throughput}k` : 'off' },
    metadata: { recordMd5: bool(sys.get('workerRecordMd5')) },
    verify: {
      afterImport: get('isAuditAfterImport') === undefined ? true : bool(get('isAuditAfterImport')),
      mode: auditMode === 'simple' ? 'size' : 'crc64',
    },
  };
  for (const [k, why] of [
    ['isDownloadFromCdn', 'only for the youpai source'],
    ['cdnDomain', 'only for the youpai source'],
    ['httpListFilePath', 'only for the http source'],
    ['getObjectMetaMode', 'only for the qiniu source'],
  ] as const) {
    if (get(k)) notes.push(`${k}: ignored (${why})`);
  }
  for (const k of [
    'workerUserName',
    'workerUser',
    'workerPassword',
    'privateKeyFile',
    'sshPort',
    'dispatcherThreadNum',
    'javaHeapMaxSize',
  ]) {
    if (sys.get(k))
      notes.push(`${k}: not needed — ossmigrate has no SSH or JVM; fleet workers join through the queue`);
  }
  if (auditMode === 'detailed')
    notes.push('auditMode=detailed: ossmigrate verifies by CRC-64 on both sides (no download)');
  const workdir = sys.get('workingDir');
  return {
    spec: parseJob(input, file),
    credentials,
    auditOnly: get('jobType') === 'audit',
    ...(workdir && workdir !== '.' ? { workdir } : {}),
    notes,
  };
}

/** Is this file an ossimport config (rather than an ossmigrate YAML job)? */
export function looksLikeOssimport(path: string, text: string): boolean {
  return /\.(cfg|properties)$/.test(path) || /^\s*(jobName|srcType)\s*[=:]/m.test(text);
}

export async function loadOssimportCfg(path: string, sysPath?: string): Promise<Translated> {
  const read = async (p: string) => {
    try {
      return await readFile(p, 'utf8');
    } catch (e) {
      throw new ConfigError(
        `cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        'check the path',
      );
    }
  };
  const job = parseProperties(await read(path));
  const sys = sysPath ? parseProperties(await read(sysPath)) : new Map<string, string>();
  return translate(job, sys, path);
}
