/**
 * Redis key layout of a fleet (one Redis = one fleet; several jobs may share it).
 *   ossm:active                          {job, passId}: what the workers work on
 *   ossm:jobs                            SET of job names
 *   ossm:workers / ossm:workers:seen     HASH id → status JSON / ZSET id → last heartbeat (server ms)
 *   ossm:job:<job>:def|journal|lock      job definition, journal location, coordinator lock
 *   ossm:job:<job>:passes|passorder      HASH id → PassInfo JSON / LIST of ids in start order
 *   ossm:job:<job>:control|multipart     HASH of live settings / HASH dstKey → checkpoint JSON
 *   ossm:job:<job>:p:<pass>:…            per pass: counters, failures, restore, surveys, series,
 *                                        ids (dedup), st (task states), tc (task counts), errs, events,
 *                                        rollup (+ :share per task, :running, :attention, :settlers)
 *   ossmq:<job>.<pass>:…                 BullMQ's own keys (prefix ossmq), one queue per pass
 */
export const NS = 'ossm';
export const BULL_PREFIX = 'ossmq';

export const fleetKeys = {
  active: `${NS}:active`,
  jobs: `${NS}:jobs`,
  workers: `${NS}:workers`,
  workersSeen: `${NS}:workers:seen`,
};

export function jobKeys(job: string) {
  const j = `${NS}:job:${job}`;
  return {
    def: `${j}:def`,
    journal: `${j}:journal`,
    lock: `${j}:lock`,
    passes: `${j}:passes`,
    passOrder: `${j}:passorder`,
    control: `${j}:control`,
    multipart: `${j}:multipart`,
    /** Passes that ever recorded a failure (failures() of all passes). */
    failPasses: `${j}:failpasses`,
    /** Every key of the job starts with this (clean). */
    prefix: `${j}:`,
  };
}

export function passKeys(job: string, passId: string) {
  const p = `${NS}:job:${job}:p:${passId}`;
  return {
    counters: `${p}:counters`,
    failures: `${p}:failures`,
    restore: `${p}:restore`,
    surveys: `${p}:surveys`,
    /** The report's time series: HASH v (version, for compare-and-set) and body (JSON). */
    series: `${p}:series`,
    /** Task ids ever enqueued (dedup) → kind. */
    ids: `${p}:ids`,
    /** Task id → r (running) | q (back to pending) | d (done) | f (done with failed objects) | e (errored). */
    state: `${p}:st`,
    /** Task id → "<worker> <server ms>" of its latest start (duplicate-delivery check). */
    owner: `${p}:owner`,
    /** `<kind>:total|running|done|failed`, and `closed` once a finished pass dropped its per-task hashes. */
    taskCounts: `${p}:tc`,
    /** Ids of tasks that errored out after their attempts (resume re-queues them). */
    errored: `${p}:errs`,
    /** Relayed worker events (a capped stream). */
    events: `${p}:events`,
    /** The pass rollup (core/rollup.ts): sums (v, body), a share per task, three sets of task ids. */
    rollup: `${p}:rollup`,
    rollupShare: `${p}:rollup:share`,
    rollupRunning: `${p}:rollup:running`,
    rollupAttention: `${p}:rollup:attention`,
    rollupSettlers: `${p}:rollup:settlers`,
  };
}

/** BullMQ queue names may not contain ':'. Job names are [A-Za-z0-9_-]; pass ids have no '.'. */
export function queueName(job: string, passId: string): string {
  return `${job}.${passId}`;
}
