/**
 * The one options table: every flag of every command, every environment variable ossmigrate
 * reads, and the job-file key a flag stands for, with its default and help. Commander's options
 * are generated from it (applyOptions), the flags' environment defaults are read through it
 * (commander reads them while parsing argv, at the entry point), FLAG_OF (which flag set which
 * job key, for error messages) is derived from it, and docs/commands/*.md + docs/environment.md
 * are generated from it (scripts/docs.ts). test/docs/options.test.ts fails when a flag, a
 * variable or a doc exists in one place and not the others.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';

/** Every job command (they take --workdir, --job, --json, --credentials, --queue, --journal-dir). */
export const JOB_COMMANDS = [
  'tui',
  'migrate',
  'import',
  'plan',
  'submit',
  'start',
  'stat',
  'retry',
  'verify',
  'report',
  'stop',
  'limit',
  'clean',
] as const;
/** The commands that take a job definition ([jobfile] and/or --src/--dst …). */
export const DEFINITION_COMMANDS = ['tui', 'migrate', 'import', 'plan', 'submit'] as const;
/** Every command: for variables read whatever the command. */
export const ALL_COMMANDS = '*';

export type OptionRow = {
  /** Commander's flags ('-y, --yes', '--workdir <dir>'); absent for a variable with no flag. */
  flags?: string;
  /** The environment variable, if any. */
  env?: string;
  /**
   * Who reads the variable: 'flag' — commander, as the flag's default, when it parses argv (the
   * entry point); otherwise the module that reads it (documented; the lead hands these down).
   */
  envReadBy?: 'flag' | string;
  /** The job-file key the flag sets or overrides (YAML path). */
  jobPath?: string;
  /** Commander's default value. */
  default?: string | number | boolean;
  /** The default in words, where no value says it (docs and help). */
  defaultText?: string;
  help: string;
  /** The commands it applies to ('*': every command). */
  commands: readonly string[] | typeof ALL_COMMANDS;
  /** Parser (commander calls it outside the command's error boundary: throw InvalidArgumentError). */
  parse?: (value: string, previous: unknown) => unknown;
  /** The command refuses to run without it (commander's mandatory option). */
  required?: boolean;
  /** Holds a secret: never as a flag, never printed. */
  secret?: boolean;
  /** Set by ossmigrate itself (bin/ossmigrate.js re-executing); listed so nobody wonders. */
  internal?: boolean;
};

/**
 * An option parser for a whole number ≥ 1. Commander calls parsers outside the command's error
 * boundary: it must throw commander's InvalidArgumentError (→ a usage error, exit 2), never ours.
 */
export function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`Use a whole number of 1 or more, e.g. ${flag} 16.`);
  return n;
}

/** --listers: 1-64 key ranges (more only hammers one prefix's listing; the job file allows 256). */
export const MAX_LISTERS_FLAG = 64;
export function listersCount(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < 1 || n > MAX_LISTERS_FLAG)
    throw new InvalidArgumentError(
      `Use a whole number from 1 to ${MAX_LISTERS_FLAG}, e.g. --listers 16 (or listing.listers in the job file).`,
    );
  return n;
}

const int = (flag: string) => (v: string) => positiveInt(v, flag);
const num = (v: string) => Number(v);

const REDIS_URL_HELP = 'redis://host:6379/0 or rediss:// (TLS)';

export const OPTIONS: readonly OptionRow[] = [
  // ---- the job definition (import, submit, plan, tui) ----------------------------------------
  {
    flags: '--sys <file>',
    help: 'ossimport sys.properties to read with a job.cfg',
    commands: DEFINITION_COMMANDS,
  },
  {
    flags: '--src <url>',
    help: 'source: cos://BUCKET-APPID/prefix/, oss://BUCKET/prefix/, azure://ACCOUNT/CONTAINER/prefix/ or local:///path/',
    jobPath: 'source',
    commands: DEFINITION_COMMANDS,
  },
  {
    flags: '--dst <url>',
    help: 'destination: oss://BUCKET/prefix/',
    jobPath: 'destination',
    commands: DEFINITION_COMMANDS,
  },
  {
    flags: '--src-region <region>',
    help: 'source region (COS: ap-guangzhou; OSS: cn-hangzhou; S3: us-east-1); replaces the job file’s',
    jobPath: 'source.region',
    commands: DEFINITION_COMMANDS,
  },
  {
    flags: '--dst-region <region>',
    help: 'destination OSS region, e.g. cn-hangzhou; replaces the job file’s',
    jobPath: 'destination.region',
    commands: DEFINITION_COMMANDS,
  },
  {
    flags: '--src-endpoint <url>',
    help: 'source endpoint (e.g. the sandbox; UpYun: https://v0.api.upyun.com by default); replaces the job file’s',
    jobPath: 'source.endpoint',
    commands: DEFINITION_COMMANDS,
  },
  {
    flags: '--src-provider <name>',
    help: 'S3 source provider: aws, qiniu, bos, ks3, obs, minio, r2 or other (endpoint pattern, addressing, listing); replaces the job file’s',
    jobPath: 'source.provider',
    commands: DEFINITION_COMMANDS,
  },
  {
    flags: '--dst-endpoint <url>',
    help: 'destination endpoint (e.g. the sandbox); replaces the job file’s',
    jobPath: 'destination.endpoint',
    commands: DEFINITION_COMMANDS,
  },
  {
    flags: '--since <time>',
    help: 'T1: copy only objects modified since (the incremental phase)',
    jobPath: 'window.since',
    commands: DEFINITION_COMMANDS,
  },
  {
    flags: '--until <time>',
    help: 'T2: … and up to this time (cutover); default: when the pass starts',
    jobPath: 'window.until',
    commands: DEFINITION_COMMANDS,
  },
  {
    flags: '--concurrency <n>',
    help: 'connections in flight',
    jobPath: 'transfer.concurrency',
    parse: int('--concurrency'),
    commands: DEFINITION_COMMANDS,
  },
  {
    flags: '--bwlimit <rate>',
    help: 'bandwidth limit or timetable, e.g. 20M, 200Mbit/s, "08:00,10M 23:00,off"',
    jobPath: 'bandwidth.limit',
    commands: DEFINITION_COMMANDS,
  },
  {
    flags: '--listers <n>',
    help: 'key ranges a flat prefix is split into and listed in parallel, 1-64 (default: transfer.concurrency / 4, 2-16)',
    jobPath: 'listing.listers',
    parse: (v: string) => listersCount(v),
    commands: DEFINITION_COMMANDS,
  },
  {
    flags: '--inventory <manifest>',
    help: 'scan from a bucket inventory instead of LIST: oss://BUCKET/…/manifest.json, cos://BUCKET/…/manifest.json, or a local manifest.json',
    jobPath: 'listing.inventory',
    commands: DEFINITION_COMMANDS,
  },
  {
    flags: '--client-crc',
    help: 'hash CRC-64 on this machine too; by default a COS/OSS source is proven by OSS’s CRC-64 of the bytes it stored equalling the source’s',
    jobPath: 'transfer.clientCrc',
    commands: DEFINITION_COMMANDS,
  },

  // ---- every job command -------------------------------------------------------------------
  {
    flags: '--workdir <dir>',
    env: 'OSSMIGRATE_WORKDIR',
    envReadBy: 'flag',
    default: '.ossmigrate',
    help: 'work dir holding job state, journals and reports',
    commands: JOB_COMMANDS,
  },
  {
    flags: '--job <name>',
    help: 'job name (default: the only job in the work dir)',
    jobPath: 'name',
    commands: JOB_COMMANDS,
  },
  {
    flags: '--json',
    help: 'print NDJSON events on stdout (the last line is the summary)',
    commands: JOB_COMMANDS,
  },
  {
    flags: '--credentials <file>',
    env: 'OSSMIGRATE_CREDENTIALS',
    envReadBy: 'flag',
    defaultText: '~/.ossmigrate/credentials.yaml, when it exists',
    help: 'credentials file (YAML, chmod 600); default ~/.ossmigrate/credentials.yaml',
    commands: JOB_COMMANDS,
  },
  {
    flags: '--queue <url>',
    env: 'OSSMIGRATE_REDIS_URL',
    envReadBy: 'runner/cli/shared.ts (fleetSettings)',
    jobPath: 'queue.url',
    help: `fleet mode: the Redis queue, ${REDIS_URL_HELP} (default $OSSMIGRATE_REDIS_URL; password in $OSSMIGRATE_REDIS_PASSWORD)`,
    commands: JOB_COMMANDS,
  },
  {
    flags: '--journal-dir <dir>',
    env: 'OSSMIGRATE_JOURNAL_DIR',
    envReadBy: 'runner/fleet/journalLocation.ts',
    help: 'fleet mode: a journal directory every worker mounts (default $OSSMIGRATE_JOURNAL_DIR, or the OSS prefix of $OSSMIGRATE_CONTROL_BUCKET)',
    commands: JOB_COMMANDS,
  },

  // ---- tui and migrate (the ten-phase flow) ---------------------------------------------------
  {
    flags: '--infra <kind>',
    default: 'pulumi',
    help: 'what provisions the bucket, mirror rule and fleet: pulumi | sandbox | none',
    commands: ['tui'],
  },
  {
    flags: '--infra <kind>',
    required: true,
    help: 'what provisions the bucket, mirror rule and fleet: pulumi | sandbox | none (required: a headless run says what it drives)',
    commands: ['migrate'],
  },
  {
    flags: '--stack <name>',
    env: 'OSSMIGRATE_STACK',
    envReadBy: 'flag',
    default: 'prod',
    help: 'Pulumi stack (with --infra pulumi)',
    commands: ['tui', 'migrate'],
  },
  {
    flags: '--deadline-days <n>',
    default: '7',
    help: 'deadline for the full copy, in days (sizes the fleet)',
    commands: ['tui', 'migrate'],
  },

  // ---- plan --------------------------------------------------------------------------------
  { flags: '--days <n>', default: '7', help: 'deadline for the full copy, in days', commands: ['plan'] },
  {
    flags: '--mbps <n>',
    default: '100',
    help: 'Mbit/s one machine sustains; 100 is the pay-as-you-go public bandwidth cap of an ECS worker (ossimport quotes 200)',
    commands: ['plan', 'tui', 'migrate'],
  },
  {
    flags: '--egress-price <cny-per-gb>',
    help: 'source egress price per GB, for a cost line (e.g. COS internet egress)',
    commands: ['plan'],
  },

  // ---- prompts and the flow (import, start, retry, clean, tui) -------------------------------
  {
    flags: '-y, --yes',
    help: 'answer yes to prompts (retry failed objects once) — for unattended runs',
    commands: ['import'],
  },
  { flags: '-y, --yes', help: 'answer yes to prompts (retry failed objects once)', commands: ['start'] },
  { flags: '-y, --yes', help: 'do not ask for confirmation', commands: ['clean'] },
  {
    flags: '-y, --yes',
    help: 'unattended: confirm every step, cutover and teardown included',
    commands: ['tui'],
  },
  {
    flags: '-y, --yes',
    help: 'answer every question: resume, start, retry once, cutover and teardown included',
    commands: ['migrate'],
  },
  {
    flags: '--confirm-cutover <bucket>',
    help: 'confirm the cutover (the business now uses OSS; T2 is recorded): the destination bucket, as a check',
    commands: ['migrate'],
  },
  {
    flags: '--confirm-teardown',
    help: 'confirm the teardown (fleet, queue and mirror rule removed; buckets and data kept)',
    commands: ['migrate'],
  },
  {
    flags: '--no-verify',
    help: 'skip the verification after the copy',
    commands: ['import', 'start'],
  },
  { flags: '--no-verify', help: 'skip the verification after the retry', commands: ['retry'] },
  {
    flags: '--deep',
    jobPath: 'verify.deep',
    help: 'HEAD every object on both sides (as before the ledger join) instead of trusting the copy ledger where size and ETag are unchanged',
    commands: ['verify'],
  },
  { flags: '--no-retry', help: 'do not offer to retry failed objects', commands: ['import'] },
  {
    flags: '--detach',
    help: 'run in the background; follow it with `ossmigrate stat`, stop it with `ossmigrate stop`',
    commands: ['start'],
  },

  // ---- report ------------------------------------------------------------------------------
  { flags: '--pass <id>', help: 'a specific pass (see `ossmigrate stat`)', commands: ['report'] },
  {
    flags: '--html',
    default: true,
    help: 'name (and write, when missing) the self-contained report.html with charts (default)',
    commands: ['report'],
  },
  { flags: '--no-html', help: 'text only: do not write or name report.html', commands: ['report'] },
  {
    flags: '--objects',
    help: "print the pass's per-object ledger instead (NDJSON, one line per object, from the compressed journals)",
    commands: ['report'],
  },
  {
    flags: '--open',
    env: 'BROWSER',
    envReadBy: 'runner/cli/commands/report.ts (openInBrowser)',
    help: 'open report.html in a browser ($BROWSER, else xdg-open)',
    commands: ['report'],
  },

  // ---- stop, limit -------------------------------------------------------------------------
  {
    flags: '--now',
    help: 'stop at once (multipart uploads resume from their last finished part)',
    commands: ['stop'],
  },
  { flags: '--pause', help: 'hold every transfer where it is', commands: ['limit'] },
  { flags: '--resume', help: 'continue paused transfers', commands: ['limit'] },

  // ---- worker ------------------------------------------------------------------------------
  {
    flags: '--redis <url>',
    env: 'OSSMIGRATE_REDIS_URL',
    envReadBy: 'runner/fleet/worker.ts',
    help: 'the fleet queue (default: $OSSMIGRATE_REDIS_URL; password: $OSSMIGRATE_REDIS_PASSWORD)',
    commands: ['worker'],
  },
  {
    flags: '--workdir <dir>',
    env: 'OSSMIGRATE_WORKDIR',
    envReadBy: 'flag',
    default: '.ossmigrate',
    help: 'where the worker keeps its log',
    commands: ['worker'],
  },
  {
    flags: '--concurrency <n>',
    jobPath: 'transfer.concurrency',
    help: 'object transfers in flight (default: the job file’s transfer.concurrency)',
    parse: int('--concurrency'),
    commands: ['worker'],
  },
  { flags: '--tasks <n>', default: 4, help: 'tasks in flight', parse: int('--tasks'), commands: ['worker'] },
  {
    flags: '--journal-dir <dir>',
    env: 'OSSMIGRATE_JOURNAL_DIR',
    envReadBy: 'runner/fleet/journalLocation.ts',
    help: 'shared journal directory, if the coordinator did not name one (tests, NFS)',
    commands: ['worker'],
  },
  {
    flags: '--drain-timeout <seconds>',
    default: 240,
    help: 'after SIGTERM, let tasks run this long before stopping them between objects',
    parse: int('--drain-timeout'),
    commands: ['worker'],
  },
  { flags: '--json', help: 'print lifecycle events as NDJSON on stdout', commands: ['worker'] },

  // ---- sandbox -----------------------------------------------------------------------------
  { flags: '--seed <set>', default: 'none', help: 'seed the COS bucket: demo | none', commands: ['sandbox'] },
  {
    flags: '--source <type>',
    default: 'cos',
    help: 'the source the printed import command reads: cos | s3 (the COS emulator through its S3 API) | azure (Azurite, seeded like COS)',
    commands: ['sandbox'],
  },
  {
    flags: '--data-dir <dir>',
    help: 'keep object bodies on disk here instead of in memory',
    commands: ['sandbox'],
  },
  {
    flags: '--oss-port <port>',
    help: 'OSS emulator port (default: a free one)',
    parse: num,
    commands: ['sandbox'],
  },
  {
    flags: '--cos-port <port>',
    help: 'COS emulator port (default: a free one)',
    parse: num,
    commands: ['sandbox'],
  },
  {
    flags: '--restore-delay <ms>',
    default: 2000,
    help: 'how long an archive restore takes',
    parse: num,
    commands: ['sandbox'],
  },

  // ---- variables with no flag --------------------------------------------------------------
  {
    env: 'OSSMIGRATE_CREDENTIALS',
    envReadBy: 'runner/config/credentials.ts',
    help: 'the credentials file a worker reads (YAML, chmod 600)',
    commands: ['worker'],
  },
  {
    env: 'OSSMIGRATE_REDIS_PASSWORD',
    envReadBy: 'runner/adapters/queue/redisConnection.ts',
    secret: true,
    help: 'fleet mode: the Redis password (only here: a password in argv is world-readable in /proc)',
    commands: ALL_COMMANDS,
  },
  {
    env: 'OSSMIGRATE_REDIS_USERNAME',
    envReadBy: 'runner/adapters/queue/redisConnection.ts',
    help: 'fleet mode: the Redis ACL user name',
    commands: ALL_COMMANDS,
  },
  {
    env: 'OSSMIGRATE_REDIS_CA_FILE',
    envReadBy: 'runner/adapters/queue/redisConnection.ts',
    help: 'fleet mode, rediss://: a PEM file of CA certificates to trust as well',
    commands: ALL_COMMANDS,
  },
  {
    env: 'OSSMIGRATE_CONTROL_BUCKET',
    envReadBy: 'runner/fleet/journalLocation.ts',
    help: 'fleet mode: keep the journals in this OSS bucket (cloud workers carry it; set by the Pulumi stack)',
    commands: ALL_COMMANDS,
  },
  {
    env: 'OSSMIGRATE_JOURNAL_PREFIX',
    envReadBy: 'runner/fleet/journalLocation.ts',
    default: 'journals/',
    help: 'fleet mode: the prefix of the journals in $OSSMIGRATE_CONTROL_BUCKET',
    commands: ALL_COMMANDS,
  },
  {
    env: 'OSSMIGRATE_OSS_ENDPOINT',
    envReadBy: 'runner/adapters/factory.ts, runner/fleet/journals.ts',
    help: "fleet workers: the OSS endpoint to use instead of the job's (the region's internal one; set by the Pulumi stack)",
    commands: ['worker'],
  },
  {
    env: 'OSSMIGRATE_LOCK_MS',
    envReadBy: 'runner/adapters/queue/bullQueue.ts',
    default: 30_000,
    help: 'fleet mode: how long a worker holds a task lease between renewals (ms)',
    commands: ALL_COMMANDS,
  },
  {
    env: 'OSSMIGRATE_STALLED_MS',
    envReadBy: 'runner/adapters/queue/bullQueue.ts',
    default: 15_000,
    help: 'fleet mode: how often the queue looks for tasks whose worker died (ms)',
    commands: ALL_COMMANDS,
  },
  {
    env: 'OSSMIGRATE_MAX_STALLED',
    envReadBy: 'runner/adapters/queue/bullQueue.ts',
    default: 20,
    help: 'fleet mode: how many times a task may lose its worker before it fails',
    commands: ALL_COMMANDS,
  },
  {
    env: 'OSSMIGRATE_TASK_ATTEMPTS',
    envReadBy: 'runner/adapters/queue/bullQueue.ts',
    default: 3,
    help: 'fleet mode: attempts of a task that throws (a failed object is not a throw)',
    commands: ALL_COMMANDS,
  },
  {
    env: 'OSSMIGRATE_TASK_BACKOFF_MS',
    envReadBy: 'runner/adapters/queue/bullQueue.ts',
    default: 5_000,
    help: 'fleet mode: wait before a task that threw is attempted again (ms, exponential)',
    commands: ALL_COMMANDS,
  },
  {
    env: 'OSSMIGRATE_LOG_LEVEL',
    envReadBy: 'runner/app/logger.ts',
    default: 'info',
    help: "the job log's level (pino: trace, debug, info, warn, error, silent)",
    commands: ALL_COMMANDS,
  },
  {
    env: 'OSSMIGRATE_DEBUG',
    envReadBy: 'runner/cli/shared.ts (reportError)',
    help: 'any value: an internal error (exit 1) prints its stack trace too',
    commands: ALL_COMMANDS,
  },
  {
    env: 'OSSMIGRATE_REEXEC',
    envReadBy: 'bin/ossmigrate.js',
    internal: true,
    help: "set to 1 when bin/ossmigrate.js re-executes itself with the project's Node (stops a loop)",
    commands: ALL_COMMANDS,
  },
  {
    env: 'OSSMIGRATE_FLAGS',
    envReadBy: 'bin/ossmigrate.js',
    internal: true,
    help: 'set to 0 when bin/ossmigrate.js re-executes itself with the Node flags it needs (stops a loop); 0 also skips that step',
    commands: ALL_COMMANDS,
  },
  // Credentials: the vendors' own variables (runner/config/credentials.ts); never a flag.
  {
    env: 'ALIBABA_CLOUD_ACCESS_KEY_ID',
    envReadBy: 'runner/config/credentials.ts',
    help: 'OSS AccessKey id (or OSS_ACCESS_KEY_ID)',
    commands: ALL_COMMANDS,
  },
  {
    env: 'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
    envReadBy: 'runner/config/credentials.ts',
    secret: true,
    help: 'OSS AccessKey secret (or OSS_ACCESS_KEY_SECRET)',
    commands: ALL_COMMANDS,
  },
  {
    env: 'ALIBABA_CLOUD_SECURITY_TOKEN',
    envReadBy: 'runner/config/credentials.ts',
    secret: true,
    help: 'OSS STS token, with a temporary key (or OSS_SESSION_TOKEN)',
    commands: ALL_COMMANDS,
  },
  {
    env: 'TENCENTCLOUD_SECRET_ID',
    envReadBy: 'runner/config/credentials.ts',
    help: 'COS SecretId',
    commands: ALL_COMMANDS,
  },
  {
    env: 'TENCENTCLOUD_SECRET_KEY',
    envReadBy: 'runner/config/credentials.ts',
    secret: true,
    help: 'COS SecretKey',
    commands: ALL_COMMANDS,
  },
  {
    env: 'TENCENTCLOUD_SECURITY_TOKEN',
    envReadBy: 'runner/config/credentials.ts',
    secret: true,
    help: 'COS STS token, with a temporary key (or TENCENTCLOUD_TOKEN)',
    commands: ALL_COMMANDS,
  },
  {
    env: 'UPYUN_OPERATOR',
    envReadBy: 'runner/config/credentials.ts',
    help: 'UpYun operator authorized on the service (upyun:// sources)',
    commands: ALL_COMMANDS,
  },
  {
    env: 'UPYUN_PASSWORD',
    envReadBy: 'runner/config/credentials.ts',
    secret: true,
    help: 'UpYun operator password',
    commands: ALL_COMMANDS,
  },
  {
    env: 'AZURE_STORAGE_CONNECTION_STRING',
    envReadBy: 'runner/config/credentials.ts',
    secret: true,
    help: 'Azure source: a storage connection string (AccountName, AccountKey or SharedAccessSignature, BlobEndpoint)',
    commands: ALL_COMMANDS,
  },
  {
    env: 'AZURE_STORAGE_ACCOUNT',
    envReadBy: 'runner/config/credentials.ts',
    help: 'Azure source: the storage account name, with AZURE_STORAGE_KEY (or AZURE_STORAGE_SAS_TOKEN)',
    commands: ALL_COMMANDS,
  },
  {
    env: 'AZURE_STORAGE_KEY',
    envReadBy: 'runner/config/credentials.ts',
    secret: true,
    help: 'Azure source: the account key (shared key)',
    commands: ALL_COMMANDS,
  },
  {
    env: 'AZURE_STORAGE_SAS_TOKEN',
    envReadBy: 'runner/config/credentials.ts',
    secret: true,
    help: 'Azure source: a SAS token granting read and list (sp=rl), without the leading "?"',
    commands: ALL_COMMANDS,
  },
  {
    env: 'AWS_ACCESS_KEY_ID',
    envReadBy: 'runner/config/credentials.ts',
    help: 'S3 source access key id (any S3-compatible provider)',
    commands: ALL_COMMANDS,
  },
  {
    env: 'AWS_SECRET_ACCESS_KEY',
    envReadBy: 'runner/config/credentials.ts',
    secret: true,
    help: 'S3 source secret access key',
    commands: ALL_COMMANDS,
  },
  {
    env: 'AWS_SESSION_TOKEN',
    envReadBy: 'runner/config/credentials.ts',
    secret: true,
    help: 'S3 session token, with a temporary key',
    commands: ALL_COMMANDS,
  },
  {
    env: 'AWS_PROFILE',
    envReadBy: 'runner/config/credentials.ts',
    help: 'profile of the AWS shared credentials file for the S3 source (default: "default")',
    commands: ALL_COMMANDS,
  },
  {
    env: 'AWS_SHARED_CREDENTIALS_FILE',
    envReadBy: 'runner/config/credentials.ts',
    help: 'the AWS shared credentials file (default ~/.aws/credentials)',
    commands: ALL_COMMANDS,
  },
];

/** Does the row apply to this command? */
export const appliesTo = (row: OptionRow, command: string): boolean =>
  row.commands === ALL_COMMANDS || row.commands.includes(command);

/** The long flag of a row ('--workdir'), or undefined for a variable with no flag. */
export function longFlag(row: OptionRow): string | undefined {
  return row.flags ? /--[a-z0-9-]+/.exec(row.flags)?.[0] : undefined;
}

/** The rows with a flag for a command, in table order. */
export function flagRows(command: string): OptionRow[] {
  return OPTIONS.filter((r) => r.flags && r.commands !== ALL_COMMANDS && r.commands.includes(command));
}

/** A commander Option for a row: its help, default, parser and (read while parsing) its variable. */
export function toOption(row: OptionRow): Option {
  if (!row.flags) throw new Error(`options table: ${row.env} has no flag`);
  const o = new Option(row.flags, row.help);
  if (row.parse) o.argParser(row.parse);
  if (row.default !== undefined) o.default(row.default);
  if (row.env && row.envReadBy === 'flag') o.env(row.env);
  if (row.required) o.makeOptionMandatory();
  return o;
}

/**
 * Add the table's options for this command (by its name), in table order. A flag the command
 * already has is left alone, so a command not yet in the table can still call it.
 */
export function applyOptions(cmd: Command, command: string = cmd.name()): Command {
  for (const row of flagRows(command))
    if (!cmd.options.some((o) => o.long === longFlag(row))) cmd.addOption(toOption(row));
  return cmd;
}

/** `[jobfile]`: the argument every definition command takes. */
export const JOBFILE_ARGUMENT = [
  '[jobfile]',
  'job file: ossmigrate YAML, or an ossimport job.cfg / local_job.cfg',
] as const;

const camel = (flag: string) =>
  flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Which flag (commander's property name) overrides which job key, so a validation message names
 * what the user typed: the definition flags that replace one key, and --job (the name).
 */
export const FLAG_OF: Readonly<Record<string, string>> = Object.fromEntries(
  OPTIONS.filter((r) => r.flags && r.commands === DEFINITION_COMMANDS && (r.jobPath?.includes('.') || false))
    .concat(OPTIONS.filter((r) => r.jobPath === 'name'))
    .map((r) => [r.jobPath!, camel(longFlag(r)!)]),
);
