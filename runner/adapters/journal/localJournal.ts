/**
 * Journals in a directory (standalone work dir, or a directory shared by a test fleet):
 *   <root>/<passId>/tasks/<taskId>/{ledger.ndjson, audit.log, error.list, STATUS}
 * ledger.ndjson is the commit record (one JSON line per object, appended before anything else);
 * audit.log and error.list are the ossimport-style views of the same lines.
 */
import { type FileHandle, mkdir, open, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mergeTaskResults } from '../../core/ledger.ts';
import type { ObjectResult } from '../../core/types.ts';
import type { Journal, TaskStatus } from '../../ports/journal.ts';

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
export function parseLedger(text: string): ObjectResult[] {
  const out: ObjectResult[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as ObjectResult);
    } catch {
      // torn write: the object is simply processed again
    }
  }
  return out;
}

/** Open append handles kept per task file: a copy task appends a line per object. */
const MAX_OPEN = 64;

export class LocalJournal implements Journal {
  private readonly made = new Set<string>();
  private readonly handles = new Map<string, Promise<FileHandle>>();

  constructor(readonly root: string) {}

  private async appendTo(path: string, text: string): Promise<void> {
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
    await this.appendTo(join(dir, 'ledger.ndjson'), results.map((r) => `${JSON.stringify(r)}\n`).join(''));
    await this.appendTo(join(dir, 'audit.log'), results.map((r) => `${auditLine(r)}\n`).join(''));
    const failed = results.filter((r) => r.outcome === 'failed' || r.failureClass !== undefined);
    if (failed.length)
      await this.appendTo(join(dir, 'error.list'), failed.map((r) => `${errorLine(r)}\n`).join(''));
  }

  async finished(passId: string, taskId: string): Promise<Map<string, string>> {
    const done = new Map<string, string>();
    let text: string;
    try {
      text = await readFile(join(this.dir(passId, taskId), 'ledger.ndjson'), 'utf8');
    } catch {
      return done;
    }
    for (const r of parseLedger(text)) {
      if (FINAL.has(r.outcome)) done.set(r.key, r.srcEtag ?? '');
      else done.delete(r.key);
    }
    return done;
  }

  async setStatus(passId: string, taskId: string, status: TaskStatus): Promise<void> {
    const dir = this.dir(passId, taskId);
    await this.ensure(dir);
    await writeFile(join(dir, 'STATUS'), `${status}\n`);
    if (status !== 'Running') await this.close(dir);
  }

  async *ledger(passId: string): AsyncIterable<ObjectResult> {
    let tasks: string[];
    try {
      tasks = (await readdir(join(this.root, passId, 'tasks'))).sort();
    } catch {
      return;
    }
    for (const t of tasks) {
      const file = join(this.root, passId, 'tasks', t, 'ledger.ndjson');
      let text: string;
      try {
        // One task at a time: tasks are bounded (tasks.maxObjects), the pass is not.
        text = await readFile(file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        continue;
      }
      yield* mergeTaskResults(parseLedger(text));
    }
  }

  async taskLedger(passId: string, taskId: string): Promise<ObjectResult[]> {
    try {
      return mergeTaskResults(
        parseLedger(await readFile(join(this.dir(passId, taskId), 'ledger.ndjson'), 'utf8')),
      );
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  location(passId: string): string {
    return join(this.root, passId);
  }
}
