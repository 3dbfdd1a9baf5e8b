/**
 * Task runners, written once against the ports: the standalone engine and every fleet worker run
 * these same functions.
 *   scan   – list a prefix (fanning out over sub-prefixes up to scan.depth) and cut the listing
 *            into copy/verify tasks of ≤ tasks.maxObjects objects / tasks.maxBytes bytes
 *   copy   – list the task's range on both sides (merge-join), process every object
 *   verify – list both sides, HEAD where needed, report missing / different / extra
 */
import { createHash } from 'node:crypto';
import { toMigrationError } from '../core/errors.ts';
import { compareKeys } from '../core/keys.ts';
import { inWindow, isPlainMd5, listedKey, PROVENANCE } from '../core/copyPolicy.ts';
import { addToSurvey, emptySurvey, type Survey } from '../core/survey.ts';
import type {
  CopyTask,
  Counters,
  KeyRange,
  ListEntry,
  ObjectHead,
  ObjectInfo,
  ObjectResult,
  PhaseWindow,
  ScanTask,
  Task,
  VerifyResult,
  VerifyTask,
} from '../core/types.ts';
import type { ObjectStore } from '../ports/objectStore.ts';
import type { TaskOutcome } from '../ports/workQueue.ts';
import type { EngineContext } from './context.ts';
import { processObject } from './copyObject.ts';
import { InFlight } from './inFlight.ts';
import { withRetries } from './retry.ts';

/** Content-derived task ids: re-enqueueing the same range is a no-op (idempotent scans). */
export function taskId(kind: Task['kind'], range: KeyRange, extra = ''): string {
  const h = createHash('sha1')
    .update(JSON.stringify([kind, range, extra]))
    .digest('hex')
    .slice(0, 16);
  return `${kind}-${h}`;
}

/** Entries of a range, in key order, bounded by startAfter (exclusive) and endKey (inclusive). */
export async function* listRange(
  store: ObjectStore,
  range: KeyRange,
  signal?: AbortSignal,
): AsyncIterable<ListEntry> {
  for await (const e of store.list({
    prefix: range.prefix,
    ...(range.startAfter !== undefined ? { startAfter: range.startAfter } : {}),
    ...(range.shallow ? { delimiter: '/' } : {}),
    ...(signal ? { signal } : {}),
  })) {
    const key = e.kind === 'object' ? e.info.key : e.prefix;
    if (range.endKey !== undefined && compareKeys(key, range.endKey) > 0) return;
    yield e;
  }
}

/** The same range on the destination side (prefixes swapped). */
export function mapRange(range: KeyRange, srcPrefix: string, dstPrefix: string): KeyRange {
  const swap = (k: string) => dstPrefix + (k.startsWith(srcPrefix) ? k.slice(srcPrefix.length) : k);
  return {
    prefix: swap(range.prefix),
    ...(range.startAfter !== undefined ? { startAfter: swap(range.startAfter) } : {}),
    ...(range.endKey !== undefined ? { endKey: swap(range.endKey) } : {}),
    ...(range.shallow ? { shallow: true } : {}),
  };
}

// ---- scan --------------------------------------------------------------------------------------

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

/**
 * Incremental phase: not modified since T1, so the full phase copied it. Not this phase's work:
 * neither copied, skipped nor deferred (ossimport's incremental listing does not see it either).
 */
export function unchangedSinceT1(o: Pick<ObjectInfo, 'lastModified'>, w: PhaseWindow): boolean {
  return w.phase === 'incremental' && o.lastModified.getTime() < w.t1.getTime();
}

/** Does this object belong to the pass (copy window, or verify scope)? */
export function inScope(o: ObjectInfo, w: PhaseWindow, mode: 'copy' | 'verify' | 'plan'): boolean {
  if (mode !== 'verify') return inWindow(o.lastModified, w);
  // Verify checks everything that should be there by now, not only this window's changes.
  const t = o.lastModified.getTime();
  return w.phase === 'full' ? t < w.t1.getTime() : w.t2 === undefined || t <= w.t2.getTime();
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

// ---- copy --------------------------------------------------------------------------------------

/** Walks a destination listing alongside the source listing (both in key order). */
class DestCursor {
  private readonly it: AsyncIterator<ListEntry>;
  private head: ObjectInfo | undefined;
  private done = false;
  /** Destination objects passed over without a source counterpart (verify reports them). */
  readonly skipped: ObjectInfo[] = [];
  readonly prefixes: string[] = [];

  constructor(
    entries: AsyncIterable<ListEntry>,
    private readonly keepSkipped: boolean,
  ) {
    this.it = entries[Symbol.asyncIterator]();
  }

  private async pull(): Promise<void> {
    while (!this.head && !this.done) {
      const r = await this.it.next();
      if (r.done) {
        this.done = true;
        return;
      }
      if (r.value.kind === 'object') this.head = r.value.info;
      else if (this.keepSkipped) this.prefixes.push(r.value.prefix);
    }
  }

  /** The destination object with exactly this key, if listed; advances past smaller keys. */
  async seek(key: string): Promise<ObjectInfo | undefined> {
    for (;;) {
      await this.pull();
      if (!this.head) return undefined;
      const c = compareKeys(this.head.key, key);
      if (c === 0) {
        const found = this.head;
        this.head = undefined;
        return found;
      }
      if (c > 0) return undefined;
      if (this.keepSkipped) this.skipped.push(this.head);
      this.head = undefined;
    }
  }

  /** Everything left (verify: extras after the last source key). */
  async rest(): Promise<void> {
    for (;;) {
      await this.pull();
      if (!this.head) return;
      if (this.keepSkipped) this.skipped.push(this.head);
      this.head = undefined;
    }
  }
}

/**
 * Will the destination listing (the task's range, prefix swapped) show `dstKey` in step with the
 * source? Only when the mapping swapped the prefix and nothing else; a key whose leading "/" was
 * stripped sorts elsewhere and is looked up by itself.
 */
function inListing(ctx: EngineContext, srcKey: string, dstKey: string): boolean {
  return dstKey === listedKey(srcKey, ctx);
}

/**
 * Could a source key outside this task's range map to `dstKey`? With keys.stripLeadingSlash,
 * "x" in the destination is the copy of "/x" (or "//x") when no source "x" exists.
 */
async function mappedFromSlashKey(ctx: EngineContext, dstKey: string): Promise<boolean> {
  if (!ctx.spec.keys.stripLeadingSlash || ctx.dstPrefix !== '' || !dstKey.startsWith(ctx.dstPrefix))
    return false;
  const rel = dstKey.slice(ctx.dstPrefix.length);
  for (let slashes = 1; slashes <= MAX_STRIPPED_SLASHES; slashes++) {
    const srcKey = `${ctx.srcPrefix}${'/'.repeat(slashes)}${rel}`;
    const m = ctx.mapKey(srcKey);
    if ('dstKey' in m && m.dstKey === dstKey && (await ctx.src.head(srcKey, ctx.signal))) return true;
  }
  return false;
}

/** Leading slashes looked for when telling a stripped copy from a destination extra. */
const MAX_STRIPPED_SLASHES = 3;

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
  for await (const e of listRange(ctx.src, task.range, ctx.signal)) if (e.kind === 'object') yield e.info;
}

/** Results committed together (journal append + state transaction), and the longest a result waits. */
const COMMIT_BATCH = 256;
const COMMIT_MS = 100;

export async function runCopyTask(ctx: EngineContext, task: CopyTask): Promise<TaskOutcome> {
  const passId = ctx.pass.id;
  await ctx.journal.setStatus(passId, task.id, 'Running');
  const finished = await ctx.journal.finished(passId, task.id);
  const cursor = !task.keys
    ? new DestCursor(
        listRange(ctx.dst, mapRange(task.range, ctx.srcPrefix, ctx.dstPrefix), ctx.signal),
        false,
      )
    : undefined;

  let failed = 0;
  let objects = 0;
  let bytes = 0;
  const inflight = new InFlight(ctx.spec.transfer.concurrency);
  let writeChain = Promise.resolve();
  let firstError: unknown;

  // Live counters drive progress only (the summary comes from the ledger): batch them.
  const pending: Partial<Counters> = {};
  let lastFlush = Date.now();
  const flushCounters = async () => {
    const delta = { ...pending };
    for (const k of Object.keys(pending) as Array<keyof Counters>) delete pending[k];
    lastFlush = Date.now();
    if (Object.keys(delta).length) await ctx.state.addCounters(passId, delta);
  };
  const add = (k: keyof Counters, n: number) => {
    if (n) pending[k] = (pending[k] ?? 0) + n;
  };
  // The journal line is the commit point: a resumed task skips what it lists. Lines are committed
  // in batches (one append, one state transaction): per object, those writes cost more CPU than
  // copying a small object. A crash loses at most the last COMMIT_MS of lines; those objects are
  // found identical on resume and cost a comparison, not a copy.
  const batch: ObjectResult[] = [];
  let batchTimer: NodeJS.Timeout | undefined;
  const commit = (): Promise<void> => {
    if (batchTimer) {
      clearTimeout(batchTimer);
      batchTimer = undefined;
    }
    writeChain = writeChain.then(async () => {
      const rs = batch.splice(0, batch.length);
      if (rs.length === 0) return;
      await ctx.journal.append(passId, task.id, rs);
      await ctx.state.recordOutcomes(passId, rs);
      for (const r of rs) {
        add(r.outcome, 1);
        add('bytes', r.bytes);
        add('doneBytes', r.size);
        // Progress counts the phase's scope only: what the next phase takes is set apart.
        if (r.skipReason === 'outside-window') {
          add('afterWindow', 1);
          add('afterWindowBytes', r.size);
        }
        if (r.outcome === 'copied') add('copiedBytes', r.size);
      }
      if (Date.now() - lastFlush >= 250) await flushCounters();
      for (const r of rs) {
        ctx.emit({
          type: 'object',
          key: r.key,
          outcome: r.outcome,
          size: r.size,
          bytes: r.bytes,
          ...(r.skipReason ? { skipReason: r.skipReason } : {}),
          ...(r.failureClass ? { failureClass: r.failureClass } : {}),
          ...(r.reason ? { reason: r.reason } : {}),
        });
      }
    });
    // A failed write stops the task (below); the chain stays usable for the final attempt.
    const done = writeChain;
    writeChain = writeChain.catch((e: unknown) => {
      firstError ??= e;
    });
    return done;
  };
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
    batch.push(r);
    if (batch.length >= COMMIT_BATCH) void commit().catch(() => {});
    else batchTimer ??= setTimeout(() => void commit().catch(() => {}), COMMIT_MS);
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
  await commit().catch(() => {});
  await flushCounters();
  if (firstError) throw firstError;
  if (ctx.signal.aborted || ctx.stopping()) {
    // Left "Running": the next start re-runs the task and skips what the journal has.
    return { status: 'interrupted', objects, bytes };
  }
  await ctx.journal.setStatus(passId, task.id, failed > 0 ? 'Failed' : 'Completed');
  return { status: failed > 0 ? 'failed' : 'done', objects, bytes };
}

// ---- verify ------------------------------------------------------------------------------------

/** Compare one pair. HEADs only what the listings lack (OSS/COS listings have no CRC-64). */
export async function compareObjects(
  ctx: EngineContext,
  src: ObjectInfo,
  dstKey: string,
  dst: ObjectInfo | undefined,
): Promise<VerifyResult> {
  const base = { key: src.key, dstKey, srcSize: src.size };
  if (!dst) return { ...base, status: 'missing', detail: 'not in the destination' };
  let dstHead: ObjectHead | undefined;
  let r: VerifyResult;
  if (dst.size !== src.size) {
    r = {
      ...base,
      dstSize: dst.size,
      status: 'different',
      method: 'size',
      detail: `size ${src.size} vs ${dst.size}`,
    };
  } else if (ctx.spec.verify.mode === 'size') {
    return { ...base, dstSize: dst.size, status: 'match', method: 'size' };
  } else {
    const srcCrc =
      src.crc64 ??
      (ctx.src.features.crc64
        ? (await ctx.src.head(src.key, ctx.signal))?.crc64
        : await ctx.src.checksum?.(src.key, ctx.signal));
    if (dst.crc64 === undefined) dstHead = await ctx.dst.head(dstKey, ctx.signal);
    const dstCrc = dst.crc64 ?? dstHead?.crc64;
    const sides = {
      dstSize: dst.size,
      ...(srcCrc ? { srcCrc64: srcCrc } : {}),
      ...(dstCrc ? { dstCrc64: dstCrc } : {}),
    };
    if (srcCrc !== undefined && dstCrc !== undefined) {
      r =
        srcCrc === dstCrc
          ? { ...base, ...sides, status: 'match', method: 'crc64' }
          : {
              ...base,
              ...sides,
              status: 'different',
              method: 'crc64',
              detail: `CRC-64 ${srcCrc} vs ${dstCrc}`,
            };
    } else if (isPlainMd5(src.etag) && isPlainMd5(dst.etag)) {
      r =
        src.etag === dst.etag
          ? { ...base, ...sides, status: 'match', method: 'md5' }
          : {
              ...base,
              ...sides,
              status: 'different',
              method: 'md5',
              detail: `MD5 ${src.etag} vs ${dst.etag}`,
            };
    } else {
      return {
        ...base,
        ...sides,
        status: 'unverifiable',
        method: 'size',
        detail: 'sizes match; a side reports no CRC-64 and no single-part MD5',
      };
    }
  }
  // After cutover the business writes to OSS: a newer destination object that ossmigrate did not
  // write is theirs (the copy left it alone on purpose), not a corruption.
  const t2 = ctx.window.phase === 'incremental' ? ctx.window.t2 : undefined;
  if (
    r.status === 'different' &&
    t2 &&
    dst.lastModified.getTime() >= Math.floor(t2.getTime() / 1000) * 1000
  ) {
    dstHead ??= await ctx.dst.head(dstKey, ctx.signal);
    if (dstHead && dstHead.meta[PROVENANCE.srcEtag] === undefined) {
      return { ...r, status: 'dest-newer', detail: 'written in the destination after cutover (T2); kept' };
    }
  }
  return r;
}

export async function runVerifyTask(ctx: EngineContext, task: VerifyTask): Promise<TaskOutcome> {
  const passId = ctx.pass.id;
  const dstRange = mapRange(task.range, ctx.srcPrefix, ctx.dstPrefix);
  const cursor = new DestCursor(listRange(ctx.dst, dstRange, ctx.signal), true);
  const srcPrefixes = new Set<string>();
  const problems: VerifyResult[] = [];
  let matched = 0;
  let objects = 0;
  const emit = (r: VerifyResult) => {
    if (r.status === 'match') matched++;
    else problems.push(r);
    ctx.emit({ type: 'verify', key: r.key, status: r.status, ...(r.detail ? { detail: r.detail } : {}) });
  };
  const inflight = new InFlight(ctx.spec.transfer.concurrency);
  let firstError: unknown;

  for await (const e of listRange(ctx.src, task.range, ctx.signal)) {
    if (ctx.signal.aborted) break;
    if (e.kind === 'prefix') {
      srcPrefixes.add(e.prefix);
      continue;
    }
    const src = e.info;
    objects++;
    const m = ctx.mapKey(src.key);
    if (!('dstKey' in m)) {
      emit({
        key: src.key,
        dstKey: '',
        status: 'missing',
        detail: `name not allowed in OSS: ${m.problem.reason}`,
      });
      continue;
    }
    const listed = inListing(ctx, src.key, m.dstKey);
    const dst = listed ? await cursor.seek(m.dstKey) : undefined;
    if (!inScope(src, ctx.window, 'verify')) {
      emit({
        key: src.key,
        dstKey: m.dstKey,
        status: 'pending',
        detail:
          ctx.window.phase === 'full'
            ? 'modified after T1; the incremental phase copies it'
            : 'modified after T2; the next incremental pass copies it',
      });
      continue;
    }
    const p = withRetries(
      () =>
        ctx.objectSlots(async () =>
          compareObjects(ctx, src, m.dstKey, listed ? dst : await ctx.dst.head(m.dstKey, ctx.signal)),
        ),
      {
        retries: ctx.spec.transfer.retries,
        signal: ctx.signal,
      },
    )
      .then((r) => emit(r.value))
      .catch((err: unknown) => {
        if (ctx.signal.aborted) {
          firstError ??= err;
          return;
        }
        // A comparison that keeps failing is reported, never counted as a match.
        emit({ key: src.key, dstKey: m.dstKey, status: 'error', detail: toMigrationError(err).message });
      });
    await inflight.add(p);
  }
  await inflight.drain();
  if (firstError) throw firstError;
  await cursor.rest();
  // Destination objects with no source counterpart: deletions at the source, or business writes.
  for (const d of cursor.skipped) {
    if (await mappedFromSlashKey(ctx, d.key)) continue;
    emit({ key: d.key, dstKey: d.key, status: 'extra', dstSize: d.size, detail: 'in the destination only' });
  }
  // A destination sub-prefix the source does not have is extra as a whole (shallow tasks).
  const srcAsDst = new Set(
    [...srcPrefixes].map((p) => mapRange({ prefix: p }, ctx.srcPrefix, ctx.dstPrefix).prefix),
  );
  for (const p of cursor.prefixes) {
    if (srcAsDst.has(p)) continue;
    for await (const e of listRange(ctx.dst, { prefix: p }, ctx.signal)) {
      if (e.kind === 'object' && !(await mappedFromSlashKey(ctx, e.info.key)))
        emit({
          key: e.info.key,
          dstKey: e.info.key,
          status: 'extra',
          dstSize: e.info.size,
          detail: 'in the destination only',
        });
    }
  }
  await ctx.state.recordVerify(passId, problems);
  const count = (s: VerifyResult['status']) => problems.filter((p) => p.status === s).length;
  await ctx.state.addCounters(passId, {
    verified: matched,
    missing: count('missing'),
    different: count('different'),
    extra: count('extra'),
    unverifiable: count('unverifiable'),
    pending: count('pending'),
    verifyErrors: count('error'),
    destNewer: count('dest-newer'),
  });
  const bad = problems.filter(
    (p) => p.status === 'missing' || p.status === 'different' || p.status === 'error',
  ).length;
  return { status: bad > 0 ? 'failed' : 'done', objects, bytes: 0 };
}
