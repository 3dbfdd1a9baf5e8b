import type { Command } from 'commander';
import type { WorkerRecord } from '../../adapters/queue/fleetStore.ts';
import { formatRate, parseTimetable, rateAt } from '../../core/bandwidth.ts';
import { ConfigError } from '../../core/errors.ts';
import { formatBytes } from '../../core/units.ts';
import { applyOptions } from '../options.ts';
import { action, Console, fleetSettings, type GlobalOptions, jobLine, openSession } from '../shared.ts';

/** "12 s ago" from an ISO time. */
function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 120
    ? `${s} s ago`
    : s < 7200
      ? `${Math.round(s / 60)} min ago`
      : `${Math.round(s / 3600)} h ago`;
}

/** The per-worker table of a fleet job. */
export function workerTable(workers: WorkerRecord[], now = Date.now()): string[] {
  if (workers.length === 0)
    return [
      '  workers   none yet (start some: ossmigrate worker, OSSMIGRATE_REDIS_URL in their environment)',
    ];
  const rows = workers.map((w) => [
    w.host,
    String(w.pid),
    w.state,
    String(w.tasks),
    (w.bytesPerSec / 1e6).toFixed(1),
    String(w.errors),
    ago(w.lastSeen, now),
    w.passId ? `${w.job}/${w.passId}` : (w.note ?? ''),
  ]);
  const head = ['host', 'pid', 'state', 'tasks', 'MB/s', 'errors', 'last seen', 'working on'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    `    ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}`.trimEnd();
  const live = workers.filter((w) => w.state !== 'gone');
  const rate = live.reduce((a, w) => a + w.bytesPerSec, 0);
  return [
    `  workers   ${live.length} live of ${workers.length} known, ${(rate / 1e6).toFixed(1)} MB/s together`,
    line(head),
    ...rows.map(line),
  ];
}

/** `ossmigrate stat`: where the job stands (works while it runs: SQLite WAL readers don't block; Redis for a fleet). */
export function register(program: Command): void {
  applyOptions(program.command('stat'))
    .summary('show progress: passes, tasks, failures by class, workers')
    .description(
      "Show the job's passes, progress, task counts, failures by class, archive restores waiting, live settings and (fleet) its workers. Safe while a run is writing.",
    )
    .action(
      action(async (o: GlobalOptions) => {
        const fleet = fleetSettings(o);
        const s = await openSession(o).catch(async (e: unknown) => {
          // A fleet with workers but no job yet: show the workers.
          if (!fleet || !(e instanceof ConfigError) || !/^no job in the fleet/.test(e.message)) throw e;
          const { connectFleet } = await import('../../adapters/queue/fleetConnection.ts');
          const conn = await connectFleet(fleet.url, { ...(fleet.auth ? { auth: fleet.auth } : {}) });
          try {
            const workers = await conn.fleet.workers();
            const c = new Console(o);
            if (o.json)
              c.json({
                type: 'stat',
                job: null,
                queue: conn.target.display,
                fleet: { active: null, live: workers.filter((w) => w.state !== 'gone').length, workers },
              });
            else {
              c.say(
                `fleet ${conn.target.display}: no job yet (start one: ossmigrate import job.yaml --queue …)`,
              );
              for (const l of workerTable(workers)) c.say(l);
            }
          } finally {
            await conn.close();
          }
          return undefined;
        });
        if (!s) return 0;
        try {
          const passes = await s.state.passes();
          const current = passes[passes.length - 1];
          const holder = await s.runner();
          const control = await s.state.getControl();
          const detail = current
            ? {
                counters: await s.state.counters(current.id),
                tasks: await s.taskCounts(current.id),
                failures: await s.state.failures(current.id),
                restoresWaiting: (await s.state.restoreWaits(current.id)).length,
              }
            : undefined;
          const byClass: Record<string, number> = {};
          for (const f of detail?.failures ?? [])
            byClass[f.failureClass] = (byClass[f.failureClass] ?? 0) + 1;
          const limit = control.bandwidth ?? s.spec.bandwidth.limit;
          const where = s.backend.where;
          const workers = where ? await s.workers() : undefined;
          const active = where ? await s.backend.active() : undefined;
          const out = {
            type: 'stat',
            job: s.name,
            workdir: s.ws.root,
            ...(where ? { queue: where.queue, journals: where.journals } : {}),
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
            ...(workers
              ? {
                  fleet: {
                    active: active ?? null,
                    live: workers.filter((w) => w.state !== 'gone').length,
                    workers,
                  },
                }
              : {}),
          };
          const c = new Console(o);
          if (o.json) c.json(out);
          else {
            c.say(jobLine(s.spec));
            if (where)
              c.say(
                `  fleet     ${where.queue}${active?.job === s.name ? `, working on ${active.passId}` : ''}`,
              );
            c.say(
              `  state     ${holder ? `running (${where ? 'coordinator ' : ''}pid ${holder.pid} on ${holder.host})` : 'not running'}${control.paused ? ', paused' : ''}${control.stopRequested ? ', stop requested' : ''}`,
            );
            const share =
              workers && out.fleet!.live > 1
                ? ` = ${formatRate((out.control.effectiveBytesPerSec ?? 0) / out.fleet!.live)} per worker`
                : '';
            c.say(
              `  bandwidth ${limit} (now ${formatRate(out.control.effectiveBytesPerSec)}${out.control.effectiveBytesPerSec === null ? '' : share})`,
            );
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
            if (workers) for (const l of workerTable(workers)) c.say(l);
          }
          return 0;
        } finally {
          await s.close();
        }
      }),
    );
}
