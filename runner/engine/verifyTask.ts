/** verify: list both sides, HEAD where the listings lack a checksum, report missing / different / extra. */
import { inScope, isPlainMd5, PROVENANCE } from '../core/copyPolicy.ts';
import { toMigrationError } from '../core/errors.ts';
import type { ObjectHead, ObjectInfo, VerifyResult, VerifyTask } from '../core/types.ts';
import type { TaskOutcome } from '../ports/workQueue.ts';
import type { EngineContext } from './context.ts';
import { DestCursor, inListing } from './destCursor.ts';
import { InFlight } from './inFlight.ts';
import { withRetries } from './retry.ts';
import { listRange, mapRange } from './taskRange.ts';

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
  const matchedBy = { crc64: 0, md5: 0, size: 0 };
  let objects = 0;
  const emit = (r: VerifyResult) => {
    if (r.status === 'match') {
      matched++;
      if (r.method) matchedBy[r.method]++;
    } else problems.push(r);
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
    verifiedCrc64: matchedBy.crc64,
    verifiedMd5: matchedBy.md5,
    verifiedSize: matchedBy.size,
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
