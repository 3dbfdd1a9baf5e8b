import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { JobSession } from '../../app/jobService.ts';
import { ConfigError } from '../../core/errors.ts';
import { applyOptions, JOBFILE_ARGUMENT } from '../options.ts';
import {
  action,
  credentialsFor,
  type Definition,
  definitionFrom,
  type GlobalOptions,
  openSession,
  submitSession,
  Workspace,
} from '../shared.ts';

type TuiOptions = GlobalOptions & {
  infra: string;
  stack: string;
  deadlineDays: string;
  mbps: string;
  yes?: boolean;
};

const INFRA = ['pulumi', 'sandbox', 'none'] as const;

/**
 * The TUI's modules (ink, react, the infra drivers) load at run time, from the checkout: the
 * import is not a string literal, so the fleet bundle (infra/bundle.ts) leaves them out.
 */
async function load<T>(path: string): Promise<T> {
  const url = new URL(path, import.meta.url);
  try {
    return (await import(url.href)) as T;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_MODULE_NOT_FOUND' && err.message.includes(fileURLToPath(url)))
      throw new ConfigError(
        'the TUI is not part of this build (the fleet bundle leaves it out)',
        'run it from a checkout: npm install && npx ossmigrate tui',
      );
    throw e;
  }
}

function positive(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`${flag} must be a positive number, not "${v}"`);
  return n;
}

/**
 * `ossmigrate tui` (and `ossmigrate` alone in a terminal): the Ink UI that drives a migration
 * through every phase — plan, provision, full, verify, mirror, cutover, incremental, final
 * verify, report, teardown — and resumes the job in progress on the next start.
 * Without a terminal it refuses (exit 2) unless --yes: then it runs every phase unattended with
 * plain progress lines (the cutover and teardown confirmations need someone to type them).
 */
export function register(program: Command): void {
  applyOptions(program.command('tui').argument(...JOBFILE_ARGUMENT))
    .summary('the terminal UI: drive a migration phase by phase')
    .description(
      'The terminal UI: drive a migration phase by phase (plan … cutover … teardown), resuming the job in progress. `ossmigrate` alone in a terminal opens it. --infra says what provisions the bucket, mirror rule and fleet (pulumi, the local sandbox, or none).',
    )
    .action(
      action(async (file: string | undefined, o: TuiOptions & Record<string, never>) => {
        if (!(INFRA as readonly string[]).includes(o.infra))
          throw new ConfigError(`--infra ${o.infra}: unknown`, `use one of: ${INFRA.join(', ')}`);
        const infra = o.infra as (typeof INFRA)[number];
        const deadlineDays = positive(o.deadlineDays, '--deadline-days');
        const mbps = positive(o.mbps, '--mbps');
        const tty = Boolean(process.stdin.isTTY && process.stderr.isTTY);
        if (!tty && !o.yes) {
          throw new ConfigError(
            'ossmigrate tui asks before the irreversible steps (cutover, teardown), and there is no terminal to ask on',
            'run it in a terminal; or add --yes to run every phase unattended with plain progress lines; or drive one phase at a time with ossmigrate import / verify',
          );
        }
        let def: Definition | undefined = file || o.src ? await definitionFrom(file, o) : undefined;
        if (def?.spec.window.since || def?.spec.window.until)
          throw new ConfigError(
            'the TUI sets T1 (the full copy) and T2 (the cutover) itself',
            'drop --since/--until (and window: from the job file); for a single incremental pass use ossmigrate import --since',
          );
        const ws = new Workspace(o.workdir);
        const name = def?.spec.name ?? o.job ?? (await ws.resolveJob(undefined));
        const creds = await credentialsFor(o, def?.credentials);
        const open = (): Promise<JobSession> =>
          def ? submitSession(o, def) : openSession({ ...o, job: name }, {});
        const reset = async () => {
          const s = await open();
          try {
            def ??= { spec: s.spec, credentials: {}, auditOnly: false, notes: [] };
            // Unfinished uploads cost storage until aborted; they are the job's own.
            const { dst } = await s.getStores();
            for (const cp of await s.state.allMultipart())
              await dst.multipartAbort?.(cp.dstKey, cp.uploadId).catch(() => {});
          } finally {
            await s.close();
          }
          await ws.removeJob(name);
        };
        const [{ runTui }, { runMigration }, { ProgressFile }, { SandboxDriver }, { PulumiCliDriver }] =
          await Promise.all([
            load<typeof import('../../../tui/main.tsx')>('../../../tui/main.tsx'),
            load<typeof import('../../../tui/hooks/runner.ts')>('../../../tui/hooks/runner.ts'),
            load<typeof import('../../../tui/hooks/progressFile.ts')>('../../../tui/hooks/progressFile.ts'),
            load<typeof import('../../../tui/infra/sandbox.ts')>('../../../tui/infra/sandbox.ts'),
            load<typeof import('../../../tui/infra/pulumi.ts')>('../../../tui/infra/pulumi.ts'),
          ]);
        const root = fileURLToPath(new URL('../../../', import.meta.url));
        const outcome = await runTui(
          (io) =>
            runMigration(
              {
                job: name,
                workdir: ws.root,
                open,
                reset,
                progressFile: new ProgressFile(ws.jobDir(name)),
                infraKind: infra,
                deadlineDays,
                mbpsPerInstance: mbps,
                makeDriver: (session) =>
                  infra === 'sandbox'
                    ? SandboxDriver.fromJob(session.spec, creds)
                    : infra === 'pulumi'
                      ? new PulumiCliDriver({ stack: o.stack, cwd: root })
                      : undefined,
                provisionOptions: (plan, session) =>
                  pulumiSettings(plan.survey.bytes, deadlineDays, mbps, session, creds),
              },
              io,
            ),
          { infra, yes: Boolean(o.yes), tty },
        );
        return outcome.exitCode;
      }),
    );
}

/** Stack settings for `pulumi up` from the job and the plan (Pulumi.yaml declares the keys). */
function pulumiSettings(
  bytes: number,
  days: number,
  mbps: number,
  session: JobSession,
  creds: Awaited<ReturnType<typeof credentialsFor>>,
) {
  const s = session.spec.source;
  if (s.type !== 'cos')
    throw new ConfigError('the Pulumi program migrates from COS', 'use --infra none for other sources');
  if (!creds.cos)
    throw new ConfigError(
      'the fleet and the mirror rule need the COS key',
      'export TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY',
    );
  return {
    settings: {
      destBucket: session.spec.destination.bucket,
      destPrefix: session.spec.destination.prefix,
      cosBucket: s.bucket,
      cosRegion: s.region,
      cosPrefix: s.prefix,
      dataTB: String(bytes / 1e12),
      days: String(days),
      mbpsPerInstance: Math.round(mbps),
    },
    // Secrets go to `pulumi config set --secret` on stdin, never on a command line.
    secrets: { cosSecretId: creds.cos.secretId, cosSecretKey: creds.cos.secretKey },
    // A standalone job is copied by this machine: no workers to pay for.
    ...(session.spec.queue ? {} : { fleetSize: 0 }),
    mirror: false,
  };
}
