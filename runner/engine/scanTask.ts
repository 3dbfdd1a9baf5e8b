/**
 * scan: list a prefix (fanning out over sub-prefixes up to scan.depth) and cut the listing into
 * copy/verify tasks of ≤ tasks.maxObjects objects / tasks.maxBytes bytes; a plan pass surveys it.
 * A flat prefix (a full first page, no sub-prefix) is split into listing.listers key ranges from
 * start-after probes, each its own scan task; a range that stays large splits again in two.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { inScope, unchangedSinceT1 } from '../core/copyPolicy.ts';
import { ConfigError } from '../core/errors.ts';
import { chooseSplits } from '../core/keySplit.ts';
import { compareKeys } from '../core/keys.ts';
import { addToSurvey, emptySurvey, type Survey } from '../core/survey.ts';
import type { CopyTask, KeyRange, ListEntry, ObjectInfo, ScanTask, Task, VerifyTask } from '../core/types.ts';
import { LIST_PAGE } from '../ports/objectStore.ts';
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
  finish(endKey = this.endKey): CopyTask | VerifyTask | undefined {
    // Cut at a split key that just closed a chunk: (k, k] would be an empty task.
    if (endKey !== undefined && endKey === this.startAfter) return undefined;
    return this.cut(endKey);
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
  const root =
    task.depth === 0 && !task.split && task.range.startAfter === undefined && task.range.endKey === undefined;
  if (root && ctx.spec.listing.inventory) {
    const done = await runInventoryScan(ctx, task, ctx.spec.listing.inventory);
    if (done) return done;
  }
  const mode = ctx.pass.mode;
  const survey: Survey | undefined = mode === 'plan' ? emptySurvey() : undefined;
  const fanOut = task.depth < ctx.spec.scan.depth;
  const out: Task[] = [];
  let objects = 0;
  let bytes = 0;
  // The end of the last copy/verify task enqueued: where a scan handing its rest back stopped.
  let enqueuedTo = task.range.startAfter;
  let handedBack = false;
  /** Enqueue what is ready; false once the queue was full and the rest was handed back. */
  const flush = async (force = false): Promise<boolean> => {
    if (out.length === 0 || (!force && out.length < 50)) return true;
    while (out.length) {
      const room = await roomFor(ctx);
      if (room === 0) {
        await handBack(ctx, task, out, enqueuedTo, end);
        handedBack = true;
        return false;
      }
      const batch = out.splice(0, room);
      await enqueueCounted(ctx, batch);
      for (const t of batch)
        if (t.kind !== 'scan' && t.range.endKey !== undefined) enqueuedTo = t.range.endKey;
    }
    return true;
  };
  if ((await roomFor(ctx)) === 0) {
    if (!task.resumed) {
      // Nothing listed yet: hand the whole range back at the cost of one enqueue, no LIST.
      await handBack(ctx, task, [], task.range.startAfter, task.range.endKey);
      return { status: 'done', objects: 0, bytes: 0 };
    }
    // A scan handed back runs only when no copy task waits: waiting here holds no slot they need.
    await waitForRoom(ctx);
  }
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
  const gen = task.split ?? 0;
  const listers = listersOf(ctx.spec);
  const splitAt =
    listers > 1 && gen < MAX_SPLITS
      ? ctx.spec.listing.splitAfter * (gen === 0 ? 1 : RESPLIT_PAGES)
      : Infinity;
  let sawPrefix = false;
  let splitAfterKey: string | undefined;
  let firstKey: string | undefined;
  // The latest keys listed: the split's model learns their bytes too.
  const recent: string[] = [];
  // A range that stays large is cut in two while this scan lists on (no lister idles through the
  // probes): it keeps the first half, the second is a new scan task. The entries listed meanwhile
  // wait in `held` until the cut is known, so what this scan covers depends on the probes' answers
  // only, never on timing: a re-run makes the same cut, and the queue drops the task it has.
  let end = task.range.endKey;
  let cut: Promise<ScanTask[]> | undefined;
  let resplit = false;
  const held: ListEntry[] = [];
  /** One listed entry; false: the scan's range ended before it. */
  const take = (e: ListEntry): boolean => {
    if (resplit && end !== undefined && compareKeys(e.kind === 'object' ? e.info.key : e.prefix, end) > 0)
      return false;
    if (e.kind === 'prefix') {
      // A listing that starts inside a sub-prefix sees it again: it belongs to the range before.
      if (task.range.startAfter !== undefined && compareKeys(e.prefix, task.range.startAfter) <= 0)
        return true;
      sawPrefix = true;
      out.push({
        kind: 'scan',
        id: taskId('scan', { prefix: e.prefix }),
        range: { prefix: e.prefix },
        depth: task.depth + 1,
      });
      return true;
    }
    objects++;
    bytes += e.info.size;
    firstKey ??= e.info.key;
    if (splitAt !== Infinity && !resplit) {
      recent.push(e.info.key);
      if (recent.length >= 2 * PROBE_SAMPLE) recent.splice(0, PROBE_SAMPLE);
    }
    if (survey) {
      const m = ctx.mapKey(e.info.key);
      addToSurvey(survey, e.info, 'dstKey' in m ? m.dstKey : '', ctx.window.t1);
    }
    const t = chunker?.add(e.info);
    if (t) out.push(t);
    if (objects >= splitAt && !resplit && cut === undefined) {
      if (gen > 0) {
        cut = splitRest(ctx, task, firstKey, recent.slice(-PROBE_SAMPLE), e.info.key, 2);
        // Awaited below; a probe that fails while the scan lists on must not go unhandled.
        cut.catch(() => {});
      } else if (!sawPrefix) {
        // A flat prefix (the first page full, no sub-prefix): the rest is split into ranges.
        splitAfterKey = e.info.key;
        return false;
      }
    }
    return true;
  };
  const applyCut = async (): Promise<boolean> => {
    const parts = await cut!;
    cut = undefined;
    resplit = true;
    end = parts[0]?.range.endKey;
    out.push(...parts.slice(1));
    const batch = held.splice(0);
    for (let i = 0; i < batch.length; i++) {
      // Up to 8 pages at once: let other listers' answers in between pages.
      if (i > 0 && i % LIST_PAGE === 0) await new Promise<void>((r) => setImmediate(r));
      if (!take(batch[i]!)) return false;
    }
    return true;
  };
  for await (const e of listRange(
    ctx.src,
    { ...task.range, ...(fanOut ? { shallow: true } : {}) },
    ctx.signal,
    undefined,
    LIST_PAGE,
  )) {
    if (cut) {
      held.push(e);
      if (held.length < HOLD_WHILE_SPLITTING) continue;
      if (!(await applyCut())) break;
    } else if (!take(e)) break;
    if (out.length >= 50 && !(await flush())) break;
  }
  if (handedBack) return { status: 'done', objects, bytes };
  if (cut) await applyCut();
  if (splitAfterKey !== undefined) {
    out.push(...(await splitRest(ctx, task, firstKey, recent.slice(-PROBE_SAMPLE), splitAfterKey, listers)));
  }
  const last = chunker?.finish(splitAfterKey ?? end);
  if (last) {
    out.push(last);
    // The root scan listed the whole source prefix and it is empty: its one task (the whole range)
    // need not list it again. Any entry, split or stop keeps the usual re-listing.
    if (root && objects === 0 && !sawPrefix && !ctx.signal.aborted && !ctx.stopping())
      ctx.knownEmpty?.add(last.id);
  }
  await flush(true);
  if (survey) await ctx.state.addSurvey(ctx.pass.id, task.id, survey);
  return { status: 'done', objects, bytes };
}

/**
 * The root scan from listing.inventory instead of LIST: the rows in key order cut into tasks
 * that tile the whole key space (copy/verify tasks still list their own range, so objects written
 * after the inventory are copied too; only the counts miss them). Undefined: list instead (an
 * incremental pass with an inventory older than T1, which cannot show what changed since).
 */
async function runInventoryScan(
  ctx: EngineContext,
  task: ScanTask,
  url: string,
): Promise<TaskOutcome | undefined> {
  const inv = await import('./inventory.ts');
  const u = inv.parseInventoryUrl(url);
  const store = u.scheme === 'file' ? undefined : inventoryStore(ctx, u.scheme, u.bucket);
  const { manifest, files } = await inv.openInventory(url, store);
  const made = manifest.createdAt?.toISOString() ?? 'an unknown time';
  if (ctx.window.phase === 'incremental' && !(manifest.createdAt && manifest.createdAt > ctx.window.t1)) {
    ctx.emit({
      type: 'log',
      level: 'info',
      message: `listing.inventory was generated at ${made}, before T1: it cannot show what changed since, so this pass lists the source (point listing.inventory at a newer report to skip LIST)`,
    });
    return undefined;
  }
  ctx.emit({
    type: 'log',
    level: 'warn',
    message: `scanning from the inventory generated at ${made} (no LIST): objects written after it are not in the planned counts; copy tasks list their key ranges, so they are still copied, and the incremental phase lists again or reads a newer inventory`,
  });
  const mode = ctx.pass.mode;
  const survey: Survey | undefined = mode === 'plan' ? emptySurvey() : undefined;
  const chunker =
    mode === 'plan'
      ? undefined
      : new Chunker(
          mode,
          task.range.prefix,
          false,
          { maxObjects: ctx.spec.tasks.maxObjects, maxBytes: ctx.spec.tasks.maxBytes },
          (o) => inScope(o, ctx.window, mode),
          (o) => mode === 'copy' && unchangedSinceT1(o, ctx.window),
          undefined,
          undefined,
        );
  const out: Task[] = [];
  let objects = 0;
  let bytes = 0;
  for await (const o of inv.sortedInventory(manifest, files, task.range.prefix)) {
    if (ctx.signal.aborted) return { status: 'interrupted', objects, bytes };
    objects++;
    bytes += o.size;
    if (survey) {
      const m = ctx.mapKey(o.key);
      addToSurvey(survey, o, 'dstKey' in m ? m.dstKey : '', ctx.window.t1);
    }
    const t = chunker?.add(o);
    if (t) out.push(t);
    while (out.length >= 50) await enqueueCounted(ctx, out.splice(0, await waitForRoom(ctx)));
  }
  const last = chunker?.finish();
  if (last) out.push(last);
  while (out.length) await enqueueCounted(ctx, out.splice(0, await waitForRoom(ctx)));
  if (survey) await ctx.state.addSurvey(ctx.pass.id, task.id, survey);
  return { status: 'done', objects, bytes };
}

/** The store an oss:// or cos:// inventory is read from: the source's or the destination's bucket. */
function inventoryStore(ctx: EngineContext, scheme: 'oss' | 'cos', bucket: string) {
  const s = ctx.spec.source;
  if (s.type === scheme && s.bucket === bucket) return ctx.src;
  if (scheme === 'oss' && ctx.spec.destination.bucket === bucket) return ctx.dst;
  throw new ConfigError(
    `listing.inventory: ${scheme}://${bucket}/… is neither the source nor the destination bucket`,
    'deliver the inventory report to the source bucket (or, for OSS, the destination bucket), or download it and give the local path of manifest.json',
  );
}

/** Splits a scan makes at most along one chain (gen 0 into `listers`, then halves). */
const MAX_SPLITS = 6;
/** A split-off range splits again once it has listed this many pages itself. */
const RESPLIT_PAGES = 50;
/** Entries a re-splitting scan lists ahead while its probes run (then it waits for the cut). */
const HOLD_WHILE_SPLITTING = 8 * LIST_PAGE;

/** listing.listers, or transfer.concurrency / 4 within 2-16. */
export function listersOf(spec: EngineContext['spec']): number {
  return spec.listing.listers ?? Math.min(16, Math.max(2, Math.floor(spec.transfer.concurrency / 4)));
}

/**
 * Keys a probe reads of its page (within the first LIST page of every store here, so no extra
 * request): 100 consecutive keys per probe teach the alphabets as well as 1,000 did.
 */
const PROBE_SAMPLE = 100;

/**
 * Scan tasks for the rest of a range after `after`: (after, b1], …, (b_{n-1}, end]. The probes
 * list without a delimiter (one page each: its keys teach the split's model), so sub-prefix
 * contents count as key mass too.
 */
async function splitRest(
  ctx: EngineContext,
  task: ScanTask,
  first: string | undefined,
  sample: string[],
  after: string,
  n: number,
): Promise<ScanTask[]> {
  const { prefix, endKey } = task.range;
  const probe = async (from: string): Promise<string[]> => {
    const page: string[] = [];
    // One page of PROBE_SAMPLE keys: enough to learn the alphabet, no 1,000-key page to parse.
    for await (const e of ctx.src.list({
      prefix,
      startAfter: from,
      signal: ctx.signal,
      pageSize: PROBE_SAMPLE,
    })) {
      page.push(e.kind === 'object' ? e.info.key : e.prefix);
      if (page.length >= PROBE_SAMPLE) break;
    }
    return page;
  };
  const cuts = await chooseSplits({
    prefix,
    lo: after,
    ...(endKey !== undefined ? { hi: endKey } : {}),
    ...(first !== undefined ? { first } : {}),
    sample,
    n,
    probe,
  });
  const bounds: Array<string | undefined> = [after, ...cuts, endKey];
  const gen = (task.split ?? 0) + 1;
  return bounds.slice(0, -1).map((startAfter, i) => {
    const end = bounds[i + 1];
    const range = {
      prefix,
      ...(startAfter !== undefined ? { startAfter } : {}),
      ...(end !== undefined ? { endKey: end } : {}),
    };
    return { kind: 'scan', id: taskId('scan', range), range, depth: task.depth, split: gen };
  });
}

/** How often a paused scan looks at the queue again. */
const ROOM_POLL_MS = 500;

/** Polls with nothing running and nothing finished before a paused scan goes on anyway. */
const STALL_POLLS = 10;

/**
 * Scan back-pressure (listing.maxWaitingTasks): how many copy/verify tasks of the pass may be
 * added now, so the queue (Redis in a fleet) holds a bounded number whatever the bucket holds.
 * Only the room left: scans passing this check at once (on other workers) overshoot the bound by
 * at most the room each saw, never by a whole batch. 0: none.
 */
async function roomFor(ctx: EngineContext): Promise<number> {
  const mode = ctx.pass.mode;
  if (mode === 'plan' || ctx.signal.aborted || ctx.stopping()) return Infinity;
  const c = await ctx.queue.counts(ctx.pass.id, mode);
  return Math.max(0, ctx.spec.listing.maxWaitingTasks - c.pending);
}

/**
 * A scan that finds the queue full hands the rest of its range back instead of waiting in its
 * task slot: with more scans than slots (a deep key space), paused scans would hold every slot
 * and no copy task could run to make room. The rest is a scan task that runs after the copy tasks
 * waiting. It starts after the last copy/verify task enqueued: the chunker's cuts depend on keys
 * only, so its tasks are the ones this scan would have made (a re-run's duplicates are dropped by
 * id). Scan tasks not yet enqueued go now; the re-listing sees them again and the queue drops them.
 */
async function handBack(
  ctx: EngineContext,
  task: ScanTask,
  out: Task[],
  after: string | undefined,
  end: string | undefined,
): Promise<void> {
  const range: KeyRange = {
    prefix: task.range.prefix,
    ...(after !== undefined ? { startAfter: after } : {}),
    ...(end !== undefined ? { endKey: end } : {}),
  };
  const resumed = (task.resumed ?? 0) + 1;
  const rest: ScanTask = {
    kind: 'scan',
    // The count keeps a range handed back before anything was listed apart from the scan itself.
    id: taskId('scan', range, `resumed ${resumed}`),
    range,
    depth: task.depth,
    ...(task.split ? { split: task.split } : {}),
    resumed,
  };
  await enqueueCounted(ctx, [...out.filter((t) => t.kind === 'scan'), rest]);
  ctx.log.info(
    { pass: ctx.pass.id, prefix: task.range.prefix, after, bound: ctx.spec.listing.maxWaitingTasks },
    'scan handed back: more than listing.maxWaitingTasks tasks wait to run',
  );
}

/**
 * Wait for room (listing.maxWaitingTasks) in a slot: for an inventory read (which cannot resume
 * part-way) and a scan handed back (it runs only when no copy task waits). If none runs or ends
 * for STALL_POLLS polls, every task slot may hold such a wait: go on rather than stall the pass.
 */
async function waitForRoom(ctx: EngineContext): Promise<number> {
  const mode = ctx.pass.mode;
  if (mode === 'plan') return Infinity;
  const bound = ctx.spec.listing.maxWaitingTasks;
  let told = false;
  let ended = -1;
  let stalled = 0;
  for (;;) {
    if (ctx.signal.aborted || ctx.stopping()) return Infinity;
    const c = await ctx.queue.counts(ctx.pass.id, mode);
    if (c.pending < bound) return bound - c.pending;
    stalled = c.running === 0 && c.done + c.failed === ended ? stalled + 1 : 0;
    ended = c.done + c.failed;
    if (stalled >= STALL_POLLS) return Infinity;
    if (!told) {
      told = true;
      ctx.log.info(
        { pass: ctx.pass.id, waiting: c.pending, bound },
        'scan paused: more than listing.maxWaitingTasks tasks wait to run',
      );
    }
    await sleep(ROOM_POLL_MS, undefined, { signal: ctx.signal }).catch(() => {});
  }
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
