/**
 * The demo's simulated business: an application that keeps running while its storage moves. It
 * talks to storage through the ObjectStore port (the job's own source and destination stores),
 * so it is the same business whatever the source is (COS, S3, Azure).
 *   - From the start of the full copy until cutover it writes to the source: new objects, and
 *     new versions of existing ones (modified after T1, so the incremental phase owns them).
 *   - Behind the mirror rule (COS, S3) it switches to OSS at cutover: it reads keys that exist
 *     only in the source (created after T1 — OSS fetches them back-to-origin), writes new objects
 *     to OSS, and rewrites one object it had changed in the source (the incremental must leave
 *     that newer OSS write alone).
 *   - Without a mirror (Azure) the cutover is a write freeze: it stops writing at T2 and switches
 *     to OSS only once the final incremental has copied its writes; then it reads them through
 *     OSS (already there: no back-to-origin), writes new objects and rewrites the changed one.
 *   - Afterwards it keeps reading and writing OSS.
 * Everything it does is recorded for the report (BusinessRecord) and reported as it happens.
 */
import type { Readable } from 'node:stream';
import type { BusinessRecord } from '../../runner/app/migration/migrationReport.ts';
import type { ObjectStore } from '../../runner/ports/objectStore.ts';
import type { BusinessStats } from '../state/types.ts';

export type BusinessOptions = {
  /** The store it uses before cutover: the job's source. */
  source: ObjectStore;
  /** How the source is called in its lines and the report ("COS", "S3", "Azure"). */
  sourceLabel: string;
  /** The store it uses after cutover: the job's OSS destination. */
  oss: ObjectStore;
  /** 'freeze': no mirror, the switch waits for the final incremental (cutoverMode.ts). */
  cutover: 'mirror' | 'freeze';
  /** Existing keys it may rewrite in the source (never the ones it reads later). */
  changeable: string[];
  /** Existing keys it reads through OSS after cutover (already migrated, never changed). */
  readable: string[];
  /** How often it writes to the source before cutover. */
  sourceEveryMs?: number;
  maxSourceWrites?: number;
  /** How often it reads from OSS after cutover. */
  ossEveryMs?: number;
  /** New objects it writes to OSS right after cutover. */
  ossWrites?: number;
  /** How many source-only keys it reads through OSS right after cutover. */
  firstReads?: number;
  /** Did OSS fetch this key back-to-origin? (the demo looks at the emulator's request log) */
  mirrored?(key: string): boolean;
  onUpdate?(stats: BusinessStats, line?: string): void;
};

async function bytesOf(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

const pad = (n: number) => String(n).padStart(3, '0');

export class Business {
  private readonly written = new Map<string, Buffer>();
  private readonly rec: BusinessRecord;
  private timer: NodeJS.Timeout | undefined;
  private inflight = new Set<Promise<unknown>>();
  private doing = 'waiting for the migration to start';
  private tick = 0;
  private newKeys: string[] = [];
  private stopped = false;
  private phase: 'idle' | 'source' | 'frozen' | 'oss' | 'done' = 'idle';
  readonly errors: string[] = [];

  constructor(private readonly o: BusinessOptions) {
    this.rec = {
      source: o.sourceLabel,
      cutover: o.cutover,
      sourceWrites: [],
      sourceChanged: [],
      ossWrites: [],
      mirrorFetched: [],
      ossReads: 0,
    };
  }

  record(): BusinessRecord {
    return {
      ...this.rec,
      sourceWrites: [...new Set(this.rec.sourceWrites)],
      sourceChanged: [...new Set(this.rec.sourceChanged)],
      ossWrites: [...new Set(this.rec.ossWrites)],
      mirrorFetched: [...new Set(this.rec.mirrorFetched)],
    };
  }

  stats(): BusinessStats {
    return {
      source: this.o.sourceLabel,
      cutover: this.o.cutover,
      sourceWrites: this.rec.sourceWrites.length,
      ossWrites: this.rec.ossWrites.length,
      ossReads: this.rec.ossReads,
      mirrorFetches: new Set(this.rec.mirrorFetched).size,
      doing: this.doing,
    };
  }

  private update(line?: string): void {
    this.o.onUpdate?.(this.stats(), line);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => {});
    return p;
  }

  private async settle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  private get writing(): string {
    return `writing to ${this.o.sourceLabel}`;
  }

  /** The full copy started (T1 is set): keep writing to the source until cutover. */
  startSourceWrites(): void {
    if (this.phase !== 'idle') return;
    this.phase = 'source';
    this.doing = this.writing;
    // A first burst, so even a fast full copy has company.
    for (let i = 0; i < 4; i++) this.sourceTick();
    this.timer = setInterval(() => this.sourceTick(), this.o.sourceEveryMs ?? 250);
  }

  private sourceTick(): void {
    const max = this.o.maxSourceWrites ?? 60;
    if (this.stopped || this.phase !== 'source') return;
    if (this.rec.sourceWrites.length + this.inflight.size >= max) {
      if (this.doing === this.writing) {
        this.doing = `idle (wrote ${max} objects to ${this.o.sourceLabel}: the demo's cap)`;
        this.update();
      }
      return;
    }
    const n = this.tick++;
    const change = n % 3 === 1 && n / 3 < this.o.changeable.length;
    const key = change
      ? this.o.changeable[Math.floor(n / 3)]!
      : `uploads/2026-11/photo-${pad(this.newKeys.length + 1)}.jpg`;
    if (!change) this.newKeys.push(key);
    const body = Buffer.from(
      `${change ? 'new version' : 'new object'} of ${key} written by the business (#${n})\n${'~'.repeat(200 + n * 37)}`,
    );
    const src = this.o.sourceLabel;
    const p = this.o.source
      .write(key, body, {
        size: body.length,
        meta: {},
        contentType: change ? 'application/octet-stream' : 'image/jpeg',
      })
      .then(
        () => {
          this.written.set(key, body);
          this.rec.sourceWrites.push(key);
          if (change) this.rec.sourceChanged.push(key);
          this.update(`${src} PUT ${key} (${change ? 'changed' : 'new'})`);
        },
        (e: unknown) => {
          this.errors.push(`${src} PUT ${key}: ${(e as Error).message}`);
          this.update(`${src} PUT ${key} failed: ${(e as Error).message}`);
        },
      );
    void this.track(p);
  }

  /** Cutover confirmed: stop writing to the source (before T2 is recorded). */
  async stopSourceWrites(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const freeze = this.o.cutover === 'freeze';
    this.phase = freeze ? 'frozen' : 'oss';
    this.doing = freeze
      ? `write freeze: no writes, waiting for the final incremental before switching to OSS`
      : 'switching to OSS';
    await this.settle();
    this.update(
      `stopped writing to ${this.o.sourceLabel} after ${this.rec.sourceWrites.length} writes${
        freeze ? ' (write freeze: it switches to OSS once the final incremental has copied them)' : ''
      }`,
    );
  }

  /**
   * Switched to OSS (at T2 behind the mirror; after the final incremental with a write freeze):
   * read keys it created in the source through OSS, write new objects to OSS and rewrite one it
   * changed in the source; then keep serving reads from OSS. The writes happen before the final
   * verification, so it accounts for every one of them.
   */
  async afterCutover(): Promise<void> {
    this.phase = 'oss';
    this.doing = 'reading and writing OSS';
    const created = this.newKeys.filter((k) => this.written.has(k)).slice(0, this.o.firstReads ?? 3);
    for (const key of created) await this.read(key);
    const writes = this.o.ossWrites ?? 3;
    for (let i = 0; i < writes; i++) await this.ossWrite(`uploads/after-cutover/note-${i + 1}.txt`);
    // An object it changed in the source before cutover, written again in OSS after it: the
    // newer OSS object is the business's; no later pass may overwrite it.
    const rewritten = this.rec.sourceChanged[0];
    if (rewritten) await this.ossWrite(rewritten);
    this.doing = 'serving reads from OSS';
    let n = 0;
    this.timer = setInterval(() => {
      if (this.stopped || this.o.readable.length === 0) return;
      void this.track(this.read(this.o.readable[n++ % this.o.readable.length]!));
    }, this.o.ossEveryMs ?? 300);
  }

  private async read(key: string): Promise<void> {
    try {
      const content = await bytesOf((await this.o.oss.read(key)).body);
      this.rec.ossReads++;
      const want = this.written.get(key);
      const mirrored = this.o.mirrored?.(key) ?? false;
      if (mirrored) this.rec.mirrorFetched.push(key);
      const same = want ? Buffer.compare(content, want) === 0 : true;
      // Routine reads of migrated objects only move the counters; the interesting ones get a line.
      if (!mirrored && !want && same) return this.update();
      const src = this.o.sourceLabel;
      const how = mirrored
        ? `, fetched back-to-origin from ${src} by the mirror`
        : want && this.o.cutover === 'freeze' && !this.rec.ossWrites.includes(key)
          ? ', copied by the final incremental during the write freeze'
          : '';
      this.update(
        `OSS GET ${key} → ${content.length} bytes${how}${
          want ? (same ? ` (the bytes it wrote to ${src})` : ' (DIFFERENT from what it wrote!)') : ''
        }`,
      );
      if (!same) this.errors.push(`OSS GET ${key}: different bytes`);
    } catch (e) {
      this.errors.push(`OSS GET ${key}: ${(e as Error).message}`);
      this.update(`OSS GET ${key} failed: ${(e as Error).message}`);
    }
  }

  private async ossWrite(key: string): Promise<void> {
    const body = Buffer.from(
      `written to OSS by the business after cutover: ${key} at ${new Date().toISOString()}\n`,
    );
    try {
      await this.o.oss.write(key, body, { size: body.length, meta: {}, contentType: 'text/plain' });
      this.written.set(key, body);
      this.rec.ossWrites.push(key);
      this.update(`OSS PUT ${key}`);
    } catch (e) {
      this.errors.push(`OSS PUT ${key}: ${(e as Error).message}`);
      this.update(`OSS PUT ${key} failed: ${(e as Error).message}`);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.phase = 'done';
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.settle();
    this.doing = 'stopped';
    this.update();
  }
}
