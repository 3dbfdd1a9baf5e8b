import type { Command } from 'commander';
import { formatRate, parseTimetable, rateAt } from '../../core/bandwidth.ts';
import { formatBytes } from '../../core/units.ts';
import { action, Console, type GlobalOptions, jobLine, jobOptions, openSession } from '../shared.ts';

/** `ossmigrate stat`: where the job stands (works while it runs: SQLite WAL readers don't block). */
export function register(program: Command): void {
  jobOptions(program.command('stat'))
    .description("show the job's passes, progress, task counts, failures by class and live settings")
    .action(
      action(async (o: GlobalOptions) => {
        const s = await openSession(o);
        try {
          const passes = await s.state.passes();
          const current = passes[passes.length - 1];
          const holder = s.ws.lockHolder(s.name);
          const control = await s.state.getControl();
          const detail = current
            ? {
                counters: await s.state.counters(current.id),
                tasks: s.state.countsByKind(current.id),
                failures: await s.state.failures(current.id),
                restoresWaiting: (await s.state.restoreWaits(current.id)).length,
              }
            : undefined;
          const byClass: Record<string, number> = {};
          for (const f of detail?.failures ?? [])
            byClass[f.failureClass] = (byClass[f.failureClass] ?? 0) + 1;
          const limit = control.bandwidth ?? s.spec.bandwidth.limit;
          const out = {
            type: 'stat',
            job: s.name,
            workdir: s.ws.root,
            running: holder ? { pid: holder.pid, host: holder.host } : null,
            passes,
            current: current
              ? { pass: current.id, ...detail, failures: undefined, failuresByClass: byClass }
              : null,
            control: {
              ...control,
              bandwidth: limit,
              effectiveBytesPerSec: rateAt(parseTimetable(limit), new Date()),
            },
          };
          const c = new Console(o);
          if (o.json) c.json(out);
          else {
            c.say(jobLine(s.spec));
            c.say(
              `  state     ${holder ? `running (pid ${holder.pid} on ${holder.host})` : 'not running'}${control.paused ? ', paused' : ''}`,
            );
            c.say(`  bandwidth ${limit} (now ${formatRate(out.control.effectiveBytesPerSec)})`);
            for (const p of passes) c.say(`  pass      ${p.id.padEnd(48)} ${p.mode.padEnd(6)} ${p.status}`);
            if (current && detail) {
              const k = detail.counters;
              c.say(`  current   ${current.id}`);
              c.say(
                `    scanned ${k.scannedObjects} objects (${formatBytes(k.scannedBytes)}), in window ${k.plannedObjects} (${formatBytes(k.plannedBytes)})`,
              );
              c.say(
                `    copied ${k.copied} · skipped ${k.skipped} · deferred ${k.deferred} · failed ${k.failed} · ${formatBytes(k.bytes)} transferred`,
              );
              if (current.mode === 'verify')
                c.say(
                  `    verified ${k.verified} · missing ${k.missing} · different ${k.different} · extra ${k.extra}`,
                );
              for (const [kind, n] of Object.entries(detail.tasks))
                c.say(
                  `    ${kind} tasks: ${n.pending} pending, ${n.running} running, ${n.done} done, ${n.failed} with failures`,
                );
              for (const [cls, n] of Object.entries(byClass)) c.say(`    failed ${cls}: ${n}`);
              if (detail.restoresWaiting) c.say(`    archive restores waiting: ${detail.restoresWaiting}`);
            }
          }
          return 0;
        } finally {
          await s.close();
        }
      }),
    );
}
