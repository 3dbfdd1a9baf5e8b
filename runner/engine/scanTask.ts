/**
 * scan: list a prefix (fanning out over sub-prefixes up to scan.depth) and cut the listing into
 * copy/verify tasks of ≤ tasks.maxObjects objects / tasks.maxBytes bytes; a plan pass surveys it.
 */
import { inScope, unchangedSinceT1 } from '../core/copyPolicy.ts';
import { addToSurvey, emptySurvey, type Survey } from '../core/survey.ts';
import type { CopyTask, KeyRange, ObjectInfo, ScanTask, Task, VerifyTask } from '../core/types.ts';
import type { TaskOutcome } from '../ports/workQueue.ts';
import type { EngineContext } from './context.ts';
import { listRange, taskId } from './taskRange.ts';

/** Cuts a key-ordered stream of objects into range tasks. */
class Chunker {
  private startAfter: string | undefined;
  private last: string | undefined;
  private counts = { objects: 0, bytes: 0, seenObjects: 0, seenBytes: 0, unchanged: 0, unchangedBytes: 0 };

  constructor(
    private readonly kind: 'copy' | 'verify',
    private readonly prefix: string,
    private readonly shallow: boolean,
    private readonly limits: { maxObjects: number; maxBytes: number },
    private readonly inScope: (o: ObjectInfo) => boolean,
    private readonly isUnchanged: (o: ObjectInfo) => boolean,
    startAfter: string | undefined,
    private readonly endKey: string | undefined,
  ) {
    this.startAfter = startAfter;
  }

  /** Add an object; returns a finished task when the chunk is full. */
  add(o: ObjectInfo): CopyTask | VerifyTask | undefined {
    this.counts.seenObjects++;
    this.counts.seenBytes += o.size;
    if (this.inScope(o)) {
      this.counts.objects++;
      this.counts.bytes += o.size;
    } else if (this.isUnchanged(o)) {
      this.counts.unchanged++;
      this.counts.unchangedBytes += o.size;
    }
    this.last = o.key;
    if (this.counts.seenObjects >= this.limits.maxObjects || this.counts.seenBytes >= this.limits.maxBytes) {
      return this.cut(o.key);
    }
    return undefined;
  }

  /**
   * The last chunk is open-ended (up to the scan unit's own end), so the tasks tile the whole key
   * space: new keys after the scan are still copied, and verify sees every destination extra.
   */
  finish(): CopyTask | VerifyTask {
    return this.cut(this.endKey);
  }

  private cut(endKey: string | undefined): CopyTask | VerifyTask {
    const range: KeyRange = {
      prefix: this.prefix,
      ...(this.startAfter !== undefined ? { startAfter: this.startAfter } : {}),
      ...(endKey !== undefined ? { endKey } : {}),
      ...(this.shallow ? { shallow: true } : {}),
    };
    const task = { kind: this.kind, id: taskId(this.kind, range), range, ...this.counts };
    this.startAfter = this.last;
    this.counts = { objects: 0, bytes: 0, seenObjects: 0, seenBytes: 0, unchanged: 0, unchangedBytes: 0 };
    return task;
  }
}

export async function runScanTask(ctx: EngineContext, task: ScanTask): Promise<TaskOutcome> {
  const mode = ctx.pass.mode;
  const survey: Survey | undefined = mode === 'plan' ? emptySurvey() : undefined;
  const fanOut = task.depth < ctx.spec.scan.depth;
  const out: Task[] = [];
  let objects = 0;
  let bytes = 0;
  const flush = async (force = false) => {
    if (out.length === 0 || (!force && out.length < 50)) return;
    const batch = out.splice(0, out.length);
    await enqueueCounted(ctx, batch);
  };
  const chunker =
    mode === 'plan'
      ? undefined
      : new Chunker(
          mode,
          task.range.prefix,
          fanOut,
          { maxObjects: ctx.spec.tasks.maxObjects, maxBytes: ctx.spec.tasks.maxBytes },
          (o) => inScope(o, ctx.window, mode),
          (o) => mode === 'copy' && unchangedSinceT1(o, ctx.window),
          task.range.startAfter,
          task.range.endKey,
        );
  for await (const e of listRange(
    ctx.src,
    { ...task.range, ...(fanOut ? { shallow: true } : {}) },
    ctx.signal,
  )) {
    if (e.kind === 'prefix') {
      out.push({
        kind: 'scan',
        id: taskId('scan', { prefix: e.prefix }),
        range: { prefix: e.prefix },
        depth: task.depth + 1,
      });
    } else {
      objects++;
      bytes += e.info.size;
      if (survey) {
        const m = ctx.mapKey(e.info.key);
        addToSurvey(survey, e.info, 'dstKey' in m ? m.dstKey : '', ctx.window.t1);
      }
      const t = chunker?.add(e.info);
      if (t) out.push(t);
    }
    await flush();
  }
  const last = chunker?.finish();
  if (last) out.push(last);
  await flush(true);
  if (survey) await ctx.state.addSurvey(ctx.pass.id, task.id, survey);
  return { status: 'done', objects, bytes };
}

/** Enqueue, and count only what is new (a re-run scan re-enqueues the same ids). */
async function enqueueCounted(ctx: EngineContext, tasks: Task[]): Promise<void> {
  const fresh = await ctx.queue.enqueue(ctx.pass.id, tasks);
  let scannedObjects = 0;
  let scannedBytes = 0;
  let plannedObjects = 0;
  let plannedBytes = 0;
  let unchanged = 0;
  let unchangedBytes = 0;
  for (const t of fresh) {
    if (t.kind === 'scan') continue;
    scannedObjects += t.seenObjects;
    scannedBytes += t.seenBytes;
    plannedObjects += t.objects;
    plannedBytes += t.bytes;
    unchanged += t.unchanged ?? 0;
    unchangedBytes += t.unchangedBytes ?? 0;
  }
  if (scannedObjects > 0) {
    await ctx.state.addCounters(ctx.pass.id, {
      scannedObjects,
      scannedBytes,
      plannedObjects,
      plannedBytes,
      ...(unchanged ? { unchanged, unchangedBytes } : {}),
    });
  }
}
