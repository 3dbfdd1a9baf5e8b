/**
 * copy: list the task's range on both sides (merge-join), process every object, commit the
 * results in batches. A retry task lists nothing: its keys are looked up one by one.
 */
import { unchangedSinceT1 } from '../core/copyPolicy.ts';
import type { CopyTask, ObjectInfo, ObjectResult, VerifyTask } from '../core/types.ts';
import type { TaskOutcome } from '../ports/workQueue.ts';
import { CommitBatch } from './commitBatch.ts';
import type { EngineContext } from './context.ts';
import { processObject } from './copyObject.ts';
import { DestCursor, inListing } from './destCursor.ts';
import { InFlight } from './inFlight.ts';
import { listRange, mapRange, sourceRange } from './taskRange.ts';

/** Source objects of a task: its listing, or (retry tasks) its keys looked up one by one. */
async function* sourceObjects(ctx: EngineContext, task: CopyTask | VerifyTask): AsyncIterable<ObjectInfo> {
  if (task.keys) {
    for (const key of task.keys) {
      if (ctx.signal.aborted || ctx.stopping()) return;
      const head = await ctx.src.head(key, ctx.signal);
      if (head) yield head;
      else yield { key, size: 0, lastModified: new Date(0), etag: '' }; // gone since it failed
    }
    return;
  }
  for await (const e of sourceRange(ctx, task)) if (e.kind === 'object') yield e.info;
}

export async function runCopyTask(ctx: EngineContext, task: CopyTask): Promise<TaskOutcome> {
  const passId = ctx.pass.id;
  await ctx.journal.setStatus(passId, task.id, 'Running');
  const finished = await ctx.journal.finished(passId, task.id);
  const cursor = !task.keys
    ? new DestCursor(
        listRange(ctx.dst, mapRange(task.range, ctx.srcPrefix, ctx.dstPrefix), ctx.signal, task.seenObjects),
        false,
      )
    : undefined;

  let failed = 0;
  let objects = 0;
  let bytes = 0;
  const inflight = new InFlight(ctx.spec.transfer.concurrency);
  let firstError: unknown;

  const commits = new CommitBatch(ctx, task.id, (e) => {
    firstError ??= e;
  });
  const record = (r: ObjectResult): void => {
    objects++;
    bytes += r.bytes;
    if (r.outcome === 'failed') failed++;
    // ossimport workerAbortWhenUncatchedException: an unexpected failure stops the run (softly).
    if (r.outcome === 'failed' && r.failureClass === 'INTERNAL' && ctx.spec.transfer.stopOnInternalError) {
      ctx.requestStop({
        setting: 'transfer.stopOnInternalError',
        key: r.key,
        failureClass: 'INTERNAL',
        reason: r.reason ?? '',
        message:
          `stopping: ${JSON.stringify(r.key)} failed with INTERNAL (${r.reason ?? 'no reason'}) and ` +
          'transfer.stopOnInternalError is true; objects in flight finish, nothing new starts. ' +
          'Fix the cause, then run the same command again to resume (`ossmigrate retry` re-runs the failed object), ' +
          'or set transfer.stopOnInternalError: false to record such failures and go on',
      });
    }
    commits.push(r);
  };

  for await (const src of sourceObjects(ctx, task)) {
    if (ctx.signal.aborted || ctx.stopping() || firstError) break;
    if (finished.has(src.key)) continue;
    // Counted by the scan as unchanged; no journal line, no request.
    if (!task.keys && unchangedSinceT1(src, ctx.window)) continue;
    if (task.keys && src.etag === '') {
      record({
        key: src.key,
        dstKey: src.key,
        outcome: 'skipped',
        size: 0,
        bytes: 0,
        failureClass: 'SOURCE_GONE',
        reason: 'the source object was deleted after it failed',
        attempts: 0,
        ms: 0,
      });
      continue;
    }
    let dst: ObjectInfo | undefined;
    let dstKnown = false;
    const m = ctx.mapKey(src.key);
    if (cursor && 'dstKey' in m && inListing(ctx, src.key, m.dstKey)) {
      dst = await cursor.seek(m.dstKey);
      dstKnown = true;
    }
    await inflight.add(
      processObject(ctx, src, dst, dstKnown)
        .then(record)
        .catch((e: unknown) => {
          firstError ??= e;
        }),
    );
  }
  await inflight.drain();
  await commits.close();
  if (firstError) throw firstError;
  if (ctx.signal.aborted || ctx.stopping()) {
    // Left "Running": the next start re-runs the task and skips what the journal has.
    return { status: 'interrupted', objects, bytes };
  }
  await ctx.journal.setStatus(passId, task.id, failed > 0 ? 'Failed' : 'Completed');
  return { status: failed > 0 ? 'failed' : 'done', objects, bytes };
}
