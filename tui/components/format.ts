/** Small pure formatters shared by the components. */
import { formatRate } from '../../runner/core/bandwidth.ts';
import { formatBytes, formatDuration } from '../../runner/core/units.ts';

export { formatBytes, formatDuration };

export function rate(bytesPerSec: number | null | undefined): string {
  return bytesPerSec === null || bytesPerSec === undefined ? '—' : formatRate(bytesPerSec);
}

export function pct(n: number): string {
  return `${Math.floor(n)}%`;
}

/** "2026-11-22 04:00:00Z" from an ISO time (seconds, UTC). */
export function shortTime(iso: string | number | undefined): string {
  if (iso === undefined) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, Math.max(0, n - 1))}…` : s;
}
