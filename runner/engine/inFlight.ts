/**
 * At most `limit` pieces of work in flight, admitted by one producer loop. O(1) per item:
 * `Promise.race` over the in-flight set attaches a reaction to every member on every call, which at
 * 64 in flight was a measurable share of a small object's CPU.
 */
export class InFlight {
  private active = 0;
  private wake: (() => void) | undefined;
  private readonly done = (): void => {
    this.active--;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  };

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.active;
  }

  /** Count `work` in (it must handle its own errors); resolves once there is room for more. */
  async add(work: Promise<unknown>): Promise<void> {
    this.active++;
    void work.then(this.done, this.done);
    while (this.active >= this.limit) await new Promise<void>((r) => (this.wake = r));
  }

  /** Resolves when everything added has settled. */
  async drain(): Promise<void> {
    while (this.active > 0) await new Promise<void>((r) => (this.wake = r));
  }
}
