/**
 * verify: list both sides and join them with the copy ledger — an object whose source (size +
 * ETag) and destination (size + ETag) are what the copy committed is proven by the evidence the
 * copy recorded, with no request of its own. HEAD only where the ledger cannot vouch (no entry:
 * copied by an earlier tool, ledgers lost; a changed source or a rewritten destination to explain)
 * or with verify.deep (`verify --deep`). Reports missing / different / extra.
 */
import { inScope, isPlainMd5, PROVENANCE } from '../core/copyPolicy.ts';
import { toMigrationError } from '../core/errors.ts';
import {
  type Evidence,
  type ObjectHead,
  type ObjectInfo,
  VERIFIED_COUNTER,
  type VerifyResult,
  type VerifyTask,
} from '../core/types.ts';
import { type CommittedObject, committedOf } from '../ports/jobState.ts';
import { byProblemKey } from '../ports/journal.ts';
import type { TaskOutcome } from '../ports/workQueue.ts';
import type { EngineContext } from './context.ts';
import { DestCursor, inListing } from './destCursor.ts';
import { InFlight } from './inFlight.ts';
import { withRetries } from './retry.ts';
import { listRange, mapRange, sourceRange, taskId } from './taskRange.ts';

/**
 * What the job's copies committed for the task's keys: the state's index where it keeps one
 * (standalone), else the journal ledgers of the copy tasks with the same range (the fleet: Redis
 * keeps nothing per object; a range cut differently since finds nothing and HEADs, as before).
 * Memory: one task's objects.
 */
export async function ledgerOf(
  ctx: EngineContext,
  task: VerifyTask,
): Promise<Map<string, CommittedObject> | undefined> {
  if (ctx.spec.verify.deep || ctx.spec.verify.mode === 'size' || task.keys) return undefined;
  if (ctx.state.committed) return await ctx.state.committed(task.range);
  if (!ctx.journal.taskLedger) return undefined;
  const out = new Map<string, CommittedObject>();
  const copyTask = taskId('copy', task.range);
  // Passes in the order they ran: a later copy of a key replaces an earlier one.
  for (const p of (await ctx.state.passes()).filter((p) => p.mode === 'copy')) {
    for (const r of await ctx.journal.taskLedger(p.id, copyTask)) {
      const c = committedOf(p.id, r);
      if (c) out.set(c.key, c);
    }
  }
  return out;
}

/**
 * Compare one pair against what the copy committed, or undefined when the ledger cannot vouch
 * (the caller then compares as before). Requests: none while both sides are unchanged; a HEAD of
 * the destination when its ETag moved (a rewrite with the same bytes is still a match).
 */
export async function compareByLedger(
  ctx: EngineContext,
  src: ObjectInfo,
  dstKey: string,
  dst: ObjectInfo | undefined,
  c: CommittedObject,
): Promise<VerifyResult | undefined> {
  if (!dst || c.evidence === undefined || c.dstKey !== dstKey) return undefined;
  // The source is no longer the version copied: explain it the usual way.
  if (c.srcEtag === undefined || c.srcEtag !== src.etag || c.size !== src.size || dst.size !== c.size)
    return undefined;
  const sides = {
    key: src.key,
    dstKey,
    srcSize: src.size,
    dstSize: dst.size,
    ...(c.dstCrc64 ? { dstCrc64: c.dstCrc64 } : {}),
  };
  if (dst.etag !== undefined && dst.etag === c.dstEtag) {
    // A local source computes its CRC-64 cheaply: prove the file against what was written.
    if (ctx.src.checksum && c.dstCrc64) {
      const now = await ctx.src.checksum(src.key, ctx.signal);
      if (now !== undefined) {
        return now === c.dstCrc64
          ? { ...sides, srcCrc64: now, status: 'match', method: 'crc64', byLedger: true }
          : {
              ...sides,
              srcCrc64: now,
              status: 'different',
              method: 'crc64',
              detail: `CRC-64 ${now} vs ${c.dstCrc64} (as copied)`,
            };
      }
    }
    return { ...sides, status: 'match', method: c.evidence, byLedger: true };
  }
  // Rewritten since the copy: its CRC-64 says whether the bytes are still the ones written.
  const head = await ctx.dst.head(dstKey, ctx.signal);
  if (!head)
    return { key: src.key, dstKey, srcSize: src.size, status: 'missing', detail: 'not in the destination' };
  if (head.crc64 === undefined || c.dstCrc64 === undefined) return undefined;
  if (head.crc64 === c.dstCrc64 && head.size === c.size)
    return { ...sides, status: 'match', method: c.evidence, byLedger: true };
  const r: VerifyResult = {
    ...sides,
    dstCrc64: head.crc64,
    status: 'different',
    method: 'crc64',
    // check.txt's form (as copied vs now): the ETag moved, the CRC-64 shows the bytes did too.
    detail: `CRC-64 ${c.dstCrc64} vs ${head.crc64}`,
  };
  return destNewer(ctx, r, dst, head);
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
    } else if (ctx.src.features.md5Etags !== false && isPlainMd5(src.etag) && isPlainMd5(dst.etag)) {
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
  return destNewer(ctx, r, dst, dstHead);
}

/**
 * After cutover the business writes to OSS: a newer destination object that ossmigrate did not
 * write is theirs (the copy left it alone on purpose), not a corruption.
 */
async function destNewer(
  ctx: EngineContext,
  r: VerifyResult,
  dst: ObjectInfo,
  dstHead: ObjectHead | undefined,
): Promise<VerifyResult> {
  const t2 = ctx.window.phase === 'incremental' ? ctx.window.t2 : undefined;
  if (
    r.status === 'different' &&
    t2 &&
    dst.lastModified.getTime() >= Math.floor(t2.getTime() / 1000) * 1000
  ) {
    const head = dstHead ?? (await ctx.dst.head(r.dstKey, ctx.signal));
    if (head && head.meta[PROVENANCE.srcEtag] === undefined) {
      return { ...r, status: 'dest-newer', detail: 'written in the destination after cutover (T2); kept' };
    }
  }
  return r;
}

export async function runVerifyTask(ctx: EngineContext, task: VerifyTask): Promise<TaskOutcome> {
  const passId = ctx.pass.id;
  const dstRange = mapRange(task.range, ctx.srcPrefix, ctx.dstPrefix);
  const cursor = new DestCursor(listRange(ctx.dst, dstRange, ctx.signal, task.seenObjects), true);
  const srcPrefixes = new Set<string>();
  const problems: VerifyResult[] = [];
  let matched = 0;
  const matchedBy: Partial<Record<Evidence, number>> = {};
  let objects = 0;
  const ledger = await ledgerOf(ctx, task);
  const emit = (r: VerifyResult) => {
    if (r.status === 'match') {
      matched++;
      if (r.method) matchedBy[r.method] = (matchedBy[r.method] ?? 0) + 1;
    } else problems.push(r);
    ctx.emit({ type: 'verify', key: r.key, status: r.status, ...(r.detail ? { detail: r.detail } : {}) });
  };
  const inflight = new InFlight(ctx.spec.transfer.concurrency);
  let firstError: unknown;

  for await (const e of sourceRange(ctx, task)) {
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
    const committed = ledger?.get(src.key);
    if (committed && listed) {
      // The common case: proven by the listings and the ledger, no request, no slot.
      const quick = await compareByLedger(ctx, src, m.dstKey, dst, committed).catch(() => undefined);
      if (quick) {
        emit(quick);
        continue;
      }
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
  // Into the task's journal, not the state: nothing per object in Redis (issue #17).
  await ctx.journal.putVerify(passId, task.id, problems.sort(byProblemKey));
  const count = (s: VerifyResult['status']) => problems.filter((p) => p.status === s).length;
  const byMethod: Partial<Record<(typeof VERIFIED_COUNTER)[Evidence], number>> = {};
  for (const [method, n] of Object.entries(matchedBy) as Array<[Evidence, number]>)
    byMethod[VERIFIED_COUNTER[method]] = n;
  await ctx.state.addCounters(passId, {
    verified: matched,
    ...byMethod,
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
