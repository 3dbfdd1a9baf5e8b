/**
 * Bandwidth limits and rclone-style time-of-day timetables, e.g.
 *   "off" · "20M" · "200Mbit/s" · "08:00,512k 12:00,10M 23:00,off" · "Mon-08:00,20M Sat-00:00,off"
 * Rates without a unit suffix style follow rclone: K/M/G are KiB/MiB/GiB per second, a bare number
 * is KiB/s. Explicit units are accepted too: 25MB/s, 25MiB/s, 200Mbit/s, 1Gbps.
 */

/** Bytes per second, or null for unlimited. */
export type Rate = number | null;

export type TimetableEntry = {
  /** 0..6 (Sunday = 0) or undefined for every day. */
  weekday?: number;
  /** Minutes after midnight. */
  minute: number;
  rate: Rate;
};

export type Timetable = { entries: TimetableEntry[]; weekly: boolean };

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

export class RateSyntaxError extends Error {}

const UNITS: Record<string, number> = {
  // rclone: a bare number is KiB/s; single letters are binary multiples of bytes.
  '': 1024,
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  bit: 1 / 8,
  bps: 1 / 8,
  kbit: 125,
  kbps: 125,
  mbit: 125e3,
  mbps: 125e3,
  gbit: 125e6,
  gbps: 125e6,
};

/** Parse one rate: "off", "512k", "10M", "1.5G", "25MB/s", "25MiB/s", "200Mbit/s", "1Gbps". */
export function parseRate(text: string): Rate {
  const s = text.trim();
  if (/^(off|unlimited|0)$/i.test(s)) return null;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)(?:\/s)?$/i.exec(s);
  if (!m)
    throw new RateSyntaxError(`"${text}" is not a bandwidth (examples: off, 512k, 20M, 25MB/s, 200Mbit/s)`);
  const factor = UNITS[(m[2] ?? '').toLowerCase()];
  if (factor === undefined) {
    throw new RateSyntaxError(
      `"${text}": unknown unit "${m[2]}" (use k/M/G, KiB/MiB/GiB, KB/MB/GB or Mbit/Mbps)`,
    );
  }
  const rate = Number(m[1]) * factor;
  if (!(rate > 0)) throw new RateSyntaxError(`"${text}" must be positive (use "off" for no limit)`);
  return rate;
}

/** Parse a single rate or a timetable. */
export function parseTimetable(text: string): Timetable {
  if (text.trim() === '') throw new RateSyntaxError('empty bandwidth setting');
  if (!text.includes(',')) return { entries: [{ minute: 0, rate: parseRate(text) }], weekly: false };
  const parts = text.trim().split(/\s+/).filter(Boolean);
  const entries = parts.map((p): TimetableEntry => {
    const m = /^(?:([A-Za-z]{3})-)?(\d{1,2}):(\d{2}),(.+)$/.exec(p);
    if (!m) throw new RateSyntaxError(`"${p}" is not a timetable entry (expected [Mon-]HH:MM,RATE)`);
    const hh = Number(m[2]);
    const mm = Number(m[3]);
    if (hh > 23 || mm > 59) throw new RateSyntaxError(`"${p}": time out of range`);
    const day = m[1] === undefined ? undefined : WEEKDAYS.indexOf(m[1].toLowerCase());
    if (day === -1) throw new RateSyntaxError(`"${p}": unknown weekday "${m[1]}" (Mon, Tue, … Sun)`);
    return { ...(day === undefined ? {} : { weekday: day }), minute: hh * 60 + mm, rate: parseRate(m[4]!) };
  });
  return { entries, weekly: entries.some((e) => e.weekday !== undefined) };
}

const WEEK = 7 * 24 * 60;

/** Expand to minute-of-week points, sorted. */
function points(t: Timetable): Array<{ at: number; rate: Rate }> {
  const out: Array<{ at: number; rate: Rate }> = [];
  for (const e of t.entries) {
    if (!t.weekly) out.push({ at: e.minute, rate: e.rate });
    else if (e.weekday === undefined)
      for (let d = 0; d < 7; d++) out.push({ at: d * 1440 + e.minute, rate: e.rate });
    else out.push({ at: e.weekday * 1440 + e.minute, rate: e.rate });
  }
  return out.sort((a, b) => a.at - b.at);
}

function minuteOf(t: Timetable, when: Date): number {
  const m = when.getHours() * 60 + when.getMinutes();
  return t.weekly ? when.getDay() * 1440 + m : m;
}

/** The limit in force at `when` (local time): the latest entry at or before it, wrapping around. */
export function rateAt(t: Timetable, when: Date): Rate {
  const pts = points(t);
  const now = minuteOf(t, when);
  let current = pts[pts.length - 1]!;
  for (const p of pts) {
    if (p.at <= now) current = p;
    else break;
  }
  return current.rate;
}

/** When the limit next changes after `when`, or undefined if it never does. */
export function nextChange(t: Timetable, when: Date): { at: Date; rate: Rate } | undefined {
  const pts = points(t);
  if (new Set(pts.map((p) => p.rate)).size <= 1) return undefined;
  const span = t.weekly ? WEEK : 1440;
  const now = minuteOf(t, when);
  const current = rateAt(t, when);
  for (let step = 1; step <= span; step++) {
    const m = (now + step) % span;
    const p = pts.find((x) => x.at === m);
    if (p && p.rate !== current) {
      const at = new Date(when);
      at.setSeconds(0, 0);
      at.setMinutes(at.getMinutes() + step);
      return { at, rate: p.rate };
    }
  }
  return undefined;
}

/** "20 MiB/s" / "off" for humans. */
export function formatRate(rate: Rate): string {
  if (rate === null) return 'off';
  const units = ['B/s', 'KiB/s', 'MiB/s', 'GiB/s'];
  let v = rate;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}
