/**
 * Standalone job state and work queue in one SQLite file (node:sqlite, WAL): zero services, and
 * `ossmigrate stat` can read it while a run writes. Every write is a single statement or a
 * transaction, so a SIGKILL leaves a consistent file.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { FailureClass } from '../../core/errors.ts';
import { compareKeys, rangeLabel } from '../../core/keys.ts';
import type { TaskSummary } from '../../core/ledger.ts';
import {
  emptyRollup,
  hasAttention,
  mayHoldOthersKeys,
  type PassRollup,
  type RollupBody,
  type RollupStore,
  replaceShare,
  share,
  supersedes,
} from '../../core/rollup.ts';
import { addPoint, emptySeries, type Series, type SeriesPoint } from '../../core/series.ts';
import { emptySurvey, mergeSurveys, type Survey } from '../../core/survey.ts';
import {
  type Counters,
  type KeyRange,
  type ObjectResult,
  type Task,
  zeroCounters,
} from '../../core/types.ts';
import {
  type CommittedObject,
  type Control,
  committedOf,
  type FailureRecord,
  type JobState,
  type MultipartCheckpoint,
  type PassInfo,
} from '../../ports/jobState.ts';
import type { QueueCounts, TaskError, TaskHandler, WorkQueue } from '../../ports/workQueue.ts';

const SCHEMA = `
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS passes (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, info TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (pass TEXT NOT NULL, name TEXT NOT NULL, value INTEGER NOT NULL, PRIMARY KEY (pass, name));
CREATE TABLE IF NOT EXISTS tasks (
  pass TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL,
  status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, error TEXT, PRIMARY KEY (pass, id));
CREATE INDEX IF NOT EXISTS tasks_next ON tasks (pass, status, kind, seq);
CREATE TABLE IF NOT EXISTS failures (
  pass TEXT NOT NULL, key TEXT NOT NULL, class TEXT NOT NULL, reason TEXT NOT NULL, fix TEXT NOT NULL,
  attempts INTEGER NOT NULL, at TEXT NOT NULL, PRIMARY KEY (pass, key));
CREATE TABLE IF NOT EXISTS multipart (dst_key TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS restore_wait (pass TEXT NOT NULL, key TEXT NOT NULL, size INTEGER NOT NULL, since TEXT NOT NULL, PRIMARY KEY (pass, key));
CREATE TABLE IF NOT EXISTS surveys (pass TEXT NOT NULL, task TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (pass, task));
CREATE TABLE IF NOT EXISTS series (pass TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS committed (key TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rollup (pass TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rollup_share (pass TEXT NOT NULL, task TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (pass, task));
CREATE TABLE IF NOT EXISTS rollup_set (pass TEXT NOT NULL, kind TEXT NOT NULL, task TEXT NOT NULL, PRIMARY KEY (pass, kind, task));
`;

/** Above every key with this prefix (U+10FFFF sorts last in UTF-8, and SQLite compares bytes). */
const PREFIX_END = '\u{10FFFF}';

/** Task attempts that threw (not object failures) before the task is given up as failed. */
const MAX_TASK_ATTEMPTS = 3;

export class SqliteStore implements JobState, WorkQueue, RollupStore {
  readonly db: DatabaseSync;
  private seq = 0;
  private wake: (() => void) | undefined;
  /** Bumped on every enqueue / task end, so a wake-up between checks is never lost. */
  private events = 0;

  constructor(
    readonly path: string,
    opts: { readOnly?: boolean } = {},
  ) {
    if (!opts.readOnly) mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path, { readOnly: opts.readOnly ?? false, timeout: 5000 });
    if (!opts.readOnly) this.db.exec(SCHEMA);
    const row = opts.readOnly
      ? undefined
      : (this.stmt('SELECT COALESCE(MAX(seq), 0) AS s FROM tasks').get() as { s: number } | undefined);
    this.seq = row?.s ?? 0;
  }

  private readonly statements = new Map<string, StatementSync>();

  /** Prepared once per SQL text: preparing costs more than running these small statements. */
  private stmt(sql: string): StatementSync {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  private tx<T>(fn: () => T): T {
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const r = fn();
      this.db.exec('COMMIT');
      return r;
    } catch (e) {
      this.db.exec('ROLLBACK');
      throw e;
    }
  }

  private getMeta<T>(k: string): T | undefined {
    const row = this.stmt('SELECT v FROM meta WHERE k = ?').get(k) as { v: string } | undefined;
    return row ? (JSON.parse(row.v) as T) : undefined;
  }

  private setMeta(k: string, v: unknown): void {
    this.db
      .prepare('INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v')
      .run(k, JSON.stringify(v));
  }

  // ---- job & passes ----------------------------------------------------------------------------

  async getJob() {
    return this.getMeta<{ name: string; spec: string; submittedAt: string }>('job');
  }

  async putJob(job: { name: string; spec: string; submittedAt: string }) {
    this.setMeta('job', job);
  }

  async passes(): Promise<PassInfo[]> {
    return (this.stmt('SELECT info FROM passes ORDER BY seq').all() as Array<{ info: string }>).map(
      (r) => JSON.parse(r.info) as PassInfo,
    );
  }

  async currentPass(): Promise<PassInfo | undefined> {
    const row = this.stmt('SELECT info FROM passes ORDER BY seq DESC LIMIT 1').get() as
      | { info: string }
      | undefined;
    return row ? (JSON.parse(row.info) as PassInfo) : undefined;
  }

  async beginPass(pass: PassInfo) {
    const seq = (this.stmt('SELECT COALESCE(MAX(seq), 0) + 1 AS s FROM passes').get() as { s: number }).s;
    this.db
      .prepare('INSERT INTO passes (id, seq, info) VALUES (?, ?, ?)')
      .run(pass.id, seq, JSON.stringify(pass));
  }

  async updatePass(id: string, patch: Partial<Pick<PassInfo, 'status' | 'finishedAt'>>) {
    this.tx(() => {
      const row = this.stmt('SELECT info FROM passes WHERE id = ?').get(id) as { info: string } | undefined;
      if (!row) throw new Error(`no pass ${id}`);
      this.stmt('UPDATE passes SET info = ? WHERE id = ?').run(
        JSON.stringify({ ...JSON.parse(row.info), ...patch }),
        id,
      );
    });
  }

  // ---- counters --------------------------------------------------------------------------------

  async addCounters(passId: string, delta: Partial<Counters>) {
    const stmt = this.stmt(
      'INSERT INTO counters (pass, name, value) VALUES (?, ?, ?) ON CONFLICT(pass, name) DO UPDATE SET value = value + excluded.value',
    );
    this.tx(() => {
      for (const [name, v] of Object.entries(delta)) if (v) stmt.run(passId, name, v);
    });
  }

  async counters(passId: string): Promise<Counters> {
    const c = zeroCounters();
    for (const r of this.stmt('SELECT name, value FROM counters WHERE pass = ?').all(passId) as Array<{
      name: keyof Counters;
      value: number;
    }>) {
      if (r.name in c) c[r.name] = r.value;
    }
    return c;
  }

  // ---- outcomes --------------------------------------------------------------------------------

  async recordOutcomes(passId: string, results: ObjectResult[]) {
    if (results.length === 0) return;
    const upsert = this.stmt(
      `INSERT INTO failures (pass, key, class, reason, fix, attempts, at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(pass, key) DO UPDATE SET class = excluded.class, reason = excluded.reason, fix = excluded.fix,
         attempts = failures.attempts + excluded.attempts, at = excluded.at`,
    );
    const clear = this.stmt('DELETE FROM failures WHERE pass = ? AND key = ?');
    const commit = this.stmt(
      'INSERT INTO committed (key, body) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET body = excluded.body',
    );
    // One transaction per batch: a WAL commit per object costs more than the object's copy.
    this.tx(() => {
      for (const r of results) {
        const c = committedOf(passId, r);
        if (c) commit.run(r.key, JSON.stringify(c));
        if (r.outcome === 'failed') {
          upsert.run(
            passId,
            r.key,
            r.failureClass ?? 'INTERNAL',
            r.reason ?? '',
            r.fix ?? '',
            r.attempts,
            new Date().toISOString(),
          );
        } else clear.run(passId, r.key);
      }
    });
  }

  async committed(range: KeyRange): Promise<Map<string, CommittedObject>> {
    // The tighter lower bound first: SQLite walks the key index from it.
    const after = range.startAfter !== undefined && compareKeys(range.startAfter, range.prefix) >= 0;
    const rows = this.stmt(
      `SELECT key, body FROM committed WHERE key ${after ? '>' : '>='} ? AND key >= ? AND key < ?
       AND (? IS NULL OR key <= ?) ORDER BY key`,
    ).all(
      after ? range.startAfter! : range.prefix,
      range.prefix,
      range.prefix + PREFIX_END,
      range.endKey ?? null,
      range.endKey ?? null,
    ) as Array<{ key: string; body: string }>;
    const out = new Map<string, CommittedObject>();
    for (const r of rows) {
      // A shallow task owns only the keys at its own level (sub-prefixes are other tasks).
      if (range.shallow && r.key.indexOf('/', range.prefix.length) >= 0) continue;
      out.set(r.key, JSON.parse(r.body) as CommittedObject);
    }
    return out;
  }

  async failures(passId?: string): Promise<FailureRecord[]> {
    const rows = (
      passId === undefined
        ? this.stmt('SELECT * FROM failures ORDER BY key').all()
        : this.stmt('SELECT * FROM failures WHERE pass = ? ORDER BY key').all(passId)
    ) as Array<{
      pass: string;
      key: string;
      class: FailureClass;
      reason: string;
      fix: string;
      attempts: number;
      at: string;
    }>;
    return rows.map((r) => ({
      key: r.key,
      failureClass: r.class,
      reason: r.reason,
      fix: r.fix,
      passId: r.pass,
      attempts: r.attempts,
      at: r.at,
    }));
  }

  async failureCount(passId?: string): Promise<number> {
    const row = (
      passId === undefined
        ? this.stmt('SELECT COUNT(*) AS n FROM failures').get()
        : this.stmt('SELECT COUNT(*) AS n FROM failures WHERE pass = ?').get(passId)
    ) as { n: number };
    return row.n;
  }

  // ---- multipart checkpoints -------------------------------------------------------------------

  async getMultipart(dstKey: string) {
    const row = this.stmt('SELECT body FROM multipart WHERE dst_key = ?').get(dstKey) as
      | { body: string }
      | undefined;
    return row ? (JSON.parse(row.body) as MultipartCheckpoint) : undefined;
  }

  async putMultipart(cp: MultipartCheckpoint) {
    this.db
      .prepare(
        'INSERT INTO multipart (dst_key, body) VALUES (?, ?) ON CONFLICT(dst_key) DO UPDATE SET body = excluded.body',
      )
      .run(cp.dstKey, JSON.stringify(cp));
  }

  async deleteMultipart(dstKey: string) {
    this.stmt('DELETE FROM multipart WHERE dst_key = ?').run(dstKey);
  }

  async allMultipart() {
    return (this.stmt('SELECT body FROM multipart').all() as Array<{ body: string }>).map(
      (r) => JSON.parse(r.body) as MultipartCheckpoint,
    );
  }

  // ---- restores, surveys, control --------------------------------------------------------------

  async addRestoreWait(passId: string, key: string, size: number) {
    this.db
      .prepare('INSERT OR IGNORE INTO restore_wait (pass, key, size, since) VALUES (?, ?, ?, ?)')
      .run(passId, key, size, new Date().toISOString());
  }

  async restoreWaits(passId: string) {
    return this.db
      .prepare('SELECT key, size, since FROM restore_wait WHERE pass = ? ORDER BY key')
      .all(passId) as Array<{
      key: string;
      size: number;
      since: string;
    }>;
  }

  async removeRestoreWait(passId: string, key: string) {
    this.stmt('DELETE FROM restore_wait WHERE pass = ? AND key = ?').run(passId, key);
  }

  async addSurvey(passId: string, taskId: string, survey: Survey) {
    this.db
      .prepare(
        'INSERT INTO surveys (pass, task, body) VALUES (?, ?, ?) ON CONFLICT(pass, task) DO UPDATE SET body = excluded.body',
      )
      .run(passId, taskId, JSON.stringify(survey));
  }

  async survey(passId: string): Promise<Survey> {
    let s = emptySurvey();
    for (const r of this.stmt('SELECT body FROM surveys WHERE pass = ?').all(passId) as Array<{
      body: string;
    }>) {
      s = mergeSurveys(s, JSON.parse(r.body) as Survey);
    }
    return s;
  }

  async addSample(passId: string, point: SeriesPoint, o: { intervalMs?: number; maxPoints?: number } = {}) {
    return this.tx(() => {
      const row = this.stmt('SELECT body FROM series WHERE pass = ?').get(passId) as
        | { body: string }
        | undefined;
      const cur = row ? (JSON.parse(row.body) as Series) : emptySeries(o.intervalMs ?? 1000);
      const next = addPoint(cur, point, o.maxPoints);
      this.stmt(
        'INSERT INTO series (pass, body) VALUES (?, ?) ON CONFLICT(pass) DO UPDATE SET body = excluded.body',
      ).run(passId, JSON.stringify(next));
      return next.intervalMs;
    });
  }

  // ---- pass rollup (core/rollup.ts) ------------------------------------------------------------

  /** Replace a task's share and set its set memberships, in one transaction. */
  private rollupStep(passId: string, taskId: string, next: TaskSummary | undefined, running: boolean): void {
    this.tx(() => {
      const row = this.stmt('SELECT body FROM rollup WHERE pass = ?').get(passId) as
        | { body: string }
        | undefined;
      const body = row ? (JSON.parse(row.body) as RollupBody) : emptyRollup();
      const oldRow = this.stmt('SELECT body FROM rollup_share WHERE pass = ? AND task = ?').get(
        passId,
        taskId,
      ) as { body: string } | undefined;
      const old = oldRow ? (JSON.parse(oldRow.body) as TaskSummary) : undefined;
      // A stale attempt ending after a newer one: the newer summary stays.
      if (next && !supersedes(next, old)) return;
      this.stmt(
        'INSERT INTO rollup (pass, body) VALUES (?, ?) ON CONFLICT(pass) DO UPDATE SET body = excluded.body',
      ).run(passId, JSON.stringify(replaceShare(body, old, next)));
      if (next)
        this.stmt(
          'INSERT INTO rollup_share (pass, task, body) VALUES (?, ?, ?) ON CONFLICT(pass, task) DO UPDATE SET body = excluded.body',
        ).run(passId, taskId, JSON.stringify(share(next)));
      else this.stmt('DELETE FROM rollup_share WHERE pass = ? AND task = ?').run(passId, taskId);
      const member = (kind: string, yes: boolean) =>
        yes
          ? this.stmt('INSERT OR IGNORE INTO rollup_set (pass, kind, task) VALUES (?, ?, ?)').run(
              passId,
              kind,
              taskId,
            )
          : this.stmt('DELETE FROM rollup_set WHERE pass = ? AND kind = ? AND task = ?').run(
              passId,
              kind,
              taskId,
            );
      member('running', running);
      member('attention', next ? hasAttention(next) : false);
      member('settler', mayHoldOthersKeys(taskId));
    });
  }

  async rollupTaskStarted(passId: string, taskId: string): Promise<void> {
    this.rollupStep(passId, taskId, undefined, true);
  }

  async rollupTaskEnded(passId: string, taskId: string, summary: TaskSummary): Promise<void> {
    this.rollupStep(passId, taskId, summary, false);
  }

  async passRollup(passId: string): Promise<PassRollup | undefined> {
    let row: { body: string } | undefined;
    try {
      row = this.stmt('SELECT body FROM rollup WHERE pass = ?').get(passId) as { body: string } | undefined;
    } catch {
      return undefined; // a state file from before the rollup, opened read-only
    }
    if (!row) return undefined;
    const set = (kind: string) =>
      (
        this.stmt('SELECT task FROM rollup_set WHERE pass = ? AND kind = ? ORDER BY task').all(
          passId,
          kind,
        ) as Array<{
          task: string;
        }>
      ).map((r) => r.task);
    return {
      ...(JSON.parse(row.body) as RollupBody),
      running: set('running'),
      attention: set('attention'),
      settlers: set('settler'),
    };
  }

  async series(passId: string): Promise<Series | undefined> {
    // A state file from before the series existed, opened read-only, has no such table.
    try {
      const row = this.stmt('SELECT body FROM series WHERE pass = ?').get(passId) as
        | { body: string }
        | undefined;
      return row ? (JSON.parse(row.body) as Series) : undefined;
    } catch {
      return undefined;
    }
  }

  async getControl(): Promise<Control> {
    return { paused: false, stopRequested: false, ...this.getMeta<Partial<Control>>('control') };
  }

  async setControl(patch: Partial<Control>): Promise<Control> {
    return this.tx(() => {
      const next = {
        paused: false,
        stopRequested: false,
        ...this.getMeta<Partial<Control>>('control'),
        ...patch,
      };
      for (const k of Object.keys(next) as Array<keyof Control>) if (next[k] === undefined) delete next[k];
      this.setMeta('control', next);
      return next;
    });
  }

  // ---- queue -----------------------------------------------------------------------------------

  async enqueue(passId: string, tasks: Task[]): Promise<Task[]> {
    const stmt = this.stmt(
      "INSERT OR IGNORE INTO tasks (pass, id, seq, kind, body, status) VALUES (?, ?, ?, ?, ?, 'pending')",
    );
    const fresh = this.tx(() =>
      tasks.filter((t) => stmt.run(passId, t.id, ++this.seq, t.kind, JSON.stringify(t)).changes > 0),
    );
    if (fresh.length) this.poke();
    return fresh;
  }

  async counts(passId: string, kind?: Task['kind']): Promise<QueueCounts> {
    const c: QueueCounts = { pending: 0, running: 0, done: 0, failed: 0 };
    const rows =
      kind === undefined
        ? this.db
            .prepare('SELECT status, COUNT(*) AS n FROM tasks WHERE pass = ? GROUP BY status')
            .all(passId)
        : this.db
            .prepare('SELECT status, COUNT(*) AS n FROM tasks WHERE pass = ? AND kind = ? GROUP BY status')
            .all(passId, kind);
    for (const r of rows as Array<{
      status: keyof QueueCounts;
      n: number;
    }>) {
      c[r.status] = r.n;
    }
    return c;
  }

  /** Per kind, for `stat`. */
  countsByKind(passId: string): Record<string, QueueCounts> {
    const out: Record<string, QueueCounts> = {};
    for (const r of this.db
      .prepare('SELECT kind, status, COUNT(*) AS n FROM tasks WHERE pass = ? GROUP BY kind, status')
      .all(passId) as Array<{ kind: string; status: keyof QueueCounts; n: number }>) {
      const c = (out[r.kind] ??= { pending: 0, running: 0, done: 0, failed: 0 });
      c[r.status] = r.n;
    }
    return out;
  }

  async requeueUnfinished(passId: string): Promise<number> {
    // Errored tasks too (their listing threw after every attempt), as the fleet queue does;
    // tasks that ran with failed objects stay: `retry` takes those objects from the failure list.
    return Number(
      this.stmt(
        "UPDATE tasks SET status = 'pending', attempts = CASE WHEN status = 'failed' THEN 0 ELSE attempts END WHERE pass = ? AND (status = 'running' OR (status = 'failed' AND error IS NOT NULL))",
      ).run(passId).changes,
    );
  }

  private poke(): void {
    this.events++;
    this.wake?.();
  }

  private take(passId: string, n: number): Task[] {
    if (n <= 0) return [];
    return this.tx(() => {
      // Scans first: they discover the work (and the totals the ETA needs). A scan handed back
      // by a full queue goes last, so it never takes a slot a waiting copy task needs.
      const rows = this.stmt(
        `SELECT id, body FROM tasks WHERE pass = ? AND status = 'pending'
           ORDER BY CASE WHEN kind <> 'scan' THEN 1 WHEN json_extract(body, '$.resumed') IS NULL THEN 0 ELSE 2 END,
             seq LIMIT ?`,
      ).all(passId, n) as Array<{ id: string; body: string }>;
      const mark = this.stmt("UPDATE tasks SET status = 'running' WHERE pass = ? AND id = ?");
      for (const r of rows) mark.run(passId, r.id);
      return rows.map((r) => JSON.parse(r.body) as Task);
    });
  }

  private finish(passId: string, id: string, status: 'done' | 'failed' | 'pending', error?: string): void {
    this.db
      .prepare('UPDATE tasks SET status = ?, error = ?, attempts = attempts + ? WHERE pass = ? AND id = ?')
      .run(status, error ?? null, error ? 1 : 0, passId, id);
  }

  async erroredTasks(passId: string, limit: number): Promise<{ count: number; sample: TaskError[] }> {
    // A task that ran and had failed objects is 'failed' too, with no error: those are in `failures`.
    const where = "FROM tasks WHERE pass = ? AND status = 'failed' AND error IS NOT NULL";
    const { n } = this.stmt(`SELECT COUNT(*) AS n ${where}`).get(passId) as { n: number };
    const rows = this.stmt(`SELECT id, kind, body, error ${where} ORDER BY seq LIMIT ?`).all(
      passId,
      limit,
    ) as Array<{
      id: string;
      kind: Task['kind'];
      body: string;
      error: string;
    }>;
    return {
      count: n,
      sample: rows.map((r) => ({
        id: r.id,
        kind: r.kind,
        range: rangeLabel((JSON.parse(r.body) as Task).range),
        error: r.error,
      })),
    };
  }

  private attempts(passId: string, id: string): number {
    return (
      this.stmt('SELECT attempts FROM tasks WHERE pass = ? AND id = ?').get(passId, id) as {
        attempts: number;
      }
    ).attempts;
  }

  async drain(
    passId: string,
    handler: TaskHandler,
    opts: { concurrency: number; signal: AbortSignal },
  ): Promise<void> {
    const running = new Map<string, Promise<void>>();
    let fatal: unknown;
    for (;;) {
      if (opts.signal.aborted || fatal) break;
      const seen = this.events;
      for (const task of this.take(passId, opts.concurrency - running.size)) {
        const run = handler(task, opts.signal).then(
          (outcome) => {
            if (outcome.status === 'interrupted') return; // stays 'running'; requeued on resume
            this.finish(passId, task.id, outcome.status);
          },
          (err: unknown) => {
            if (opts.signal.aborted) return;
            // The class, when the adapter classified it, tells the user what to fix.
            const cls = (err as { failureClass?: string })?.failureClass;
            const text = (err as Error)?.message ?? String(err);
            const message = cls && !text.startsWith(cls) ? `${cls}: ${text}` : text;
            const giveUp = this.attempts(passId, task.id) + 1 >= MAX_TASK_ATTEMPTS;
            this.finish(passId, task.id, giveUp ? 'failed' : 'pending', message);
            if ((err as { fatal?: boolean })?.fatal) fatal = err;
          },
        );
        running.set(
          task.id,
          run.finally(() => {
            running.delete(task.id);
            this.poke();
          }),
        );
      }
      if (running.size === 0) {
        const c = await this.counts(passId);
        if (c.pending === 0) break;
        continue;
      }
      // Sleep until a task finishes or new tasks arrive (unless that already happened).
      if (this.events === seen) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          opts.signal.addEventListener('abort', () => resolve(), { once: true });
        });
        this.wake = undefined;
      }
    }
    await Promise.allSettled(running.values());
    if (fatal) throw fatal;
  }

  async close() {
    this.db.close();
  }
}
