/**
 * `ossmigrate migrate`: the whole migration — plan, provision, full, verify, mirror, cutover,
 * incremental, final verify, report, teardown — headless, for CI and cron. The same orchestrator
 * as the TUI (runner/app/migration); its questions are answered by flags:
 *   resume / start / retry   answered as --yes would (resume the saved job; retry once per phase)
 *   cutover                  --confirm-cutover BUCKET (the destination bucket) or --yes
 *   teardown                 --confirm-teardown or --yes
 * Without the confirmation it stops at that phase (exit 6) and says which flag continues; the
 * next run resumes there. --json: the orchestrator's events as NDJSON on stdout, then one
 * summary line. Also exports what `ossmigrate tui` (tui/command.ts) shares with it: the flags and
 * the wiring of a migration (session, reset, infra driver, Pulumi settings).
 */
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { sourceStackConfig as StackConfigOf } from '../../adapters/infra/pulumi.ts';
import { maskRedisUrls } from '../../adapters/queue/redisConnection.ts';
import type { JobSession } from '../../app/jobService.ts';
import { cutoverModeFor } from '../../app/migration/cutoverMode.ts';
import { autoAnswerer, type MigrationDeps, runMigration } from '../../app/migration/orchestrator.ts';
import { PHASE_INFO, phaseNumber } from '../../app/migration/phases.ts';
import { ProgressFile } from '../../app/migration/progressFile.ts';
import type { Answer, Ask, InfraKind, MigrationEvent, Outcome } from '../../app/migration/types.ts';
import { ConfigError } from '../../core/errors.ts';
import { ExitCode } from '../../core/exitCodes.ts';
import { abortUploadsOf } from '../../engine/multipartCopy.ts';
import { onOutputGone } from '../closedOutput.ts';
import { applyOptions, JOBFILE_ARGUMENT } from '../options.ts';
import {
  action,
  Console,
  credentialsFor,
  type Definition,
  definitionFrom,
  type GlobalOptions,
  openSession,
  submitSession,
  Workspace,
} from '../shared.ts';

export type MigrationFlags = GlobalOptions & {
  infra: string;
  stack: string;
  deadlineDays: string;
  mbps: string;
  yes?: boolean;
};

export const INFRA = ['pulumi', 'sandbox', 'none'] as const;

function positive(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`${flag} must be a positive number, not "${v}"`);
  return n;
}

/** The flags `tui` and `migrate` share (the job's, and what provisions and sizes the fleet): the options table's rows for the command. */
export function migrationOptions(cmd: Command): Command {
  return applyOptions(cmd.argument(...JOBFILE_ARGUMENT));
}

export type PreparedMigration = {
  infra: InfraKind;
  /** Everything the orchestrator needs but the hooks (the demo's business). */
  deps: MigrationDeps;
  /** The job's definition when one was given (a job file or --src/--dst); else resumed by name. */
  def: Definition | undefined;
};

/**
 * Checks the flags and wires a migration: writes nothing (the job is submitted when the
 * orchestrator opens it, after the resume question). `who` names the command in errors.
 */
export async function prepareMigration(
  file: string | undefined,
  o: MigrationFlags & Record<string, never>,
  who: string,
  /** Checks of the caller's own that come before the job is read (the TUI's terminal check). */
  before?: () => void,
): Promise<PreparedMigration> {
  if (!(INFRA as readonly string[]).includes(o.infra))
    throw new ConfigError(`--infra ${o.infra}: unknown`, `use one of: ${INFRA.join(', ')}`);
  const infra = o.infra as InfraKind;
  const deadlineDays = positive(o.deadlineDays, '--deadline-days');
  const mbps = positive(o.mbps, '--mbps');
  before?.();
  let def: Definition | undefined = file || o.src ? await definitionFrom(file, o) : undefined;
  if (def?.spec.window.since || def?.spec.window.until)
    throw new ConfigError(
      `${who} sets T1 (the full copy) and T2 (the cutover) itself`,
      'drop --since/--until (and window: from the job file); for a single incremental pass use ossmigrate import --since',
    );
  const ws = new Workspace(o.workdir);
  const name = def?.spec.name ?? o.job ?? (await ws.resolveJob(undefined));
  const creds = await credentialsFor(o, def?.credentials);
  // A source the stack cannot take (local, http-list, upyun, oss) is refused before anything is
  // written; a resumed job's source is checked when its session opens (makeDriver).
  // Loaded for the infra asked for only: the sandbox driver brings ali-oss and the Pulumi one
  // execa, which every other command (import, start, …) would otherwise load at start.
  const { SandboxDriver } = infra === 'sandbox' ? await import('../../adapters/infra/sandbox.ts') : {};
  const { PulumiCliDriver, sourceStackConfig } =
    infra === 'pulumi' ? await import('../../adapters/infra/pulumi.ts') : {};
  if (sourceStackConfig && def) sourceStackConfig(def.spec.source, creds);
  const open = (): Promise<JobSession> =>
    // Registered only once its preflight passes (as import does): a typo in the job writes
    // nothing, and the corrected job runs under the same name. The plan phase shows the problems.
    def
      ? submitSession(o, def, { ...(file ? { file } : {}), preflight: () => {} })
      : openSession({ ...o, job: name }, {});
  const reset = async () => {
    const s = await open();
    try {
      def ??= { spec: s.spec, credentials: {}, auditOnly: false, notes: [] };
      // Unfinished uploads cost storage until aborted; they are the job's own.
      const { dst } = await s.getStores();
      for (const cp of await s.state.allMultipart()) await abortUploadsOf(dst, cp);
    } finally {
      await s.close();
    }
    await ws.removeJob(name);
  };
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const deps: MigrationDeps = {
    job: name,
    workdir: ws.root,
    open,
    reset,
    progressFile: new ProgressFile(ws.jobDir(name)),
    infraKind: infra,
    deadlineDays,
    mbpsPerInstance: mbps,
    makeDriver: (session) => {
      if (SandboxDriver)
        return SandboxDriver.fromJob(session.spec, creds, {
          withoutMirror: cutoverModeFor(session.spec).kind === 'freeze',
        });
      if (!PulumiCliDriver || !sourceStackConfig) return undefined;
      sourceStackConfig(session.spec.source, creds);
      return new PulumiCliDriver({ stack: o.stack, cwd: root, baseEnv: process.env });
    },
    // The Pulumi stack takes its settings from the job (sourceStackConfig); the sandbox needs the fleet size only.
    provisionOptions: (plan, session) =>
      infra === 'pulumi'
        ? pulumiSettings(
            plan.survey.bytes,
            deadlineDays,
            mbps,
            sourceStackConfig!(session.spec.source, creds),
            session,
          )
        : { mirror: false, ...(session.spec.queue ? {} : { fleetSize: 0 }) },
  };
  return { infra, deps, def };
}

type StackSource = ReturnType<typeof StackConfigOf>;

/** Stack settings for `pulumi up` from the job and the plan (Pulumi.yaml declares the keys). */
function pulumiSettings(bytes: number, days: number, mbps: number, source: StackSource, session: JobSession) {
  return {
    settings: {
      destBucket: session.spec.destination.bucket,
      destPrefix: session.spec.destination.prefix,
      ...source.settings,
      dataTB: String(bytes / 1e12),
      days: String(days),
      mbpsPerInstance: Math.round(mbps),
    },
    // Secrets go to `pulumi config set --secret` on stdin, never on a command line.
    secrets: source.secrets,
    // A standalone job is copied by this machine: no workers to pay for.
    ...(session.spec.queue ? {} : { fleetSize: 0 }),
    mirror: false,
  };
}

/**
 * One NDJSON line. The infra outputs carry the queue's redis:// URL with its password (the
 * orchestrator watches the queue through it): masked, as everywhere the CLI prints.
 */
export function ndjson(x: unknown): string {
  return `${maskRedisUrls(JSON.stringify(x))}\n`;
}

type MigrateFlags = MigrationFlags & { confirmCutover?: string; confirmTeardown?: boolean };

function cutoverMismatch(given: string, bucket: string): ConfigError {
  return new ConfigError(
    `--confirm-cutover ${given}: this job's destination bucket is ${bucket}`,
    `confirm with the destination bucket: --confirm-cutover ${bucket}`,
  );
}

/** A confirmation the flags did not give: which phase waits, and the flag that continues it. */
type Held = { phase: 'cutover' | 'teardown'; flag: string; line: string };

/** The orchestrator's questions, answered from the flags. */
function flagAnswerer(o: MigrateFlags, onHeld: (h: Held) => void): (q: Ask) => Answer {
  const auto = autoAnswerer();
  return (q) => {
    if (q.kind === 'cutover') {
      if (o.confirmCutover !== undefined && o.confirmCutover !== q.expect)
        throw cutoverMismatch(o.confirmCutover, q.expect);
      if (o.yes || o.confirmCutover === q.expect) return 'yes';
      const flag = `--confirm-cutover ${q.expect}`;
      onHeld({
        phase: 'cutover',
        flag,
        line: q.freeze
          ? `the cutover waits for you (${q.freeze}): stop the business's writes to the source, then run this command again with ${flag} — it records T2, runs the final incremental and says when to switch to oss://${q.bucket}`
          : `the cutover waits for you: switch the business to oss://${q.bucket}, then run this command again with ${flag} (it records T2 and resumes there)`,
      });
      return 'quit';
    }
    if (q.kind === 'teardown') {
      if (o.yes || o.confirmTeardown) return 'yes';
      onHeld({
        phase: 'teardown',
        flag: '--confirm-teardown',
        line: `the teardown waits for you: it removes ${q.removes.join(', ')} and keeps ${q.keeps.join(', ')}; run this command again with --confirm-teardown`,
      });
      return 'quit';
    }
    return auto(q);
  };
}

/** Readable lines on stderr for the orchestrator's events (engine events through the CLI's Console). */
function humanLines(con: Console): (e: MigrationEvent) => void {
  const say = (line: string) => con.say(maskRedisUrls(line));
  // The survey's progress counts nothing the operator waits for (the TUI hides it too).
  let surveying = false;
  return (e) => {
    switch (e.type) {
      case 'init':
        if (e.job)
          say(`job ${e.job.name}: ${e.job.source} → ${e.job.destination} (work dir ${e.job.workdir})`);
        if (e.saved?.done.length) say(`resuming: ${e.saved.done.length} of 10 phases done`);
        break;
      case 'phase-start':
        say(`[${phaseNumber(e.phase)}/10] ${PHASE_INFO[e.phase].title}`);
        break;
      case 'phase-done':
        say(`  ✓ ${e.detail ?? 'done'}`);
        break;
      case 'phase-skip':
        say(`  – skipped: ${e.reason}`);
        break;
      case 'phase-failed':
        say(`  ✗ ${e.message}${e.fix ? `\n    fix: ${e.fix}` : ''}`);
        break;
      case 'phase-stopped':
        say('  ■ stopped');
        break;
      case 'plan-ready':
        say(`  fleet: ${e.plan.sizing.explanation}`);
        for (const w of e.plan.sizing.warnings) say(`  ! ${w}`);
        break;
      case 'window':
        if (e.t1) say(`  T1 = ${e.t1}`);
        if (e.t2) say(`  T2 = ${e.t2}`);
        break;
      case 'infra-check':
        if (!e.check.ok) say(`infra: ${e.check.problem}`);
        break;
      case 'infra-line':
        say(`  infra: ${e.line}`);
        break;
      case 'log':
        say(
          `${e.level === 'info' ? '' : e.level === 'warn' ? '! ' : '✗ '}${e.source ? `${e.source}: ` : ''}${e.text}`,
        );
        break;
      case 'engine':
        if (e.event.type === 'pass') surveying = e.event.mode === 'plan';
        if (surveying && e.event.type === 'progress') break;
        con.event(e.event);
        break;
      case 'report':
        say(`  report: ${e.report.dir}/report.txt`);
        break;
      default:
        break;
    }
  };
}

export function register(program: Command): void {
  migrationOptions(program.command('migrate'))
    .summary('the whole migration, headless: plan … cutover … teardown (CI, cron)')
    .description(
      'The whole migration, phase by phase, without a terminal: plan, provision, full copy, verify, mirror on, cutover (T2), incremental, final verify, report, teardown — the flow of `ossmigrate tui`, resuming the job in progress. The irreversible steps need their flag: --confirm-cutover BUCKET and --confirm-teardown (or --yes for both); without it the run stops there (exit 6) and the next run resumes at that phase.',
    )
    .action(
      action(async (file: string | undefined, o: MigrateFlags & Record<string, never>) => {
        const { infra, deps, def } = await prepareMigration(file, o, 'ossmigrate migrate');
        const bucket = def?.spec.destination.bucket;
        if (o.confirmCutover !== undefined && bucket !== undefined && o.confirmCutover !== bucket)
          throw cutoverMismatch(o.confirmCutover, bucket);
        // Resumed by name: the bucket is known once the job is open (nothing done before).
        const open = deps.open;
        deps.open = async () => {
          const s = await open();
          const b = s.spec.destination.bucket;
          if (o.confirmCutover !== undefined && o.confirmCutover !== b) {
            await s.close();
            throw cutoverMismatch(o.confirmCutover, b);
          }
          return s;
        };
        const con = new Console({ json: false });
        const human = humanLines(con);
        const json = (x: unknown) => void process.stdout.write(ndjson(x));
        const emit = (e: MigrationEvent) => {
          if (o.json) json(e);
          human(e);
        };
        let held: Held | undefined;
        const answer = flagAnswerer(o, (h) => {
          held = h;
          con.say(h.line);
        });
        const soft = new AbortController();
        const hard = new AbortController();
        const onSignal = () => {
          if (!soft.signal.aborted) {
            con.say('stopping: the objects in flight finish, the job is kept (again to stop now)');
            soft.abort();
          } else hard.abort(new Error('stopped'));
        };
        for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, onSignal);
        // `migrate … | head`: the reader going away stops the migration as SIGTERM does.
        const offGone = onOutputGone(onSignal);
        let outcome: Outcome;
        try {
          outcome = await runMigration(deps, {
            emit,
            soft: soft.signal,
            hard: hard.signal,
            ask: async (q) => {
              if (soft.signal.aborted) return 'quit';
              const a = answer(q);
              if (o.json) json({ type: 'answered', ask: q.kind, answer: a });
              else if (a !== 'quit' && (q.kind === 'cutover' || q.kind === 'teardown'))
                con.say(
                  `  ${o.yes ? '--yes' : q.kind === 'cutover' ? '--confirm-cutover' : '--confirm-teardown'}: ${q.kind} confirmed`,
                );
              return a;
            },
          });
        } finally {
          for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, onSignal);
          offGone();
          con.done();
        }
        if (outcome.status === 'done')
          con.say(
            outcome.exitCode === 0
              ? 'migration complete.'
              : `migration finished with problems (exit code ${outcome.exitCode}).`,
          );
        else if (outcome.status === 'stopped')
          con.say(`stopped: ${outcome.message ?? ''}${held ? `\n  continue with: ${held.flag}` : ''}`);
        // A usage error reads as the CLI's others do ("error: …", exit 2).
        else
          con.say(
            `${outcome.exitCode === ExitCode.USAGE ? 'error' : 'failed'}: ${outcome.message ?? ''}${outcome.fix ? `\n  fix: ${outcome.fix}` : ''}`,
          );
        if (outcome.report) con.say(`report: ${outcome.report}/report.txt`);
        if (o.json)
          json({
            type: 'summary',
            infra,
            ...outcome,
            ...(held ? { waitingFor: held.phase, continueWith: held.flag } : {}),
          });
        else if (outcome.report) process.stdout.write(`${outcome.report}\n`);
        return outcome.exitCode;
      }),
    );
}
