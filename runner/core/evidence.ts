/**
 * Content evidence, pure: which proof a source object offers (CRC-64, an MD5 ETag, a multipart
 * ETag, an S3 / Azure checksum), and the hashing that checks the bytes read against it. Sources
 * other than COS/OSS report no CRC-64; each copy is proven with the strongest evidence there is,
 * and hashes only what that proof needs (CPU matters: CRC-64 alone when the source reports it).
 */
import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { Crc32c } from '@aws-crypto/crc32c';
import type { Evidence, ObjectInfo } from './types.ts';

export { EVIDENCE_LABEL, EVIDENCE_METHODS, type Evidence } from './types.ts';

/** Hash functions the evidence uses (CRC-64 is counted by the transfer stream itself). */
export type HashAlgo = 'md5' | 'sha256' | 'sha1' | 'crc32' | 'crc32c';

/**
 * How to check the bytes: one digest of the whole body, or (`partSize`) one per source part,
 * combined as S3 does (the digest of the concatenated binary part digests, then `-<count>`).
 */
export type EvidencePlan =
  | { method: 'crc64' | 'size' }
  | {
      method: Exclude<Evidence, 'crc64' | 'size'>;
      algo: HashAlgo;
      /** What the source reports: hex (ETags) or base64 (checksums), `-<n>` suffix when per part. */
      expected: string;
      encoding: 'hex' | 'base64';
      /** Per-part evidence: the source's part size and count (parts are equal but the last). */
      parts?: { size: number; count: number };
    };

const PLAIN_MD5 = /^[0-9a-f]{32}$/;
const MULTIPART_ETAG = /^([0-9a-f]{32})-(\d+)$/;
const COMPOSITE = /^([A-Za-z0-9+/]+={0,2})-(\d+)$/;

/** Checksums tried in this order: the strongest first; crc64nvme has no implementation here. */
const CHECKSUM_ORDER = ['sha256', 'sha1', 'crc32c', 'crc32'] as const;

/**
 * A consistent layout: `count` parts of `size` bytes, the last one 1..size. S3 allows parts of
 * varying size; HEAD ?partNumber=1 shows only the first, so anything else is not recomputable.
 */
export function uniformParts(total: number, parts: { count: number; size: number } | undefined): boolean {
  if (!parts || parts.count < 1 || parts.size < 1) return false;
  return Math.ceil(total / parts.size) === parts.count || (total === 0 && parts.count === 1);
}

/**
 * The strongest evidence `info` offers. `md5Etags`: the store's single-part ETags are the MD5 of
 * the body (S3, COS, OSS); false for Azure and URL lists, whose ETags are opaque.
 */
export function planEvidence(info: ObjectInfo, o: { md5Etags: boolean }): EvidencePlan {
  if (info.crc64 !== undefined) return { method: 'crc64' };
  const etag = info.etag;
  if (o.md5Etags && etag && PLAIN_MD5.test(etag))
    return { method: 'md5', algo: 'md5', expected: etag, encoding: 'hex' };
  const cs = info.checksums ?? {};
  if (cs.md5) return { method: 'content-md5', algo: 'md5', expected: cs.md5, encoding: 'base64' };
  const mp = o.md5Etags && etag ? MULTIPART_ETAG.exec(etag) : null;
  if (mp && info.parts && Number(mp[2]) === info.parts.count && uniformParts(info.size, info.parts))
    return { method: 'multipart-etag', algo: 'md5', expected: etag!, encoding: 'hex', parts: info.parts };
  for (const algo of CHECKSUM_ORDER) {
    const v = cs[algo];
    if (!v) continue;
    const composite = COMPOSITE.exec(v);
    if (!composite) return { method: algo, algo, expected: v, encoding: 'base64' };
    // Composite (per-part) checksums are recomputable only when the part layout is known.
    if (info.parts && Number(composite[2]) === info.parts.count && uniformParts(info.size, info.parts))
      return { method: algo, algo, expected: v, encoding: 'base64', parts: info.parts };
  }
  return { method: 'size' };
}

/**
 * The plan's whole-body MD5 as a Content-MD5 value (base64), for evidence a destination can check
 * itself: a single-part MD5 ETag or a reported Content-MD5. Undefined for anything else, and for
 * a reported value that is not an MD5 (sending it would only make every attempt fail).
 */
export function contentMd5Of(plan: EvidencePlan): string | undefined {
  if (plan.method === 'md5') return Buffer.from(plan.expected, 'hex').toString('base64');
  if (plan.method !== 'content-md5') return undefined;
  const raw = Buffer.from(plan.expected, 'base64');
  return raw.length === 16 && raw.toString('base64') === plan.expected ? plan.expected : undefined;
}

/** A running digest of one algorithm; `copy` forks it (a retried part must not poison it). */
export type Digest = { update(b: Buffer): void; digest(): Buffer; copy(): Digest };

export function newDigest(algo: HashAlgo): Digest {
  if (algo === 'crc32') return crc32Digest(0);
  if (algo === 'crc32c') return crc32cDigest(new Crc32c());
  return hashDigest(createHash(algo));
}

function crc32Digest(start: number): Digest {
  let v = start;
  return {
    update: (b) => {
      v = crc32(b, v);
    },
    digest: () => u32(v),
    copy: () => crc32Digest(v),
  };
}

function crc32cDigest(c: Crc32c): Digest {
  return {
    update: (b) => {
      c.update(b);
    },
    digest: () => u32(c.digest()),
    // Its running value is one plain field: a copy of the fields is a copy of the state.
    copy: () => crc32cDigest(Object.assign(new Crc32c(), c)),
  };
}

function hashDigest(h: Hash): Digest {
  return {
    update: (b) => {
      h.update(b);
    },
    digest: () => h.digest(),
    copy: () => hashDigest(h.copy()),
  };
}

/** S3 checksums are the big-endian bytes of the CRC, base64. */
function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}

/**
 * Hashes bytes from `start` on, cutting at source part boundaries: the digests of the source
 * parts that lie wholly inside what it is fed. A copy part that starts on a source part boundary
 * and spans whole source parts (see alignedPartSize) yields exactly its source parts' digests.
 */
export class PartDigester {
  private cur: Digest;
  private inPart: number;
  private readonly done: Buffer[] = [];
  private fed = 0;

  constructor(
    private readonly algo: HashAlgo,
    private readonly partSize: number,
    start = 0,
  ) {
    this.cur = newDigest(algo);
    this.inPart = start % partSize;
  }

  update(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const take = Math.min(chunk.length - at, this.partSize - this.inPart);
      this.cur.update(at === 0 && take === chunk.length ? chunk : chunk.subarray(at, at + take));
      at += take;
      this.inPart += take;
      this.fed += take;
      if (this.inPart === this.partSize) {
        this.done.push(this.cur.digest());
        this.cur = newDigest(this.algo);
        this.inPart = 0;
      }
    }
  }

  /** Digests of the parts finished, plus the last (short) one when the body ends inside it. */
  finish(): Buffer[] {
    if (this.inPart > 0 || (this.fed === 0 && this.done.length === 0)) this.done.push(this.cur.digest());
    return this.done;
  }
}

/** The multipart form from the parts' binary digests: `<digest of the concatenation>-<n>`. */
export function combineParts(algo: HashAlgo, digests: Buffer[], encoding: 'hex' | 'base64'): string {
  const d = newDigest(algo);
  for (const p of digests) d.update(p);
  return `${d.digest().toString(encoding)}-${digests.length}`;
}

/** Streams a body through the plan's hash; `check` says what is wrong, if anything. */
export class EvidenceHasher {
  private readonly whole?: Digest;
  private readonly parts?: PartDigester;

  constructor(readonly plan: Extract<EvidencePlan, { algo: HashAlgo }>) {
    if (plan.parts) this.parts = new PartDigester(plan.algo, plan.parts.size);
    else this.whole = newDigest(plan.algo);
  }

  update(chunk: Buffer): void {
    if (this.whole) this.whole.update(chunk);
    else this.parts!.update(chunk);
  }

  /** The value computed from the bytes, in the source's own form. */
  value(): string {
    if (this.whole) return this.whole.digest().toString(this.plan.encoding);
    return combineParts(this.plan.algo, this.parts!.finish(), this.plan.encoding);
  }
}

/** Does `computed` prove the source's `expected` value? Hex compares case-insensitively. */
export function evidenceMatches(
  plan: { encoding: 'hex' | 'base64'; expected: string },
  computed: string,
): boolean {
  return plan.encoding === 'hex' ? computed === plan.expected.toLowerCase() : computed === plan.expected;
}

/**
 * Copy part size for a source with a known part layout: a whole multiple of the source's part
 * size, so every copy part spans whole source parts and hashes them by itself (in parallel, and
 * across a resume). Undefined when no multiple fits the destination's limits.
 */
export function alignedPartSize(
  chosen: number,
  total: number,
  srcPart: number,
  limits: { minPartSize: number; maxPartSize: number; maxParts: number },
): number | undefined {
  let k = Math.max(1, Math.round(chosen / srcPart));
  while (k * srcPart < limits.minPartSize && k * srcPart < total) k++;
  while (Math.ceil(total / (k * srcPart)) > limits.maxParts) k++;
  const size = k * srcPart;
  return size <= limits.maxPartSize ? size : undefined;
}
