/** CRC-64 throughput in streaming use (16 and 64 KiB chunks) against baselines measured in the same run. */
import { createHash, randomBytes } from 'node:crypto';
import { Crc64, crc64UseJsOnly } from '../../runner/core/crc64.ts';
import { type BenchRow, MB, median, row } from './util.ts';

/** The straightforward byte-at-a-time table CRC on 32-bit halves: what one writes first. */
function naiveCrc64(): { update(b: Uint8Array): void } {
  const lo = new Int32Array(256);
  const hi = new Int32Array(256);
  for (let b = 0; b < 256; b++) {
    let l = b;
    let h = 0;
    for (let i = 0; i < 8; i++) {
      const c = l & 1;
      l = (l >>> 1) | (h << 31);
      h >>>= 1;
      if (c) {
        l ^= 0xd7870f42 | 0;
        h ^= 0xc96c5795 | 0;
      }
    }
    lo[b] = l;
    hi[b] = h;
  }
  let cl = -1;
  let ch = -1;
  return {
    update(data) {
      for (let i = 0; i < data.length; i++) {
        const x = (cl ^ data[i]!) & 0xff;
        cl = lo[x]! ^ ((cl >>> 8) | (ch << 24));
        ch = hi[x]! ^ (ch >>> 8);
      }
    },
  };
}

function rate(
  bytes: Buffer,
  chunk: number,
  make: () => { update(b: Uint8Array): unknown },
  runs: number,
): number {
  const rates: number[] = [];
  for (let r = 0; r < runs + 1; r++) {
    const h = make();
    const t = performance.now();
    for (let o = 0; o < bytes.length; o += chunk) h.update(bytes.subarray(o, o + chunk));
    const ms = performance.now() - t;
    if (r > 0) rates.push(bytes.length / MB / (ms / 1000)); // first run warms the JIT
  }
  return median(rates);
}

export async function benchCrc(o: { quick: boolean }): Promise<BenchRow[]> {
  const data = randomBytes((o.quick ? 16 : 64) * 1024 * 1024);
  const runs = o.quick ? 3 : 5;
  const rows: BenchRow[] = [];
  for (const chunk of [16 * 1024, 64 * 1024]) {
    const ours = rate(data, chunk, () => new Crc64(), runs);
    crc64UseJsOnly(true);
    const js = rate(data, chunk, () => new Crc64(), runs);
    crc64UseJsOnly(false);
    const naive = rate(data, chunk, naiveCrc64, runs);
    const md5 = rate(data, chunk, () => createHash('md5'), runs);
    const kib = chunk / 1024;
    rows.push(
      row({
        suite: 'crc64',
        name: `wasm slicing-by-16, ${kib} KiB chunks (vs JS slicing-by-8)`,
        value: ours,
        unit: 'MB/s',
        baseline: js,
      }),
    );
    rows.push(
      row({
        suite: 'crc64',
        name: `wasm slicing-by-16, ${kib} KiB chunks (vs byte-at-a-time table)`,
        value: ours,
        unit: 'MB/s',
        baseline: naive,
      }),
    );
    rows.push(
      row({
        suite: 'crc64',
        name: `wasm slicing-by-16, ${kib} KiB chunks (vs native MD5)`,
        value: ours,
        unit: 'MB/s',
        baseline: md5,
        note: 'MD5 = what ETag-based tools hash',
      }),
    );
  }
  return rows;
}
