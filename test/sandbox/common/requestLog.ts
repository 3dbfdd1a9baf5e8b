/** Every request an emulator served, for tests to assert on (bounded, oldest dropped first). */

export type LoggedRequest = {
  seq: number;
  time: number;
  /** Operation name as the vendor documents it (GetObject, UploadPart, ListObjectsV2, …). */
  op: string;
  method: string;
  /** Raw request target (path + query) as received. */
  url: string;
  bucket?: string;
  key?: string;
  status: number;
  /** Error code when the response was an error. */
  code?: string;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  /** Request headers, lower-cased names (Authorization kept: it holds a signature, not a secret). */
  headers: Record<string, string>;
  /** Indexes of fault rules that fired on this request. */
  faults?: number[];
};

export class RequestLog {
  private entries: LoggedRequest[] = [];
  private seq = 0;

  constructor(private readonly capacity = 200_000) {}

  add(e: Omit<LoggedRequest, 'seq'>): void {
    this.entries.push({ ...e, seq: ++this.seq });
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }

  all(): readonly LoggedRequest[] {
    return this.entries;
  }

  /** Entries matching the filter (op name, key, status). */
  find(filter: { op?: string; key?: string; status?: number; bucket?: string } = {}): LoggedRequest[] {
    return this.entries.filter(
      (e) =>
        (filter.op === undefined || e.op === filter.op) &&
        (filter.key === undefined || e.key === filter.key) &&
        (filter.status === undefined || e.status === filter.status) &&
        (filter.bucket === undefined || e.bucket === filter.bucket),
    );
  }

  count(filter: { op?: string; key?: string; status?: number; bucket?: string } = {}): number {
    return this.find(filter).length;
  }

  /** Sequence number of the newest entry; pass it to `since` to see only later requests. */
  mark(): number {
    return this.seq;
  }

  since(mark: number): LoggedRequest[] {
    return this.entries.filter((e) => e.seq > mark);
  }

  clear(): void {
    this.entries = [];
  }
}
