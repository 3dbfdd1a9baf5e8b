/**
 * `listing-scale` (issue #17): a flat prefix listed through the real scan path (executePass, the
 * SQLite queue, runScanTask with its key-range splits) by 1 lister and by 4, against a store that
 * answers 1,000-key pages after a timer (per-page latency without CPU cost). Prints
 * list_keys_per_s_flat, list_speedup_parallel and the projection for 10⁹ keys with 16 listers
 * at 100 ms per page; `listingScaleKeys` gives them and their raw figures as --json keys.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { LocalJournal } from '../../runner/adapters/journal/localJournal.ts';
import { MemoryStore } from '../../runner/adapters/memory/memoryStore.ts';
import { SqliteStore } from '../../runner/adapters/state/sqliteStore.ts';
import { parseJob } from '../../runner/config/job.ts';
import type { EngineEvent } from '../../runner/core/events.ts';
import { compareKeys } from '../../runner/core/keys.ts';
import type { ListEntry, ObjectHead } from '../../runner/core/types.ts';
import { executePass, newPass } from '../../runner/engine/run.ts';
import type { ObjectStore } from '../../runner/ports/objectStore.ts';
import type { BenchRow } from './util.ts';

const PAGE = 1000;

/** A flat synthetic bucket: sorted keys, 1,000-key pages, each after `latencyMs`. */
class FlatStore {
  readonly name = 'flat://bench';
  readonly features = new MemoryStore('x').features;
  lists = 0;
  private readonly mtime = new Date(0);
  constructor(
    private readonly keys: string[],
    private readonly latencyMs: number,
  ) {}

  async *list(opts: { prefix: string; startAfter?: string }): AsyncIterable<ListEntry> {
    let lo = 0;
    let hi = this.keys.length;
    const after = opts.startAfter;
    if (after !== undefined) {
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (compareKeys(this.keys[mid]!, after) <= 0) lo = mid + 1;
        else hi = mid;
      }
    }
    for (let i = lo; i < this.keys.length; i += PAGE) {
      this.lists++;
      await sleep(this.latencyMs);
      for (const key of this.keys.slice(i, i + PAGE)) {
        if (!key.startsWith(opts.prefix)) return;
        yield { kind: 'object', info: { key, size: 1024, lastModified: this.mtime, etag: 'e' } };
      }
    }
  }
  async head(): Promise<ObjectHead | undefined> {
    return undefined;
  }
}

export async function listOnce(
  keys: string[],
  listers: number,
  latencyMs: number,
  emit: (e: EngineEvent) => void = () => {},
): Promise<{ ms: number; lists: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-bench-listscale-'));
  const state = new SqliteStore(join(dir, 'state.db'));
  const src = new FlatStore(keys, latencyMs);
  try {
    const spec = parseJob({
      source: { type: 'cos', bucket: 'src-1250000000', region: 'ap-guangzhou', prefix: '' },
      destination: { bucket: 'dst', region: 'cn-hangzhou', prefix: '' },
      listing: { listers },
      tasks: { maxObjects: 1000 },
    });
    const started = performance.now();
    await executePass(
      {
        spec,
        src: src as unknown as ObjectStore,
        dst: new MemoryStore('mem://dst'),
        state,
        queue: state,
        journal: new LocalJournal(join(dir, 'passes')),
        emit,
        log: pino({ level: 'silent' }),
        signal: new AbortController().signal,
      },
      newPass('plan', { phase: 'full', t1: new Date() }, new Date()),
      // As many tasks at once as listers: the speed-up is the listers', not a wider pool's.
      { resumed: false, progressMs: 1000, controlMs: 1000, taskConcurrency: listers },
    );
    return { ms: performance.now() - started, lists: src.lists };
  } finally {
    await state.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
}

export async function benchListingScale(o: { quick: boolean }): Promise<BenchRow[]> {
  const n = o.quick ? 100_000 : 400_000;
  const latencyMs = 50;
  // Hash-like names in one flat prefix (thumbnails): no sub-prefix to fan out over.
  const keys = Array.from(
    { length: n },
    (_, i) => `thumbs/${((i * 2654435761) >>> 0).toString(16).padStart(8, '0')}.jpg`,
  ).sort(compareKeys);
  const one = await listOnce(keys, 1, latencyMs);
  const four = await listOnce(keys, 4, latencyMs);
  return listingScaleRows(n, latencyMs, one, four);
}

/** The suite's rows from the two runs over n keys. */
export function listingScaleRows(
  n: number,
  latencyMs: number,
  one: { ms: number; lists: number },
  four: { ms: number; lists: number },
): BenchRow[] {
  const speedup = one.ms / four.ms;
  const keysPerSec = (n / four.ms) * 1000;
  // 10⁹ keys = 10⁶ pages at 100 ms, shared by 16 listers at the efficiency measured with 4.
  const efficiency = speedup / 4;
  const projectedHours = ((1e9 / PAGE) * 0.1) / (16 * Math.min(1, efficiency)) / 3600;
  const label = `${n.toLocaleString('en')} flat keys, ${latencyMs} ms/page`;
  return [
    {
      suite: 'listing-scale',
      name: `list_keys_per_s_flat: ${label}, 4 listers`,
      value: Math.round(keysPerSec),
      unit: 'keys/s',
      baseline: Math.round((n / one.ms) * 1000),
      ratio: speedup,
      note: `${four.lists} LIST requests vs ${one.lists} with 1 lister (probes included)`,
    },
    { suite: 'listing-scale', name: 'list_requests: 1 lister', value: one.lists, unit: 'requests' },
    {
      suite: 'listing-scale',
      name: 'list_requests: 4 listers (probes included)',
      value: four.lists,
      unit: 'requests',
    },
    {
      suite: 'listing-scale',
      name: 'list_speedup_parallel: 4 listers vs 1 (target ≥ 3.5)',
      value: speedup,
      unit: '×',
    },
    {
      suite: 'listing-scale',
      name: 'list_projected_hours_1e9_16_listers: 100 ms/page (target ≤ 4)',
      value: projectedHours,
      unit: 'h',
      note: `1 lister: ${(((1e9 / PAGE) * 0.1) / 3600).toFixed(1)} h`,
    },
  ];
}

/**
 * The suite's --json keys: the headline figures and the raw ones behind them (the 1-lister
 * baseline, the request counts, the set measured); null when the suite did not run.
 */
export function listingScaleKeys(rows: BenchRow[]): Record<string, number | string | null> {
  const find = (re: RegExp) => rows.find((r) => r.suite === 'listing-scale' && re.test(r.name));
  const flat = find(/^list_keys_per_s_flat/);
  return {
    list_keys_per_s_flat: flat?.value ?? null,
    list_keys_per_s_flat_1_lister: flat?.baseline ?? null,
    list_keys_per_s_flat_4_listers: flat?.value ?? null,
    list_speedup_parallel: find(/^list_speedup_parallel/)?.value ?? null,
    list_projected_hours_1e9_16_listers: find(/^list_projected_hours/)?.value ?? null,
    list_requests_1_lister: find(/^list_requests: 1 lister/)?.value ?? null,
    list_requests_4_listers: find(/^list_requests: 4 listers/)?.value ?? null,
    list_flat_label: flat?.name.replace(/^list_keys_per_s_flat: /, '') ?? null,
  };
}
