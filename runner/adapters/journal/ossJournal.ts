/**
 * Journals under an OSS prefix (the cloud fleet): ledger lines batched into chunk objects, gzip
 * NDJSON (ledger/<time>-<writer>-<seq>.ndjson.gz; plain .ndjson chunks of older writers are read
 * too). When a task ends: audit.log.gz (one gzip member; or plain audit.log, or none:
 * journal.auditLog), error.list, attention.ndjson and summary.json (its totals), which is what a
 * report reads. A task that starts again gets its summary struck out (the store
 * has no delete) until it ends again. A verify task writes verify.ndjson (its problems; empty
 * when it found none, so that a re-run replaces an earlier attempt's).
 */
import { buffer, text } from 'node:stream/consumers';
import { gunzip, gzip } from 'node:zlib';
import type { Logger } from 'pino';
import {
  digestOf,
  isTaskSummary,
  mergeTaskResults,
  needsAttention,
  summarizeTask,
  type TaskDigest,
  type TaskSummary,
} from '../../core/ledger.ts';
import type { ObjectResult, VerifyResult } from '../../core/types.ts';
import type { AuditLogMode, Journal, TaskStatus } from '../../ports/journal.ts';
import type { ObjectStore } from '../../ports/objectStore.ts';
import { AUDIT_FILE, auditFile } from './auditLog.ts';
import {
  ATTENTION_FILE,
  auditLine,
  errorLine,
  ndjson,
  parseLedger,
  SUMMARY_FILE,
  VERIFY_FILE,
} from './localJournal.ts';

// Not `import … from 'node:util'`: the bundle's view of it reads every export, and util's lazy
// ones (TextDecoder …) load its diff and colour tables: ~7 CPU-ms of every start.
const { promisify } = process.getBuiltinModule('node:util');

const gzipP = promisify(gzip);
const gunzipP = promisify(gunzip);
const CHUNK = /\.ndjson(\.gz)?$/;

const FINAL = new Set(['copied', 'skipped', 'deferred']);

type Buffer_ = { lines: ObjectResult[]; timer?: NodeJS.Timeout; chain: Promise<void> };

export type OssJournalOptions = {
  /** Identifies this process in chunk names (e.g. host-pid). */
  writer?: string;
  maxLines?: number;
  maxDelayMs?: number;
  /** Chunks read ahead in parallel when streaming a whole pass's ledger. */
  readAhead?: number;
  /** journal.auditLog (default gzip). */
  auditLog?: AuditLogMode;
  log?: Logger;
};

export class OssJournal implements Journal {
  private readonly buffers = new Map<string, Buffer_>();
  private seq = 0;
  private readonly writer: string;
  private readonly maxLines: number;
  private readonly maxDelayMs: number;

  constructor(
    readonly store: ObjectStore,
    /** Prefix without a trailing slash, e.g. journals/media-prod. */
    readonly root: string,
    private readonly o: OssJournalOptions = {},
  ) {
    this.root = root.replace(/\/+$/, '').replace(/^\/+/, '');
    this.writer = (o.writer ?? `w${process.pid}`).replace(/[^A-Za-z0-9_.-]/g, '_');
    this.maxLines = o.maxLines ?? 500;
    this.maxDelayMs = o.maxDelayMs ?? 5000;
  }

  private taskPrefix(passId: string, taskId: string): string {
    return `${this.root ? `${this.root}/` : ''}${passId}/tasks/${taskId}/`;
  }

  private passPrefix(passId: string): string {
    return `${this.root ? `${this.root}/` : ''}${passId}/tasks/`;
  }

  private async put(
    key: string,
    body: string | Buffer,
    contentType = 'text/plain; charset=utf-8',
  ): Promise<void> {
    const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    await this.store.write(key, buf, { size: buf.length, contentType, meta: {} });
  }

  private async get(key: string): Promise<string> {
    const r = await this.store.read(key);
    return key.endsWith('.gz') ? (await gunzipP(await buffer(r.body))).toString('utf8') : text(r.body);
  }

  /** An object's text, or undefined when there is none. */
  private async getIf(key: string): Promise<string | undefined> {
    try {
      return await this.get(key);
    } catch (e) {
      if ((await this.store.head(key).catch(() => 'unknown')) === undefined) return undefined;
      throw e;
    }
  }

  private buffer(passId: string, taskId: string): Buffer_ {
    const id = `${passId}\u0000${taskId}`;
    let b = this.buffers.get(id);
    if (!b) {
      b = { lines: [], chain: Promise.resolve() };
      this.buffers.set(id, b);
    }
    return b;
  }

  async append(passId: string, taskId: string, results: ObjectResult[]): Promise<void> {
    if (results.length === 0) return;
    const b = this.buffer(passId, taskId);
    b.lines.push(...results);
    if (b.lines.length >= this.maxLines) {
      await this.flush(passId, taskId);
    } else if (!b.timer) {
      b.timer = setTimeout(() => {
        b.timer = undefined;
        this.flush(passId, taskId).catch((err: unknown) =>
          this.o.log?.warn(
            { err: String(err), task: taskId },
            'journal flush failed; retried with the next lines',
          ),
        );
      }, this.maxDelayMs);
      b.timer.unref();
    }
  }

  /** Write the task's buffered lines as one chunk (serialised per task; lines kept on failure). */
  flush(passId: string, taskId: string): Promise<void> {
    const b = this.buffer(passId, taskId);
    const run = b.chain.then(async () => {
      if (b.timer) {
        clearTimeout(b.timer);
        b.timer = undefined;
      }
      if (b.lines.length === 0) return;
      const lines = b.lines.splice(0, b.lines.length);
      const name = `${Date.now().toString(36).padStart(9, '0')}-${this.writer}-${(this.seq++).toString(36).padStart(6, '0')}`;
      try {
        await this.put(
          `${this.taskPrefix(passId, taskId)}ledger/${name}.ndjson.gz`,
          await gzipP(Buffer.from(ndjson(lines), 'utf8')),
          'application/gzip',
        );
      } catch (e) {
        b.lines.unshift(...lines);
        throw e;
      }
    });
    b.chain = run.catch(() => {});
    return run;
  }

  /** Flush every task's buffer (a worker draining, a coordinator before it reads the ledger). */
  async flushAll(): Promise<void> {
    const ids = [...this.buffers.keys()].map((k) => k.split('\u0000') as [string, string]);
    await Promise.all(ids.map(([p, t]) => this.flush(p, t)));
  }

  /** Chunk keys of a task, oldest first. */
  private async chunks(passId: string, taskId: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const e of this.store.list({ prefix: `${this.taskPrefix(passId, taskId)}ledger/` })) {
      if (e.kind === 'object' && CHUNK.test(e.info.key)) keys.push(e.info.key);
    }
    return keys;
  }

  private async taskLines(passId: string, taskId: string): Promise<ObjectResult[]> {
    const out: ObjectResult[] = [];
    for (const key of await this.chunks(passId, taskId)) out.push(...parseLedger(await this.get(key)));
    const b = this.buffers.get(`${passId}\u0000${taskId}`);
    if (b) out.push(...b.lines);
    return out;
  }

  async taskLedger(passId: string, taskId: string): Promise<ObjectResult[]> {
    return mergeTaskResults(await this.taskLines(passId, taskId));
  }

  async finished(passId: string, taskId: string): Promise<Map<string, string>> {
    const done = new Map<string, string>();
    for (const r of await this.taskLines(passId, taskId)) {
      if (FINAL.has(r.outcome)) done.set(r.key, r.srcEtag ?? '');
      else done.delete(r.key);
    }
    return done;
  }

  async setStatus(passId: string, taskId: string, status: TaskStatus): Promise<TaskSummary | undefined> {
    const prefix = this.taskPrefix(passId, taskId);
    let summary: TaskSummary | undefined;
    if (status !== 'Running') {
      await this.flush(passId, taskId);
      // The ossimport views of the task, once, from every attempt's lines.
      const lines = await this.taskLines(passId, taskId);
      const audit = auditFile(this.o.auditLog ?? 'gzip');
      if (audit) {
        const text = lines.map((r) => `${auditLine(r)}\n`).join('');
        if (audit === AUDIT_FILE.plain) await this.put(`${prefix}${audit}`, text);
        else await this.put(`${prefix}${audit}`, await gzipP(text, { level: 6 }), 'application/gzip');
      }
      const failed = lines.filter((r) => r.outcome === 'failed' || r.failureClass !== undefined);
      if (failed.length)
        await this.put(`${prefix}error.list`, failed.map((r) => `${errorLine(r)}\n`).join(''));
      const merged = mergeTaskResults(lines);
      // attention before summary: a summary is only read with its attention lines in place.
      await this.put(
        `${prefix}${ATTENTION_FILE}`,
        ndjson(merged.filter(needsAttention)),
        'application/x-ndjson',
      );
      summary = summarizeTask(merged, lines.length);
      await this.put(`${prefix}${SUMMARY_FILE}`, `${JSON.stringify(summary)}\n`, 'application/json');
      this.buffers.delete(`${passId}\u0000${taskId}`);
    } else if (await this.store.head(`${prefix}${SUMMARY_FILE}`)) {
      // New lines are coming: strike the summary out (readers then sum the task's ledger).
      await this.put(`${prefix}${SUMMARY_FILE}`, '{"v":0,"running":true}\n', 'application/json');
    }
    await this.put(`${prefix}STATUS`, `${status}\n`);
    return summary;
  }

  async taskAttention(passId: string, taskId: string): Promise<ObjectResult[] | undefined> {
    const text = await this.getIf(`${this.taskPrefix(passId, taskId)}${ATTENTION_FILE}`);
    return text === undefined ? undefined : parseLedger(text);
  }

  async putVerify(passId: string, taskId: string, problems: VerifyResult[]): Promise<void> {
    // Written even when empty (one PUT per task; the store has no delete): a re-run that found
    // nothing must replace an earlier attempt's problems. Readers skip 0-byte files unread.
    await this.put(
      `${this.taskPrefix(passId, taskId)}${VERIFY_FILE}`,
      ndjson(problems),
      'application/x-ndjson',
    );
  }

  async taskVerify(passId: string, taskId: string): Promise<VerifyResult[]> {
    return parseLedger<VerifyResult>(
      (await this.getIf(`${this.taskPrefix(passId, taskId)}${VERIFY_FILE}`)) ?? '',
    );
  }

  async *verifyTasks(passId: string): AsyncIterable<{ taskId: string; problems: VerifyResult[] }> {
    const prefix = this.passPrefix(passId);
    const ahead = Math.max(1, this.o.readAhead ?? 16);
    const pending: Array<{ taskId: string; text: Promise<string> }> = [];
    const take = async (next: { taskId: string; text: Promise<string> }) => ({
      taskId: next.taskId,
      problems: parseLedger<VerifyResult>(await next.text),
    });
    // A verify pass's tasks hold nothing else: one listing of the pass, a GET per task that found
    // something, read ahead in order.
    for await (const e of this.store.list({ prefix })) {
      if (e.kind !== 'object' || e.info.size === 0 || !e.info.key.endsWith(`/${VERIFY_FILE}`)) continue;
      const taskId = e.info.key.slice(prefix.length, -VERIFY_FILE.length - 1);
      if (taskId.includes('/')) continue;
      const text = this.get(e.info.key);
      text.catch(() => {});
      pending.push({ taskId, text });
      if (pending.length >= ahead) yield await take(pending.shift()!);
    }
    while (pending.length) yield await take(pending.shift()!);
  }

  async *ledger(passId: string): AsyncIterable<ObjectResult> {
    await this.flushAll();
    const prefix = this.passPrefix(passId);
    const ahead = Math.max(1, this.o.readAhead ?? 16);
    const pending: Array<{ task: string; text: Promise<string> }> = [];
    const keys = (async function* (store: ObjectStore) {
      for await (const e of store.list({ prefix })) {
        if (e.kind !== 'object') continue;
        const m = /^(.*\/)ledger\/[^/]+\.ndjson(\.gz)?$/.exec(e.info.key);
        if (m) yield { key: e.info.key, task: m[1]! };
      }
    })(this.store);
    // Chunks list in key order, so a task's chunks are adjacent: gather one task's lines, merge
    // them (a task can have run twice), move on. Ordered read-ahead: a pass can have hundreds of
    // thousands of chunks.
    let task: string | undefined;
    let lines: ObjectResult[] = [];
    const take = async function* (next: { task: string; text: Promise<string> }) {
      if (next.task !== task) {
        yield* mergeTaskResults(lines);
        lines = [];
        task = next.task;
      }
      lines.push(...parseLedger(await next.text));
    };
    for await (const { key, task: t } of keys) {
      const text = this.get(key);
      text.catch(() => {});
      pending.push({ task: t, text });
      if (pending.length >= ahead) yield* take(pending.shift()!);
    }
    while (pending.length) yield* take(pending.shift()!);
    yield* mergeTaskResults(lines);
  }

  /** Task ids of a pass, in key order (one LIST entry per task, not per chunk). */
  private async *taskIds(passId: string): AsyncIterable<string> {
    const prefix = this.passPrefix(passId);
    for await (const e of this.store.list({ prefix, delimiter: '/' }))
      if (e.kind === 'prefix') yield e.prefix.slice(prefix.length).replace(/\/$/, '');
  }

  async *digests(passId: string): AsyncIterable<TaskDigest> {
    await this.flushAll();
    const ahead = Math.max(1, this.o.readAhead ?? 16);
    const one = async (t: string): Promise<TaskDigest | undefined> => {
      const prefix = this.taskPrefix(passId, t);
      const ledger = () => this.taskLedger(passId, t);
      const raw = await this.getIf(`${prefix}${SUMMARY_FILE}`);
      const summary = raw === undefined ? undefined : (JSON.parse(raw) as unknown);
      if (isTaskSummary(summary)) {
        const none = summary.open === 0 && !summary.skippedBy.DEST_NEWER;
        const attention = none ? [] : parseLedger((await this.getIf(`${prefix}${ATTENTION_FILE}`)) ?? '');
        return { taskId: t, summary, attention, ledger };
      }
      // Running, interrupted, or written before summaries: its ledger, summed here.
      const merged = await ledger();
      return merged.length ? digestOf(t, merged) : undefined;
    };
    // Ordered read-ahead: a pass has thousands of tasks, each one or two small GETs.
    const pending: Array<Promise<TaskDigest | undefined>> = [];
    for await (const t of this.taskIds(passId)) {
      const d = one(t);
      d.catch(() => {});
      pending.push(d);
      if (pending.length >= ahead) {
        const x = await pending.shift()!;
        if (x) yield x;
      }
    }
    while (pending.length) {
      const x = await pending.shift()!;
      if (x) yield x;
    }
  }

  location(passId: string): string {
    return `${this.store.name}/${this.root ? `${this.root}/` : ''}${passId}/`;
  }

  /** Flush and stop the timers. */
  async close(): Promise<void> {
    await this.flushAll();
    for (const b of this.buffers.values()) if (b.timer) clearTimeout(b.timer);
  }
}
