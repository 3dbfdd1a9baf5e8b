/**
 * The byte path a single PUT and a multipart upload share: the stream that counts bytes (and
 * CRC-64, when the client hashes) and spends bandwidth (holding the last chunk back until the
 * body is proven), the write options, and the checks of the CRC-64 the destination reports.
 */
import { pipeline, Transform, type TransformCallback } from 'node:stream';
import { mapMetadata, mapStorageClass, PROVENANCE } from '../core/copyPolicy.ts';
import { Crc64 } from '../core/crc64.ts';
import { MigrationError } from '../core/errors.ts';
import {
  contentMd5Of,
  EVIDENCE_LABEL,
  type EvidenceHasher,
  type EvidencePlan,
  evidenceMatches,
  planEvidence,
} from '../core/evidence.ts';
import type { ObjectHead, ObjectInfo, ObjectResult, StorageClass } from '../core/types.ts';
import type { ReadResult, WriteOptions } from '../ports/objectStore.ts';
import type { EngineContext } from './context.ts';

/** What every result of one object carries (key, sizes, source version). */
export type Base = Omit<ObjectResult, 'outcome' | 'attempts' | 'ms'>;
/** One copy attempt's result, before attempts and timing are added. */
export type CopyOutcome = Partial<ObjectResult> & Pick<ObjectResult, 'outcome'>;

/** What a body read must be: its size, and the source's CRC-64 or other evidence when it has one. */
export type Expect = { size: number; crc64?: string; what: string; evidence?: EvidenceHasher };

/**
 * What the client counts of a body: its bytes always, its CRC-64 only when `hash` (see
 * clientHashes). CRC-64 was about half the CPU of a large copy (issue #16).
 */
export class Tally {
  bytes = 0;
  readonly crc: Crc64 | undefined;
  constructor(hash: boolean) {
    this.crc = hash ? new Crc64() : undefined;
  }
  update(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.crc?.update(chunk);
  }
}

/**
 * Whether the client must hash CRC-64 itself. Not when the source reported the CRC-64 of the
 * version read (the GET is ETag-guarded) and the destination computes its own over the bytes it
 * stored and checks them before committing: equal values prove the stored bytes are the source's,
 * end to end, which is more than the client's hash proves. `commitChecked`: a single PUT carries a
 * Content-MD5 the destination refuses a wrong body by (a multipart upload is checked before
 * Complete instead). `transfer.clientCrc` (--client-crc) hashes anyway.
 */
export function clientHashes(
  ctx: Pick<EngineContext, 'spec' | 'dst'>,
  srcCrc64: string | undefined,
  commitChecked: boolean,
): boolean {
  return ctx.spec.transfer.clientCrc || srcCrc64 === undefined || !ctx.dst.features.crc64 || !commitChecked;
}

/**
 * Whether the destination proves a single PUT by the source's own MD5 evidence (a single-part MD5
 * ETag, a Content-MD5): the PUT carries it as Content-MD5, the destination refuses a body whose
 * MD5 differs before committing it (OSS: InvalidDigest), so the client hashes nothing, neither
 * MD5 nor CRC-64 (~1.4 CPU-s/GB, issue #13). `contentMd5` is what the PUT sends; it must be the
 * evidence itself. `transfer.clientCrc` (--client-crc) hashes anyway.
 */
export function destinationChecksMd5(
  ctx: Pick<EngineContext, 'spec'>,
  plan: EvidencePlan,
  contentMd5: string | undefined,
): boolean {
  return !ctx.spec.transfer.clientCrc && contentMd5 !== undefined && contentMd5 === contentMd5Of(plan);
}

/**
 * The evidence to check a copy of `src` against: what the GET's headers say, completed by what
 * the listing or a HEAD said (S3 lists no checksums; HEAD ?partNumber=1 gives the part layout).
 */
export function evidenceFor(
  ctx: Pick<EngineContext, 'src'>,
  src: ObjectInfo,
  head?: ObjectHead,
): EvidencePlan {
  const info: ObjectInfo = {
    ...src,
    ...(head ?? {}),
    ...((head?.checksums ?? src.checksums) ? { checksums: { ...src.checksums, ...head?.checksums } } : {}),
    ...((head?.parts ?? src.parts) ? { parts: (head?.parts ?? src.parts)! } : {}),
  };
  return planEvidence(info, { md5Etags: ctx.src.features.md5Etags !== false });
}

/** Why the source's evidence disproves the bytes read, or undefined when it proves them. */
export function evidenceProblem(
  what: string,
  plan: Extract<EvidencePlan, { algo: unknown }>,
  computed: string,
): MigrationError | undefined {
  if (evidenceMatches(plan, computed)) return undefined;
  const layout =
    plan.parts !== undefined
      ? ` (recomputed over ${plan.parts.count} part(s) of ${plan.parts.size} bytes; a source uploaded with parts of varying size cannot be proven this way)`
      : '';
  return new MigrationError(
    'CRC_MISMATCH',
    `${what}: the ${EVIDENCE_LABEL[plan.method]} of the bytes read is ${computed}, the source reports ${plan.expected}${layout}`,
  );
}

/** Why a body read in full is not the source's (size, then CRC-64 / evidence), or undefined when it is. */
export function bodyProblem(tally: Tally, expect: Expect): MigrationError | undefined {
  if (tally.bytes !== expect.size)
    return new MigrationError(
      'SOURCE_CHANGED',
      `${expect.what}: read ${tally.bytes} bytes, expected ${expect.size}`,
    );
  const crc = tally.crc?.toString();
  if (crc !== undefined && expect.crc64 !== undefined && crc !== expect.crc64)
    return new MigrationError(
      'CRC_MISMATCH',
      `${expect.what}: CRC-64 of the bytes read is ${crc}, the source reports ${expect.crc64}`,
    );
  if (expect.evidence) return evidenceProblem(expect.what, expect.evidence.plan, expect.evidence.value());
  return undefined;
}

/**
 * The stream between source and destination: counts bytes and CRC-64 (and feeds `tap`, the
 * evidence hash of a part), spends bandwidth tokens, reports bytes, and (when `expect` is given)
 * holds the final chunk back until size, CRC and evidence are proven.
 */
export function transferStream(
  ctx: Pick<EngineContext, 'bucket' | 'onBytes' | 'signal'>,
  tally: Tally,
  expect?: Expect,
  tap?: (chunk: Buffer) => void,
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
      tally.update(chunk);
      expect?.evidence?.update(chunk);
      tap?.(chunk);
      if (!expect) return pass(chunk, cb, (c) => this.push(c));
      const release = held;
      held = chunk;
      if (!release) return cb();
      pass(release, cb, (c) => this.push(c));
    },
    flush(cb) {
      if (!expect || !held) return cb();
      const wrong = bodyProblem(tally, expect);
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

/** Longest source checksum value kept in provenance metadata (SHA-256 in base64 is 44). */
const MAX_PROVENANCE_CHECKSUM = 64;

export function writeOptions(
  ctx: EngineContext,
  head: ObjectHead,
  size: number,
  forbidOverwrite: boolean,
  plan?: EvidencePlan,
): WriteOptions {
  const m = ctx.spec.metadata;
  const sse = ctx.spec.destination.serverSideEncryption;
  const storageClass: StorageClass = mapStorageClass(head.storageClass, m.storageClass, m.storageClassMap);
  const meta = mapMetadata(head, m);
  // The object says what proved it (its source ETag is there already; a checksum is added).
  if (m.provenance && plan) {
    meta.meta[PROVENANCE.evidence] = plan.method;
    const value = checksumOf(plan);
    if (value && value.length <= MAX_PROVENANCE_CHECKSUM) meta.meta[PROVENANCE.srcChecksum] = value;
  }
  return {
    ...meta,
    size,
    storageClass,
    forbidOverwrite,
    ...(sse !== 'none' ? { serverSideEncryption: sse } : {}),
    signal: ctx.signal,
  };
}

/** `<algo>:<value>` of checksum evidence (ETag evidence is the source ETag itself). */
export function checksumOf(plan: EvidencePlan): string | undefined {
  if (!('algo' in plan) || plan.method === 'md5' || plan.method === 'multipart-etag') return undefined;
  return `${plan.algo}:${plan.expected}`;
}

export function checkDestCrc(what: string, computed: string, reported: string | undefined): void {
  if (reported !== undefined && reported !== computed) {
    throw new MigrationError(
      'CRC_MISMATCH',
      `${what}: the destination reports CRC-64 ${reported}, the bytes sent have ${computed}`,
    );
  }
}

/** The destination's CRC-64 of what it stored against the source's, when the client did not hash. */
export function checkDestAgainstSource(what: string, source: string, reported: string | undefined): void {
  if (reported !== undefined && reported !== source) {
    throw new MigrationError(
      'CRC_MISMATCH',
      `${what}: the destination reports CRC-64 ${reported} of the bytes it stored, the source reports ${source}`,
    );
  }
}
