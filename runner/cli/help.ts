/**
 * What `--help` adds to commander's defaults, as rclone's and s5cmd's help do: worked examples
 * for every command, the time formats where a command takes times, where credentials come from,
 * and the exit codes (from EXIT_CODE_HELP, the one table). Each command's summary and description
 * live beside its options in commands/*.ts; test/e2e/help.test.ts parses every example here with
 * the real program, so an example naming a flag that does not exist fails the build.
 */
import type { Command } from 'commander';
import { EXIT_CODE_HELP } from '../core/exitCodes.ts';

/** One worked example: a command line as a user types it (no shell operators) and what it does. */
export type Example = { cmd: string; what: string };

/** Examples per command name, in the order they are shown. Every registered command needs some. */
export const EXAMPLES: Record<string, readonly Example[]> = {
  tui: [
    {
      what: 'drive the whole migration phase by phase, provisioning with Pulumi',
      cmd: 'ossmigrate tui job.yaml --infra pulumi --stack prod --deadline-days 7',
    },
    { what: 'rehearse the flow against the local emulators', cmd: 'ossmigrate tui --infra sandbox' },
    {
      what: 'the same with a local fleet of workers',
      cmd: 'ossmigrate tui job.yaml --infra sandbox --queue redis://127.0.0.1:6379 --journal-dir /tmp/journals',
    },
  ],
  migrate: [
    {
      what: 'CI / cron: every phase against the local emulators, confirming cutover and teardown',
      cmd: 'ossmigrate migrate job.yaml --infra sandbox --yes',
    },
    {
      what: 'up to the cutover with Pulumi; it stops there (exit 6) until you confirm',
      cmd: 'ossmigrate migrate job.yaml --infra pulumi --stack prod --json',
    },
    {
      what: 'the business now uses OSS: record T2, copy the rest, verify',
      cmd: 'ossmigrate migrate --infra pulumi --confirm-cutover media',
    },
    {
      what: 'and remove the fleet and the mirror rule',
      cmd: 'ossmigrate migrate --infra pulumi --confirm-teardown',
    },
  ],
  import: [
    {
      what: 'full copy of what the job file describes, then verify and report',
      cmd: 'ossmigrate import job.yaml',
    },
    { what: 'an ossimport job as it is', cmd: 'ossmigrate import job.cfg --sys sys.properties' },
    {
      what: 'incremental phase: what changed since T1, up to now',
      cmd: 'ossmigrate import job.yaml --since 2026-11-20T08:00:00+08:00 --until now',
    },
    {
      what: 'no job file, unattended, capped at 200 Mbit/s',
      cmd: 'ossmigrate import --src cos://media-1250000000/photos/ --src-region ap-guangzhou --dst oss://media/photos/ --dst-region cn-hangzhou --bwlimit 200Mbit/s --yes',
    },
  ],
  plan: [
    {
      what: 'survey the source; fleet size for a 7-day deadline at 100 Mbit/s a machine',
      cmd: 'ossmigrate plan job.yaml --days 7 --mbps 100',
    },
    {
      what: 'what changed since T1 (unix seconds, as ossimport writes it)',
      cmd: 'ossmigrate plan job.yaml --since 1795318245',
    },
    {
      what: 'from flags, as NDJSON (Pulumi reads it as ossmigrate:surveyFile), with egress cost',
      cmd: 'ossmigrate plan --src cos://media-1250000000/ --src-region ap-guangzhou --dst oss://media/ --dst-region cn-hangzhou --egress-price 0.5 --json',
    },
  ],
  submit: [
    { what: 'validate and register a job; `ossmigrate start` runs it', cmd: 'ossmigrate submit job.yaml' },
    {
      what: "an ossimport standalone job (2.3.x zip's local_job.cfg)",
      cmd: 'ossmigrate submit local_job.cfg --sys sys.properties --workdir /var/lib/ossmigrate',
    },
    {
      what: 'a job file with flags on top',
      cmd: 'ossmigrate submit job.yaml --concurrency 64 --bwlimit "08:00,100M 23:00,off"',
    },
  ],
  start: [
    { what: 'run the submitted job in the foreground', cmd: 'ossmigrate start' },
    { what: 'in the background, answering yes to the retry prompt', cmd: 'ossmigrate start --detach --yes' },
    {
      what: 'one job of several, without the verification',
      cmd: 'ossmigrate start --job media --workdir /var/lib/ossmigrate --no-verify',
    },
  ],
  stat: [
    { what: 'progress of the only job in ./.ossmigrate', cmd: 'ossmigrate stat' },
    { what: 'one job, machine-readable', cmd: 'ossmigrate stat --job media --json' },
    {
      what: 'a fleet: per-worker table',
      cmd: 'ossmigrate stat --workdir /var/lib/ossmigrate --queue redis://10.0.0.5:6379/0',
    },
  ],
  retry: [
    { what: 'copy the failed objects again, then verify', cmd: 'ossmigrate retry' },
    { what: 'without the verification, as NDJSON', cmd: 'ossmigrate retry --no-verify --json' },
  ],
  verify: [
    { what: 'compare source and destination (writes check.txt)', cmd: 'ossmigrate verify' },
    { what: 'one job, machine-readable', cmd: 'ossmigrate verify --job media --json' },
  ],
  report: [
    { what: 'the report of the latest pass', cmd: 'ossmigrate report' },
    {
      what: 'a given pass (ids are listed by `ossmigrate stat`)',
      cmd: 'ossmigrate report --pass full-20261120T000000Z',
    },
    { what: 'as NDJSON', cmd: 'ossmigrate report --json' },
  ],
  stop: [
    { what: 'finish the objects in flight, then stop (`start` resumes)', cmd: 'ossmigrate stop' },
    { what: 'stop at once', cmd: 'ossmigrate stop --now' },
  ],
  limit: [
    { what: 'cap the running job (the whole fleet) at 50 MB/s', cmd: 'ossmigrate limit 50M' },
    {
      what: 'a timetable: 10 MB/s in business hours, unlimited at night',
      cmd: 'ossmigrate limit "08:00,10M 23:00,off"',
    },
    { what: "back to the job file's setting", cmd: 'ossmigrate limit job' },
    { what: 'hold every transfer where it is (`--resume` continues)', cmd: 'ossmigrate limit --pause' },
  ],
  worker: [
    {
      what: 'a worker on a fleet machine (the queue from the environment)',
      cmd: 'OSSMIGRATE_REDIS_URL=redis://10.0.0.5:6379/0 ossmigrate worker --workdir /var/lib/ossmigrate --concurrency 16',
    },
    {
      what: 'a local worker for a rehearsal',
      cmd: 'ossmigrate worker --redis redis://127.0.0.1:6379 --workdir /tmp/w1 --tasks 2',
    },
  ],
  clean: [
    { what: 'forget the only job in ./.ossmigrate (asks first)', cmd: 'ossmigrate clean' },
    { what: 'one job, without asking', cmd: 'ossmigrate clean --job media --yes' },
  ],
  sandbox: [
    {
      what: 'emulators with a demo COS bucket; prints one JSON line, runs until Ctrl-C',
      cmd: 'ossmigrate sandbox --seed demo',
    },
    {
      what: 'fixed ports, bodies on disk',
      cmd: 'ossmigrate sandbox --oss-port 9000 --cos-port 9001 --data-dir /tmp/emu',
    },
  ],
};

/** The root help's examples: the path a new user takes. */
export const ROOT_EXAMPLES: readonly Example[] = [
  {
    what: 'try it without a cloud account: local OSS and COS emulators',
    cmd: 'ossmigrate sandbox --seed demo',
  },
  { what: 'survey the source, copying nothing', cmd: 'ossmigrate plan job.yaml --days 7' },
  { what: 'migrate: preflight, copy, verify, report', cmd: 'ossmigrate import job.yaml' },
  {
    what: 'coming from ossimport: its job file as it is',
    cmd: 'ossmigrate import job.cfg --sys sys.properties',
  },
];

/** What runner/core/units.ts parseTime accepts (the test parses each example with it). */
export const TIME_EXAMPLES = [
  '2026-11-20T08:00:00+08:00',
  '2026-11-20',
  '1795318245',
  '1795318245000',
  'now',
];

const TIME_FORMATS = [
  'Times (--since T1, --until T2):',
  `  ${TIME_EXAMPLES[0]}   ISO 8601; without an offset, local time`,
  `  ${TIME_EXAMPLES[1]}                  a date: local midnight`,
  `  ${TIME_EXAMPLES[2]}                  unix seconds (ossimport's importSince)`,
  `  ${TIME_EXAMPLES[3]}               unix milliseconds`,
  `  ${TIME_EXAMPLES[4]}                         the moment the command starts`,
].join('\n');

const CREDENTIALS = [
  'Credentials (never on the command line; the environment wins over the file):',
  '  OSS   ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET [, ALIBABA_CLOUD_SECURITY_TOKEN]',
  '        (or OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET)',
  '  COS   TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY [, TENCENTCLOUD_SECURITY_TOKEN]',
  '  file  --credentials FILE, $OSSMIGRATE_CREDENTIALS or ~/.ossmigrate/credentials.yaml (chmod 600):',
  '        oss: {accessKeyId, accessKeySecret}, cos: {secretId, secretKey}, source-oss: {…}',
  "  An ossimport job.cfg's inline keys (srcAccessKey…) are used when neither has them.",
  '  Fleet: the Redis password only in $OSSMIGRATE_REDIS_PASSWORD.',
].join('\n');

function exitCodes(): string {
  return ['Exit codes:', ...Object.entries(EXIT_CODE_HELP).map(([code, text]) => `  ${code}  ${text}`)].join(
    '\n',
  );
}

function examples(list: readonly Example[]): string {
  return ['Examples:', ...list.flatMap((e) => [`  # ${e.what}`, `  $ ${e.cmd}`])].join('\n');
}

const hasOption = (cmd: Command, long: string) => cmd.options.some((o) => o.long === long);

/**
 * Add the examples, time formats, credentials and exit codes to the help of the program and of
 * each command. Throws for a command without examples (caught by the help test, never by users).
 */
export function applyHelp(program: Command): void {
  program.addHelpText(
    'after',
    [
      '',
      examples(ROOT_EXAMPLES),
      '',
      TIME_FORMATS,
      '',
      CREDENTIALS,
      '',
      exitCodes(),
      '',
      'Each command: ossmigrate COMMAND --help. In the checkout: README.md (the playbook) and docs/ (a page per',
      'command, the job file, environment variables, exit codes).',
    ].join('\n'),
  );
  for (const cmd of program.commands) {
    const list = EXAMPLES[cmd.name()];
    if (!list?.length) throw new Error(`command ${cmd.name()} has no examples in runner/cli/help.ts`);
    const parts = ['', examples(list)];
    if (hasOption(cmd, '--since')) parts.push('', TIME_FORMATS);
    parts.push('');
    if (hasOption(cmd, '--credentials'))
      parts.push(
        'Credentials: ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET (OSS), TENCENTCLOUD_SECRET_ID/_KEY (COS), or a file',
        '(--credentials FILE, default ~/.ossmigrate/credentials.yaml); details: ossmigrate --help.',
      );
    parts.push('Exit codes (0 success, 2 usage, 3 preflight, 4 failed objects, …): ossmigrate --help.');
    cmd.addHelpText('after', parts.join('\n'));
  }
}
