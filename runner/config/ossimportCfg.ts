/**
 * Read an ossimport `job.cfg` / `local_job.cfg` (and optionally `sys.properties`) and translate
 * it into an ossmigrate job, so ossimport users can switch by pointing us at the files they have.
 * Every key is mapped, or reported as not applicable with the reason.
 */
import { readFile } from 'node:fs/promises';
import { ConfigError } from '../core/errors.ts';
import type { Credentials } from './credentials.ts';
import { type JobInput, type JobSpec, type KeyNamer, parseJob } from './job.ts';
import { regionFromHost, S3_PRESETS, type S3Provider } from './s3Providers.ts';

/**
 * A cfg file's text: UTF-8 (a BOM is dropped), else GBK — ossimport ran on Chinese Windows,
 * where Notepad saves the Chinese comments in GBK. Node 24 has full ICU, so TextDecoder knows GBK.
 */
export function decodeCfg(bytes: Uint8Array): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    text = new TextDecoder('gbk').decode(bytes);
  }
  return text.replace(/^\uFEFF/, '');
}

/** Java .properties: `key=value` / `key: value`, `#`/`!` comments, `\` continuations and escapes. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
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

/** COS v4 short region codes and v4 region names (ossimport srcDomain for srcType=cos) → COS v5 regions. */
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
  'cn-south': 'ap-guangzhou',
  'cn-east': 'ap-shanghai',
  'cn-north': 'ap-beijing-1',
  'cn-southwest': 'ap-chengdu',
};

/** Region assumed for an endpoint whose host name does not say (the vendors' first regions). */
const ASSUMED = { cos: 'ap-guangzhou', oss: 'cn-hangzhou' } as const;

/** Every key ossimport's job.cfg and sys.properties know (all source types): others are typos. */
const KNOWN_KEYS = new Set([
  ...'jobName jobType isIncremental incrementalModeInterval srcType srcAccessKey srcSecretKey srcDomain srcBucket srcPrefix destAccessKey destSecretKey destDomain destBucket destPrefix appId isDownloadFromCdn cdnDomain httpListFilePath httpPrefixColumn relativePathColumn importSince lastModify isSkipExistFile taskObjectCountLimit taskObjectSizeLimit scanThreadCount maxMultiThreadScanDepth multipartUploadThreshold multipartUploadPartSize uploadThreadNumPerLargeFile isServerSideEncryption isAllowSymbolicLink getObjectMetaMode isAuditAfterImport auditMode'.split(
    ' ',
  ),
  ...EXPRESS_TUNNEL_KEYS(),
  ...'workingDir workerUserName workerUser workerPassword privateKeyFile sshPort workerTaskThreadNum workerMaxThroughput(KB/s) workerMaxThroughput dispatcherThreadNum workerAbortWhenUncatchedException workerRecordMd5 javaHeapMaxSize'.split(
    ' ',
  ),
]);

function EXPRESS_TUNNEL_KEYS(): string[] {
  return [
    'isUseExpressTunnel',
    'expressTunnelProxyHost',
    'expressTunnelProxyType',
    'expressTunnelProxyUser',
    'expressTunnelProxyDest',
    'expressTunnelAuthToken',
  ];
}

/** The cfg key behind each job key, so validation messages name what the user wrote. */
const CFG_NAMES: Record<string, string> = {
  name: 'jobName',
  'source.bucket': 'srcBucket',
  'source.container': 'srcBucket',
  'source.account': 'srcAccessKey',
  'source.region': 'srcDomain',
  'source.endpoint': 'srcDomain',
  'source.prefix': 'srcPrefix',
  'source.path': 'srcPrefix',
  'source.listFile': 'httpListFilePath',
  'source.prefixColumn': 'httpPrefixColumn',
  'source.relativePathColumn': 'relativePathColumn',
  'source.service': 'srcBucket',
  'destination.bucket': 'destBucket',
  'destination.region': 'destDomain',
  'destination.endpoint': 'destDomain',
  'destination.prefix': 'destPrefix',
  'window.since': 'importSince',
  'window.until': 'lastModify',
  'window.repeatSeconds': 'incrementalModeInterval',
  'tasks.maxObjects': 'taskObjectCountLimit',
  'tasks.maxBytes': 'taskObjectSizeLimit',
  'scan.parallelism': 'scanThreadCount',
  'scan.depth': 'maxMultiThreadScanDepth',
  'transfer.concurrency': 'workerTaskThreadNum (sys.properties)',
  'transfer.multipartThreshold': 'multipartUploadThreshold',
  'transfer.partSize': 'multipartUploadPartSize',
  'transfer.partConcurrency': 'uploadThreadNumPerLargeFile',
  'bandwidth.limit': 'workerMaxThroughput(KB/s) (sys.properties)',
};
export const cfgKeyName: KeyNamer = (path) => CFG_NAMES[path];

/** Region and endpoint settings from flags: they fill in (or replace) what srcDomain/destDomain say. */
export type CfgOverrides = {
  srcRegion?: string;
  dstRegion?: string;
  srcEndpoint?: string;
  dstEndpoint?: string;
};

/** The translation before validation: flags are merged into `input`, then it is parsed once. */
export type CfgJob = {
  input: JobInput;
  /** Keys carried inline in the cfg (ossimport keeps them there); never printed. */
  credentials: Partial<Credentials>;
  /** jobType=audit: verify only. */
  auditOnly: boolean;
  workdir?: string;
  /** Keys that have no meaning here, and assumptions made, with why — shown to the user. */
  notes: string[];
};

export type Translated = Omit<CfgJob, 'input'> & { spec: JobSpec };

const bool = (v: string | undefined) => v?.trim().toLowerCase() === 'true';
const num = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : Number(v));

type Domain = { region?: string; internal?: boolean; endpoint?: string };

/**
 * srcDomain/destDomain. A standard host name gives the region (and, written with http://, is
 * contacted over http as written; otherwise the region's HTTPS endpoint); any other URL or
 * host[:port] is an endpoint contacted as written, http:// unless https:// is given, as
 * ossimport's Java SDK did.
 */
function parseDomain(
  value: string,
  key: string,
  file: string,
  kind: 'oss' | 'cos',
  notes: string[],
  flag: string,
): Domain {
  const v = value.trim();
  const m = /^(?:(https?):\/\/)?([^/\s?#]+)\/?$/i.exec(v);
  if (!m) {
    throw new ConfigError(
      `${file}: ${key}=${v} is not an endpoint`,
      kind === 'oss'
        ? `write ${key}=https://oss-cn-hangzhou.aliyuncs.com (the bucket's region), or a URL like http://host:port`
        : `write ${key}=ap-guangzhou (or ossimport's short code such as gz), or a URL like http://host:port`,
    );
  }
  const scheme = m[1]?.toLowerCase();
  const host = m[2]!.toLowerCase();
  const std =
    kind === 'oss'
      ? /^(?:[a-z0-9-]+\.)?oss-([a-z]{2}-[a-z0-9-]+?)(-internal)?\.aliyuncs\.com$/.exec(host)
      : /^(?:[a-z0-9-]+\.)?cos\.([a-z]{2}-[a-z0-9-]+)\.myqcloud\.com$/.exec(host);
  if (std && !/^oss-accelerate/.test(host)) {
    const named = { region: std[1]!, ...(kind === 'oss' ? { internal: std[2] !== undefined } : {}) };
    // The user's scheme is kept: http:// (as ossimport's samples write it, common on -internal
    // endpoints inside the VPC) is contacted over http; without a scheme, or https://, over TLS.
    if (scheme === 'http') {
      notes.push(`${key}: http://${host} is contacted over plain http as written (write https:// for TLS)`);
      return { ...named, endpoint: `http://${host}` };
    }
    return named;
  }
  const endpoint = `${scheme ?? 'http'}://${host}`;
  notes.push(
    `${key}: ${endpoint} is not a standard ${kind === 'oss' ? 'OSS' : 'COS'} host name, so ossmigrate connects to it as written and signs for region ${ASSUMED[kind]} (assumed); ${flag} sets the region`,
  );
  return { region: ASSUMED[kind], endpoint };
}

/** COS srcDomain: a short code (sh), a region (ap-shanghai) or an endpoint. */
function cosDomain(value: string, file: string, notes: string[]): Domain {
  const v = value.trim().toLowerCase();
  const region =
    COS_REGIONS[v] ?? (/^[a-z]{2}-[a-z]+(-[a-z0-9]+)*$/.test(v) && !v.includes('.') ? v : undefined);
  if (region) return { region };
  if (/[.:/]/.test(v)) return parseDomain(value, 'srcDomain', file, 'cos', notes, '--src-region');
  throw new ConfigError(
    `${file}: srcDomain "${value.trim()}" is not a COS region`,
    `use a COS region such as ap-guangzhou, ossimport's short code (${Object.keys(COS_REGIONS)
      .filter((k) => !k.includes('-'))
      .join(', ')}), or an endpoint URL`,
  );
}

/**
 * azure srcDomain: an EndpointSuffix (core.windows.net, core.chinacloudapi.cn), a blob host
 * (ACCOUNT.blob.core.windows.net) or URL, or an emulator URL (http://127.0.0.1:10000/ACCOUNT).
 * The account is the URL's, else srcAccessKey.
 */
function azureDomain(
  domain: string | undefined,
  accessKey: string | undefined,
  file: string,
): { account: string; endpoint?: string } {
  const v = (domain ?? '').trim().replace(/\/+$/, '');
  const url = /^https?:\/\//.test(v) ? new URL(v) : undefined;
  const host = url ? url.host : v;
  const path = url?.pathname.replace(/^\//, '') ?? '';
  const inHost = /^([a-z0-9]{3,24})\.blob\./.exec(host)?.[1];
  const account = path || inHost || accessKey?.trim();
  if (!account) throw missing(file, 'srcAccessKey', 'ACCOUNTNAME (srcType=azure: the storage account name)');
  if (url && (path || inHost))
    return { account, endpoint: `${url.protocol}//${url.host}${path ? `/${path}` : ''}` };
  const suffix = host.replace(/^blob\./, '') || 'core.windows.net';
  if (suffix === 'core.windows.net' && (!url || url.protocol === 'https:')) return { account };
  return { account, endpoint: `${url?.protocol ?? 'https:'}//${account}.blob.${suffix}` };
}

/** Qiniu's zone codes (ossimport's Qiniu SDK spoke them) → its S3 regions. */
const QINIU_ZONES: Record<string, string> = {
  z0: 'cn-east-1',
  'cn-east-2': 'cn-east-2',
  z1: 'cn-north-1',
  z2: 'cn-south-1',
  na0: 'us-north-1',
  as0: 'ap-southeast-1',
};

/**
 * srcType=s3|qiniu|bos|ks3: read through the provider's S3 API (runner/adapters/s3). ossimport's
 * srcDomain meant: s3 — the S3 endpoint; bos — the BOS endpoint (bj.bcebos.com: its S3 twin is
 * s3.bj.bcebos.com); ks3 — the KS3 endpoint; qiniu — the bucket's *download* domain (listing went
 * through Qiniu's own API), which the S3 API cannot use: the region is needed instead.
 */
function s3FamilySource(
  srcType: 's3' | 'qiniu' | 'bos' | 'ks3',
  domain: string | undefined,
  bucket: string,
  prefix: string,
  file: string,
  over: CfgOverrides,
  notes: string[],
): JobInput['source'] {
  const provider = srcType === 's3' ? 'aws' : srcType;
  const done = (p: S3Provider, region?: string, endpoint?: string): JobInput['source'] => {
    const r = over.srcRegion ?? region;
    const e = over.srcEndpoint ?? endpoint;
    return {
      type: 's3',
      provider: p,
      bucket,
      prefix,
      ...(r ? { region: r } : {}),
      ...(e ? { endpoint: e } : {}),
    };
  };
  if (over.srcEndpoint || (over.srcRegion && provider === 'qiniu')) return done(provider);
  const v = domain?.trim() ?? '';
  if (provider === 'qiniu' && (QINIU_ZONES[v.toLowerCase()] || /^[a-z]{2}-[a-z]+-\d+$/.test(v.toLowerCase())))
    return done('qiniu', QINIU_ZONES[v.toLowerCase()] ?? v.toLowerCase());
  const m = /^(?:(https?):\/\/)?([^/\s?#]+)\/?$/i.exec(v);
  if (!m) {
    if (over.srcRegion) return done(provider);
    throw new ConfigError(
      v ? `${file}: srcDomain=${v} is not an endpoint` : `${file}: srcDomain is missing or empty`,
      `write srcDomain=${S3_PRESETS[provider].endpoint!(S3_PRESETS[provider].exampleRegion)} (the bucket's region), or give --src-region`,
    );
  }
  const scheme = m[1]?.toLowerCase() ?? 'https';
  const host = m[2]!.toLowerCase();
  const region = regionFromHost(provider, host);
  if (provider === 'qiniu' && !region) {
    if (over.srcRegion) return done('qiniu');
    throw new ConfigError(
      `${file}: srcDomain=${v} is a Qiniu download domain; ossmigrate reads Qiniu through its S3 API, which needs the bucket's region`,
      `give --src-region (cn-east-1, cn-east-2, cn-north-1, cn-south-1, us-north-1, ap-southeast-1: the bucket's zone z0, z1, z2, na0, as0), or write srcDomain=https://s3.cn-east-1.qiniucs.com in ${file}`,
    );
  }
  if (region) {
    // BOS: the BOS endpoint ossimport used has an S3 twin (s3.<region>.bcebos.com).
    const endpoint =
      provider === 'bos' && !host.startsWith('s3.') ? `${scheme}://s3.${host}` : `${scheme}://${host}`;
    if (endpoint !== `${scheme}://${host}`)
      notes.push(`srcDomain=${v}: read through BOS's S3 endpoint ${endpoint}`);
    if (scheme === 'http')
      notes.push(`srcDomain: ${endpoint} is contacted over plain http as written (write https:// for TLS)`);
    return done(provider, over.srcRegion ?? region, endpoint);
  }
  // Any other host: an S3-compatible server contacted as written (srcType=s3 → provider other).
  const p: S3Provider = provider === 'aws' ? 'other' : provider;
  notes.push(
    `srcDomain: ${scheme}://${host} is not a standard ${S3_PRESETS[provider].label} host name, so ossmigrate connects to it as written${p === 'other' ? ' as a generic S3-compatible server (provider other)' : ''}; --src-region sets the signing region`,
  );
  return done(p, over.srcRegion, `${m[1] ? scheme : 'http'}://${host}`);
}

const missing = (file: string, key: string, example: string) =>
  new ConfigError(`${file}: ${key} is missing or empty`, `add ${key}=${example} to ${file}`);

/** Windows paths (D:/work/data/) are how ossimport's samples write srcPrefix: they mean nothing here. */
const windowsPath = (p: string) => /^[a-zA-Z]:[\\/]/.test(p);

export function translateCfg(
  job: Map<string, string>,
  sys: Map<string, string> = new Map(),
  file = 'job.cfg',
  over: CfgOverrides = {},
): CfgJob {
  const get = (k: string) => {
    const v = job.get(k);
    return v === undefined || v === '' ? undefined : v;
  };
  const notes: string[] = [];
  const credentials: Partial<Credentials> = { origin: {}, hint: {} };
  const rawType = get('srcType');
  if (!rawType)
    throw new ConfigError(
      `${file}: srcType is missing or empty — ossmigrate will not guess what to migrate`,
      `add srcType=local (a directory), srcType=cos or srcType=oss to ${file}`,
    );
  const srcType = rawType.toLowerCase();
  const srcKeys = (which: 'cos' | 'sourceOss') => {
    const id = get('srcAccessKey');
    const key = get('srcSecretKey');
    credentials.hint![which] = keyHint(file, 'srcAccessKey', id, 'srcSecretKey', key);
    if (!id || !key) return;
    if (which === 'cos') credentials.cos = { secretId: id, secretKey: key };
    else credentials.sourceOss = { accessKeyId: id, accessKeySecret: key };
    credentials.origin![which] = file;
  };
  /** srcPrefix for buckets: ossimport's COS v4 form "/docs/" is the key prefix "docs/". */
  const keyPrefix = () => {
    const p = get('srcPrefix') ?? '';
    const stripped = p.replace(/^\/+/, '');
    if (stripped !== p)
      notes.push(
        `srcPrefix=${p}: read as the key prefix "${stripped}" (ossimport's COS v4 path form; keys do not start with "/")`,
      );
    return stripped;
  };
  const bucket = () => {
    const b = get('srcBucket');
    if (!b) throw missing(file, 'srcBucket', 'the source bucket name');
    return b;
  };
  const refuseFlag = (flag: string | undefined, name: string, what = 'local (a directory)') => {
    if (flag)
      throw new ConfigError(
        `${name} does not apply: ${file} has srcType=${what}`,
        `drop ${name}, or change srcType`,
      );
  };
  let source: JobInput['source'];
  if (srcType === 'local') {
    const path = get('srcPrefix');
    if (!path)
      throw new ConfigError(
        `${file}: srcPrefix is missing or empty: for srcType=local it is the directory to import`,
        `add srcPrefix=/data/to/import/ to ${file}`,
      );
    if (windowsPath(path) && process.platform !== 'win32')
      throw new ConfigError(
        `${file}: srcPrefix=${path} is a Windows path; this machine is ${process.platform}`,
        `set srcPrefix to the directory on this machine, e.g. srcPrefix=/data/to/import/`,
      );
    refuseFlag(over.srcRegion, '--src-region');
    refuseFlag(over.srcEndpoint, '--src-endpoint');
    source = { type: 'local', path, followSymlinks: bool(get('isAllowSymbolicLink')) };
  } else if (srcType === 'cos') {
    const domain = get('srcDomain');
    const d: Domain =
      over.srcEndpoint || over.srcRegion
        ? domain
          ? cosDomain(domain, file, [])
          : {}
        : domain
          ? cosDomain(domain, file, notes)
          : {};
    const region = over.srcRegion ?? d.region;
    if (!region) throw missing(file, 'srcDomain', 'sh (or ap-shanghai: the bucket region)');
    const appId = get('appId');
    let b = bucket();
    if (appId && appId !== '0' && !b.endsWith(`-${appId}`)) b = `${b}-${appId}`;
    else if (!/-\d+$/.test(b))
      throw new ConfigError(
        `${file}: srcBucket=${b} has no APPID and appId is ${appId ? '0' : 'missing'}`,
        `add appId=<your APPID> (the digits after the bucket name in the COS console) to ${file}, or write srcBucket=${b}-<APPID>`,
      );
    const endpoint = over.srcEndpoint ?? d.endpoint;
    source = { type: 'cos', bucket: b, region, prefix: keyPrefix(), ...(endpoint ? { endpoint } : {}) };
    srcKeys('cos');
  } else if (srcType === 'oss') {
    const domain = get('srcDomain');
    const quiet = Boolean(over.srcEndpoint || over.srcRegion);
    const d: Domain = domain
      ? parseDomain(domain, 'srcDomain', file, 'oss', quiet ? [] : notes, '--src-region')
      : {};
    const region = over.srcRegion ?? d.region;
    if (!region) throw missing(file, 'srcDomain', 'https://oss-cn-shanghai.aliyuncs.com (the bucket region)');
    const endpoint = over.srcEndpoint ?? d.endpoint;
    source = {
      type: 'oss',
      bucket: bucket(),
      region,
      internal: d.internal ?? false,
      prefix: keyPrefix(),
      ...(endpoint ? { endpoint } : {}),
    };
    srcKeys('sourceOss');
  } else if (srcType === 'http') {
    // ossimport: "srcAccessKey, srcSecretKey, srcDomain, srcBucket, srcPrefix are not needed".
    const listFile = get('httpListFilePath');
    if (!listFile) throw missing(file, 'httpListFilePath', '/data/http.list (the URL list file)');
    if (windowsPath(listFile) && process.platform !== 'win32')
      throw new ConfigError(
        `${file}: httpListFilePath=${listFile} is a Windows path; this machine is ${process.platform}`,
        'set httpListFilePath to the list file on this machine, e.g. httpListFilePath=/data/http.list',
      );
    refuseFlag(over.srcRegion, '--src-region', 'http (a URL list)');
    refuseFlag(over.srcEndpoint, '--src-endpoint', 'http (a URL list)');
    const column = (k: string, dflt: number) => {
      const v = get(k);
      if (v === undefined) return dflt;
      if (!/^\s*[1-9]\d*\s*$/.test(v))
        throw new ConfigError(
          `${file}: ${k}=${v} is not a column number`,
          `write ${k}=${dflt} (columns count from 1)`,
        );
      return Number(v);
    };
    for (const k of ['srcAccessKey', 'srcSecretKey', 'srcBucket', 'srcPrefix'])
      if (get(k)) notes.push(`${k}: ignored (srcType=http reads the URLs in httpListFilePath as they are)`);
    source = {
      type: 'http-list',
      listFile,
      prefixColumn: column('httpPrefixColumn', 1),
      relativePathColumn: column('relativePathColumn', 2),
    };
  } else if (srcType === 'youpai') {
    // ossimport: srcAccessKey = operator, srcSecretKey = its password, srcBucket = the service.
    refuseFlag(over.srcRegion, '--src-region', 'youpai (UpYun has no regions)');
    const domain = (over.srcEndpoint ?? get('srcDomain'))?.trim();
    let endpoint: string | undefined;
    if (domain) {
      const m = /^(?:(https?):\/\/)?([^/\s?#]+)\/?$/i.exec(domain);
      if (!m)
        throw new ConfigError(
          `${file}: srcDomain "${domain}" is not an UpYun API address`,
          'write srcDomain=http://v0.api.upyun.com (or v1/v2/v3 for a carrier line)',
        );
      endpoint = `${m[1]?.toLowerCase() ?? 'https'}://${m[2]}`;
      if (m[1]?.toLowerCase() === 'http')
        notes.push(`srcDomain: ${endpoint} is contacted over plain http as written (write https:// for TLS)`);
    }
    if (bool(get('isDownloadFromCdn')))
      notes.push(
        `isDownloadFromCdn=true: ignored — ossmigrate downloads through the REST API (${endpoint ?? 'https://v0.api.upyun.com'}), which the operator's password already allows`,
      );
    source = { type: 'upyun', service: bucket(), prefix: keyPrefix(), ...(endpoint ? { endpoint } : {}) };
    const id = get('srcAccessKey');
    const key = get('srcSecretKey');
    credentials.hint!.upyun = keyHint(file, 'srcAccessKey', id, 'srcSecretKey', key);
    if (id && key) {
      credentials.upyun = { operator: id, password: key };
      credentials.origin!.upyun = file;
    }
  } else if (srcType === 'azure') {
    // ossimport's azure: srcAccessKey/srcSecretKey = AccountName/AccountKey, srcDomain = the
    // connection string's EndpointSuffix (core.chinacloudapi.cn) or the blob endpoint URL.
    if (over.srcRegion)
      throw new ConfigError(
        `--src-region does not apply: ${file} has srcType=azure (no regions)`,
        'drop --src-region; use --src-endpoint for another blob endpoint',
      );
    const az = azureDomain(get('srcDomain'), get('srcAccessKey'), file);
    const endpoint = over.srcEndpoint ?? az.endpoint;
    source = {
      type: 'azure',
      account: az.account,
      container: bucket(),
      prefix: keyPrefix(),
      ...(endpoint ? { endpoint } : {}),
    };
    const key = get('srcSecretKey');
    credentials.hint!.azure = keyHint(file, 'srcAccessKey', get('srcAccessKey'), 'srcSecretKey', key);
    if (key) {
      credentials.azure = { accountName: az.account, accountKey: key };
      credentials.origin!.azure = file;
    }
  } else if (srcType === 's3' || srcType === 'qiniu' || srcType === 'bos' || srcType === 'ks3') {
    source = s3FamilySource(srcType, get('srcDomain'), bucket(), keyPrefix(), file, over, notes);
    const id = get('srcAccessKey');
    const key = get('srcSecretKey');
    credentials.hint!.s3 = keyHint(file, 'srcAccessKey', id, 'srcSecretKey', key);
    if (id && key) {
      credentials.s3 = { accessKeyId: id, secretAccessKey: key };
      credentials.origin!.s3 = file;
    }
  } else {
    throw new ConfigError(
      `${file}: srcType=${rawType} is not supported by ossmigrate`,
      'supported sources are local, cos, oss, s3, qiniu, bos, ks3, azure, http (a URL list) and youpai; for other clouds use Alibaba Data Online Migration, or export to a local directory first',
    );
  }

  const destDomain = get('destDomain');
  const dQuiet = Boolean(over.dstEndpoint || over.dstRegion);
  const dest: Domain = destDomain
    ? parseDomain(destDomain, 'destDomain', file, 'oss', dQuiet ? [] : notes, '--dst-region')
    : {};
  const destRegion = over.dstRegion ?? dest.region;
  if (!destRegion)
    throw missing(file, 'destDomain', 'https://oss-cn-hangzhou.aliyuncs.com (the destination bucket region)');
  const destBucket = get('destBucket');
  if (!destBucket) throw missing(file, 'destBucket', 'the destination OSS bucket name');
  const destEndpoint = over.dstEndpoint ?? dest.endpoint;
  const destination: JobInput['destination'] = {
    bucket: destBucket,
    region: destRegion,
    internal: dest.internal ?? false,
    prefix: get('destPrefix') ?? '',
    serverSideEncryption: bool(get('isServerSideEncryption')) ? 'AES256' : 'none',
    ...(destEndpoint ? { endpoint: destEndpoint } : {}),
  };
  const dId = get('destAccessKey');
  const dKey = get('destSecretKey');
  credentials.hint!.oss = keyHint(file, 'destAccessKey', dId, 'destSecretKey', dKey);
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
      ...(sys.get('workerAbortWhenUncatchedException')
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
  // Keys of other source types: every ossimport template carries them with these values, which
  // say nothing; any other value is a setting the user made, so it is named as ignored.
  for (const [k, why, template] of [
    ['isDownloadFromCdn', 'only for the youpai source', /^false$/i],
    ['cdnDomain', 'only for the youpai source', /^$/],
    ['httpListFilePath', 'only for the http source', /^[a-z]:\/(example|work\/oss)\/http\.list$/i],
    ['getObjectMetaMode', 'only for the qiniu source', /^stat$/i],
  ] as const) {
    if (srcType === 'youpai' && (k === 'isDownloadFromCdn' || k === 'cdnDomain')) continue;
    if (srcType === 'http' && k === 'httpListFilePath') continue;
    const v = get(k);
    if (v && !template.test(v.trim())) notes.push(`${k}: ignored (${why})`);
  }
  const tunnel = EXPRESS_TUNNEL_KEYS().filter((k) => get(k));
  // Named, never their values: expressTunnelAuthToken is a credential.
  if (tunnel.length)
    notes.push(
      `${tunnel.join(', ')}: ignored — Express Tunnel was a proxy service for ossimport; ossmigrate connects to destDomain directly (the token is not used or kept)`,
    );
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
  const unknown = [...job.keys(), ...sys.keys()].filter((k) => !KNOWN_KEYS.has(k));
  if (unknown.length) notes.push(`${unknown.join(', ')}: not ossimport keys, ignored (check the spelling)`);
  if (auditMode === 'detailed')
    notes.push('auditMode=detailed: ossmigrate verifies by CRC-64 on both sides (no download)');
  const workdir = sys.get('workingDir');
  return {
    input,
    credentials,
    auditOnly: get('jobType')?.toLowerCase() === 'audit',
    ...(workdir && workdir !== '.' ? { workdir } : {}),
    notes,
  };
}

/** Where to put the keys for this job, for the "no credentials" message (never the values). */
function keyHint(
  file: string,
  idKey: string,
  id: string | undefined,
  secretKey: string,
  secret: string | undefined,
): string {
  if (id && !secret) return `${secretKey} is empty in ${file}: fill it in`;
  if (!id && secret) return `${idKey} is empty in ${file}: fill it in`;
  return `fill in ${idKey} and ${secretKey} in ${file}`;
}

/** Translate and validate (messages name the cfg keys). */
export function translate(
  job: Map<string, string>,
  sys: Map<string, string> = new Map(),
  file = 'job.cfg',
  over: CfgOverrides = {},
): Translated {
  const { input, ...rest } = translateCfg(job, sys, file, over);
  return { spec: parseJob(input, file, cfgKeyName), ...rest };
}

/** Is this file an ossimport config (rather than an ossmigrate YAML job)? */
export function looksLikeOssimport(path: string, text: string): boolean {
  return /\.(cfg|properties)$/.test(path) || /^\s*(jobName|srcType)\s*[=:]/m.test(text);
}

async function readText(p: string): Promise<string> {
  try {
    return decodeCfg(await readFile(p));
  } catch (e) {
    throw new ConfigError(
      `cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      'check the path',
    );
  }
}

/** Read a job.cfg (and sys.properties) into a job, not yet validated. */
export async function readOssimportCfg(
  path: string,
  sysPath?: string,
  over: CfgOverrides = {},
): Promise<CfgJob> {
  const job = parseProperties(await readText(path));
  const sys = sysPath ? parseProperties(await readText(sysPath)) : new Map<string, string>();
  return translateCfg(job, sys, path, over);
}

export async function loadOssimportCfg(
  path: string,
  sysPath?: string,
  over: CfgOverrides = {},
): Promise<Translated> {
  const { input, ...rest } = await readOssimportCfg(path, sysPath, over);
  return { spec: parseJob(input, path, cfgKeyName), ...rest };
}
