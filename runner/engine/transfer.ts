/**
 * The byte path a single PUT and a multipart upload share: the stream that counts CRC-64 and
 * spends bandwidth (holding the last chunk back until the body is proven), the write options,
 * and the check of the CRC-64 the destination reports.
 */
import { pipeline, Transform, type TransformCallback } from 'node:stream';
import { mapMetadata, mapStorageClass } from '../core/copyPolicy.ts';
import type { Crc64 } from '../core/crc64.ts';
import { MigrationError } from '../core/errors.ts';
import type { ObjectHead, ObjectResult, StorageClass } from '../core/types.ts';
import type { ReadResult, WriteOptions } from '../ports/objectStore.ts';
import type { EngineContext } from './context.ts';

/** What every result of one object carries (key, sizes, source version). */
export type Base = Omit<ObjectResult, 'outcome' | 'attempts' | 'ms'>;
/** One copy attempt's result, before attempts and timing are added. */
export type CopyOutcome = Partial<ObjectResult> & Pick<ObjectResult, 'outcome'>;

/** Why a body read in full is not the source's (size, then CRC-64), or undefined when it is. */
export function bodyProblem(
  crc: Crc64,
  expect: { size: number; crc64?: string; what: string },
): MigrationError | undefined {
  if (crc.bytes !== expect.size)
    return new MigrationError(
      'SOURCE_CHANGED',
      `${expect.what}: read ${crc.bytes} bytes, expected ${expect.size}`,
    );
  if (expect.crc64 !== undefined && crc.toString() !== expect.crc64)
    return new MigrationError(
      'CRC_MISMATCH',
      `${expect.what}: CRC-64 of the bytes read is ${crc.toString()}, the source reports ${expect.crc64}`,
    );
  return undefined;
}

/**
 * The stream between source and destination: counts CRC-64, spends bandwidth tokens, reports
 * bytes, and (when `expect` is given) holds the final chunk back until size and CRC are proven.
 */
export function transferStream(
  ctx: Pick<EngineContext, 'bucket' | 'onBytes' | 'signal'>,
  crc: Crc64,
  expect?: { size: number; crc64?: string; what: string },
): Transform {
  let held: Buffer | undefined;
  const pass = (chunk: Buffer, cb: TransformCallback, push: (c: Buffer) => void) => {
    if (ctx.bucket.tryConsume(chunk.length)) {
      ctx.onBytes(chunk.length);
      push(chunk);
      return cb();
    }
    ctx.bucket.consume(chunk.length, ctx.signal).then(
      () => {
        ctx.onBytes(chunk.length);
        push(chunk);
        cb();
      },
      (err: unknown) => cb(err as Error),
    );
  };
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      crc.update(chunk);
      if (!expect) return pass(chunk, cb, (c) => this.push(c));
      const release = held;
      held = chunk;
      if (!release) return cb();
      pass(release, cb, (c) => this.push(c));
    },
    flush(cb) {
      if (!expect || !held) return cb();
      const wrong = bodyProblem(crc, expect);
      if (wrong) return cb(wrong);
      const last = held;
      held = undefined;
      pass(last, cb, (c) => this.push(c));
    },
  });
}

/** Connect a source body through the transfer stream; errors on either side tear both down. */
export function piped(read: ReadResult, through: Transform): Transform {
  pipeline(read.body, through, () => {});
  return through;
}

export function writeOptions(
  ctx: EngineContext,
  head: ObjectHead,
  size: number,
  forbidOverwrite: boolean,
): WriteOptions {
  const m = ctx.spec.metadata;
  const sse = ctx.spec.destination.serverSideEncryption;
  const storageClass: StorageClass = mapStorageClass(head.storageClass, m.storageClass, m.storageClassMap);
  return {
    ...mapMetadata(head, m),
    size,
    storageClass,
    forbidOverwrite,
    ...(sse !== 'none' ? { serverSideEncryption: sse } : {}),
    signal: ctx.signal,
  };
}

export function checkDestCrc(what: string, computed: string, reported: string | undefined): void {
  if (reported !== undefined && reported !== computed) {
    throw new MigrationError(
      'CRC_MISMATCH',
      `${what}: the destination reports CRC-64 ${reported}, the bytes sent have ${computed}`,
    );
  }
}
