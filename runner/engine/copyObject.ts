/**
 * One object, end to end: decide, then copy (single PUT or resumable multipart) and prove it.
 * A CRC-64 source (COS, OSS) with a destination that checks the body before committing it is
 * proven by the destination's CRC-64 of what it stored equalling the source's: the client does
 * not hash (a single PUT carries the source's MD5 as Content-MD5, so a changed body is refused,
 * and a multipart upload is completed only once the OSS part CRCs combine to the source's).
 * A source whose evidence is an MD5 (S3 ETag, Content-MD5) sends it on a single PUT as
 * Content-MD5 and the destination checks it: the client hashes nothing there either (issue #13).
 * Otherwise the client counts CRC-64 in the stream and holds a single PUT's last chunk back
 * until the body's CRC matches the source's. Nothing half-written is committed either way.
 * The multipart path is multipartCopy.ts; the stream both share is transfer.ts.
 */

import { decide, inWindow, isPlainMd5, isReadable, PROVENANCE } from '../core/copyPolicy.ts';
import { CLASS_INFO, MigrationError, toMigrationError } from '../core/errors.ts';
import { contentMd5Of, EvidenceHasher } from '../core/evidence.ts';
import {
  EVIDENCE_METHODS,
  type Evidence,
  type ObjectHead,
  type ObjectInfo,
  type ObjectResult,
} from '../core/types.ts';
import type { ReadResult, WriteBody, WriteResult } from '../ports/objectStore.ts';
import type { EngineContext } from './context.ts';
import { copyMultipart } from './multipartCopy.ts';
import { withRetries } from './retry.ts';
import {
  type Base,
  bodyProblem,
  type CopyOutcome,
  checkDestAgainstSource,
  checkDestCrc,
  checksumOf,
  clientHashes,
  destinationChecksMd5,
  type Expect,
  evidenceFor,
  piped,
  Tally,
  transferStream,
  writeOptions,
} from './transfer.ts';

/** Objects up to this size are read into memory whole, checked, then written in one go. */
export const WHOLE_BODY_MAX = 256 * 1024;

/**
 * Read a small body whole: size (and CRC-64, when the client hashes) proven against the source
 * before a byte is written, bandwidth spent once. Memory is bounded by concurrency × WHOLE_BODY_MAX.
 */
async function readWhole(
  ctx: Pick<EngineContext, 'bucket' | 'onBytes' | 'signal'>,
  read: ReadResult,
  tally: Tally,
  expect: Expect,
): Promise<Buffer> {
  // Plain events, not `for await`: an async iterator per body was a visible share of a 4 KiB copy.
  const body = read.body;
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      tally.update(chunk);
      expect.evidence?.update(chunk);
      chunks.push(chunk);
      if (tally.bytes > expect.size) finish(); // longer than listed: stop reading, the check says why
    };
    const finish = (err?: Error) => {
      body.off('data', onData).off('end', finish).off('error', finish).off('close', closed);
      if (err) reject(err);
      else resolve();
    };
    const closed = () =>
      finish(Object.assign(new Error('the source body ended early'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    body.on('data', onData).once('end', finish).once('error', finish).once('close', closed);
  }).finally(() => body.destroy());
  const wrong = bodyProblem(tally, expect);
  if (wrong) throw wrong;
  if (!ctx.bucket.tryConsume(expect.size)) await ctx.bucket.consume(expect.size, ctx.signal);
  ctx.onBytes(expect.size);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, expect.size);
}

/** A provenance evidence value this version knows, else undefined (never trusted blindly). */
function asEvidence(v: string | undefined): Evidence | undefined {
  return v !== undefined && (EVIDENCE_METHODS as readonly string[]).includes(v) ? (v as Evidence) : undefined;
}

function result(
  base: Base,
  started: number,
  attempts: number,
  r: Partial<ObjectResult> & Pick<ObjectResult, 'outcome'>,
): ObjectResult {
  return { ...base, attempts, ms: Math.round(performance.now() - started), ...r };
}

function failure(base: Base, started: number, attempts: number, err: MigrationError): ObjectResult {
  const info = CLASS_INFO[err.failureClass];
  return result(base, started, attempts, {
    outcome: info.benign ? 'skipped' : 'failed',
    failureClass: err.failureClass,
    reason: `${info.reason}: ${err.message}`,
    fix: info.fix,
    ...(err.requestId ? { requestId: err.requestId } : {}),
  });
}

/**
 * Process one listed source object. `dst` is what the destination listing said (undefined: not
 * there, or unknown when `dstKnown` is false, which makes the engine HEAD it).
 */
export async function processObject(
  ctx: EngineContext,
  src: ObjectInfo,
  dst: ObjectInfo | undefined,
  dstKnown: boolean,
): Promise<ObjectResult> {
  const started = performance.now();
  const spec = ctx.spec;
  const base: Base = {
    key: src.key,
    dstKey: '',
    size: src.size,
    bytes: 0,
    ...(src.etag ? { srcEtag: src.etag } : {}),
    srcMtime: src.lastModified.toISOString(),
    ...(src.storageClass ? { storageClass: src.storageClass } : {}),
  };

  if (!inWindow(src.lastModified, ctx.window)) {
    // Modified after the window's end: the next phase copies it.
    return result(base, started, 0, {
      outcome: 'deferred',
      skipReason: 'outside-window',
      reason: afterWindowReason(ctx.window, src.lastModified),
    });
  }

  const mapped = ctx.mapKey(src.key);
  if ('problem' in mapped) {
    return result(base, started, 0, {
      outcome: 'failed',
      failureClass: 'INVALID_OBJECT_NAME',
      reason: `${CLASS_INFO.INVALID_OBJECT_NAME.reason}: ${mapped.problem.reason}`,
      fix: mapped.problem.fix,
    });
  }
  base.dstKey = mapped.dstKey;
  let attempts = 0;

  try {
    const { value, attempts: n } = await withRetries(
      async () => {
        attempts++;
        return await copyOnce(ctx, src, base, dst, dstKnown);
      },
      {
        retries: spec.transfer.retries,
        signal: ctx.signal,
        onRetry: (err, attempt, delayMs) =>
          ctx.log.debug(
            { key: src.key, err: err.message, cls: err.failureClass, attempt, delayMs },
            'retrying',
          ),
      },
    );
    return result(base, started, n, value);
  } catch (raw) {
    // Stopped at once: the object is unfinished, not failed (the task re-runs on resume).
    if (ctx.signal.aborted) throw raw;
    const err = toMigrationError(raw);
    if (err.failureClass === 'SOURCE_CHANGED' && ctx.window.phase === 'full') {
      // Rewritten after T1: the incremental phase owns the new version.
      const now = await ctx.src.head(src.key, ctx.signal).catch(() => undefined);
      if (!now)
        return failure(base, started, attempts, new MigrationError('SOURCE_GONE', 'deleted during the copy'));
      if (!inWindow(now.lastModified, ctx.window)) {
        return result(base, started, attempts, {
          outcome: 'deferred',
          skipReason: 'outside-window',
          failureClass: 'SOURCE_CHANGED',
          reason: `${CLASS_INFO.SOURCE_CHANGED.reason}: ${err.message}`,
          fix: CLASS_INFO.SOURCE_CHANGED.fix,
        });
      }
    }
    return failure(base, started, attempts, err);
  }
}

/** Why an object outside the window was left, in the phase's own terms. */
export function afterWindowReason(w: EngineContext['window'], mtime: Date): string {
  if (w.phase === 'full') return 'modified after T1: the incremental phase copies it';
  if (mtime.getTime() < w.t1.getTime()) return 'unchanged since T1: the full phase copied it';
  return 'modified after T2: the next incremental pass copies it';
}

async function copyOnce(
  ctx: EngineContext,
  src: ObjectInfo,
  base: Base,
  listedDst: ObjectInfo | undefined,
  dstKnown: boolean,
): Promise<CopyOutcome> {
  const spec = ctx.spec;
  let dstInfo = listedDst;
  let dstHead: ObjectHead | undefined;
  if (!dstKnown) {
    dstHead = await ctx.dst.head(base.dstKey, ctx.signal);
    dstInfo = dstHead;
  }
  let srcCrc = src.crc64;
  const opts = { overwrite: spec.overwrite, window: ctx.window, provenance: spec.metadata.provenance };
  let d = decide(src, dstInfo ? { info: dstInfo } : undefined, opts);
  if (d.action === 'need-head') {
    dstHead ??= await ctx.dst.head(base.dstKey, ctx.signal);
    if (dstHead && srcCrc === undefined) srcCrc = (await ctx.src.head(src.key, ctx.signal))?.crc64;
    d = decide(src, dstHead ? { info: dstHead, head: dstHead } : undefined, {
      ...opts,
      ...(srcCrc ? { srcCrc64: srcCrc } : {}),
    });
    if (d.action === 'need-head') throw new MigrationError('INTERNAL', 'decision needed a HEAD twice');
  }
  if (d.action === 'skip') {
    // Our own earlier copy (its ledger line lost to a crash): the provenance carries the evidence
    // that proved it, so the skip vouches like a copy and verify needs no HEAD for it.
    const ours =
      d.reason === 'identical' &&
      dstHead &&
      src.etag !== undefined &&
      dstHead.meta[PROVENANCE.srcEtag] === src.etag
        ? asEvidence(dstHead.meta[PROVENANCE.evidence])
        : undefined;
    return {
      outcome: 'skipped',
      skipReason: d.reason,
      ...(dstHead?.crc64 ? { dstCrc64: dstHead.crc64 } : {}),
      ...(ours && dstHead?.etag ? { evidence: ours, dstEtag: dstHead.etag } : {}),
    };
  }
  if (d.action === 'keep-dest') {
    const info = CLASS_INFO.DEST_NEWER;
    return { outcome: 'skipped', failureClass: 'DEST_NEWER', reason: info.reason, fix: info.fix };
  }

  if (!isReadable(src)) {
    const ready = await handleArchived(ctx, src);
    if (ready !== true) return ready;
  }

  const large = src.size > spec.transfer.multipartThreshold && ctx.dst.features.multipart;
  const proof = await withEvidence(ctx, src, large);
  const copied = large
    ? await copyMultipart(ctx, proof, base, d.forbidOverwrite)
    : await copySingle(ctx, proof, base, d.forbidOverwrite);
  // A GET streams the version it started with; only a HEAD afterwards shows a rewrite that raced
  // the copy (ossimport's post-check). The copy is then of a superseded version.
  if (!spec.transfer.checkSourceAfterCopy) return copied;
  const after = await ctx.src.head(src.key, ctx.signal);
  if (!after) {
    const info = CLASS_INFO.SOURCE_GONE;
    return {
      ...copied,
      outcome: 'skipped',
      failureClass: 'SOURCE_GONE',
      reason: `${info.reason} (during the copy; the copy made is kept — deletions are never propagated)`,
      fix: info.fix,
    };
  }
  if (after.etag !== src.etag || after.size !== src.size) {
    throw new MigrationError(
      'SOURCE_CHANGED',
      `rewritten during the copy (ETag ${src.etag} → ${after.etag})`,
    );
  }
  return copied;
}

/** A multipart upload's ETag, `<hex>-<n>`: provable only with the part layout. */
const MULTIPART_ETAG = /^[0-9a-f]{32}-\d+$/;

/**
 * The source object with the evidence a HEAD adds, when the listing lacks any and the copy needs
 * it before the first GET: the part layout of a multipart source (S3 lists none; HEAD
 * ?partNumber=1 gives it), or anything for a large object whose part size is chosen up front.
 * One request per such object; none for CRC-64 sources or objects whose listing proves them.
 */
async function withEvidence(ctx: EngineContext, src: ObjectInfo, large: boolean): Promise<ObjectInfo> {
  if (ctx.src.features.crc64 || src.crc64 !== undefined) return src;
  if (!large && !MULTIPART_ETAG.test(src.etag ?? '')) return src;
  if (evidenceFor(ctx, src).method !== 'size') return src;
  const h = await ctx.src.head(src.key, ctx.signal);
  if (!h || h.etag !== src.etag || h.size !== src.size) return src; // the GET's If-Match says why
  return {
    ...src,
    ...(h.parts ? { parts: h.parts } : {}),
    ...(h.checksums ? { checksums: { ...src.checksums, ...h.checksums } } : {}),
  };
}

/** Archived source: restore (and wait outside this task), skip, or fail per archive.mode. */
async function handleArchived(ctx: EngineContext, src: ObjectInfo): Promise<true | CopyOutcome> {
  const a = ctx.spec.archive;
  const info = CLASS_INFO.ARCHIVED;
  if (a.mode === 'fail' || a.mode === 'skip' || !ctx.src.restore) {
    return {
      outcome: a.mode === 'skip' ? 'skipped' : 'failed',
      failureClass: 'ARCHIVED',
      reason: `${info.reason} (archive.mode: ${a.mode})`,
      fix: info.fix,
    };
  }
  const state = await ctx.src.restore(src.key, { days: a.days, tier: a.tier });
  if (state === 'restored') return true;
  await ctx.state.addRestoreWait(ctx.pass.id, src.key, src.size);
  return {
    outcome: 'deferred',
    failureClass: 'ARCHIVED',
    reason: `restore ${state === 'started' ? 'started' : 'in progress'} (${a.tier}, ${a.days} day(s)); copied once readable`,
    fix: info.fix,
  };
}

async function copySingle(
  ctx: EngineContext,
  src: ObjectInfo,
  base: Base,
  forbidOverwrite: boolean,
): Promise<CopyOutcome> {
  return await ctx.objectSlots(async () => {
    const read = await ctx.src.read(src.key, {
      ...(src.etag ? { ifMatch: src.etag } : {}),
      signal: ctx.signal,
    });
    if (read.head.size !== src.size) {
      read.body.destroy();
      throw new MigrationError(
        'SOURCE_CHANGED',
        `size is now ${read.head.size}, was ${src.size} when listed`,
      );
    }
    // The strongest evidence the source gives; hashed besides CRC-64 only when it is not CRC-64.
    const plan = evidenceFor(ctx, src, read.head);
    const opts = writeOptions(ctx, read.head, src.size, forbidOverwrite, plan);
    // A plain-MD5 ETag (or a Content-MD5) lets the destination reject a corrupted body itself.
    const planMd5 = contentMd5Of(plan);
    if (ctx.src.features.md5Etags !== false && isPlainMd5(src.etag) && read.head.etag === src.etag)
      opts.contentMd5 = Buffer.from(src.etag!, 'hex').toString('base64');
    else if (planMd5) opts.contentMd5 = planMd5;
    // MD5 evidence the destination checks: the client hashes nothing (issue #13).
    const destChecked = destinationChecksMd5(ctx, plan, opts.contentMd5);
    const srcCrc = read.head.crc64;
    const tally = new Tally(!destChecked && clientHashes(ctx, srcCrc, opts.contentMd5 !== undefined));
    const expect: Expect = {
      size: src.size,
      ...(srcCrc ? { crc64: srcCrc } : {}),
      what: src.key,
      ...('algo' in plan && !destChecked ? { evidence: new EvidenceHasher(plan) } : {}),
    };
    // Small bodies are read whole and proven before the PUT starts (no stream plumbing per
    // object); larger ones stream, with the last chunk held back until proven.
    const body: WriteBody =
      src.size <= WHOLE_BODY_MAX
        ? await readWhole(ctx, read, tally, expect)
        : piped(read, transferStream(ctx, tally, expect));
    let res: WriteResult;
    try {
      res = await ctx.dst.write(base.dstKey, body, opts);
    } catch (e) {
      if (!Buffer.isBuffer(body)) body.destroy();
      throw e;
    }
    const computed = tally.crc?.toString();
    if (computed !== undefined) checkDestCrc(base.dstKey, computed, res.crc64);
    else if (srcCrc !== undefined) checkDestAgainstSource(base.dstKey, srcCrc, res.crc64);
    // else: the destination took the body only with the source's MD5 as Content-MD5.
    const checksum = checksumOf(plan);
    // Without a client hash both values are the services' own (a destination that reported none
    // took the body only with the source's MD5, so it stored the source's bytes). An MD5 source
    // without a client hash has no source CRC-64: only the destination's is recorded.
    const srcCrc64 = srcCrc ?? computed;
    const dstCrc64 = res.crc64 ?? computed ?? srcCrc;
    return {
      outcome: 'copied',
      bytes: src.size,
      ...(dstCrc64 ? { dstCrc64 } : {}),
      ...(srcCrc64 ? { srcCrc64 } : {}),
      ...(res.etag ? { dstEtag: res.etag } : {}),
      evidence: plan.method,
      ...(destChecked ? { evidenceCheckedBy: 'destination' as const } : {}),
      ...(checksum ? { srcChecksum: checksum } : {}),
    } satisfies CopyOutcome;
  });
}
