/**
 * CRC-64/XZ (ECMA-182 polynomial, reflected, init = xorout = all ones): the value OSS and COS
 * report as a decimal string in `x-oss-hash-crc64ecma` / `x-cos-hash-crc64ecma`.
 *
 * Hot path: slicing-by-8 on two 32-bit halves (BigInt per byte is ~100x slower), reading the
 * aligned middle of each chunk as 32-bit little-endian words. ~1.2 GB/s on the project machine.
 * Combine (for multipart) follows zlib's crc32_combine (Mark Adler): multiply by x^(8·len) mod P
 * using a table of x^(2^k); BigInt is fine there, it runs once per part.
 */

// Reflected ECMA-182 polynomial 0xC96C5795D7870F42 as two halves.
const POLY_HI = 0xc96c5795 | 0;
const POLY_LO = 0xd7870f42 | 0;

// Sixteen separate 256-entry tables (T[k] lo/hi halves): V8 optimises separate module-level typed
// arrays better than one big table with computed offsets (~1.15 vs ~0.95 GB/s measured here).
const table = () => new Int32Array(256);
const L0 = table(),
  L1 = table(),
  L2 = table(),
  L3 = table(),
  L4 = table(),
  L5 = table(),
  L6 = table(),
  L7 = table();
const H0 = table(),
  H1 = table(),
  H2 = table(),
  H3 = table(),
  H4 = table(),
  H5 = table(),
  H6 = table(),
  H7 = table();
{
  const LS = [L0, L1, L2, L3, L4, L5, L6, L7];
  const HS = [H0, H1, H2, H3, H4, H5, H6, H7];
  for (let b = 0; b < 256; b++) {
    let lo = b;
    let hi = 0;
    for (let i = 0; i < 8; i++) {
      const carry = lo & 1;
      lo = (lo >>> 1) | (hi << 31);
      hi = hi >>> 1;
      if (carry) {
        lo ^= POLY_LO;
        hi ^= POLY_HI;
      }
    }
    L0[b] = lo;
    H0[b] = hi;
  }
  // T[k][b] = CRC register after byte b followed by k zero bytes.
  for (let k = 1; k < 8; k++) {
    for (let b = 0; b < 256; b++) {
      const plo = LS[k - 1]![b]!;
      const phi = HS[k - 1]![b]!;
      const idx = plo & 0xff;
      LS[k]![b] = L0[idx]! ^ ((plo >>> 8) | (phi << 24));
      HS[k]![b] = H0[idx]! ^ (phi >>> 8);
    }
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
const MASK64 = (1n << 64n) - 1n;

/** Streaming CRC-64/XZ. `update` as often as needed, then `value` / `toString()`. */
export class Crc64 {
  // Internal (pre-inversion) register as two signed 32-bit halves.
  private lo: number;
  private hi: number;
  private length = 0;

  /** Start from an empty input, or continue from the CRC of a prefix (resume after a crash). */
  constructor(previous: bigint | string = 0n) {
    const inv = ~BigInt(previous) & MASK64;
    this.lo = Number(inv & 0xffffffffn) | 0;
    this.hi = Number(inv >> 32n) | 0;
  }

  /** Bytes fed since construction (not counting any `previous` prefix). */
  get bytes(): number {
    return this.length;
  }

  update(data: Uint8Array): this {
    const n = data.length;
    this.length += n;
    let lo = this.lo;
    let hi = this.hi;
    let i = 0;

    if (LITTLE_ENDIAN && n >= 32) {
      // Byte steps up to a 4-byte aligned address, then 8 bytes per step as two words.
      const misalign = (4 - (data.byteOffset & 3)) & 3;
      for (; i < misalign; i++) {
        const x = (lo ^ data[i]!) & 0xff;
        lo = L0[x]! ^ ((lo >>> 8) | (hi << 24));
        hi = H0[x]! ^ (hi >>> 8);
      }
      const words = new Int32Array(data.buffer, data.byteOffset + i, (n - i) >>> 2);
      const end = words.length & ~1;
      for (let w = 0; w < end; w += 2) {
        const a = lo ^ words[w]!;
        const b = hi ^ words[w + 1]!;
        const a0 = a & 0xff;
        const a1 = (a >>> 8) & 0xff;
        const a2 = (a >>> 16) & 0xff;
        const a3 = a >>> 24;
        const b0 = b & 0xff;
        const b1 = (b >>> 8) & 0xff;
        const b2 = (b >>> 16) & 0xff;
        const b3 = b >>> 24;
        lo = L7[a0]! ^ L6[a1]! ^ L5[a2]! ^ L4[a3]! ^ L3[b0]! ^ L2[b1]! ^ L1[b2]! ^ L0[b3]!;
        hi = H7[a0]! ^ H6[a1]! ^ H5[a2]! ^ H4[a3]! ^ H3[b0]! ^ H2[b1]! ^ H1[b2]! ^ H0[b3]!;
      }
      i += end * 4;
    }
    for (; i < n; i++) {
      const x = (lo ^ data[i]!) & 0xff;
      lo = L0[x]! ^ ((lo >>> 8) | (hi << 24));
      hi = H0[x]! ^ (hi >>> 8);
    }
    this.lo = lo;
    this.hi = hi;
    return this;
  }

  /** The CRC of everything fed so far, as an unsigned 64-bit BigInt. */
  get value(): bigint {
    return ~((BigInt(this.hi >>> 0) << 32n) | BigInt(this.lo >>> 0)) & MASK64;
  }

  /** Decimal form, as the `x-*-hash-crc64ecma` headers carry it. */
  toString(): string {
    return this.value.toString();
  }
}

/** CRC-64/XZ of one buffer, as a decimal string. */
export function crc64(data: Uint8Array | string, previous: bigint | string = 0n): string {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return new Crc64(previous).update(bytes).toString();
}

// ---- combine -------------------------------------------------------------------------------

const POLY = 0xc96c5795d7870f42n;
const TOP = 1n << 63n;

/** a·b mod P in the reflected representation (bit 63 is x^0). */
function multModP(a: bigint, b: bigint): bigint {
  let m = TOP;
  let p = 0n;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1n)) === 0n) break;
    }
    m >>= 1n;
    b = b & 1n ? (b >> 1n) ^ POLY : b >> 1n;
  }
  return p;
}

/** X2N[k] = x^(2^k) mod P. */
const X2N: bigint[] = [];
{
  let p = TOP >> 1n; // x^1
  for (let k = 0; k < 64; k++) {
    X2N.push(p);
    p = multModP(p, p);
  }
}

/** x^(n·2^k) mod P. */
function x2nModP(n: bigint, k: number): bigint {
  let p = TOP; // x^0
  while (n > 0n) {
    if (n & 1n) p = multModP(X2N[k & 63]!, p);
    n >>= 1n;
    k++;
  }
  return p;
}

/**
 * CRC of A‖B from crc(A), crc(B) and len(B) — how a whole-object CRC is derived from part CRCs
 * (CompleteMultipartUpload) without touching the data again.
 */
export function crc64Combine(crcA: bigint | string, crcB: bigint | string, lengthB: number | bigint): bigint {
  const a = BigInt(crcA);
  const b = BigInt(crcB);
  const len = BigInt(lengthB);
  if (len === 0n) return a;
  return multModP(x2nModP(len, 3), a) ^ b;
}

/** Fold part CRCs in part order into the whole-object CRC (decimal string). */
export function crc64CombineAll(parts: ReadonlyArray<{ crc64: bigint | string; size: number }>): string {
  let acc = 0n;
  for (const p of parts) acc = crc64Combine(acc, p.crc64, p.size);
  return acc.toString();
}
