/**
 * What report.html shows, as plain data (pure, unit-tested): the writers of the pass report
 * and the migration report fill a ReportModel; charts.ts and page.ts only draw it.
 */
import { CLASS_INFO, type FailureClass } from '../../core/errors.ts';
import type { Series, SeriesPoint } from '../../core/series.ts';
import type { Survey } from '../../core/survey.ts';
import { EVIDENCE_LABEL, type Evidence } from '../../core/types.ts';

/** Rows of a long list kept in the file; the rest is in the named NDJSON file. */
export const LIST_CAP = 1000;
/** Keys shown per failure class. */
export const FIRST_KEYS = 5;

export type Outcomes = { copied: number; skipped: number; deferred: number; kept: number; failed: number };

export type PhaseTrack = {
  /** full, verify, incremental, final verify (or the pass id for a pass report). */
  label: string;
  passId: string;
  mode: 'copy' | 'verify' | 'plan';
  startedAt: number;
  finishedAt?: number;
  series?: Series;
  /** Copy passes. */
  outcomes?: Outcomes;
};

export type FailureGroup = {
  cls: FailureClass;
  count: number;
  reason: string;
  fix: string;
  keys: string[];
};

export type Verification = {
  verified: number;
  kept: number;
  missing: number;
  different: number;
  extra: number;
  unverifiable: number;
  changedAfterWindow: number;
  errors: number;
  /** How the matches were proved, where the engine counted it. */
  methods?: Partial<Record<Evidence, number>>;
};

export type Headline = {
  ok: boolean;
  text: string;
  /** Shown big; each carries its report.json name (data-num in the page). */
  numbers: Array<{ name: string; label: string; value: number }>;
};

export type ListTable = {
  title: string;
  columns: string[];
  rows: string[][];
  /** Rows the source had in all (rows.length ≤ LIST_CAP). */
  total: number;
  /** Where the full list is. */
  fullList?: string;
};

export type Deadline = {
  deadlineDays: number;
  /** Plan's estimate for the sized fleet. */
  estimatedMs: number;
  instances: number;
  /** From the plan to the report. */
  elapsedMs: number;
  transferredBytes: number;
  egressPricePerGB?: number;
};

export type ReportModel = {
  title: string;
  job: string;
  source: string;
  destination: string;
  generatedAt: string;
  headline: Headline;
  t1?: number;
  t2?: number;
  phases: PhaseTrack[];
  failures: FailureGroup[];
  verification?: Verification;
  survey?: Survey;
  deadline?: Deadline;
  lists: ListTable[];
  /** The other files of the report (name → path). */
  files: Array<{ name: string; path: string }>;
  notes: string[];
};

export type RatePoint = { t: number; bytesPerSec: number; objectsPerSec: number };

/**
 * Rates between consecutive points of a cumulative series, each plotted at the later point
 * (a counter that went back, e.g. a worker restart, counts as 0). The pass start is the origin.
 */
export function rates(points: SeriesPoint[], startedAt?: number): RatePoint[] {
  const pts =
    startedAt !== undefined && points.length && points[0]!.t > startedAt
      ? [{ t: startedAt, bytes: 0, objects: 0 }, ...points]
      : points;
  const out: RatePoint[] = [];
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1]!;
    const b = pts[i]!;
    const dt = (b.t - a.t) / 1000;
    if (dt <= 0) continue;
    out.push({
      t: b.t,
      bytesPerSec: Math.max(0, b.bytes - a.bytes) / dt,
      objectsPerSec: Math.max(0, b.objects - a.objects) / dt,
    });
  }
  return out;
}

/** Bytes/s per worker (fleet), each worker's own running total differenced. */
export function workerRates(points: SeriesPoint[]): Map<string, Array<[number, number]>> {
  const out = new Map<string, Array<[number, number]>>();
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    const dt = (b.t - a.t) / 1000;
    if (dt <= 0 || !b.workers) continue;
    for (const [id, v] of Object.entries(b.workers)) {
      const before = a.workers?.[id];
      if (before === undefined) continue;
      let s = out.get(id);
      if (!s) out.set(id, (s = []));
      s.push([b.t, Math.max(0, v - before) / dt]);
    }
  }
  return out;
}

/** Failures grouped by class, largest first, with the class's reason and fix and the first keys. */
export function groupFailures(
  failures: Array<{ key: string; failureClass: FailureClass; reason?: string; fix?: string }>,
): FailureGroup[] {
  const by = new Map<FailureClass, FailureGroup>();
  for (const f of failures) {
    let g = by.get(f.failureClass);
    if (!g) {
      const info = CLASS_INFO[f.failureClass];
      g = {
        cls: f.failureClass,
        count: 0,
        reason: f.reason || info?.reason || '',
        fix: info?.fix || f.fix || '',
        keys: [],
      };
      by.set(f.failureClass, g);
    }
    g.count++;
    if (g.keys.length < FIRST_KEYS) g.keys.push(f.key);
  }
  return [...by.values()].sort((a, b) => b.count - a.count || a.cls.localeCompare(b.cls));
}

/** A long list, capped: the rows that matter first (the caller orders them). */
export function capList(
  title: string,
  columns: string[],
  rows: Iterable<string[]>,
  o: { total?: number; fullList?: string; cap?: number } = {},
): ListTable {
  const cap = o.cap ?? LIST_CAP;
  const kept: string[][] = [];
  let n = 0;
  for (const r of rows) {
    if (kept.length < cap) kept.push(r);
    n++;
  }
  return {
    title,
    columns,
    rows: kept,
    total: Math.max(n, o.total ?? 0),
    ...(o.fullList ? { fullList: o.fullList } : {}),
  };
}

/** What proved the matches, as summary.txt and the page both say it: "147 proven by CRC-64, 0 by MD5, 1 by size only". */
export function provenBy(m: NonNullable<Verification['methods']>): string {
  // Other content evidence (S3, Azure, URL-list sources) only where it proved something; size only last.
  const others = (['multipart-etag', 'content-md5', 'sha256', 'sha1', 'crc32c', 'crc32'] as const)
    .filter((k) => (m[k] ?? 0) > 0)
    .map((k) => `${m[k]} by ${EVIDENCE_LABEL[k]}, `)
    .join('');
  return `${m.crc64 ?? 0} proven by CRC-64, ${m.md5 ?? 0} by MD5, ${others}${m.size ?? 0} by size only`;
}

/** The one line a person reads first. */
export function migrationHeadline(v: {
  ok: boolean;
  sourceObjects: number;
  migrated: number;
  verified: number;
  kept: number;
  problems: number;
  exitCode: number;
}): Headline {
  const numbers = [
    { name: 'sourceObjects', label: 'source objects', value: v.sourceObjects },
    { name: 'migrated', label: 'migrated', value: v.migrated },
    { name: 'verified', label: 'verified', value: v.verified },
    { name: 'problems', label: 'need attention', value: v.problems },
  ];
  return {
    ok: v.ok,
    text: v.ok
      ? `Migrated and verified ${v.verified} of ${v.sourceObjects} objects${v.kept ? ` (${v.kept} kept: rewritten in OSS by the business after cutover)` : ''}; nothing failed.`
      : `${v.problems} object(s) need attention (exit code ${v.exitCode}): see the failures and problems below.`,
    numbers,
  };
}
