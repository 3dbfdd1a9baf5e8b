/** Wiring for engine tests: memory stores, a temp work dir with SQLite state and journals. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { LocalJournal } from '../../runner/adapters/journal/localJournal.ts';
import { MemoryStore } from '../../runner/adapters/memory/memoryStore.ts';
import { SqliteStore } from '../../runner/adapters/state/sqliteStore.ts';
import { type JobInput, parseJob } from '../../runner/config/job.ts';
import type { EngineEvent } from '../../runner/core/events.ts';
import type { Task, VerifyResult } from '../../runner/core/types.ts';
import { executePass, newPass, type PassRun, type Ports } from '../../runner/engine/run.ts';
import type { PassInfo } from '../../runner/ports/jobState.ts';
import { passProblems } from '../../runner/ports/journal.ts';

export type Harness = {
  dir: string;
  src: MemoryStore;
  dst: MemoryStore;
  state: SqliteStore;
  journal: LocalJournal;
  events: EngineEvent[];
  ports(spec?: Partial<JobInput>, signal?: AbortSignal): Ports;
  run(
    mode: PassInfo['mode'],
    window: { phase: 'full' | 'incremental'; t1: Date; t2?: Date },
    o?: {
      spec?: Partial<JobInput>;
      signal?: AbortSignal;
      softStop?: AbortSignal;
      resume?: PassInfo;
      seed?: Task[];
    },
  ): Promise<PassRun>;
  /** Reopen the state file (what a new process after a crash sees). */
  reopen(): void;
  close(): Promise<void>;
};

/** A verify pass's problems as the report reads them (its tasks' verify.ndjson, in key order). */
export async function problemsOf(h: Pick<Harness, 'journal'>, passId: string): Promise<VerifyResult[]> {
  const out: VerifyResult[] = [];
  for await (const p of passProblems(h.journal, passId)) out.push(p);
  return out;
}

export const baseSpec: JobInput = {
  source: { type: 'cos', bucket: 'src-1250000000', region: 'ap-guangzhou', prefix: '' },
  destination: { bucket: 'dst', region: 'cn-hangzhou', prefix: '' },
  transfer: { concurrency: 8, retries: 3 },
  tasks: { maxObjects: 5 },
};

export async function harness(): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'ossmigrate-engine-'));
  const h: Harness = {
    dir,
    src: new MemoryStore('mem://src'),
    dst: new MemoryStore('mem://dst'),
    state: new SqliteStore(join(dir, 'state.db')),
    journal: new LocalJournal(join(dir, 'passes')),
    events: [],
    ports(spec = {}, signal = new AbortController().signal) {
      return {
        spec: parseJob({ ...baseSpec, ...spec }),
        src: h.src,
        dst: h.dst,
        state: h.state,
        queue: h.state,
        journal: h.journal,
        emit: (e) => h.events.push(e),
        log: pino({ level: 'silent' }),
        signal,
      };
    },
    async run(mode, window, o = {}) {
      const pass = o.resume ?? newPass(mode, window, new Date());
      return executePass(h.ports(o.spec, o.signal), pass, {
        resumed: o.resume !== undefined,
        ...(o.seed ? { seed: o.seed } : {}),
        ...(o.softStop ? { softStop: o.softStop } : {}),
        progressMs: 50,
        controlMs: 50,
      });
    },
    reopen() {
      h.state.db.close();
      h.state = new SqliteStore(join(dir, 'state.db'));
    },
    async close() {
      await h.state.close().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
  return h;
}

/** Deterministic pseudo-random bytes. */
export function bytes(n: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

export const past = (minutes: number) => new Date(Date.now() - minutes * 60_000);
