/** Plain data the engine passes around. No I/O here. */
import type { FailureClass } from './errors.ts';

/**
 * Storage classes, normalised across vendors. Adapters translate to and from the vendor spelling
 * (COS `STANDARD_IA`, OSS `IA`, …).
 */
export const STORAGE_CLASSES = [
  'STANDARD',
  'IA',
  'INTELLIGENT_TIERING',
  'ARCHIVE',
  'COLD_ARCHIVE',
  'DEEP_COLD_ARCHIVE',
] as const;
export type StorageClass = (typeof STORAGE_CLASSES)[number];

export const ARCHIVE_CLASSES: ReadonlySet<StorageClass> = new Set([
  'ARCHIVE',
  'COLD_ARCHIVE',
  'DEEP_COLD_ARCHIVE',
]);

/** What a listing says about an object. */
export type ObjectInfo = {
  key: string;
  size: number;
  lastModified: Date;
  /** Lower-case hex without quotes; `<hex>-<n>` for multipart uploads. */
  etag?: string;
  /** Decimal CRC-64/XZ when the listing or HEAD carries it. */
  crc64?: string;
  storageClass?: StorageClass;
  /** Archive restore state, when the store reports it. */
  restore?: { ongoing: boolean; expiresAt?: Date };
  /**
   * Content evidence besides the ETag, as the store reports it (S3 `x-amz-checksum-*` in checksum
   * mode, Azure `Content-MD5`), base64 as on the wire. Copy checks the bytes it read against these.
   */
  checksums?: Partial<Record<ChecksumAlgorithm, string>>;
  /**
   * Part layout of a multipart object when the store reports it (S3: HEAD ?partNumber=1 gives the
   * parts count and part 1's size): enough to recompute a `<md5-of-md5s>-<n>` ETag from the bytes.
   */
  parts?: { count: number; size: number };
};

/** Checksums a source may report for a whole object (S3 full-object / composite, Azure MD5). */
export const CHECKSUM_ALGORITHMS = ['md5', 'sha256', 'sha1', 'crc32', 'crc32c', 'crc64nvme'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/**
 * What proved a copy: CRC-64 on both sides, a single-part MD5 ETag, a multipart ETag recomputed
 * from per-part MD5s, Azure Content-MD5, an S3 checksum (full-object or composite), or the size
 * alone (no content proof). Ledger lines, provenance metadata, verify methods and report totals.
 */
export const EVIDENCE_METHODS = [
  'crc64',
  'md5',
  'multipart-etag',
  'content-md5',
  'sha256',
  'sha1',
  'crc32c',
  'crc32',
  'size',
] as const;
export type Evidence = (typeof EVIDENCE_METHODS)[number];

/** Human name of a method, as messages and the summary say it. */
export const EVIDENCE_LABEL: Record<Evidence, string> = {
  crc64: 'CRC-64',
  md5: 'MD5 ETag',
  'multipart-etag': 'multipart ETag',
  'content-md5': 'Content-MD5',
  sha256: 'SHA-256',
  sha1: 'SHA-1',
  crc32c: 'CRC32C',
  crc32: 'CRC32',
  size: 'size only',
};

/** The counter of verified objects each method proved (old names kept for crc64, md5 and size). */
export const VERIFIED_COUNTER = {
  crc64: 'verifiedCrc64',
  md5: 'verifiedMd5',
  'multipart-etag': 'verifiedMultipartEtag',
  'content-md5': 'verifiedContentMd5',
  sha256: 'verifiedSha256',
  sha1: 'verifiedSha1',
  crc32c: 'verifiedCrc32c',
  crc32: 'verifiedCrc32',
  size: 'verifiedSize',
} as const satisfies Record<Evidence, string>;

/** Headers carried over from source to destination. */
export type ObjectMetadata = {
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  expires?: string;
  /** User metadata, names lower-case without the vendor prefix. */
  meta: Record<string, string>;
};

/** What a HEAD (or the headers of a GET) says: the listing fields plus metadata. */
export type ObjectHead = ObjectInfo & ObjectMetadata;

/** A listing entry: an object, or a common prefix when listing with a delimiter. */
export type ListEntry = { kind: 'object'; info: ObjectInfo } | { kind: 'prefix'; prefix: string };

export type Phase = 'full' | 'incremental';

/** Time window of a phase: full copies mtime < t1; incremental copies t1 ≤ mtime ≤ t2. */
export type PhaseWindow = { phase: Phase; t1: Date; t2?: Date };

/** What happened to one object in one pass. */
export type Outcome = 'copied' | 'skipped' | 'failed' | 'deferred';

export type SkipReason =
  /** Destination already holds identical bytes (size + CRC-64, or MD5 ETag). */
  | 'identical'
  /** Outside the phase window (e.g. modified after T1 during the full phase). */
  | 'outside-window'
  /** overwrite: never, and the destination exists. */
  | 'exists'
  /** Destination newer than the source (overwrite: if-newer). */
  | 'dest-newer'
  /** Already copied by an earlier attempt of this task (resume). */
  | 'done-before';

export type ObjectResult = {
  key: string;
  dstKey: string;
  outcome: Outcome;
  size: number;
  /** Bytes actually transferred for this object in this attempt (0 for skips). */
  bytes: number;
  srcEtag?: string;
  srcMtime?: string;
  srcCrc64?: string;
  dstCrc64?: string;
  dstEtag?: string;
  /** What proved the bytes read were the source's (copied objects). */
  evidence?: Evidence;
  /**
   * Who compared the bytes with the evidence, when not the client: `destination` for an MD5 sent
   * as Content-MD5 that OSS checked before storing the body (the client hashed nothing).
   */
  evidenceCheckedBy?: 'destination';
  /** The source checksum that proved it, `<algo>:<base64>` (checksum evidence only). */
  srcChecksum?: string;
  storageClass?: StorageClass;
  skipReason?: SkipReason;
  failureClass?: FailureClass;
  reason?: string;
  fix?: string;
  requestId?: string;
  multipart?: boolean;
  attempts: number;
  ms: number;
};

/**
 * A unit of queued work. Tasks stay tiny whatever the object count: a copy task is a key range
 * that the worker lists again.
 */
export type KeyRange = {
  /** List under this source prefix (full key). */
  prefix: string;
  /** Only keys strictly after this (exclusive). */
  startAfter?: string;
  /** Only keys up to and including this. */
  endKey?: string;
  /** List with '/' and take only the objects at this level (sub-prefixes are other tasks). */
  shallow?: boolean;
};

export type ScanTask = {
  kind: 'scan';
  id: string;
  range: KeyRange;
  depth: number;
  /** Times this range was split off a larger one (parallel listing of a flat prefix); absent = 0. */
  split?: number;
  /**
   * Times a scan of this range found the queue full and handed the rest back (listing.maxWaitingTasks);
   * absent = 0. Such a scan runs after the copy/verify tasks waiting, so it never holds a task slot
   * they need.
   */
  resumed?: number;
};
export type CopyTask = {
  kind: 'copy';
  id: string;
  range: KeyRange;
  /** What the scan saw in the phase window, for progress totals. */
  objects: number;
  bytes: number;
  /** Everything the scan saw in the range, in the window or not. */
  seenObjects: number;
  seenBytes: number;
  /** Incremental phase: objects the scan saw unchanged since T1 (not work for this phase). */
  unchanged?: number;
  unchangedBytes?: number;
  /** Only these keys (retry of failures): they are looked up one by one instead of listed. */
  keys?: string[];
};
export type VerifyTask = Omit<CopyTask, 'kind'> & { kind: 'verify' };
export type Task = ScanTask | CopyTask | VerifyTask;

export type Counters = {
  /** Discovered by the scan (in the phase window or not). */
  scannedObjects: number;
  scannedBytes: number;
  /** In the phase window: what this phase has to move. */
  plannedObjects: number;
  plannedBytes: number;
  copied: number;
  copiedBytes: number;
  skipped: number;
  failed: number;
  deferred: number;
  /** Bytes transferred (including retries and skipped-after-partial attempts). */
  bytes: number;
  /**
   * Size of the objects processed so far, whatever the outcome. Progress against plannedBytes is
   * doneBytes - afterWindowBytes (the phase's scope); unchanged objects are never processed.
   */
  doneBytes: number;
  /**
   * Incremental phase: objects listed that are unchanged since T1 (the full phase copied them).
   * Not work: in no other count, never "deferred".
   */
  unchanged: number;
  /**
   * Of `deferred`: objects modified after the window's end (T1 in the full phase, T2 in an
   * incremental one) that the next phase copies. Not in the phase's scope (plannedObjects).
   */
  afterWindow: number;
  /** Sizes of the two above (unchangedBytes at scan time; afterWindowBytes is part of doneBytes). */
  unchangedBytes: number;
  afterWindowBytes: number;
  /** Verify passes. */
  verified: number;
  /**
   * Of `verified`: what proved the match (VERIFIED_COUNTER) — CRC-64 on both sides, single-part
   * MD5 ETags, the other content evidence a copy recorded, or size only.
   */
  verifiedCrc64: number;
  verifiedMd5: number;
  verifiedMultipartEtag: number;
  verifiedContentMd5: number;
  verifiedSha256: number;
  verifiedSha1: number;
  verifiedCrc32c: number;
  verifiedCrc32: number;
  verifiedSize: number;
  missing: number;
  different: number;
  extra: number;
  unverifiable: number;
  /** Modified after the window: the next incremental pass covers them. */
  pending: number;
  /** Comparisons that failed even after retries. */
  verifyErrors: number;
  /** Destination objects the business rewrote after T2. */
  destNewer: number;
};

export const zeroCounters = (): Counters => ({
  scannedObjects: 0,
  scannedBytes: 0,
  plannedObjects: 0,
  plannedBytes: 0,
  copied: 0,
  copiedBytes: 0,
  skipped: 0,
  failed: 0,
  deferred: 0,
  bytes: 0,
  doneBytes: 0,
  unchanged: 0,
  afterWindow: 0,
  unchangedBytes: 0,
  afterWindowBytes: 0,
  verified: 0,
  verifiedCrc64: 0,
  verifiedMd5: 0,
  verifiedMultipartEtag: 0,
  verifiedContentMd5: 0,
  verifiedSha256: 0,
  verifiedSha1: 0,
  verifiedCrc32c: 0,
  verifiedCrc32: 0,
  verifiedSize: 0,
  missing: 0,
  different: 0,
  extra: 0,
  unverifiable: 0,
  pending: 0,
  verifyErrors: 0,
  destNewer: 0,
});

/** Verification of one object (HEAD both sides; no download). */
/** unverifiable: no CRC-64 and no single-part MD5 on a side; error: the comparison itself failed (retried). */
export type VerifyStatus =
  | 'match'
  | 'missing'
  | 'different'
  | 'extra'
  | 'unverifiable'
  | 'pending'
  | 'error'
  /** Written by the business after cutover (T2): kept, not compared. */
  | 'dest-newer';
/**
 * A full-phase verify lists at most this many objects modified after T1 (`pending`: the
 * incremental copies them) and counts the rest: a week of business writes during the full copy
 * is millions, which kept one by one would be gigabytes of Redis and a report that cannot hold
 * its list. The counters stay exact.
 */
export const PENDING_LISTED = 10_000;
export type VerifyResult = {
  key: string;
  dstKey: string;
  status: VerifyStatus;
  /**
   * What proved it: crc64 / md5 compared now (HEAD), or the evidence the copy recorded when the
   * ledger vouches for both sides; size only when nothing else was there.
   */
  method?: Evidence;
  /** Compared from the listings and the copy ledger, with no per-object request. */
  byLedger?: boolean;
  detail?: string;
  srcSize?: number;
  dstSize?: number;
  srcCrc64?: string;
  dstCrc64?: string;
};

/** The key a problem is listed under: an extra by its destination key, the rest by the source key. */
export const problemKey = (r: VerifyResult): string => (r.status === 'extra' ? r.dstKey : r.key);
