/**
 * A large object as a resumable multipart upload: parts in parallel (transfer.partConcurrency),
 * a checkpoint after every part, and Complete only once the parts' CRC-64s combine to the source's
 * (a CRC-64 source: the destination's per-part CRC-64 of what it stored, unless the client hashes,
 * see clientHashes; then each part's is counted in the stream and checked against the
 * destination's) — or, for a
 * source without CRC-64, once the source's evidence is recomputed from the bytes read: per source
 * part (multipart ETag, composite checksum; copy parts span whole source parts so each is hashed
 * by itself, in parallel and across a resume), or over the whole body (MD5 ETag, full-object
 * checksum; parts then go in order, and a resume re-reads the parts done before to hash them).
 */

import { choosePartSize, partCount, partRange } from '../core/copyPolicy.ts';
import { Crc64, crc64CombineAll } from '../core/crc64.ts';
import { MigrationError, toMigrationError } from '../core/errors.ts';
import {
  alignedPartSize,
  combineParts,
  type Digest,
  type EvidencePlan,
  newDigest,
  PartDigester,
} from '../core/evidence.ts';
import type { ObjectInfo } from '../core/types.ts';
import type { MultipartCheckpoint } from '../ports/jobState.ts';
import type { ObjectStore, PartResult, ReadResult } from '../ports/objectStore.ts';
import type { EngineContext } from './context.ts';
import { withRetries } from './retry.ts';
import {
  type Base,
  type CopyOutcome,
  checkDestCrc,
  checksumOf,
  clientHashes,
  evidenceFor,
  evidenceProblem,
  piped,
  Tally,
  transferStream,
  writeOptions,
} from './transfer.ts';

/** OSS and S3 refuse a request signed with a clock more than 15 minutes off: the two clocks agree within that. */
const SKEW_MS = 15 * 60_000;
/** Initiate's own deadline (ossStore): its upload starts no later than this after the intent. */
const INITIATE_MS = 60_000;

/**
 * The uploads a checkpoint stands for, newest first: its upload, or for an intent (a crash
 * between Initiate and saving its answer) the key's uploads the service began around the intent.
 */
export async function uploadsOf(dst: ObjectStore, cp: MultipartCheckpoint): Promise<string[]> {
  if (cp.uploadId) return [cp.uploadId];
  if (!dst.multipartUploads || cp.initiating === undefined) return [];
  const t = cp.initiating;
  return (await dst.multipartUploads(cp.dstKey))
    .filter((u) => u.initiated >= t - SKEW_MS && u.initiated <= t + SKEW_MS + INITIATE_MS)
    .sort((a, b) => b.initiated - a.initiated)
    .map((u) => u.uploadId);
}

/**
 * Abort every upload a checkpoint stands for (clean, a migrate reset); how many were aborted.
 * Failures go to `onError`, naming what failed; a failed listing aborts none.
 */
export async function abortUploadsOf(
  dst: ObjectStore,
  cp: MultipartCheckpoint,
  onError: (what: 'list the uploads' | 'abort the upload', e: Error) => void = () => {},
): Promise<number> {
  let aborted = 0;
  const ids = await uploadsOf(dst, cp).catch((e: Error) => {
    onError('list the uploads', e);
    return [];
  });
  for (const id of ids)
    await dst.multipartAbort?.(cp.dstKey, id).then(
      () => aborted++,
      (e: Error) => onError('abort the upload', e),
    );
  return aborted;
}

export async function copyMultipart(
  ctx: EngineContext,
  src: ObjectInfo,
  base: Base,
  forbidOverwrite: boolean,
): Promise<CopyOutcome> {
  const dst = ctx.dst;
  if (!dst.multipartInit || !dst.multipartPart || !dst.multipartComplete || !dst.multipartAbort) {
    throw new MigrationError('INTERNAL', `${dst.name} declares multipart but lacks the calls`);
  }
  const spec = ctx.spec;
  const etag = src.etag ?? '';
  let cp = await ctx.state.getMultipart(base.dstKey);
  if (cp && !cp.uploadId) {
    // Killed after Initiate but before its answer was saved: adopt that upload, so none is left behind.
    const [newest, ...older] = await uploadsOf(dst, cp);
    for (const id of older) await dst.multipartAbort(base.dstKey, id).catch(() => {});
    if (newest) {
      const { initiating: _, ...rest } = cp;
      cp = { ...rest, uploadId: newest };
      await ctx.state.putMultipart(cp);
      ctx.log.info({ key: base.dstKey, uploadId: newest }, 'upload started before a crash adopted');
    } else cp = undefined;
  }
  if (cp && (cp.srcEtag !== etag || cp.size !== src.size || cp.srcKey !== src.key)) {
    // A checkpoint for another version of the source: that upload is worthless now.
    await dst.multipartAbort(base.dstKey, cp.uploadId).catch(() => {});
    await ctx.state.deleteMultipart(base.dstKey);
    cp = undefined;
  }
  if (cp && dst.multipartList) {
    // Trust only parts the service still holds, with the ETags we recorded.
    const held = await dst.multipartList(base.dstKey, cp.uploadId);
    if (!held) {
      await ctx.state.deleteMultipart(base.dstKey);
      cp = undefined;
    } else {
      const ok = new Map(held.map((p) => [p.partNumber, p.etag]));
      cp.parts = cp.parts.filter((p) => ok.get(p.partNumber) === p.etag);
      // A part can finish on the service just before a crash, after the last checkpoint write.
      // Adopt it when size and CRC-64 are known: the combined CRC is checked against the source
      // before Complete, so a wrong part can never be committed.
      const known = new Set(cp.parts.map((p) => p.partNumber));
      for (const p of held) {
        const r = partRange(p.partNumber, cp.partSize, cp.size);
        if (known.has(p.partNumber)) continue;
        if (p.crc64 !== undefined && p.size === r.end - r.start) cp.parts.push(p);
        else
          ctx.log.warn(
            { key: base.dstKey, part: p.partNumber, size: p.size, crc64: p.crc64 },
            'part held by the service not adopted',
          );
      }
    }
  }

  let firstRead: ReadResult | undefined;
  if (!cp) {
    let partSize = choosePartSize(src.size, spec.transfer.partSize, dst.features);
    // Per-source-part evidence: copy parts made of whole source parts.
    const pre = evidenceFor(ctx, src);
    if ('algo' in pre && pre.parts)
      partSize = alignedPartSize(partSize, src.size, pre.parts.size, dst.features) ?? partSize;
    // The first part's GET carries the object's headers (metadata, whole-object CRC) for Initiate.
    firstRead = await ctx.objectSlots(() =>
      ctx.src.read(src.key, {
        range: partRange(1, partSize, src.size),
        ...(etag ? { ifMatch: etag } : {}),
        signal: ctx.signal,
      }),
    );
    if (firstRead.head.size !== src.size) {
      firstRead.body.destroy();
      throw new MigrationError(
        'SOURCE_CHANGED',
        `size is now ${firstRead.head.size}, was ${src.size} when listed`,
      );
    }
    let plan = evidenceFor(ctx, src, firstRead.head);
    if ('algo' in plan && plan.parts && partSize % plan.parts.size !== 0) {
      // No copy part size made of whole source parts fits OSS's limits: nothing to recompute.
      ctx.log.warn({ key: src.key, partSize, srcPartSize: plan.parts.size }, 'part layout not recomputable');
      plan = { method: 'size' };
    }
    const fresh: MultipartCheckpoint = {
      dstKey: base.dstKey,
      uploadId: '',
      srcKey: src.key,
      srcEtag: etag,
      size: src.size,
      partSize,
      ...(firstRead.head.crc64 ? { srcCrc64: firstRead.head.crc64 } : {}),
      evidence: plan,
      parts: [],
    };
    // The intent first: a crash between Initiate and the checkpoint below leaves a trace to find
    // the upload by (uploadsOf), instead of an upload nobody knows about.
    await ctx.state.putMultipart({ ...fresh, initiating: Date.now() });
    try {
      fresh.uploadId = await dst.multipartInit(
        base.dstKey,
        writeOptions(ctx, firstRead.head, src.size, forbidOverwrite, plan),
      );
    } catch (e) {
      firstRead.body.destroy();
      // Refused outright: no upload exists. A timeout may have started one: keep the intent.
      const err = toMigrationError(e);
      if (!err.transient && err.failureClass !== 'NETWORK')
        await ctx.state.deleteMultipart(base.dstKey).catch(() => {});
      throw e;
    }
    cp = fresh;
    await ctx.state.putMultipart(cp);
  }
  const checkpoint: MultipartCheckpoint = cp;
  // A checkpoint from before evidence was recorded: CRC-64 when the source gave it, else size.
  const plan: EvidencePlan = checkpoint.evidence ?? { method: checkpoint.srcCrc64 ? 'crc64' : 'size' };
  const perPart = 'algo' in plan && plan.parts ? plan : undefined;
  const wholeAlgo = 'algo' in plan && !plan.parts ? plan.algo : undefined;
  /** Whole-body evidence: the digest of every byte so far, in order (parts then go one at a time). */
  let whole: Digest | undefined = wholeAlgo ? newDigest(wholeAlgo) : undefined;
  if (perPart) {
    // A part adopted from the service after a crash has no digests recorded: upload it again.
    const srcPart = perPart.parts!.size;
    checkpoint.parts = checkpoint.parts.filter((p) => {
      const r = partRange(p.partNumber, checkpoint.partSize, src.size);
      for (let k = Math.floor(r.start / srcPart) + 1; k <= Math.ceil(r.end / srcPart); k++)
        if (checkpoint.srcDigests?.[String(k)] === undefined) return false;
      return true;
    });
  }
  const total = partCount(src.size, checkpoint.partSize);
  const done = new Set(checkpoint.parts.map((p) => p.partNumber));
  const remaining: number[] = [];
  for (let n = 1; n <= total; n++) if (whole || !done.has(n)) remaining.push(n);
  if (firstRead && done.has(1)) firstRead.body.destroy();

  /** Per-source-part digests of copy part n's bytes, kept in the checkpoint (base64). */
  const keepDigests = (range: { start: number }, digests: Buffer[]) => {
    const first = Math.floor(range.start / perPart!.parts!.size) + 1;
    checkpoint.srcDigests ??= {};
    digests.forEach((d, i) => {
      checkpoint.srcDigests![String(first + i)] = d.toString('base64');
    });
  };

  /** A part done before a resume, read again only to hash it (whole-body evidence). */
  const hashOnly = async (n: number): Promise<void> => {
    const range = partRange(n, checkpoint.partSize, src.size);
    await withRetries(
      async () => {
        await ctx.objectSlots(async () => {
          const read = await ctx.src.read(src.key, {
            range,
            ...(etag ? { ifMatch: etag } : {}),
            signal: ctx.signal,
          });
          const d = whole!.copy();
          const crc = new Crc64();
          for await (const chunk of read.body) {
            crc.update(chunk as Buffer);
            d.update(chunk as Buffer);
          }
          const held = checkpoint.parts.find((p) => p.partNumber === n);
          if (crc.bytes !== range.end - range.start || (held?.crc64 && held.crc64 !== crc.toString()))
            throw new MigrationError('SOURCE_CHANGED', `${src.key} part ${n}: not the bytes uploaded before`);
          whole = d;
        });
      },
      { retries: spec.transfer.retries, signal: ctx.signal },
    );
  };

  // Parts need no client CRC-64 when the source gave one: the combined OSS part CRCs are checked
  // against it before Complete. Sticky per object: a part OSS reported no CRC-64 for is sent again hashed.
  const dstProves = !clientHashes(ctx, checkpoint.srcCrc64, true);
  let hash = !dstProves;
  let sent = 0;
  let saving = Promise.resolve();
  const uploadPart = async (n: number, pre?: ReadResult): Promise<void> => {
    if (done.has(n)) return hashOnly(n);
    const range = partRange(n, checkpoint.partSize, src.size);
    const size = range.end - range.start;
    await withRetries(
      async (attempt) => {
        await ctx.objectSlots(async () => {
          const read =
            attempt === 1 && pre
              ? pre
              : await ctx.src.read(src.key, {
                  range,
                  ...(etag ? { ifMatch: etag } : {}),
                  signal: ctx.signal,
                });
          const tally = new Tally(hash);
          // Each attempt hashes afresh: a part that failed half-way must not count.
          const attemptWhole = whole?.copy();
          const digester = perPart
            ? new PartDigester(perPart.algo, perPart.parts!.size, range.start)
            : undefined;
          const tap = attemptWhole
            ? (c: Buffer) => attemptWhole.update(c)
            : digester
              ? (c: Buffer) => digester.update(c)
              : undefined;
          const body = piped(read, transferStream(ctx, tally, { size, what: `${src.key} part ${n}` }, tap));
          let part: PartResult;
          try {
            part = await dst.multipartPart!(base.dstKey, checkpoint.uploadId, n, body, size, ctx.signal);
          } catch (e) {
            body.destroy();
            throw e;
          }
          const computed = tally.crc?.toString();
          if (computed !== undefined) checkDestCrc(`${base.dstKey} part ${n}`, computed, part.crc64);
          else if (part.crc64 === undefined) {
            hash = true;
            throw new MigrationError(
              'CRC_MISMATCH',
              `${base.dstKey} part ${n}: the destination reported no CRC-64; sent again with the client's`,
            );
          }
          sent += size;
          if (attemptWhole) whole = attemptWhole;
          if (digester) keepDigests(range, digester.finish());
          checkpoint.parts.push({ ...part, size, crc64: computed ?? part.crc64! });
          // Serialise checkpoint writes; each one records every part finished so far.
          saving = saving.then(() => ctx.state.putMultipart({ ...checkpoint, parts: [...checkpoint.parts] }));
          await saving;
        });
      },
      { retries: spec.transfer.retries, signal: ctx.signal },
    );
  };

  try {
    // Parts of one object in parallel (transfer.partConcurrency); each also takes an object slot.
    let next = 0;
    const lanes = Array.from(
      { length: Math.min(whole ? 1 : spec.transfer.partConcurrency, remaining.length) },
      async () => {
        while (next < remaining.length) {
          if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('aborted');
          const n = remaining[next++]!;
          await uploadPart(n, n === 1 ? firstRead : undefined);
        }
      },
    );
    await Promise.all(lanes);
  } catch (raw) {
    const err = toMigrationError(raw);
    if (firstRead && !firstRead.body.destroyed) firstRead.body.destroy();
    // A stop, or a failure that may pass (network, 5xx, a bug fixed before the resume), keeps the
    // upload and its checkpoint for the next run.
    if (
      !ctx.signal.aborted &&
      !err.transient &&
      err.failureClass !== 'NETWORK' &&
      err.failureClass !== 'INTERNAL'
    ) {
      // The source changed or cannot be read: this upload will never complete.
      await dst.multipartAbort(base.dstKey, checkpoint.uploadId).catch(() => {});
      await ctx.state.deleteMultipart(base.dstKey);
    }
    throw err;
  }

  const parts = [...checkpoint.parts].sort((a, b) => a.partNumber - b.partNumber);
  const combined = crc64CombineAll(parts.map((p) => ({ crc64: p.crc64!, size: p.size })));
  if (checkpoint.srcCrc64 !== undefined && combined !== checkpoint.srcCrc64) {
    // Never complete an object whose bytes disagree with the source.
    await dst.multipartAbort(base.dstKey, checkpoint.uploadId).catch(() => {});
    await ctx.state.deleteMultipart(base.dstKey);
    const whose = dstProves ? 'the destination stored' : 'read';
    throw new MigrationError(
      'CRC_MISMATCH',
      `${src.key}: CRC-64 of the parts ${whose} is ${combined}, the source reports ${checkpoint.srcCrc64}`,
    );
  }
  if ('algo' in plan) {
    const computed = whole
      ? whole.digest().toString(plan.encoding)
      : combineParts(plan.algo, digestsOf(checkpoint, plan.parts!.count), plan.encoding);
    const wrong = evidenceProblem(src.key, plan, computed);
    if (wrong) {
      await dst.multipartAbort(base.dstKey, checkpoint.uploadId).catch(() => {});
      await ctx.state.deleteMultipart(base.dstKey);
      throw wrong;
    }
  }
  const res = await dst.multipartComplete(base.dstKey, checkpoint.uploadId, parts, {
    forbidOverwrite,
    signal: ctx.signal,
  });
  await ctx.state.deleteMultipart(base.dstKey);
  checkDestCrc(base.dstKey, combined, res.crc64);
  return {
    outcome: 'copied',
    bytes: sent,
    multipart: true,
    srcCrc64: checkpoint.srcCrc64 ?? combined,
    dstCrc64: res.crc64 ?? combined,
    ...(res.etag ? { dstEtag: res.etag } : {}),
    evidence: plan.method,
    ...(checksumOf(plan) ? { srcChecksum: checksumOf(plan)! } : {}),
  };
}

/** The source parts' digests in order; a gap (never expected) fails the proof, not the copy's safety. */
function digestsOf(cp: MultipartCheckpoint, count: number): Buffer[] {
  const out: Buffer[] = [];
  for (let n = 1; n <= count; n++) {
    const d = cp.srcDigests?.[String(n)];
    if (d === undefined) throw new MigrationError('INTERNAL', `${cp.srcKey}: no digest of source part ${n}`);
    out.push(Buffer.from(d, 'base64'));
  }
  return out;
}
