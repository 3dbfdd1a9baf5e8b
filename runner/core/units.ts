/** Sizes and durations as people write them in job files and flags. */

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  // ossimport writes "150m", "50m", "5g": binary.
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
};

/** "150m" (ossimport), "100MiB", "1GB", "1048576" → bytes. Throws with the accepted forms. */
export function parseSize(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new Error(`${input} is not a size in bytes`);
    return Math.floor(input);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(input);
  const factor = m ? SIZE_UNITS[(m[2] ?? '').toLowerCase()] : undefined;
  if (!m || factor === undefined) {
    throw new Error(`"${input}" is not a size (examples: 1048576, 150m, 100MiB, 1GB)`);
  }
  return Math.floor(Number(m[1]) * factor);
}

/** 1536 → "1.5 KiB" */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

/** 3725000 → "1h 2m" ; 42000 → "42s" */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/**
 * A point in time from a flag or job file: ISO 8601 (`2026-11-20T08:00:00+08:00`), a date
 * (`2026-11-20`, local midnight), unix seconds (ossimport's importSince) or milliseconds, or "now".
 */
export function parseTime(input: string | number | Date, now: Date = new Date()): Date {
  if (input instanceof Date) return input;
  if (typeof input === 'number') return new Date(input > 1e11 ? input : input * 1000);
  const s = input.trim();
  if (s === 'now') return now;
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    return new Date(n > 1e11 ? n : n * 1000);
  }
  const d = /^\d{4}-\d{2}-\d{2}$/.test(s) ? new Date(`${s}T00:00:00`) : new Date(s);
  if (Number.isNaN(d.getTime())) {
    throw new Error(
      `"${input}" is not a time (examples: 2026-11-20T08:00:00+08:00, 2026-11-20, 1795318245, now)`,
    );
  }
  return d;
}
