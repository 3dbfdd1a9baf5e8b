/**
 * The time series a pass records while it runs (for the HTML report's charts): cumulative
 * counters sampled by the progress loop, one point per time bucket. Bounded whatever the pass's
 * length: when full, the bucket width doubles and adjacent points merge (the later one wins —
 * the values are cumulative, so rates between any two kept points stay exact).
 */

export type SeriesPoint = {
  /** Epoch ms of the sample. */
  t: number;
  /** Bytes transferred so far (retries included). */
  bytes: number;
  /** Objects with an outcome so far (copy: copied + skipped + deferred + failed; verify: compared). */
  objects: number;
  copied: number;
  skipped: number;
  deferred: number;
  failed: number;
  /** Verify passes: matches, and everything that is not a match. */
  verified: number;
  problems: number;
  /** Fleet: bytes moved so far by each worker (its own running total). */
  workers?: Record<string, number>;
};

export type Series = { intervalMs: number; points: SeriesPoint[] };

/** Points kept per pass: a 30-day pass ends with ~1.4 h buckets, a 10-minute one keeps every second. */
export const SERIES_MAX_POINTS = 512;

export const emptySeries = (intervalMs: number): Series => ({
  intervalMs: Math.max(1, intervalMs),
  points: [],
});

const bucket = (t: number, intervalMs: number) => Math.floor(t / intervalMs);

/** Keep the last point of each bucket. */
function rebucket(points: SeriesPoint[], intervalMs: number): SeriesPoint[] {
  const out: SeriesPoint[] = [];
  for (const p of points) {
    const last = out[out.length - 1];
    if (last && bucket(last.t, intervalMs) === bucket(p.t, intervalMs)) out[out.length - 1] = p;
    else out.push(p);
  }
  return out;
}

/**
 * Add a sample (pure), in time order: of two samples in one bucket the later one stays. Past
 * `max` points the interval doubles until it fits.
 */
export function addPoint(s: Series, p: SeriesPoint, max = SERIES_MAX_POINTS): Series {
  const limit = Math.max(2, max);
  const points = [...s.points];
  let i = points.length;
  while (i > 0 && points[i - 1]!.t > p.t) i--;
  points.splice(i, 0, p);
  let intervalMs = s.intervalMs;
  let kept = rebucket(points, intervalMs);
  while (kept.length > limit) {
    intervalMs *= 2;
    kept = rebucket(kept, intervalMs);
  }
  return { intervalMs, points: kept };
}

/** Same bucket as the other point, at the series' current interval? */
export function sameBucket(a: number, b: number, intervalMs: number): boolean {
  return bucket(a, intervalMs) === bucket(b, intervalMs);
}
