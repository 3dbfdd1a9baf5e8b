/**
 * Journals in a directory (standalone work dir, or a directory shared by a test fleet):
 *   <root>/<passId>/tasks/<taskId>/{ledger.ndjson, audit.log.gz, error.list, STATUS}
 * ledger.ndjson is the commit record (one JSON line per object, appended before anything else);
 * audit.log.gz (or plain audit.log, or none: journal.auditLog, auditLog.ts) and error.list are
 * the ossimport-style views of the same lines. When the task ends its audit members are packed
 * into one (a batch of a few lines compresses badly on its own).
 * When a task ends its ledger is compressed (ledger.ndjson → ledger.<n>.ndjson.gz, one part per
 * attempt) and its totals written beside it: summary.json and attention.ndjson (what needs
 * attention), which is all a report reads. A task that starts again loses its summary until it
 * ends again (readers then sum its ledger). A verify task writes verify.ndjson (its problems) and
 * nothing else.
 */

import { readFileSync } from 'node:fs';
import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  stat,
  truncate,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { gunzip, gzip } from 'node:zlib';
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
import { AUDIT_FILE, auditFile, gzipMembers } from './auditLog.ts';

// Not `import … from 'node:util'`: the bundle's view of it reads every export, and util's lazy
// ones (TextDecoder …) load its diff and colour tables: ~7 CPU-ms of every start.
const { promisify } = process.getBuiltinModule('node:util');

const gzipP = promisify(gzip);
const gunzipP = promisify(gunzip);

export const SUMMARY_FILE = 'summary.json';
export const ATTENTION_FILE = 'attention.ndjson';
export const VERIFY_FILE = 'verify.ndjson';
const LIVE = 'ledger.ndjson';
const PART = /^ledger\.(\d+)\.ndjson(\.gz)?$/;

/** A task directory's ledger files, oldest first: compressed parts, then the live file. */
export function ledgerParts(names: string[]): { files: string[]; plain: boolean } {
  const parts = new Map<number, { gz: boolean; plain: boolean }>();
  for (const n of names) {
    const m = PART.exec(n);
    if (!m) continue;
    const p = parts.get(Number(m[1])) ?? { gz: false, plain: false };
    if (m[2]) p.gz = true;
    else p.plain = true;
    parts.set(Number(m[1]), p);
  }
  const files: string[] = [];
  let plain = false;
  for (const [n, p] of [...parts].sort((a, b) => a[0] - b[0])) {
    // A plain part is never older than its .gz (the .gz is made from it): prefer it.
    files.push(p.plain ? `ledger.${n}.ndjson` : `ledger.${n}.ndjson.gz`);
    plain ||= p.plain;
  }
  if (names.includes(LIVE)) {
    files.push(LIVE);
    plain = true;
  }
  return { files, plain };
}

/** Text of a ledger file, gzip or not. */
export async function readLedgerFile(path: string): Promise<string> {
  const buf = await readFile(path);
  return path.endsWith('.gz') ? (await gunzipP(buf)).toString('utf8') : buf.toString('utf8');
}

async function writeAtomic(path: string, body: string | Buffer): Promise<void> {
  await writeFile(`${path}.tmp`, body);
  await rename(`${path}.tmp`, path);
}

/** Outcomes a resumed task need not redo. Failures are tried again. */
const FINAL = new Set(['copied', 'skipped', 'deferred']);

export function auditLine(r: ObjectResult): string {
  return [
    new Date().toISOString(),
    r.outcome.toUpperCase(),
    r.size,
    r.srcEtag ?? '-',
    r.dstCrc64 ?? '-',
    r.skipReason ?? r.failureClass ?? '-',
    JSON.stringify(r.key),
  ].join('\t');
}

export function errorLine(r: ObjectResult): string {
  return [
    r.failureClass ?? 'INTERNAL',
    JSON.stringify(r.key),
    `${r.reason ?? ''} | fix: ${r.fix ?? ''}`,
  ].join('\t');
}

/** Parse NDJSON text, ignoring a torn last line (a crash mid-append). */
export function parseLedger<T = ObjectResult>(text: string): T[] {
  const out: T[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // torn write: the object is simply processed again
    }
  }
  return out;
}

export const ndjson = (rows: readonly unknown[]): string =>
  rows.map((r) => `${JSON.stringify(r)}\n`).join('');

/** Open append handles kept per task file: a copy task appends a line per object. */
const MAX_OPEN = 64;

export type LocalJournalOptions = {
  /** journal.auditLog (default gzip). */
  auditLog?: AuditLogMode;
};

export class LocalJournal implements Journal {
  private readonly made = new Set<string>();
  private readonly handles = new Map<string, Promise<FileHandle>>();
  /** audit.log.gz files this process has checked for a torn tail before appending. */
  private readonly whole = new Set<string>();
  private readonly audit: string | undefined;

  constructor(
    readonly root: string,
    o: LocalJournalOptions = {},
  ) {
    this.audit = auditFile(o.auditLog ?? 'gzip');
  }

  private async appendTo(path: string, text: string | Buffer): Promise<void> {
    let h = this.handles.get(path);
    if (!h) {
      if (this.handles.size >= MAX_OPEN) await this.closeOldest();
      h = open(path, 'a');
      this.handles.set(path, h);
    }
    await (await h).appendFile(text);
  }

  private async closeOldest(): Promise<void> {
    const [path, h] = this.handles.entries().next().value as [string, Promise<FileHandle>];
    this.handles.delete(path);
    await (await h).close().catch(() => {});
  }

  /** Close a task's files (when it ends) or all of them. */
  async close(dir?: string): Promise<void> {
    for (const [path, h] of [...this.handles]) {
      if (dir !== undefined && !path.startsWith(`${dir}/`)) continue;
      this.handles.delete(path);
      await (await h).close().catch(() => {});
    }
  }

  private dir(passId: string, taskId: string): string {
    return join(this.root, passId, 'tasks', taskId);
  }

  private async ensure(dir: string): Promise<void> {
    if (this.made.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.made.add(dir);
  }

  async append(passId: string, taskId: string, results: ObjectResult[]): Promise<void> {
    if (results.length === 0) return;
    const dir = this.dir(passId, taskId);
    await this.ensure(dir);
    await this.appendTo(join(dir, 'ledger.ndjson'), ndjson(results));
    if (this.audit) {
      const text = results.map((r) => `${auditLine(r)}\n`).join('');
      const path = join(dir, this.audit);
      if (this.audit === AUDIT_FILE.plain) await this.appendTo(path, text);
      else {
        // One member per batch: a crash tears at most this one.
        const member = await gzipP(text, { level: 6 });
        if (!this.whole.has(path)) await this.cutTornTail(path);
        await this.appendTo(path, member);
      }
    }
    const failed = results.filter((r) => r.outcome === 'failed' || r.failureClass !== undefined);
    if (failed.length)
      await this.appendTo(join(dir, 'error.list'), failed.map((r) => `${errorLine(r)}\n`).join(''));
  }

  /**
   * A crashed attempt may have left a torn member at the end of audit.log.gz: cut it off before
   * appending (its lines are in the ledger), or zcat would stop there and miss every later line.
   */
  private async cutTornTail(path: string): Promise<void> {
    const buf = await readFile(path).catch(() => undefined);
    if (buf) {
      const { whole } = gzipMembers(buf);
      if (whole < buf.length) await truncate(path, whole);
    }
    this.whole.add(path);
  }

  /** Pack the ended task's audit members into one gzip member (≈ 40 B per object whatever the batches). */
  private async packAudit(dir: string): Promise<void> {
    if (this.audit !== AUDIT_FILE.gzip) return;
    const path = join(dir, this.audit);
    this.whole.delete(path);
    const buf = await readFile(path).catch(() => undefined);
    if (!buf) return;
    const { text, whole, members } = gzipMembers(buf);
    if (members <= 1 && whole === buf.length) return;
    await writeFile(`${path}.tmp`, await gzipP(text, { level: 6 }));
    // Another attempt of the task (a lost queue lease) appended meanwhile: keep its members.
    if ((await stat(path)).size === buf.length) await rename(`${path}.tmp`, path);
    else await unlink(`${path}.tmp`);
  }

  /** Every line of a task, every attempt, in write order. */
  private async lines(dir: string, names?: string[]): Promise<ObjectResult[]> {
    let ls = names;
    if (!ls) {
      try {
        ls = await readdir(dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw e;
      }
    }
    const out: ObjectResult[] = [];
    for (const f of ledgerParts(ls).files) {
      try {
        for (const r of parseLedger(await readLedgerFile(join(dir, f)))) out.push(r);
      } catch (e) {
        // Compressed or renamed by an attempt ending meanwhile: read the directory again.
        if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !names)
          return this.lines(dir, await readdir(dir));
        throw e;
      }
    }
    return out;
  }

  /** Compress the task's plain ledger files (the task ended; its handles are closed). */
  private async compact(dir: string): Promise<void> {
    let names = await readdir(dir);
    let next = 0;
    for (const n of names) {
      const m = PART.exec(n);
      if (m) next = Math.max(next, Number(m[1]) + 1);
    }
    if (names.includes(LIVE)) {
      await rename(join(dir, LIVE), join(dir, `ledger.${next}.ndjson`));
      names = await readdir(dir);
    }
    for (const n of names) {
      const m = PART.exec(n);
      if (!m || m[2]) continue;
      const plain = join(dir, n);
      const buf = await readFile(plain);
      const packed = join(dir, `${n}.gz`);
      await writeAtomic(packed, await gzipP(buf, { level: 6 }));
      // Another attempt of the task (a lost queue lease) still appending: leave its file plain.
      if ((await stat(plain)).size === buf.length) await unlink(plain);
      else await unlink(packed);
    }
  }

  async taskLedger(passId: string, taskId: string): Promise<ObjectResult[]> {
    return mergeTaskResults(await this.lines(this.dir(passId, taskId)));
  }

  async finished(passId: string, taskId: string): Promise<Map<string, string>> {
    const done = new Map<string, string>();
    for (const r of await this.lines(this.dir(passId, taskId))) {
      if (FINAL.has(r.outcome)) done.set(r.key, r.srcEtag ?? '');
      else done.delete(r.key);
    }
    return done;
  }

  async setStatus(passId: string, taskId: string, status: TaskStatus): Promise<TaskSummary | undefined> {
    const dir = this.dir(passId, taskId);
    await this.ensure(dir);
    let summary: TaskSummary | undefined;
    if (status === 'Running') {
      // New lines are coming: the summary no longer holds the whole task.
      await unlink(join(dir, SUMMARY_FILE)).catch(() => {});
    } else {
      await this.close(dir);
      await this.compact(dir);
      await this.packAudit(dir);
      const lines = await this.lines(dir);
      const merged = mergeTaskResults(lines);
      await writeAtomic(join(dir, ATTENTION_FILE), ndjson(merged.filter(needsAttention)));
      summary = summarizeTask(merged, lines.length);
      await writeAtomic(join(dir, SUMMARY_FILE), `${JSON.stringify(summary)}\n`);
    }
    await writeFile(join(dir, 'STATUS'), `${status}\n`);
    return summary;
  }

  async taskAttention(passId: string, taskId: string): Promise<ObjectResult[] | undefined> {
    // Sync: one call instead of four thread-pool round trips (open, stat, read, close), ~6× less
    // CPU; a report reads one such small file per task with attention (10⁶ at 10⁹ objects), and
    // its stream yields to the event loop between batches of tasks.
    let text: string;
    try {
      text = readFileSync(join(this.dir(passId, taskId), ATTENTION_FILE), 'utf8');
    } catch {
      return undefined;
    }
    return parseLedger(text);
  }

  async putVerify(passId: string, taskId: string, problems: VerifyResult[]): Promise<void> {
    const dir = this.dir(passId, taskId);
    if (problems.length === 0) {
      // An earlier attempt's problems must not outlive it.
      await unlink(join(dir, VERIFY_FILE)).catch(() => {});
      return;
    }
    await this.ensure(dir);
    await writeAtomic(join(dir, VERIFY_FILE), ndjson(problems));
  }

  async taskVerify(passId: string, taskId: string): Promise<VerifyResult[]> {
    // Sync, as taskAttention: one small file per task that found something.
    try {
      return parseLedger<VerifyResult>(readFileSync(join(this.dir(passId, taskId), VERIFY_FILE), 'utf8'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  async *verifyTasks(passId: string): AsyncIterable<{ taskId: string; problems: VerifyResult[] }> {
    let n = 0;
    for (const taskId of await this.tasks(passId)) {
      const problems = await this.taskVerify(passId, taskId);
      if (problems.length) yield { taskId, problems };
      // Sync reads would otherwise hold timers back over a pass of 10⁶ tasks.
      if (++n % 64 === 0) await new Promise((ok) => setImmediate(ok));
    }
  }

  private async tasks(passId: string): Promise<string[]> {
    try {
      return (await readdir(join(this.root, passId, 'tasks'))).sort();
    } catch {
      return [];
    }
  }

  /** One task's digest: its summary when it has ended (the common case: one or two small reads). */
  private async digest(passId: string, t: string): Promise<TaskDigest | undefined> {
    const dir = join(this.root, passId, 'tasks', t);
    const ledger = () => this.taskLedger(passId, t);
    const raw = await readFile(join(dir, SUMMARY_FILE), 'utf8').catch(() => undefined);
    const summary = raw === undefined ? undefined : (JSON.parse(raw) as unknown);
    if (isTaskSummary(summary)) {
      // Nothing failed, deferred or kept: attention.ndjson is empty, no need to read it.
      const none = summary.open === 0 && !summary.skippedBy.DEST_NEWER;
      const attention = none
        ? []
        : parseLedger(await readFile(join(dir, ATTENTION_FILE), 'utf8').catch(() => ''));
      return { taskId: t, summary, attention, ledger };
    }
    // Running, interrupted, or written before summaries: its ledger, summed here.
    const merged = await ledger();
    return merged.length ? digestOf(t, merged) : undefined;
  }

  async *digests(passId: string): AsyncIterable<TaskDigest> {
    // Ordered read-ahead: thousands of tasks, each a small file or two.
    const pending: Array<Promise<TaskDigest | undefined>> = [];
    const next = async () => {
      const d = await pending.shift()!;
      return d;
    };
    for (const t of await this.tasks(passId)) {
      const d = this.digest(passId, t);
      d.catch(() => {});
      pending.push(d);
      if (pending.length >= 16) {
        const x = await next();
        if (x) yield x;
      }
    }
    while (pending.length) {
      const x = await next();
      if (x) yield x;
    }
  }

  async *ledger(passId: string): AsyncIterable<ObjectResult> {
    // One task at a time: tasks are bounded (tasks.maxObjects), the pass is not.
    for (const t of await this.tasks(passId)) yield* await this.taskLedger(passId, t);
  }

  location(passId: string): string {
    return join(this.root, passId);
  }
}
