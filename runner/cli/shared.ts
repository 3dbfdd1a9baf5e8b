/**
 * What every command shares: global options, the job definition from a file or from flags,
 * output (NDJSON events on stdout with --json; humans read stderr), Ctrl-C handling, and the
 * mapping from errors to documented exit codes.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { storesFactory } from '../adapters/factory.ts';
import { maskRedisUrls, refusePasswordInArgv } from '../adapters/queue/redisConnection.ts';
import { standaloneBackends } from '../app/backends/standalone.ts';
import { JobSession, sameJob } from '../app/jobSession.ts';
import { describeDestination, describeSource } from '../app/report.ts';
import { DEFAULT_WORKDIR, type JobOrigin, Workspace } from '../app/workspace.ts';
import { type Credentials, loadCredentials, secretValues } from '../config/credentials.ts';
import { type RuntimeEnvironment, readEnvironment } from '../config/environment.ts';
import { type JobSpec, type KeyNamer, parseJob, readJobFile } from '../config/job.ts';
import { cfgKeyName, looksLikeOssimport, readOssimportCfg } from '../config/ossimportCfg.ts';
import { formatRate } from '../core/bandwidth.ts';
import { ConfigError, describeError, errorKind, exitCodeFor, PreflightError } from '../core/errors.ts';
import type { EngineEvent, EventSink, Problem } from '../core/events.ts';
import { ExitCode } from '../core/exitCodes.ts';
import type { Phase } from '../core/types.ts';
import { formatBytes, formatDuration, parseTime } from '../core/units.ts';
import type { FleetSettings } from '../fleet/backend.ts';
import { journalLocationFrom } from '../fleet/journalLocation.ts';
import type { JobBackendProvider } from '../ports/jobBackend.ts';
import { onOutputGone } from './closedOutput.ts';
import {
  DEFINITION_COMMANDS,
  FLAG_OF,
  JOB_COMMANDS,
  JOBFILE_ARGUMENT,
  longFlag,
  OPTIONS,
  positiveInt,
  toOption,
} from './options.ts';

export type GlobalOptions = {
  workdir: string;
  job?: string;
  json?: boolean;
  yes?: boolean;
  credentials?: string;
  /** Fleet mode: the Redis URL (else the job file's queue.url, OSSMIGRATE_REDIS_URL, the work dir's pointer). */
  queue?: string;
  /** Fleet mode: a journal directory every worker mounts (else OSSMIGRATE_JOURNAL_DIR / OSSMIGRATE_CONTROL_BUCKET). */
  journalDir?: string;
};

/**
 * Options every job command takes (from the options table). A command in the table gets them
 * from applyOptions; this stays for a command added before its rows are (the table test then
 * names what to add to runner/cli/options.ts).
 */
export function jobOptions(cmd: Command): Command {
  for (const row of OPTIONS)
    if (row.flags && row.commands === JOB_COMMANDS && !cmd.options.some((o) => o.long === longFlag(row)))
      cmd.addOption(toOption(row));
  return cmd;
}

/** The job-definition argument and flags (import, submit, plan, tui), from the options table. */
export function definitionOptions(cmd: Command): Command {
  if (!cmd.registeredArguments.length) cmd.argument(...JOBFILE_ARGUMENT);
  for (const row of OPTIONS)
    if (
      row.flags &&
      row.commands === DEFINITION_COMMANDS &&
      !cmd.options.some((o) => o.long === longFlag(row))
    )
      cmd.addOption(toOption(row));
  return cmd;
}

export { positiveInt };

export type DefinitionFlags = {
  sys?: string;
  src?: string;
  dst?: string;
  srcRegion?: string;
  dstRegion?: string;
  srcEndpoint?: string;
  dstEndpoint?: string;
  srcProvider?: string;
  since?: string;
  until?: string;
  concurrency?: number;
  bwlimit?: string;
  listers?: number;
  inventory?: string;
  clientCrc?: boolean;
  job?: string;
};

const flagName = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** cos://bucket/prefix/ → parts. */
export function parseLocation(
  url: string,
  flag: string,
): {
  scheme: 'cos' | 'oss' | 'local' | 'http-list' | 'upyun' | 'azure' | 's3';
  bucket: string;
  prefix: string;
} {
  const m = /^(cos|oss|local|http-list|upyun|azure|s3):\/\/(.*)$/.exec(url);
  if (!m)
    throw new ConfigError(
      `${flag} "${url}" is not a location`,
      `use cos://BUCKET-APPID/prefix/, oss://BUCKET/prefix/, s3://BUCKET/prefix/, azure://ACCOUNT/CONTAINER/prefix/, upyun://SERVICE/prefix/, http-list:///path/list.txt or local:///path/`,
    );
  const scheme = m[1] as 'cos' | 'oss' | 'local' | 'http-list' | 'upyun' | 'azure' | 's3';
  if (scheme === 'local' || scheme === 'http-list') {
    if (!m[2]!.startsWith('/'))
      throw new ConfigError(
        `${flag} "${url}": a ${scheme === 'local' ? 'local path' : 'URL list file'} must be absolute`,
        `write ${scheme}:///abs/path${scheme === 'local' ? '/' : '/list.txt'} (three slashes)`,
      );
    return { scheme, bucket: '', prefix: m[2]! };
  }
  const slash = m[2]!.indexOf('/');
  const bucket = slash < 0 ? m[2]! : m[2]!.slice(0, slash);
  const prefix = slash < 0 ? '' : m[2]!.slice(slash + 1);
  if (!bucket)
    throw new ConfigError(`${flag} "${url}" names no bucket`, `e.g. ${scheme}://my-bucket/prefix/`);
  return { scheme, bucket, prefix };
}

export type Definition = {
  spec: JobSpec;
  credentials: Partial<Credentials>;
  auditOnly: boolean;
  notes: string[];
};

/**
 * The job from a file and/or flags. On top of a file, every flag is applied (regions and
 * endpoints replace the file's, like the window, concurrency, bandwidth and name) or refused
 * with the reason: --src/--dst (the file names both ends), --sys without a job.cfg.
 */
export async function definitionFrom(file: string | undefined, f: DefinitionFlags): Promise<Definition> {
  let base: Record<string, unknown>;
  let credentials: Partial<Credentials> = {};
  let auditOnly = false;
  let notes: string[] = [];
  let fileNames: KeyNamer | undefined;
  if (file) {
    for (const flag of ['src', 'dst'] as const)
      if (f[flag])
        throw new ConfigError(
          `${flagName(flag)} cannot be used with a job file (${file} names the source and destination)`,
          `drop ${flagName(flag)}, or drop the job file and give both --src and --dst`,
        );
    const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new ConfigError(`cannot read ${file}: ${e.code ?? e.message}`, 'check the path');
    });
    if (looksLikeOssimport(file, text)) {
      const t = await readOssimportCfg(file, f.sys, {
        ...(f.srcRegion ? { srcRegion: f.srcRegion } : {}),
        ...(f.dstRegion ? { dstRegion: f.dstRegion } : {}),
        ...(f.srcEndpoint ? { srcEndpoint: f.srcEndpoint } : {}),
        ...(f.dstEndpoint ? { dstEndpoint: f.dstEndpoint } : {}),
      });
      base = withProvider(t.input as Record<string, unknown>, f.srcProvider);
      credentials = t.credentials;
      auditOnly = t.auditOnly;
      notes = t.notes;
      fileNames = cfgKeyName;
    } else {
      if (f.sys)
        throw new ConfigError(
          `--sys reads an ossimport sys.properties with a job.cfg; ${file} is an ossmigrate job file`,
          'drop --sys (its settings are transfer.concurrency, bandwidth.limit and metadata.recordMd5 in the job file)',
        );
      base = await readJobFile(file);
      base = withEndpoints(base, f);
      base = withProvider(base, f.srcProvider);
    }
  } else {
    if (f.sys)
      throw new ConfigError(
        '--sys reads an ossimport sys.properties with a job.cfg, and no job.cfg was given',
        'give the job.cfg too: ossmigrate import job.cfg --sys sys.properties',
      );
    if (!f.src || !f.dst) {
      throw new ConfigError(
        'no job: give a job file, or --src and --dst',
        'e.g. ossmigrate import --src cos://media-1250000000/ --src-region ap-guangzhou --dst oss://media/ --dst-region cn-hangzhou',
      );
    }
    const src = parseLocation(f.src, '--src');
    const dst = parseLocation(f.dst, '--dst');
    if (dst.scheme !== 'oss')
      throw new ConfigError(`--dst must be an OSS location (oss://BUCKET/prefix/), not ${dst.scheme}://`);
    const need = (v: string | undefined, flag: string, example: string) => {
      if (!v) throw new ConfigError(`${flag} is required`, `e.g. ${flag} ${example}`);
      return v;
    };
    if (f.srcProvider && src.scheme !== 's3')
      throw new ConfigError(
        `--src-provider is for an S3 source (s3://BUCKET/prefix/), not ${src.scheme}://`,
        'drop --src-provider',
      );
    // Azure: "bucket" is the account, the container is the first path segment; no regions.
    const azure =
      src.scheme === 'azure' ? azureLocation(f.src, src.bucket, src.prefix, f.srcRegion) : undefined;
    for (const flag of ['srcRegion', 'srcEndpoint'] as const)
      if (
        f[flag] &&
        (src.scheme === 'local' ||
          src.scheme === 'http-list' ||
          (src.scheme === 'upyun' && flag === 'srcRegion'))
      )
        throw new ConfigError(
          `${flagName(flag)} does not apply to ${src.scheme === 'local' ? 'a local' : `an ${src.scheme}`} source (${f.src})`,
          `drop ${flagName(flag)}`,
        );
    base = {
      ...(f.job ? { name: f.job } : {}),
      source: azure
        ? { type: 'azure', ...azure, ...(f.srcEndpoint ? { endpoint: f.srcEndpoint } : {}) }
        : src.scheme === 'local'
          ? { type: 'local', path: src.prefix }
          : src.scheme === 's3'
            ? {
                type: 's3',
                provider: f.srcProvider ?? 'aws',
                bucket: src.bucket,
                prefix: src.prefix,
                ...(f.srcRegion ? { region: f.srcRegion } : {}),
                ...(f.srcEndpoint ? { endpoint: f.srcEndpoint } : {}),
              }
            : src.scheme === 'http-list'
              ? { type: 'http-list', listFile: src.prefix }
              : src.scheme === 'upyun'
                ? {
                    type: 'upyun',
                    service: src.bucket,
                    prefix: src.prefix,
                    ...(f.srcEndpoint ? { endpoint: f.srcEndpoint } : {}),
                  }
                : src.scheme === 'cos'
                  ? {
                      type: 'cos',
                      bucket: src.bucket,
                      region: need(f.srcRegion, '--src-region', 'ap-guangzhou'),
                      prefix: src.prefix,
                      ...(f.srcEndpoint ? { endpoint: f.srcEndpoint } : {}),
                    }
                  : {
                      type: 'oss',
                      bucket: src.bucket,
                      region: need(f.srcRegion, '--src-region', 'cn-shanghai'),
                      prefix: src.prefix,
                      ...(f.srcEndpoint ? { endpoint: f.srcEndpoint } : {}),
                    },
      destination: {
        bucket: dst.bucket,
        region: need(f.dstRegion, '--dst-region', 'cn-hangzhou'),
        prefix: dst.prefix,
        ...(f.dstEndpoint ? { endpoint: f.dstEndpoint } : {}),
      },
    };
  }
  const input: Record<string, unknown> = { ...base };
  const section = (k: string) => (typeof base[k] === 'object' && base[k] !== null ? base[k] : {});
  if (f.since || f.until) {
    const now = new Date();
    const at = (v: string, flag: string) => {
      try {
        return parseTime(v, now);
      } catch (e) {
        throw new ConfigError(`${flag}: ${(e as Error).message}`);
      }
    };
    input.window = {
      ...section('window'),
      ...(f.since ? { since: at(f.since, '--since') } : {}),
      ...(f.until ? { until: at(f.until, '--until') } : {}),
    };
  }
  if (f.concurrency || f.clientCrc)
    input.transfer = {
      ...section('transfer'),
      ...(f.concurrency ? { concurrency: f.concurrency } : {}),
      ...(f.clientCrc ? { clientCrc: true } : {}),
    };
  if (f.bwlimit) input.bandwidth = { ...section('bandwidth'), limit: f.bwlimit };
  if (f.listers !== undefined || f.inventory)
    input.listing = {
      ...section('listing'),
      ...(f.listers !== undefined ? { listers: f.listers } : {}),
      // A local manifest is made absolute: a detached `start` or a worker may not share the cwd.
      ...(f.inventory
        ? { inventory: /^(oss|cos|file):\/\//.test(f.inventory) ? f.inventory : resolve(f.inventory) }
        : {}),
    };
  if (f.job && file) input.name = f.job;
  // A message names the flag the user typed, else their cfg key, else the YAML key.
  const nameOf: KeyNamer = (path) => {
    const flag = FLAG_OF[path] as keyof DefinitionFlags | undefined;
    if (flag && f[flag] !== undefined) return flagName(flag);
    return fileNames?.(path);
  };
  return { spec: parseJob(input, file ?? 'flags', nameOf), credentials, auditOnly, notes };
}

/** --src-provider on top of a job file (YAML or cfg) replaces an S3 source's provider. */
function withProvider(doc: Record<string, unknown>, provider: string | undefined): Record<string, unknown> {
  if (!provider) return doc;
  const o =
    typeof doc.source === 'object' && doc.source !== null ? (doc.source as Record<string, unknown>) : {};
  if (o.type !== 's3')
    throw new ConfigError(
      `--src-provider does not apply: the job file's source is ${String(o.type ?? 'not set')}, not s3`,
      'drop --src-provider',
    );
  return { ...doc, source: { ...o, provider } };
}

/** --src-/--dst-region/-endpoint on top of a YAML job file replace its values. */
/** azure://ACCOUNT/CONTAINER/prefix → the job file's source fields. */
function azureLocation(url: string, account: string, rest: string, region: string | undefined) {
  if (region)
    throw new ConfigError(
      `--src-region does not apply to an Azure source (${url}): the account decides where it is`,
      'drop --src-region (use --src-endpoint for a cloud other than blob.core.windows.net)',
    );
  const slash = rest.indexOf('/');
  const container = slash < 0 ? rest : rest.slice(0, slash);
  if (!container)
    throw new ConfigError(`--src "${url}" names no container`, 'write azure://ACCOUNT/CONTAINER/prefix/');
  return { account, container, prefix: slash < 0 ? '' : rest.slice(slash + 1) };
}

function withEndpoints(doc: Record<string, unknown>, f: DefinitionFlags): Record<string, unknown> {
  const side = (k: 'source' | 'destination', region?: string, endpoint?: string) => {
    const s = doc[k];
    if (!region && !endpoint) return s;
    const o = typeof s === 'object' && s !== null ? (s as Record<string, unknown>) : {};
    if (
      o.type === 'local' ||
      o.type === 'http-list' ||
      ((o.type === 'upyun' || o.type === 'azure') && region)
    ) {
      const flag = region ? '--src-region' : '--src-endpoint';
      const what =
        o.type === 'local'
          ? 'a local directory'
          : o.type === 'upyun'
            ? 'UpYun'
            : o.type === 'azure'
              ? 'Azure Blob (no regions)'
              : 'a URL list';
      throw new ConfigError(`${flag} does not apply: the job file's source is ${what}`, `drop ${flag}`);
    }
    return { ...o, ...(region ? { region } : {}), ...(endpoint ? { endpoint } : {}) };
  };
  return {
    ...doc,
    source: side('source', f.srcRegion, f.srcEndpoint),
    destination: side('destination', f.dstRegion, f.dstEndpoint),
  };
}

export async function credentialsFor(
  o: GlobalOptions,
  inline: Partial<Credentials> = {},
): Promise<Credentials> {
  const c = await loadCredentials({ ...(o.credentials ? { file: o.credentials } : {}), env: process.env });
  // Environment / file first; keys written in an ossimport job.cfg fill the gaps.
  return {
    ...((c.oss ?? inline.oss) ? { oss: c.oss ?? inline.oss! } : {}),
    ...((c.cos ?? inline.cos) ? { cos: c.cos ?? inline.cos! } : {}),
    ...((c.sourceOss ?? inline.sourceOss) ? { sourceOss: c.sourceOss ?? inline.sourceOss! } : {}),
    ...((c.upyun ?? inline.upyun) ? { upyun: c.upyun ?? inline.upyun! } : {}),
    ...((c.azure ?? inline.azure) ? { azure: c.azure ?? inline.azure! } : {}),
    ...((c.s3 ?? inline.s3) ? { s3: c.s3 ?? inline.s3! } : {}),
    origin: { ...inline.origin, ...c.origin },
    // Where the job's own file takes keys (a cfg's destAccessKey…), for "no credentials" messages.
    ...(inline.hint || c.hint ? { hint: { ...c.hint, ...inline.hint } } : {}),
  };
}

/** The environment's settings: the CLI reads them here and hands them down (nothing below does). */
export function runtimeEnvironment(): RuntimeEnvironment {
  return readEnvironment(process.env);
}

/** Fleet settings when a queue is named (flag, else the environment; a job file's queue.url is in the spec). */
export function fleetSettings(o: GlobalOptions, specUrl?: string): FleetSettings | undefined {
  refusePasswordInArgv(o.queue, '--queue');
  const env = runtimeEnvironment();
  const url = o.queue ?? specUrl ?? env.redis.url;
  if (!url) {
    if (o.journalDir)
      throw new ConfigError('--journal-dir is for fleet jobs', 'add --queue redis://… (or drop it)');
    return undefined;
  }
  const journal = journalLocationFrom(env.journal, o.journalDir ? { journalDir: o.journalDir } : {});
  return { ...settingsFor(url), ...(journal ? { journal } : {}) };
}

/** The environment's settings for a queue (a job's journal location is the one it started with). */
function settingsFor(url: string): FleetSettings {
  const env = runtimeEnvironment();
  const { url: _fromEnv, ...auth } = env.redis;
  return {
    url,
    auth,
    lease: env.lease,
    ...(env.ossEndpoint ? { ossEndpoint: env.ossEndpoint } : {}),
  };
}

/**
 * The composition root's one choice of backend: the fleet when a queue is named (or the work
 * dir's pointer says the job was submitted to one), else the work dir. The fleet code loads only
 * then: standalone runs and quick commands start faster without BullMQ and ioredis.
 */
async function backendsFor(ws: Workspace, fleet: FleetSettings | undefined): Promise<JobBackendProvider> {
  if (!fleet) return standaloneBackends(ws);
  const { fleetBackends } = await import('../fleet/backend.ts');
  return fleetBackends(ws, fleet);
}

/** Stores with the environment's endpoint override (OSSMIGRATE_OSS_ENDPOINT). */
function stores() {
  const { ossEndpoint } = runtimeEnvironment();
  return storesFactory(ossEndpoint ? { ossEndpoint } : {});
}

/**
 * Open the submitted job. `cfgKeys`: a job submitted from an ossimport cfg keeps its keys in
 * that file (never copied into the work dir), so runs read it again — 'needed' refuses to go on
 * when it is gone or now describes another job; 'if-readable' uses it when it can (clean).
 */
export async function openSession(
  o: GlobalOptions,
  inline: Partial<Credentials> = {},
  cfgKeys?: 'needed' | 'if-readable',
): Promise<JobSession> {
  const creds = await credentialsFor(o, inline);
  const ws = new Workspace(o.workdir);
  // A fleet job submitted from this work dir left a pointer to its Redis (without the password).
  const named = fleetSettings(o);
  const pointer = named ? undefined : await ws.fleetUrl(o.job);
  const fleet = named ?? (pointer ? settingsFor(pointer) : undefined);
  const s = await JobSession.open(
    ws,
    o.job,
    creds,
    stores(),
    secretValues(creds),
    await backendsFor(ws, fleet),
  );
  if (cfgKeys) {
    try {
      await rereadCfg(s, o, cfgKeys === 'needed');
    } catch (e) {
      await s.close();
      throw e;
    }
  }
  return s;
}

/** Options that are not part of a job's definition (and `--queue` may hold a password). */
const NOT_DEFINITION = new Set(['workdir', 'json', 'yes', 'credentials', 'queue', 'journalDir', 'sys']);

/** What to remember of a cfg-defined job so a later run can read its keys again. */
async function originOf(
  file: string,
  o: GlobalOptions & { sys?: string },
  def: Definition,
): Promise<JobOrigin | undefined> {
  const text = await readFile(file, 'utf8');
  if (!looksLikeOssimport(file, text)) return undefined;
  const flags: JobOrigin['flags'] = {};
  for (const [k, v] of Object.entries(o))
    if (!NOT_DEFINITION.has(k) && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'))
      flags[k] = v;
  return {
    cfg: resolve(file),
    ...(o.sys ? { sys: resolve(o.sys) } : {}),
    flags,
    inlineKeys: Boolean(def.credentials.oss ?? def.credentials.cos ?? def.credentials.sourceOss),
    auditOnly: def.auditOnly,
  };
}

async function rereadCfg(s: JobSession, o: GlobalOptions, strict: boolean): Promise<void> {
  const origin = await s.ws.origin(s.name);
  if (!origin) return;
  const where = o.workdir === DEFAULT_WORKDIR ? '' : ` --workdir ${o.workdir}`;
  const submitAgain = `ossmigrate submit ${origin.cfg}${origin.sys ? ` --sys ${origin.sys}` : ''}${where}`;
  let def: Definition;
  try {
    def = await definitionFrom(origin.cfg, { ...origin.flags, ...(origin.sys ? { sys: origin.sys } : {}) });
  } catch (e) {
    if (!strict || !origin.inlineKeys) return;
    const gone = [origin.cfg, origin.sys].find((f) => f !== undefined && !existsSync(f));
    if (gone)
      throw new ConfigError(
        `job "${s.name}" was submitted from ${origin.cfg}, which holds its keys, and ${gone === origin.cfg ? 'that file' : gone} is gone`,
        `put it back, or submit the job again from where it is now: ossmigrate submit NEW/PATH/job.cfg${origin.sys ? ' --sys NEW/PATH/sys.properties' : ''}${where}`,
      );
    throw new ConfigError(
      `job "${s.name}" was submitted from ${origin.cfg}, which holds its keys, and it no longer reads: ${(e as Error).message}`,
      (e as ConfigError).fix ?? `fix the file, then: ${submitAgain}`,
    );
  }
  if (!sameJob(def.spec, s.spec)) {
    if (!strict) return;
    throw new ConfigError(
      `${origin.cfg} now describes a different job than the "${s.name}" submitted from it`,
      `undo the edit, or submit the edited file: ${submitAgain} (a job that copied nothing is replaced; one that copied objects needs ossmigrate clean --job ${s.name}${where} first)`,
    );
  }
  const creds = await credentialsFor(o, def.credentials);
  s.addCredentials(creds, secretValues(creds));
}

/**
 * Register the job. `file`: the job file it came from (an ossimport cfg is remembered, see
 * openSession). `preflight`: run it before anything is written (import).
 */
export async function submitSession(
  o: GlobalOptions,
  def: Definition,
  how: { file?: string; preflight?: EventSink } = {},
): Promise<JobSession> {
  const creds = await credentialsFor(o, def.credentials);
  const fleet = fleetSettings(o, def.spec.queue?.url);
  const origin = how.file ? await originOf(how.file, o, def) : undefined;
  const ws = new Workspace(o.workdir);
  return JobSession.submit(ws, def.spec, creds, stores(), secretValues(creds), await backendsFor(ws, fleet), {
    ...(how.preflight ? { preflight: { emit: how.preflight } } : {}),
    ...(origin ? { origin } : {}),
  });
}

// ---- output ----------------------------------------------------------------------------------

const isTTY = () => Boolean(process.stderr.isTTY);

/** Prints events: NDJSON on stdout with --json; a readable account on stderr. */
export class Console {
  private lastProgress = 0;
  private progressShown = false;
  private failuresShown = 0;
  private limited = false;
  private liveWorkers = -1;
  private phase: Phase = 'full';
  readonly sink: EventSink;

  constructor(private readonly o: { json?: boolean; quiet?: boolean; progressEveryMs?: number }) {
    this.sink = (e) => this.event(e);
  }

  /** A line for humans (stderr). */
  say(line: string): void {
    if (this.o.quiet) return;
    this.clearProgress();
    process.stderr.write(`${line}\n`);
  }

  private clearProgress(): void {
    if (this.progressShown && isTTY()) process.stderr.write('\r\x1b[2K');
    this.progressShown = false;
  }

  json(obj: unknown): void {
    if (this.o.json) process.stdout.write(`${JSON.stringify(obj)}\n`);
  }

  event(e: EngineEvent): void {
    this.json(e);
    switch (e.type) {
      case 'pass':
        this.phase = e.phase;
        this.say(
          `${e.resumed ? 'resuming' : 'starting'} ${e.mode === 'copy' ? `${e.phase} pass` : `${e.mode} pass`} ${e.passId}` +
            (e.phase === 'full'
              ? ` (objects modified before T1 = ${e.t1})`
              : ` (modified from ${e.t1} to ${e.t2 ?? 'now'})`),
        );
        break;
      case 'stage':
        if (e.state === 'start' && e.stage !== 'copy' && e.stage !== 'scan') this.say(`${e.stage}…`);
        break;
      case 'problem':
        this.say(problemLine(e.problem));
        break;
      case 'object':
        if (e.outcome === 'failed' && this.failuresShown < 20) {
          this.failuresShown++;
          this.say(`  ✗ ${e.failureClass} ${JSON.stringify(e.key)}: ${e.reason ?? ''}`);
          if (this.failuresShown === 20) this.say('  (more failures in the report)');
        }
        break;
      case 'bandwidth':
        if (e.limit === 'off' && !this.limited) break;
        this.limited = e.limit !== 'off';
        this.say(
          `bandwidth limit: ${e.limit === 'off' ? 'off' : `${e.limit} → ${formatRate(e.effectiveBytesPerSec)} now`}`,
        );
        break;
      case 'progress': {
        const now = Date.now();
        const every = this.o.progressEveryMs ?? (isTTY() ? 1000 : 10_000);
        if (this.o.quiet || now - this.lastProgress < every) break;
        this.lastProgress = now;
        const line = Console.progressLine(e, this.phase);
        if (isTTY() && !this.o.json) {
          process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns ?? 120) - 1)}`);
          this.progressShown = true;
        } else {
          process.stderr.write(`${line}\n`);
        }
        break;
      }
      case 'log':
        if (e.level !== 'info') this.say(`${e.level === 'warn' ? '!' : '✗'} ${e.message}`);
        break;
      case 'workers': {
        // Fleet runs: say when workers join or leave (the full table is in --json and `stat`).
        const live = e.workers.filter((w) => w.state !== 'gone');
        if (live.length !== this.liveWorkers) {
          this.liveWorkers = live.length;
          this.say(
            `fleet: ${live.length} worker${live.length === 1 ? '' : 's'} live${live.length ? ` (${live.map((w) => w.host).join(', ')})` : ''}`,
          );
        }
        break;
      }
      default:
        break;
    }
  }

  done(): void {
    this.clearProgress();
  }

  /**
   * The progress line. done/planned count only the phase's scope: what the next phase takes
   * (modified after the window) and, in an incremental pass, what is unchanged since T1 are
   * shown apart, never as work done.
   */
  static progressLine(e: Extract<EngineEvent, { type: 'progress' }>, phase: Phase): string {
    const afterWindow = e.afterWindow;
    const done = e.copied + e.skipped + e.failed + e.deferred - afterWindow;
    const verifying = e.verified + e.missing + e.different + e.extra + e.unverifiable + e.pending;
    if (
      verifying > 0 ||
      (done === 0 && afterWindow === 0 && e.plannedObjects === 0 && e.scannedObjects === 0)
    )
      return `verify ${verifying} checked · ${e.verified} match · ${e.missing} missing · ${e.different} different · ${e.extra} extra`;
    const restoring = e.deferred - afterWindow;
    const aside = [
      ...(restoring > 0 ? [`${restoring} awaiting restore`] : []),
      ...(e.unchanged > 0 ? [`${e.unchanged} unchanged since T1`] : []),
      ...(afterWindow > 0
        ? [
            phase === 'full'
              ? `${afterWindow} modified after T1 (→ incremental)`
              : `${afterWindow} modified after T2 (next incremental)`,
          ]
        : []),
    ];
    return (
      `copy ${done}/${e.plannedObjects}${e.scanDone ? '' : '+'} objects · ${formatBytes(e.doneBytes - e.afterWindowBytes)}/${formatBytes(e.plannedBytes)} · ` +
      `${formatBytes(e.bytesPerSec)}/s · ${e.etaMs !== undefined ? `ETA ${formatDuration(e.etaMs)}` : 'ETA —'} · ` +
      `${e.copied} copied, ${e.skipped} skipped, ${e.failed} failed${aside.length ? ` · ${aside.join(', ')}` : ''}`
    );
  }
}

export function problemLine(p: Problem): string {
  const mark = p.severity === 'error' ? '✗' : p.severity === 'warning' ? '!' : 'i';
  return `  ${mark} ${p.code}: ${p.message}${p.fix ? `\n      fix: ${p.fix}` : ''}`;
}

export function jobLine(spec: JobSpec): string {
  return `job ${spec.name}: ${describeSource(spec)} → ${describeDestination(spec)}`;
}

// ---- signals and errors ----------------------------------------------------------------------

/**
 * First Ctrl-C / SIGTERM (or stdout/stderr losing its reader: `… | head`): finish in-flight
 * objects and stop. Second: stop now.
 */
export function stopSignals(say: (s: string) => void): {
  soft: AbortSignal;
  hard: AbortSignal;
  dispose: () => void;
} {
  const soft = new AbortController();
  const hard = new AbortController();
  const onSignal = (sig: string) => {
    if (!soft.signal.aborted) {
      say(
        `\n${sig}: finishing the objects in flight, then stopping (again to stop at once; the work dir resumes it)`,
      );
      soft.abort();
    } else if (!hard.signal.aborted) {
      say(`\n${sig}: stopping now; multipart uploads resume from their last part`);
      hard.abort(new Error(`stopped by ${sig}`));
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const offGone = onOutputGone((which) => onSignal(`${which} closed (its reader went away)`));
  return {
    soft: soft.signal,
    hard: hard.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      offGone();
    },
  };
}

/** Run a command body; errors become a clear message and a documented exit code. */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<number | undefined>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      process.exitCode = code ?? ExitCode.OK;
    } catch (e) {
      process.exitCode = reportError(e);
    }
  };
}

/**
 * Print an error that ended a command and return its exit code: one mapping (core/errors.ts
 * exitCodeFor + describeError) for the CLI, the TUI and the migration flow. A preflight lists
 * every failed check; a bug (errorKind 'fatal') says so and where the details are.
 */
export function reportError(e: unknown, debug = Boolean(process.env.OSSMIGRATE_DEBUG)): number {
  const code = exitCodeFor(e);
  if (e instanceof PreflightError) {
    process.stderr.write('preflight failed; nothing was written:\n');
    for (const p of e.problems.filter((x) => x.severity === 'error'))
      process.stderr.write(`${problemLine(p)}\n`);
    return code;
  }
  const { message, fix } = describeError(e);
  if (errorKind(e) !== 'fatal') {
    process.stderr.write(maskRedisUrls(`error: ${message}\n${fix ? `  fix: ${fix}\n` : ''}`));
    return code;
  }
  process.stderr.write(
    maskRedisUrls(`internal error: ${message}\n  (a bug: the job log in the work dir has details)\n`),
  );
  if (debug) process.stderr.write(maskRedisUrls(`${(e as Error)?.stack}\n`));
  return code;
}

/** Ask yes/no on the terminal; without one, `fallback` (and say how to answer non-interactively). */
export async function confirm(question: string, o: { yes?: boolean; fallback: boolean }): Promise<boolean> {
  if (o.yes) return true;
  if (!process.stdin.isTTY || !process.stderr.isTTY) return o.fallback;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const a = (await rl.question(`${question} [Y/n] `)).trim().toLowerCase();
    return a === '' || a === 'y' || a === 'yes';
  } finally {
    rl.close();
  }
}

export { Workspace };

/** Said when a submit replaced a job that had copied nothing (see JobSession.submit). */
export function replacedNote(name: string): string {
  return `note: job "${name}" had copied nothing yet: its earlier definition is replaced by this one`;
}
