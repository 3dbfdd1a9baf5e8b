// InfraDriver over the `pulumi` CLI (execa). The CLI must be installed on the operator's machine;
// this file only shells out to it. Conventions:
//  - every command gets `--stack <stack> --non-interactive`, so nothing prompts;
//  - secrets go to `pulumi config set --secret <key>` on stdin, never on a command line (argv is
//    visible to every local user and lands in shell history / audit logs);
//  - progress lines stream to onOutput; an AbortSignal sends SIGINT (Pulumi's graceful cancel,
//    which records a checkpoint) and SIGKILL if it has not exited after `killGraceMs`.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Credentials } from '../../config/credentials.ts';
import type { JobSpec } from '../../config/job.ts';
import { ConfigError, InfraError } from '../../core/errors.ts';
import type {
  InfraCheck,
  InfraDriver,
  InfraOutputs,
  ProvisionOptions,
  RunOptions,
} from '../../ports/infra.ts';
import { parseInfraOutputs } from './outputs.ts';

export const NAMESPACE = 'ossmigrate';
export const INSTALL_FIX =
  'install it: curl -fsSL https://get.pulumi.com | sh (macOS: brew install pulumi/tap/pulumi; Windows: ' +
  'winget install pulumi), then open a new shell — https://www.pulumi.com/docs/iac/download-install/';

export interface PulumiCliDriverOptions {
  /** Stack name, e.g. "prod" or "org/ossmigrate/prod". */
  stack: string;
  /** Directory holding Pulumi.yaml (the repository root). */
  cwd?: string;
  /** The CLI to run; default `pulumi` from PATH. */
  pulumiCommand?: string;
  /**
   * The environment the CLI inherits (the entry point passes process.env: PATH, HOME, the
   * provider's credentials). The driver reads no environment of its own.
   */
  baseEnv?: Record<string, string | undefined>;
  /** Extra environment (e.g. PULUMI_CONFIG_PASSPHRASE_FILE, ALICLOUD_ACCESS_KEY). */
  env?: Record<string, string>;
  /** Grace period between SIGINT and SIGKILL on abort. */
  killGraceMs?: number;
}

interface RunResult {
  stdout: string;
  stderr: string;
}

const KEY = /^([a-z][a-z0-9-]*:)?[A-Za-z][A-Za-z0-9]*$/;

function fullKey(key: string): string {
  if (!KEY.test(key)) throw new InfraError(`"${key}" is not a config key`);
  return key.includes(':') ? key : `${NAMESPACE}:${key}`;
}

function tail(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

/** Stack settings for a job's source: plain keys, and secret keys (set with --secret, on stdin). */
export type SourceStackConfig = {
  settings: Record<string, string>;
  secrets: Record<string, string>;
};

// Sources the Pulumi program has no block for: why, and what to do instead. One line each.
const NOT_A_STACK_SOURCE: Record<string, [string, string]> = {
  local: [
    'a local source is on this machine, where the cloud workers cannot read it',
    'use --infra none (this machine copies it), or put the data in a bucket first',
  ],
  'http-list': [
    'an http-list source is a URL list file on this machine, which the cloud workers cannot read',
    'use --infra none (this machine copies it)',
  ],
  upyun: [
    'the Pulumi stack has no UpYun source (its workers and mirror rule know cos, s3 and azure)',
    'use --infra none (this machine copies it; add `ossmigrate worker` processes for a fleet)',
  ],
  oss: [
    'the source is already OSS: the Pulumi stack provisions a fleet for cos, s3 and azure sources',
    'use --infra none (an OSS-to-OSS copy runs from this machine or workers you start)',
  ],
};

/**
 * Maps the job's source onto the stack's keys (Pulumi.yaml: sourceType and the cos*, s3* or
 * azure* block), every key of the block set so a stale value from an earlier job cannot survive.
 * Refuses a source the program has no block for, or credentials it cannot use, with a ConfigError
 * (exit 2) naming the fix — before anything is touched.
 */
export function sourceStackConfig(source: JobSpec['source'], creds: Credentials): SourceStackConfig {
  const refuse = NOT_A_STACK_SOURCE[source.type];
  if (refuse) throw new ConfigError(`--infra pulumi: ${refuse[0]}`, refuse[1]);
  switch (source.type) {
    case 'cos': {
      const k = creds.cos;
      if (!k)
        throw new ConfigError(
          'the fleet and the mirror rule need the COS key',
          'export TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY',
        );
      longLived(k.securityToken, 'TENCENTCLOUD_SECURITY_TOKEN', 'TENCENTCLOUD_SECRET_ID/_KEY');
      return {
        settings: {
          sourceType: 'cos',
          cosBucket: source.bucket,
          cosRegion: source.region,
          cosPrefix: source.prefix,
        },
        secrets: { cosSecretId: k.secretId, cosSecretKey: k.secretKey },
      };
    }
    case 's3': {
      const k = creds.s3;
      if (!k)
        throw new ConfigError(
          'the fleet and the mirror rule need the S3 key',
          'export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)',
        );
      longLived(k.sessionToken, 'AWS_SESSION_TOKEN', 'AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY');
      return {
        settings: {
          sourceType: 's3',
          s3Provider: source.provider,
          s3Bucket: source.bucket,
          s3Region: source.region ?? '',
          s3Endpoint: source.endpoint ?? '',
          s3Prefix: source.prefix,
          s3ForcePathStyle: source.forcePathStyle === undefined ? '' : String(source.forcePathStyle),
        },
        // The id is not secret, but it travels with its secret: encrypted like it, off argv.
        secrets: { s3AccessKeyId: k.accessKeyId, s3SecretAccessKey: k.secretAccessKey },
      };
    }
    case 'azure': {
      const key = azureAccountKey(creds, source.account);
      return {
        settings: {
          sourceType: 'azure',
          azureAccount: source.account,
          azureContainer: source.container,
          azurePrefix: source.prefix,
          azureEndpoint: source.endpoint ?? '',
        },
        secrets: { azureKey: key },
      };
    }
  }
  throw new ConfigError(`--infra pulumi: unknown source type`, 'use --infra none');
}

// Workers run for days and the mirror rule for weeks: a session token expires under them.
function longLived(token: string | undefined, variable: string, keys: string): void {
  if (token)
    throw new ConfigError(
      `--infra pulumi: the source credentials carry ${variable} (temporary); the workers and the mirror rule need a long-lived key`,
      `unset ${variable} and export a long-lived ${keys} (read-only on the source is enough)`,
    );
}

/** The storage account key (a shared key, or the AccountKey of a connection string); a SAS cannot be stored. */
function azureAccountKey(creds: Credentials, account: string): string {
  const a = creds.azure;
  const fromString = a?.connectionString && /(?:^|;)\s*AccountKey=([^;]+)/i.exec(a.connectionString)?.[1];
  const key = a?.accountKey ?? (fromString || undefined);
  const named =
    a?.accountName ??
    (a?.connectionString && /(?:^|;)\s*AccountName=([^;]+)/i.exec(a.connectionString)?.[1]) ??
    undefined;
  if (key && named && named !== account)
    throw new ConfigError(
      `the Azure credentials are for account "${named}", but the source names account "${account}"`,
      `export AZURE_STORAGE_ACCOUNT=${account} and that account's AZURE_STORAGE_KEY`,
    );
  if (!key)
    throw new ConfigError(
      a?.sasToken
        ? '--infra pulumi: the workers need the storage account key; a SAS token expires and the stack cannot hold one'
        : 'the fleet needs the Azure storage account key',
      `export AZURE_STORAGE_ACCOUNT=${account} and AZURE_STORAGE_KEY=<key> (Storage account → Access keys)`,
    );
  return key;
}

export class PulumiCliDriver implements InfraDriver {
  readonly kind = 'pulumi' as const;
  readonly stack: string;
  readonly cwd: string;
  readonly command: string;
  private readonly env: Record<string, string | undefined>;
  private readonly killGraceMs: number;

  constructor(o: PulumiCliDriverOptions) {
    if (!o.stack) throw new InfraError('PulumiCliDriver needs a stack name');
    this.stack = o.stack;
    this.cwd = o.cwd ?? process.cwd();
    this.command = o.pulumiCommand ?? 'pulumi';
    // No update-check chatter in the TUI's log.
    this.env = { ...o.baseEnv, PULUMI_SKIP_UPDATE_CHECK: 'true', ...o.env };
    this.killGraceMs = o.killGraceMs ?? 30_000;
  }

  async check(): Promise<InfraCheck> {
    let version: string;
    try {
      version = (await this.run(['version'], { stack: false })).stdout.trim();
    } catch (err) {
      if (err instanceof CliMissingError) {
        return { ok: false, problem: 'the pulumi CLI is not installed or not on PATH', fix: INSTALL_FIX };
      }
      return {
        ok: false,
        problem: `\`${this.command} version\` failed: ${(err as Error).message}`,
        fix: INSTALL_FIX,
      };
    }

    let backend: { user?: string; url?: string };
    try {
      backend = JSON.parse((await this.run(['whoami', '--json'], { stack: false })).stdout) as typeof backend;
    } catch (err) {
      return {
        ok: false,
        problem: `not logged in to a Pulumi state backend (${firstLine((err as Error).message)})`,
        fix: 'pulumi login (Pulumi Cloud, or set PULUMI_ACCESS_TOKEN), or a self-managed backend: pulumi login --local',
      };
    }

    let stacks: Array<{ name?: string }> = [];
    try {
      stacks = JSON.parse(
        (await this.run(['stack', 'ls', '--json'], { stack: false })).stdout,
      ) as typeof stacks;
    } catch (err) {
      return {
        ok: false,
        problem: `cannot list stacks: ${firstLine((err as Error).message)}`,
        fix: 'pulumi stack ls',
      };
    }
    const short = this.stack.split('/').at(-1);
    if (!stacks.some((s) => s.name === this.stack || s.name?.split('/').at(-1) === short)) {
      return {
        ok: false,
        problem: `stack "${this.stack}" does not exist in ${backend.url ?? 'the current backend'}`,
        fix: `pulumi stack init ${this.stack} && pulumi config set --stack ${this.stack} alicloud:region cn-hangzhou && pulumi config set --stack ${this.stack} ${NAMESPACE}:destBucket <bucket>`,
      };
    }

    // Self-managed backends default to passphrase secrets; without it every command fails.
    const cloud = /^https:\/\/(api|app)\.pulumi\.com/.test(backend.url ?? '');
    const stackFile = join(this.cwd, `Pulumi.${short}.yaml`);
    const usesPassphrase = existsSync(stackFile) && /^encryptionsalt:/m.test(readFileSync(stackFile, 'utf8'));
    if (
      !cloud &&
      usesPassphrase &&
      !this.env.PULUMI_CONFIG_PASSPHRASE &&
      !this.env.PULUMI_CONFIG_PASSPHRASE_FILE
    ) {
      return {
        ok: false,
        problem: `stack "${this.stack}" encrypts its secrets with a passphrase, and PULUMI_CONFIG_PASSPHRASE is not set`,
        fix: 'export PULUMI_CONFIG_PASSPHRASE_FILE=<file holding the passphrase> (or PULUMI_CONFIG_PASSPHRASE)',
      };
    }
    return {
      ok: true,
      detail: `${version}; backend ${backend.url ?? '?'}${backend.user ? ` as ${backend.user}` : ''}; stack ${this.stack}`,
    };
  }

  /** `pulumi config set [--secret] ossmigrate:<key> …`; secret values travel on stdin only. */
  async setConfig(key: string, value: string | number | boolean, o: { secret?: boolean } & RunOptions = {}) {
    const k = fullKey(key);
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new InfraError(`${k} must be a finite number`);
    const text = String(value);
    if (o.secret) {
      await this.run(['config', 'set', '--secret', '--', k], { ...o, input: text });
    } else {
      await this.run(['config', 'set', '--', k, text], o);
    }
  }

  async provision(o: ProvisionOptions = {}): Promise<InfraOutputs> {
    if (o.fleetSize !== undefined) assertFleetSize(o.fleetSize);
    for (const [k, v] of Object.entries(o.settings ?? {})) await this.setConfig(k, v, o);
    for (const [k, v] of Object.entries(o.secrets ?? {})) await this.setConfig(k, v, { ...o, secret: true });
    if (o.fleetSize !== undefined) await this.setConfig('fleetSize', o.fleetSize, o);
    if (o.mirror !== undefined) await this.setConfig('mirror', o.mirror, o);
    await this.up(o);
    return this.outputs();
  }

  async setMirror(enabled: boolean, o: RunOptions = {}): Promise<InfraOutputs> {
    await this.setConfig('mirror', enabled, o);
    await this.up(o);
    return this.outputs();
  }

  async setFleetSize(n: number, o: RunOptions = {}): Promise<InfraOutputs> {
    assertFleetSize(n);
    await this.setConfig('fleetSize', n, o);
    await this.up(o);
    return this.outputs();
  }

  async outputs(): Promise<InfraOutputs> {
    // --show-secrets: the TUI needs the queue URL; parseInfraOutputs drops every other secret.
    const { stdout } = await this.run(['stack', 'output', '--json', '--show-secrets']);
    let json: unknown;
    try {
      json = JSON.parse(stdout);
    } catch {
      throw new InfraError(
        `\`pulumi stack output --json\` printed something that is not JSON: ${tail(stdout, 3)}`,
      );
    }
    if (json && typeof json === 'object' && Object.keys(json).length === 0) {
      throw new InfraError(`stack "${this.stack}" has no outputs yet`, 'provision it first (pulumi up)');
    }
    return parseInfraOutputs(json, `outputs of stack "${this.stack}"`);
  }

  async teardown(o: RunOptions = {}): Promise<void> {
    // Buckets carry retainOnDelete: destroy drops them from state and leaves them, with the data, in OSS.
    await this.run(['destroy', '--yes', '--skip-preview'], o);
  }

  private async up(o: RunOptions): Promise<void> {
    await this.run(['up', '--yes', '--skip-preview'], o);
  }

  private async run(
    args: string[],
    o: RunOptions & { input?: string; stack?: boolean } = {},
  ): Promise<RunResult> {
    const argv = [
      ...args,
      ...(o.stack === false ? [] : ['--stack', this.stack]),
      '--non-interactive',
      '--color',
      'never',
    ];
    const sub = execa(this.command, argv, {
      cwd: this.cwd,
      env: this.env,
      extendEnv: false,
      input: o.input ?? '',
      all: true,
      reject: false,
      stripFinalNewline: false,
      ...(o.signal && { cancelSignal: o.signal }),
      killSignal: 'SIGINT',
      forceKillAfterDelay: this.killGraceMs,
    });
    if (o.onOutput) {
      const onOutput = o.onOutput;
      try {
        for await (const line of sub.iterable({ from: 'all' })) onOutput(line);
      } catch {
        // The result below carries the failure (spawn error, cancel); iteration errors add nothing.
      }
    }
    const r = await sub;
    const label = `pulumi ${args
      .filter((a) => !a.startsWith('-'))
      .slice(0, 2)
      .join(' ')}`;
    if (r.failed) {
      if ((r as { code?: string }).code === 'ENOENT') throw new CliMissingError(this.command);
      if (r.isCanceled) throw new InfraError(`${label} was cancelled`);
      const stderr = tail(String(r.stderr ?? ''), 20);
      // Pulumi prints resource errors to stdout; keep those lines too.
      const stdoutErrors = String(r.stdout ?? '')
        .split('\n')
        .filter((l) => /error/i.test(l))
        .slice(-10)
        .join('\n');
      const detail = [stderr, stdoutErrors].filter(Boolean).join('\n') || r.shortMessage;
      throw new InfraError(`${label} failed (exit code ${r.exitCode ?? '?'}):\n${detail}`);
    }
    return { stdout: String(r.stdout), stderr: String(r.stderr) };
  }
}

class CliMissingError extends InfraError {
  constructor(command: string) {
    super(`the pulumi CLI is not installed or not on PATH (tried "${command}")`, INSTALL_FIX);
    this.name = 'CliMissingError';
  }
}

function assertFleetSize(n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new InfraError(`fleet size must be a whole number ≥ 0 (got ${n})`);
}

function firstLine(s: string): string {
  return s.split('\n').find((l) => l.trim() !== '') ?? s;
}
