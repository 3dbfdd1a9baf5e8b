/** The `plan` survey: what the source holds, accumulated while scanning (pure, mergeable). */
import { ossKeyProblem } from './keys.ts';
import type { ObjectInfo, StorageClass } from './types.ts';

/** Upper bounds (exclusive) of the size histogram buckets; the last bucket is open. */
export const SIZE_BUCKETS = [
  1024,
  64 * 1024,
  1024 ** 2,
  16 * 1024 ** 2,
  128 * 1024 ** 2,
  1024 ** 3,
  5 * 1024 ** 3,
];
export const SIZE_BUCKET_LABELS = [
  '< 1 KiB',
  '< 64 KiB',
  '< 1 MiB',
  '< 16 MiB',
  '< 128 MiB',
  '< 1 GiB',
  '< 5 GiB',
  '≥ 5 GiB',
];

export type Survey = {
  objects: number;
  bytes: number;
  histogram: number[];
  histogramBytes: number[];
  storageClasses: Partial<Record<StorageClass, { objects: number; bytes: number }>>;
  invalidNames: number;
  /** A few examples, to show the user. */
  invalidSamples: Array<{ key: string; reason: string }>;
  largest?: { key: string; size: number };
  oldest?: string;
  newest?: string;
  /** Modified at or after the reference time (T1, or the survey start). */
  modifiedSince: number;
  modifiedSinceBytes: number;
};

export const emptySurvey = (): Survey => ({
  objects: 0,
  bytes: 0,
  histogram: SIZE_BUCKETS.map(() => 0).concat(0),
  histogramBytes: SIZE_BUCKETS.map(() => 0).concat(0),
  storageClasses: {},
  invalidNames: 0,
  invalidSamples: [],
  modifiedSince: 0,
  modifiedSinceBytes: 0,
});

const MAX_SAMPLES = 20;

export function bucketOf(size: number): number {
  const i = SIZE_BUCKETS.findIndex((b) => size < b);
  return i < 0 ? SIZE_BUCKETS.length : i;
}

/** Add one object. `dstKey` is where it would go (its name is what OSS checks). */
export function addToSurvey(s: Survey, o: ObjectInfo, dstKey: string, since: Date | undefined): void {
  s.objects++;
  s.bytes += o.size;
  const b = bucketOf(o.size);
  s.histogram[b]!++;
  s.histogramBytes[b]! += o.size;
  const cls = o.storageClass ?? 'STANDARD';
  const c = (s.storageClasses[cls] ??= { objects: 0, bytes: 0 });
  c.objects++;
  c.bytes += o.size;
  const problem = ossKeyProblem(dstKey);
  if (problem) {
    s.invalidNames++;
    if (s.invalidSamples.length < MAX_SAMPLES) s.invalidSamples.push({ key: o.key, reason: problem.reason });
  }
  if (!s.largest || o.size > s.largest.size) s.largest = { key: o.key, size: o.size };
  const t = o.lastModified.toISOString();
  if (!s.oldest || t < s.oldest) s.oldest = t;
  if (!s.newest || t > s.newest) s.newest = t;
  if (since && o.lastModified.getTime() >= since.getTime()) {
    s.modifiedSince++;
    s.modifiedSinceBytes += o.size;
  }
}

export function mergeSurveys(a: Survey, b: Survey): Survey {
  const out = emptySurvey();
  out.objects = a.objects + b.objects;
  out.bytes = a.bytes + b.bytes;
  out.histogram = a.histogram.map((n, i) => n + (b.histogram[i] ?? 0));
  out.histogramBytes = a.histogramBytes.map((n, i) => n + (b.histogramBytes[i] ?? 0));
  for (const src of [a, b]) {
    for (const [k, v] of Object.entries(src.storageClasses) as Array<
      [StorageClass, { objects: number; bytes: number }]
    >) {
      const c = (out.storageClasses[k] ??= { objects: 0, bytes: 0 });
      c.objects += v.objects;
      c.bytes += v.bytes;
    }
  }
  out.invalidNames = a.invalidNames + b.invalidNames;
  out.invalidSamples = [...a.invalidSamples, ...b.invalidSamples].slice(0, MAX_SAMPLES);
  const largest = [a.largest, b.largest].filter((x) => x !== undefined).sort((x, y) => y.size - x.size)[0];
  if (largest) out.largest = largest;
  const oldest = [a.oldest, b.oldest].filter((x) => x !== undefined).sort()[0];
  if (oldest) out.oldest = oldest;
  const newest = [a.newest, b.newest]
    .filter((x) => x !== undefined)
    .sort()
    .reverse()[0];
  if (newest) out.newest = newest;
  out.modifiedSince = a.modifiedSince + b.modifiedSince;
  out.modifiedSinceBytes = a.modifiedSinceBytes + b.modifiedSinceBytes;
  return out;
}

/**
 * Time estimate for moving `bytes` / `objects`: bandwidth-bound for large objects, request-bound
 * for small ones (OSS/COS request latency × concurrency).
 */
export function estimateSeconds(
  s: Pick<Survey, 'bytes' | 'objects'>,
  o: { bytesPerSecond: number; concurrency: number; perObjectMs?: number },
): number {
  const transfer = s.bytes / o.bytesPerSecond;
  const requests = (s.objects * (o.perObjectMs ?? 60)) / 1000 / o.concurrency;
  return Math.max(transfer, requests);
}

/**
 * Bytes recorded in the output of `ossmigrate plan --json` (the Pulumi program sizes from it): either one JSON object or NDJSON.
 * Takes the last object with "type":"plan" and a numeric `bytes`; failing that, the last object
 * with a top-level numeric `bytes`. Returns undefined when there is none.
 */
export function surveyBytes(text: string): number | undefined {
  const candidates: unknown[] = [];
  const trimmed = text.trim();
  try {
    candidates.push(JSON.parse(trimmed));
  } catch {
    for (const line of trimmed.split(/\r?\n/)) {
      const l = line.trim();
      if (!l.startsWith('{')) continue;
      try {
        candidates.push(JSON.parse(l));
      } catch {
        // Not every line of a log needs to be JSON; skip it.
      }
    }
  }
  const withBytes = candidates.filter(
    (c): c is { type?: unknown; bytes: number } =>
      typeof c === 'object' &&
      c !== null &&
      typeof (c as { bytes?: unknown }).bytes === 'number' &&
      Number.isFinite((c as { bytes: number }).bytes),
  );
  const plans = withBytes.filter((c) => c.type === 'plan');
  return (plans.at(-1) ?? withBytes.at(-1))?.bytes;
}
