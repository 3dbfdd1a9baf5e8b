/**
 * The coordinator of a scale run, as its own process so its CPU is its own: the real
 * `executePass` with the fleet's ports (CoordinatorQueue, RedisJobState, a local journal), one
 * pass per invocation. Prints one JSON line: CPU until the pass's summary starts (the
 * coordinator's share that grows with the rate) and of the summary itself (the rollup and attention files, as a fleet coordinator reads them), wall
 * times, and the events it received by type.
 *
 *   node --import tsx test/scale/coordinator.ts '{"url":…,"job":…,"journalDir":…,"mode":"copy","t1":…}'
 */
import { resolve } from 'node:path';
import { pino } from 'pino';
import { LocalJournal } from '../../runner/adapters/journal/localJournal.ts';
import { connectFleet } from '../../runner/adapters/queue/fleetConnection.ts';
import { parseJob } from '../../runner/config/job.ts';
import { executePass, newPass } from '../../runner/engine/run.ts';
import { CoordinatorQueue } from '../../runner/fleet/coordinator.ts';
import type { Journal } from '../../runner/ports/journal.ts';
import { SyntheticSink, SyntheticSource } from './syntheticStore.ts';

export type CoordinatorInput = {
  url: string;
  job: string;
  journalDir: string;
  mode: 'copy' | 'verify';
  t1: string;
  objects: number;
  keySpace: 'flat' | 'deep';
};

export type CoordinatorOutput = {
  passId: string;
  /** CPU (user + system) from the pass's start to its summary. */
  cpuUs: number;
  summaryCpuUs: number;
  wallMs: number;
  summaryMs: number;
  events: Record<string, number>;
  stopped: boolean;
};

const cfg = JSON.parse(process.argv[2] ?? '{}') as CoordinatorInput;
const log = pino({ level: 'silent' });
const conn = await connectFleet(cfg.url, { role: 'coordinator' });
const state = conn.jobState(cfg.job);
const def = await state.getJob();
if (!def) throw new Error(`no job ${cfg.job} in Redis`);
const spec = parseJob(JSON.parse(def.spec), 'scale job');
const inner = new LocalJournal(resolve(cfg.journalDir, cfg.job), { auditLog: spec.journal.auditLog });
const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
let ledgerAt: { cpu: number; t: number } | undefined;
const mark = () => {
  ledgerAt ??= { cpu: cpu(), t: performance.now() };
};
// The journal the fleet coordinator has (runner/fleet/journals.ts lazyJournal): summaries, task
// ledgers and attention files too, so the pass summary takes the rollup path it takes in a real
// fleet. The first read marks the summary's start: apart, it is the report's cost, not the relay's.
const reads =
  <A extends unknown[], R>(read: (...a: A) => R) =>
  (...a: A): R => {
    mark();
    return read(...a);
  };
const journal: Journal = {
  append: (p, t, r) => inner.append(p, t, r),
  finished: (p, t) => inner.finished(p, t),
  setStatus: (p, t, s) => inner.setStatus(p, t, s),
  ledger: reads((p: string) => inner.ledger(p)),
  taskLedger: reads((p: string, t: string) => inner.taskLedger(p, t)),
  digests: reads((p: string) => inner.digests(p)),
  taskAttention: reads((p: string, t: string) => inner.taskAttention(p, t)),
  putVerify: (p, t, r) => inner.putVerify(p, t, r),
  verifyTasks: reads((p: string) => inner.verifyTasks(p)),
  taskVerify: reads((p: string, t: string) => inner.taskVerify(p, t)),
  location: (p) => inner.location(p),
};
const events: Record<string, number> = {};
const hard = new AbortController();
const queue = new CoordinatorQueue(conn, cfg.job, state, {
  emit: (e) => {
    events[e.type] = (events[e.type] ?? 0) + 1;
  },
  log,
  hard: hard.signal,
  pollMs: 250,
});
const synth = { objects: cfg.objects, keySpace: cfg.keySpace };
const pass = newPass(cfg.mode, { phase: 'full', t1: new Date(cfg.t1) }, new Date());
const cpu0 = cpu();
const t0 = performance.now();
const run = await executePass(
  {
    spec,
    // The coordinator never touches the stores (its queue does not run tasks).
    src: new SyntheticSource('syn://src', synth),
    dst: new SyntheticSink('syn://dst', { ...synth, objects: 0 }),
    state,
    queue,
    journal,
    emit: (e) => {
      events[e.type] = (events[e.type] ?? 0) + 1;
    },
    log,
    signal: hard.signal,
  },
  pass,
  { resumed: false, progressMs: 1000, controlMs: 2000 },
);
const end = { cpu: cpu(), t: performance.now() };
const at = ledgerAt ?? end;
await conn.fleet.clearActive(cfg.job, pass.id);
const out: CoordinatorOutput = {
  passId: pass.id,
  cpuUs: at.cpu - cpu0,
  summaryCpuUs: end.cpu - at.cpu,
  wallMs: at.t - t0,
  summaryMs: end.t - at.t,
  events,
  stopped: run.stopped,
};
process.stdout.write(`${JSON.stringify(out)}\n`);
await queue.close();
await conn.close();
