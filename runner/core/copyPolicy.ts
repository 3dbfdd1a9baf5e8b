/**
 * Copy policy, pure: where a key goes, what metadata travels with it, which storage class it
 * lands in, whether an existing destination object is kept, and how a large object is split.
 */
import { type KeyProblem, ossKeyProblem } from './keys.ts';
import {
  ARCHIVE_CLASSES,
  type ObjectHead,
  type ObjectInfo,
  type ObjectMetadata,
  type PhaseWindow,
  type SkipReason,
  type StorageClass,
} from './types.ts';

/** Metadata names ossmigrate writes on every object it copies (unless provenance is off). */
export const PROVENANCE = {
  srcEtag: 'ossmigrate-src-etag',
  srcMtime: 'ossmigrate-src-mtime',
  /** What proved the copy (crc64, md5, multipart-etag, sha256, …, size). */
  evidence: 'ossmigrate-evidence',
  /** The source checksum that proved it, `<algo>:<base64>`, when short. */
  srcChecksum: 'ossmigrate-src-checksum',
} as const;

export type KeyMapping = { srcPrefix: string; dstPrefix: string; stripLeadingSlash: boolean };

export type MappedKey = { dstKey: string } | { problem: KeyProblem };

/** Destination key for a source key, or the reason OSS would refuse it. */
export function mapKey(srcKey: string, m: KeyMapping): MappedKey {
  let rel = srcKey.startsWith(m.srcPrefix) ? srcKey.slice(m.srcPrefix.length) : srcKey;
  if (m.stripLeadingSlash && m.dstPrefix === '') rel = rel.replace(/^\/+/, '');
  const dstKey = m.dstPrefix + rel;
  const problem = ossKeyProblem(dstKey);
  return problem ? { problem } : { dstKey };
}

/** The job's key mapping as one function (what the engine context hands every task). */
export function keyMapper(m: KeyMapping): (srcKey: string) => MappedKey {
  return (srcKey) => mapKey(srcKey, m);
}

/**
 * The destination key a merge-join listing finds for `srcKey`: the prefix swapped and nothing
 * else. Where the mapping does more (a stripped "/"), the destination key sorts elsewhere and
 * must be looked up by itself.
 */
export function listedKey(srcKey: string, m: Pick<KeyMapping, 'srcPrefix' | 'dstPrefix'>): string {
  return m.dstPrefix + (srcKey.startsWith(m.srcPrefix) ? srcKey.slice(m.srcPrefix.length) : srcKey);
}

/** Default COS/OSS class mapping: OSS has no intelligent tiering; COS DEEP_ARCHIVE ≈ OSS DeepColdArchive. */
const DEFAULT_CLASS_MAP: Record<StorageClass, StorageClass> = {
  STANDARD: 'STANDARD',
  IA: 'IA',
  INTELLIGENT_TIERING: 'STANDARD',
  ARCHIVE: 'ARCHIVE',
  COLD_ARCHIVE: 'COLD_ARCHIVE',
  DEEP_COLD_ARCHIVE: 'DEEP_COLD_ARCHIVE',
};

export function mapStorageClass(
  src: StorageClass | undefined,
  setting: 'keep' | StorageClass,
  overrides: Partial<Record<StorageClass, StorageClass>>,
): StorageClass {
  if (setting !== 'keep') return setting;
  const from = src ?? 'STANDARD';
  return overrides[from] ?? DEFAULT_CLASS_MAP[from];
}

/** Metadata for the destination write: carried over, plus provenance. */
export function mapMetadata(
  head: ObjectHead,
  o: { preserve: boolean; provenance: boolean; recordMd5: boolean },
): ObjectMetadata {
  const out: ObjectMetadata = { meta: {} };
  if (o.preserve) {
    if (head.contentType) out.contentType = head.contentType;
    if (head.contentEncoding) out.contentEncoding = head.contentEncoding;
    if (head.contentDisposition) out.contentDisposition = head.contentDisposition;
    if (head.contentLanguage) out.contentLanguage = head.contentLanguage;
    if (head.cacheControl) out.cacheControl = head.cacheControl;
    if (head.expires) out.expires = head.expires;
    out.meta = { ...head.meta };
  }
  if (o.provenance) {
    if (head.etag) out.meta[PROVENANCE.srcEtag] = head.etag;
    out.meta[PROVENANCE.srcMtime] = head.lastModified.toISOString();
  }
  if (o.recordMd5 && head.etag && isPlainMd5(head.etag)) {
    out.meta.md5 = Buffer.from(head.etag, 'hex').toString('base64');
  }
  return out;
}

/** A single-PUT ETag is the MD5 of the bytes; multipart ETags (`…-N`) are not. */
export function isPlainMd5(etag: string | undefined): boolean {
  return etag !== undefined && /^[0-9a-f]{32}$/.test(etag);
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

/** Is the object's mtime inside the pass window? */
export function inWindow(mtime: Date, w: PhaseWindow): boolean {
  const t = mtime.getTime();
  if (w.phase === 'full') return t < w.t1.getTime();
  return t >= w.t1.getTime() && (w.t2 === undefined || t <= w.t2.getTime());
}

export type Overwrite = 'if-different' | 'always' | 'never' | 'if-newer';

/** What the engine knows about the destination key before deciding. */
export type DestView = {
  /** From the destination listing (or a HEAD). */
  info: ObjectInfo;
  /** From a HEAD, when one was made: CRC-64 and provenance metadata. */
  head?: ObjectHead;
};

export type Decision =
  | { action: 'copy'; forbidOverwrite: boolean }
  | { action: 'skip'; reason: SkipReason }
  /** The destination was written by the business after cutover: leave it (DEST_NEWER). */
  | { action: 'keep-dest' }
  /** Cannot decide from the listing: HEAD the destination (and the source) for CRC / provenance. */
  | { action: 'need-head' };

/**
 * Decide what to do with one source object given the destination's state. Pure; the engine
 * calls it again with `dst.head` (and `srcCrc64`) filled in when the answer was `need-head`.
 */
export function decide(
  src: ObjectInfo,
  dst: DestView | undefined,
  o: { overwrite: Overwrite; window: PhaseWindow; provenance: boolean; srcCrc64?: string },
): Decision {
  const incremental = o.window.phase === 'incremental';
  if (!dst) return { action: 'copy', forbidOverwrite: incremental };

  // Cutover safety: after T2 the business writes to OSS. A destination object newer than T2 is
  // theirs unless our provenance says we wrote it.
  // Listings and Last-Modified have one-second resolution: anything in T2's second may be theirs.
  if (
    incremental &&
    o.window.t2 &&
    dst.info.lastModified.getTime() >= Math.floor(o.window.t2.getTime() / 1000) * 1000
  ) {
    if (!o.provenance) return { action: 'keep-dest' };
    if (!dst.head) return { action: 'need-head' };
    const ours = dst.head.meta[PROVENANCE.srcEtag];
    if (ours === undefined) return { action: 'keep-dest' };
    if (ours === src.etag && dst.info.size === src.size) return { action: 'skip', reason: 'identical' };
    return { action: 'copy', forbidOverwrite: false };
  }

  switch (o.overwrite) {
    case 'always':
      return { action: 'copy', forbidOverwrite: false };
    case 'never':
      return { action: 'skip', reason: 'exists' };
    case 'if-newer':
      return dst.info.lastModified.getTime() >= src.lastModified.getTime()
        ? { action: 'skip', reason: 'dest-newer' }
        : { action: 'copy', forbidOverwrite: false };
    case 'if-different': {
      if (dst.info.size !== src.size) return { action: 'copy', forbidOverwrite: false };
      // Same MD5 (single-part on both sides): identical without another request.
      if (isPlainMd5(src.etag) && src.etag === dst.info.etag) return { action: 'skip', reason: 'identical' };
      if (!dst.head) return { action: 'need-head' };
      if (o.provenance && src.etag !== undefined && dst.head.meta[PROVENANCE.srcEtag] === src.etag) {
        return { action: 'skip', reason: 'identical' };
      }
      const srcCrc = o.srcCrc64 ?? src.crc64;
      if (srcCrc !== undefined && dst.head.crc64 !== undefined) {
        return srcCrc === dst.head.crc64
          ? { action: 'skip', reason: 'identical' }
          : { action: 'copy', forbidOverwrite: false };
      }
      // No way to prove equality (a side lacks CRC-64): copy rather than trust size alone.
      return { action: 'copy', forbidOverwrite: false };
    }
  }
}

/**
 * Part size for a multipart copy: the configured size, or "auto" = at least 8 MiB and large
 * enough for ≤ 1000 parts (fewer requests, still resumable), within the store's limits.
 */
export function choosePartSize(
  size: number,
  setting: 'auto' | number,
  limits: { minPartSize: number; maxPartSize: number; maxParts: number },
): number {
  const MiB = 1024 * 1024;
  let part = setting === 'auto' ? Math.max(8 * MiB, Math.ceil(size / 1000 / MiB) * MiB) : setting;
  part = Math.max(part, limits.minPartSize, Math.ceil(size / limits.maxParts));
  return Math.min(part, limits.maxPartSize);
}

/** [start, end) of part n (1-based). */
export function partRange(n: number, partSize: number, size: number): { start: number; end: number } {
  const start = (n - 1) * partSize;
  return { start, end: Math.min(size, start + partSize) };
}

export function partCount(size: number, partSize: number): number {
  return Math.max(1, Math.ceil(size / partSize));
}

/** Can the bytes be read now? Archive classes need a finished restore (expiry date known). */
export function isReadable(o: Pick<ObjectInfo, 'storageClass' | 'restore'>): boolean {
  if (!o.storageClass || !ARCHIVE_CLASSES.has(o.storageClass)) return true;
  return o.restore !== undefined && !o.restore.ongoing && o.restore.expiresAt !== undefined;
}
