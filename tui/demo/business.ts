/**
 * The demo's simulated business: an application that keeps running while its storage moves.
 *   - From the start of the full copy until cutover it writes to COS (through CosStore): new
 *     objects, and new versions of existing ones (modified after T1, so the incremental phase
 *     owns them).
 *   - At cutover it switches to OSS: it reads keys that exist only in COS (created after T1 —
 *     the OSS mirror rule fetches them back-to-origin), writes new objects to OSS, and rewrites
 *     one object it had changed in COS (the incremental must leave that newer OSS write alone).
 *   - During the incremental and afterwards it keeps reading and writing OSS.
 * Everything it does is recorded for the report (BusinessRecord) and reported as it happens.
 */
import { CosStore } from '../../runner/adapters/cos/cosStore.ts';
import { createOssClient } from '../../runner/adapters/oss/client.ts';
import type { BusinessRecord } from '../../runner/app/migration/migrationReport.ts';
import type { BusinessStats } from '../state/types.ts';

export type BusinessOptions = {
  cos: { endpoint: string; region: string; bucket: string; secretId: string; secretKey: string };
  oss: { endpoint: string; region: string; bucket: string; accessKeyId: string; accessKeySecret: string };
  /** Existing keys it may rewrite in COS (never the ones it reads later). */
  changeable: string[];
  /** Existing keys it reads through OSS after cutover (already migrated, never changed). */
  readable: string[];
  /** How often it writes to COS before cutover. */
  cosEveryMs?: number;
  maxCosWrites?: number;
  /** How often it reads from OSS after cutover. */
  ossEveryMs?: number;
  /** New objects it writes to OSS right after cutover. */
  ossWrites?: number;
  /** How many COS-only keys it reads through OSS right after cutover. */
  mirrorReads?: number;
  /** Did OSS fetch this key back-to-origin? (the demo looks at the emulator's request log) */
  mirrored?(key: string): boolean;
  onUpdate?(stats: BusinessStats, line?: string): void;
};

type Oss = {
  put(key: string, body: Buffer, opts?: Record<string, unknown>): Promise<unknown>;
  get(key: string): Promise<{ content: Buffer }>;
};

const pad = (n: number) => String(n).padStart(3, '0');

export class Business {
  private readonly cos: CosStore;
  private readonly oss: Oss;
  private readonly written = new Map<string, Buffer>();
  private readonly rec: BusinessRecord = {
    cosWrites: [],
    cosChanged: [],
    ossWrites: [],
    mirrorFetched: [],
    ossReads: 0,
  };
  private timer: NodeJS.Timeout | undefined;
  private inflight = new Set<Promise<unknown>>();
  private doing = 'waiting for the migration to start';
  private tick = 0;
  private newKeys: string[] = [];
  private stopped = false;
  private phase: 'idle' | 'cos' | 'oss' | 'done' = 'idle';
  readonly errors: string[] = [];

  constructor(private readonly o: BusinessOptions) {
    this.cos = new CosStore({
      bucket: o.cos.bucket,
      region: o.cos.region,
      endpoint: o.cos.endpoint,
      credentials: { secretId: o.cos.secretId, secretKey: o.cos.secretKey },
    });
    this.oss = createOssClient({
      accessKeyId: o.oss.accessKeyId,
      accessKeySecret: o.oss.accessKeySecret,
      bucket: o.oss.bucket,
      region: o.oss.region,
      endpoint: o.oss.endpoint,
    }) as unknown as Oss;
  }

  record(): BusinessRecord {
    return {
      cosWrites: [...new Set(this.rec.cosWrites)],
      cosChanged: [...new Set(this.rec.cosChanged)],
      ossWrites: [...new Set(this.rec.ossWrites)],
      mirrorFetched: [...new Set(this.rec.mirrorFetched)],
      ossReads: this.rec.ossReads,
    };
  }

  stats(): BusinessStats {
    return {
      cosWrites: this.rec.cosWrites.length,
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

  /** The full copy started (T1 is set): keep writing to COS until cutover. */
  startCosWrites(): void {
    if (this.phase !== 'idle') return;
    this.phase = 'cos';
    this.doing = 'writing to COS';
    // A first burst, so even a fast full copy has company.
    for (let i = 0; i < 4; i++) this.cosTick();
    this.timer = setInterval(() => this.cosTick(), this.o.cosEveryMs ?? 250);
  }

  private cosTick(): void {
    const max = this.o.maxCosWrites ?? 60;
    if (this.stopped || this.phase !== 'cos') return;
    if (this.rec.cosWrites.length + this.inflight.size >= max) {
      if (this.doing === 'writing to COS') {
        this.doing = `idle (wrote ${max} objects to COS: the demo's cap)`;
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
    const p = this.cos
      .write(key, body, {
        size: body.length,
        meta: {},
        contentType: change ? 'application/octet-stream' : 'image/jpeg',
      })
      .then(
        () => {
          this.written.set(key, body);
          this.rec.cosWrites.push(key);
          if (change) this.rec.cosChanged.push(key);
          this.update(`COS PUT ${key} (${change ? 'changed' : 'new'})`);
        },
        (e: unknown) => {
          this.errors.push(`COS PUT ${key}: ${(e as Error).message}`);
          this.update(`COS PUT ${key} failed: ${(e as Error).message}`);
        },
      );
    void this.track(p);
  }

  /** Cutover confirmed: stop writing to COS (before T2 is recorded). */
  async stopCosWrites(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.phase = 'oss';
    this.doing = 'switching to OSS';
    await this.settle();
    this.update(`stopped writing to COS after ${this.rec.cosWrites.length} writes`);
  }

  /**
   * After T2: read COS-only keys through OSS (back-to-origin), write new objects to OSS and
   * rewrite one it changed in COS; then keep serving reads from OSS. The writes happen here,
   * before the incremental phase, so the final verification accounts for every one of them.
   */
  async afterCutover(): Promise<void> {
    this.doing = 'reading and writing OSS';
    const onlyInCos = this.newKeys.filter((k) => this.written.has(k)).slice(0, this.o.mirrorReads ?? 3);
    for (const key of onlyInCos) await this.read(key);
    const writes = this.o.ossWrites ?? 3;
    for (let i = 0; i < writes; i++) await this.ossWrite(`uploads/after-cutover/note-${i + 1}.txt`);
    // An object it changed in COS before cutover, written again in OSS after it: the newer
    // OSS object is the business's; the incremental must not overwrite it.
    const rewritten = this.rec.cosChanged[0];
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
      const r = await this.oss.get(key);
      this.rec.ossReads++;
      const want = this.written.get(key);
      const mirrored = this.o.mirrored?.(key) ?? false;
      if (mirrored) this.rec.mirrorFetched.push(key);
      const same = want ? Buffer.compare(Buffer.from(r.content), want) === 0 : true;
      // Routine reads of migrated objects only move the counters; the interesting ones get a line.
      if (!mirrored && !want && same) return this.update();
      this.update(
        `OSS GET ${key} → ${r.content.length} bytes${mirrored ? ', fetched back-to-origin from COS by the mirror' : ''}${
          want ? (same ? ' (the bytes it wrote to COS)' : ' (DIFFERENT from what it wrote!)') : ''
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
      await this.oss.put(key, body, { headers: { 'Content-Type': 'text/plain' } });
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
