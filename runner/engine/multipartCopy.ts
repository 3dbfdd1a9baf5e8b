/**
 * A large object as a resumable multipart upload: parts in parallel (transfer.partConcurrency),
 * each part's CRC-64 counted in the stream and checked against the destination's, a checkpoint
 * after every part, and Complete only once the combined CRC-64 equals the source's.
 */

import { choosePartSize, partCount, partRange } from '../core/copyPolicy.ts';
import { Crc64, crc64CombineAll } from '../core/crc64.ts';
import { MigrationError, toMigrationError } from '../core/errors.ts';
import type { ObjectInfo } from '../core/types.ts';
import type { MultipartCheckpoint } from '../ports/jobState.ts';
import type { PartResult, ReadResult } from '../ports/objectStore.ts';
import type { EngineContext } from './context.ts';
import { withRetries } from './retry.ts';
import {
  type Base,
  type CopyOutcome,
  checkDestCrc,
  piped,
  transferStream,
  writeOptions,
} from './transfer.ts';

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
    const partSize = choosePartSize(src.size, spec.transfer.partSize, dst.features);
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
    let uploadId: string;
    try {
      uploadId = await dst.multipartInit(
        base.dstKey,
        writeOptions(ctx, firstRead.head, src.size, forbidOverwrite),
      );
    } catch (e) {
      firstRead.body.destroy();
      throw e;
    }
    cp = {
      dstKey: base.dstKey,
      uploadId,
      srcKey: src.key,
      srcEtag: etag,
      size: src.size,
      partSize,
      ...(firstRead.head.crc64 ? { srcCrc64: firstRead.head.crc64 } : {}),
      parts: [],
    };
    await ctx.state.putMultipart(cp);
  }
  const checkpoint: MultipartCheckpoint = cp;
  const total = partCount(src.size, checkpoint.partSize);
  const done = new Set(checkpoint.parts.map((p) => p.partNumber));
  const remaining: number[] = [];
  for (let n = 1; n <= total; n++) if (!done.has(n)) remaining.push(n);
  if (firstRead && done.has(1)) firstRead.body.destroy();

  let sent = 0;
  let saving = Promise.resolve();
  const uploadPart = async (n: number, pre?: ReadResult): Promise<void> => {
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
          const crc = new Crc64();
          const body = piped(read, transferStream(ctx, crc, { size, what: `${src.key} part ${n}` }));
          let part: PartResult;
          try {
            part = await dst.multipartPart!(base.dstKey, checkpoint.uploadId, n, body, size, ctx.signal);
          } catch (e) {
            body.destroy();
            throw e;
          }
          checkDestCrc(`${base.dstKey} part ${n}`, crc.toString(), part.crc64);
          sent += size;
          checkpoint.parts.push({ ...part, size, crc64: crc.toString() });
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
      { length: Math.min(spec.transfer.partConcurrency, remaining.length) },
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
    throw new MigrationError(
      'CRC_MISMATCH',
      `${src.key}: CRC-64 of the parts read is ${combined}, the source reports ${checkpoint.srcCrc64}`,
    );
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
  };
}
