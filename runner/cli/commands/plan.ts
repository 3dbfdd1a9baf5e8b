import type { Command } from 'commander';
import { makeStores } from '../../adapters/factory.ts';
import { type JobSession, PreflightError, type Stores, surveySource } from '../../app/jobService.ts';
import { jobMirrorSupport } from '../../app/planMirror.ts';
import { preflightSource } from '../../app/preflight.ts';
import type { JobSpec } from '../../config/job.ts';
import { ConfigError, describeError, IncompleteError } from '../../core/errors.ts';
import { ExitCode } from '../../core/exitCodes.ts';
import { type MirrorSupport, mirrorLines } from '../../core/mirrorSupport.ts';
import { sizeFleet, sizingWarnings } from '../../core/sizing.ts';
import { estimateSeconds, SIZE_BUCKET_LABELS, type Survey } from '../../core/survey.ts';
import { formatBytes, formatDuration } from '../../core/units.ts';
import { applyOptions, JOBFILE_ARGUMENT } from '../options.ts';
import {
  action,
  Console,
  credentialsFor,
  definitionFrom,
  fleetSettings,
  type GlobalOptions,
  jobLine,
  openSession,
  stopSignals,
  submitSession,
} from '../shared.ts';

type PlanOptions = GlobalOptions & { days: string; mbps: string; egressPrice?: string };

function num(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`${flag} must be a positive number, not "${v}"`);
  return n;
}

/** `ossmigrate plan`: survey the source and estimate time, fleet size and egress — before anything runs. */
export function register(program: Command): void {
  applyOptions(program.command('plan').argument(...JOBFILE_ARGUMENT))
    .summary('survey the source (count, bytes, sizes, time, fleet); copies nothing')
    .description(
      'Survey the source without copying: object count, bytes, size histogram, storage classes, names OSS would refuse (with examples), the time on one machine and the fleet size for a deadline of --days at --mbps a machine; --egress-price adds a cost line.',
    )
    .action(
      action(async (file: string | undefined, o: PlanOptions & Record<string, never>) => {
        const days = num(o.days, '--days');
        const mbps = num(o.mbps, '--mbps');
        const price = o.egressPrice === undefined ? undefined : num(o.egressPrice, '--egress-price');
        const c = new Console(o);
        // A survey needs no job: standalone, it registers none and no job in the work dir blocks it.
        // A fleet plan is the exception: its workers read the definition from Redis.
        let session: JobSession | undefined;
        let spec: JobSpec;
        let stores: Stores | undefined;
        if (file || o.src) {
          const def = await definitionFrom(file, o);
          for (const n of def.notes) c.say(`note: ${n}`);
          if (fleetSettings(o, def.spec.queue?.url))
            session = await submitSession(o, def, file ? { file } : {});
          else stores = await makeStores(def.spec, await credentialsFor(o, def.credentials));
          spec = def.spec;
        } else {
          session = await openSession(o, {}, 'needed');
          spec = session.spec;
        }
        const signals = stopSignals((s) => c.say(s));
        try {
          c.say(`${jobLine(spec)} — surveying the source (nothing is copied)`);
          // An unreachable endpoint or a missing bucket is a failed preflight, not "nothing to move".
          c.event({ type: 'stage', stage: 'preflight', state: 'start' });
          const problems = session
            ? await session.preflightSource()
            : await preflightSource(spec, stores!.src, stores!.dst);
          for (const problem of problems) c.event({ type: 'problem', problem });
          c.event({ type: 'stage', stage: 'preflight', state: 'end' });
          if (problems.some((p) => p.severity === 'error')) throw new PreflightError(problems);
          // Repeated under the plan: a survey of an empty inventory reads like an empty source.
          const warnings = problems
            .filter((p) => p.severity === 'warning' && p.code === 'INVENTORY_EMPTY')
            .map((p) => `${p.message} (${p.fix})`);
          const mirror = await jobMirrorSupport(spec);
          const flow = { emit: () => {}, signal: signals.hard, softStop: signals.soft };
          const { survey, elapsedMs, erroredTasks } = session
            ? await session.runPlan(flow)
            : await surveySource(spec, stores!, flow);
          // A listing that kept failing: the counts miss its range, so the plan must not read as whole.
          if (erroredTasks?.erroredTasks) {
            const { message, fix } = describeError(
              new IncompleteError(erroredTasks.taskErrors ?? [], erroredTasks.erroredTasks),
            );
            warnings.push(`INCOMPLETE: ${message} (fix: ${fix})`);
          }
          const tb = survey.bytes / 1e12;
          // Sized as the stack sizes it (at most the pay-as-you-go public bandwidth per worker), so
          // plan, the TUI and `pulumi up` name the same fleet.
          const sizingInput = { dataTB: tb, days, mbpsPerInstance: mbps };
          const sizing = tb > 0 ? sizeFleet(sizingInput) : undefined;
          const sizingNotes = tb > 0 ? sizingWarnings(sizingInput) : [];
          const perMachine = (mbps * 1e6) / 8;
          const oneMachine = estimateSeconds(survey, {
            bytesPerSecond: perMachine,
            concurrency: spec.transfer.concurrency,
          });
          const plan = {
            type: 'plan',
            job: spec.name,
            ...survey,
            histogramLabels: SIZE_BUCKET_LABELS,
            estimate: {
              mbpsPerMachine: mbps,
              oneMachineSeconds: Math.round(oneMachine),
              deadlineDays: days,
              fleet: sizing
                ? {
                    instances: sizing.instances,
                    explanation: sizing.explanation,
                    bound: sizing.bound,
                    ...(sizingNotes.length ? { warnings: sizingNotes } : {}),
                  }
                : { instances: 0, explanation: 'nothing to move' },
              requests: {
                list: Math.ceil(survey.objects / 1000),
                get: survey.objects,
                head: survey.objects * 2,
                put: survey.objects,
              },
              ...(price !== undefined
                ? {
                    egressCost: Math.round((survey.bytes / 1e9) * price * 100) / 100,
                    egressPricePerGB: price,
                  }
                : {}),
            },
            mirror,
            ...(warnings.length ? { warnings } : {}),
            ...(erroredTasks?.erroredTasks ? erroredTasks : {}),
            elapsedMs,
          };
          c.json(plan);
          c.say(planText(survey, plan.estimate, days, price, mirror, warnings));
          return erroredTasks?.erroredTasks ? ExitCode.FAILED_OBJECTS : ExitCode.OK;
        } finally {
          signals.dispose();
          await session?.close();
        }
      }),
    );
}

function planText(
  s: Survey,
  e: {
    oneMachineSeconds: number;
    fleet: { explanation: string; warnings?: string[] };
    egressCost?: number;
  },
  days: number,
  price: number | undefined,
  mirror: MirrorSupport,
  warnings: string[],
): string {
  const lines = [
    `  objects   ${s.objects}   bytes ${formatBytes(s.bytes)} (${(s.bytes / 1e12).toFixed(3)} TB)`,
  ];
  if (s.largest) lines.push(`  largest   ${formatBytes(s.largest.size)}  ${JSON.stringify(s.largest.key)}`);
  if (s.oldest) lines.push(`  modified  ${s.oldest} … ${s.newest}`);
  lines.push('  sizes');
  const max = Math.max(1, ...s.histogram);
  s.histogram.forEach((n, i) => {
    if (n === 0) return;
    lines.push(
      `    ${SIZE_BUCKET_LABELS[i]!.padEnd(10)} ${String(n).padStart(9)}  ${formatBytes(s.histogramBytes[i]!).padStart(10)}  ${'█'.repeat(Math.ceil((n / max) * 30))}`,
    );
  });
  lines.push('  storage classes');
  for (const [cls, v] of Object.entries(s.storageClasses))
    lines.push(`    ${cls.padEnd(18)} ${String(v!.objects).padStart(9)}  ${formatBytes(v!.bytes)}`);
  const archived = (['ARCHIVE', 'COLD_ARCHIVE', 'DEEP_COLD_ARCHIVE'] as const).reduce(
    (n, k) => n + (s.storageClasses[k]?.objects ?? 0),
    0,
  );
  if (archived)
    lines.push(`    ${archived} archived objects need a restore first (archive.mode: restore does it)`);
  lines.push(
    `  invalid names  ${s.invalidNames}${s.invalidNames ? ' (OSS would refuse them; see the examples)' : ''}`,
  );
  for (const x of s.invalidSamples.slice(0, 5)) lines.push(`    ${JSON.stringify(x.key)}: ${x.reason}`);
  lines.push(`  estimate  one machine: ${formatDuration(e.oneMachineSeconds * 1000)}`);
  lines.push(`            ${days}-day deadline: ${e.fleet.explanation}`);
  for (const w of e.fleet.warnings ?? []) lines.push(`            ! ${w}`);
  if (e.egressCost !== undefined) lines.push(`            egress ≈ ${e.egressCost} (at ${price} per GB)`);
  // Can OSS back-to-origin serve reads during the cutover (core/mirrorSupport)?
  const [answer, ...more] = mirrorLines(mirror);
  lines.push(`  mirror    ${answer}`, ...more.map((l) => `            ${l}`));
  for (const w of warnings) lines.push(`  ! ${w}`);
  return lines.join('\n');
}
