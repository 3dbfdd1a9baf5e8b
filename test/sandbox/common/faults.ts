/**
 * Fault injection for the emulators, switchable per run (in-process or over the admin endpoint).
 * Each rule matches requests by operation and key and fires with a probability (seeded, so a run
 * is reproducible) or for an exact number of times. The emulator turns a fired rule into the
 * vendor's real response: OSS throttles with 503 ServiceUnavailable / 429 QpsLimitExceeded, COS
 * with 503 SlowDown.
 */
import { z } from 'zod';

export const FaultKind = z.enum([
  /** The vendor's throttling response (with Retry-After when `retryAfterSeconds` is set). */
  'throttle',
  /** 500 InternalError (or `status`/`code` if given). */
  'error',
  /** Delay the response by `latencyMs`. */
  'latency',
  /** Destroy the connection: before the response, or after `afterBytes` of the body. */
  'reset',
  /** Replace the object with different bytes (same size) after `afterBytes` of a GET body were sent. */
  'rewrite',
  /** Delete the object after `afterBytes` of a GET body were sent. */
  'delete',
  /**
   * Flip one bit of a body in flight at byte `afterBytes`, as a faulty proxy would: of a GET's
   * response (the stored object and its headers untouched), or of a PutObject / UploadPart
   * request (the service then stores, and reports the CRC-64 of, what it received).
   */
  'corrupt',
]);
export type FaultKind = z.infer<typeof FaultKind>;

export const FaultRule = z
  .object({
    kind: FaultKind,
    /** Operation names (e.g. GetObject, PutObject, UploadPart, ListObjects, HeadObject) or '*'. */
    ops: z.array(z.string()).default(['*']),
    /** Only keys starting with this. */
    keyPrefix: z.string().optional(),
    /** Only keys matching this regular expression. */
    keyPattern: z.string().optional(),
    /** Probability per matching request, 0..1. */
    rate: z.number().min(0).max(1).default(1),
    /** Fire at most this many times. */
    times: z.number().int().positive().optional(),
    /** Let this many matching requests through before the rule can fire. */
    skip: z.number().int().nonnegative().default(0),
    latencyMs: z.number().int().nonnegative().default(0),
    afterBytes: z.number().int().nonnegative().default(0),
    /**
     * HTTP status for `error` (default 500). 200 is allowed for the operations where the vendor
     * reports a failure inside a 200 response (COS CopyObject / UploadPartCopy / Complete).
     */
    status: z.union([z.literal(200), z.number().int().min(400).max(599)]).optional(),
    code: z.string().optional(),
    retryAfterSeconds: z.number().int().positive().optional(),
  })
  .strict();
export type FaultRule = z.infer<typeof FaultRule>;
export type FaultRuleInput = z.input<typeof FaultRule>;

export const FaultPlan = z
  .object({ seed: z.number().int().default(1), rules: z.array(FaultRule).default([]) })
  .strict();
export type FaultPlanInput = z.input<typeof FaultPlan>;

type LiveRule = FaultRule & { seen: number; fired: number; regex?: RegExp };

/** A fired rule, handed to the emulator to act on. */
export type Fault = Readonly<FaultRule> & { readonly index: number };

export class FaultInjector {
  private rules: LiveRule[] = [];
  private state = 1;

  constructor(plan?: FaultPlanInput) {
    this.set(plan ?? {});
  }

  /** Replace the plan (and reset counters and the random sequence). */
  set(plan: FaultPlanInput): void {
    const parsed = FaultPlan.parse(plan);
    this.state = parsed.seed >>> 0 || 1;
    this.rules = parsed.rules.map((r) => ({
      ...r,
      seen: 0,
      fired: 0,
      ...(r.keyPattern ? { regex: new RegExp(r.keyPattern) } : {}),
    }));
  }

  add(rule: FaultRuleInput): void {
    const r = FaultRule.parse(rule);
    this.rules.push({
      ...r,
      seen: 0,
      fired: 0,
      ...(r.keyPattern ? { regex: new RegExp(r.keyPattern) } : {}),
    });
  }

  clear(): void {
    this.rules = [];
  }

  /** How often each rule fired, in plan order. */
  stats(): Array<{ kind: FaultKind; ops: string[]; fired: number; seen: number }> {
    return this.rules.map((r) => ({ kind: r.kind, ops: r.ops, fired: r.fired, seen: r.seen }));
  }

  private random(): number {
    // mulberry32
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Every rule that fires for this request (a latency rule can combine with an error rule). */
  check(op: string, key: string | undefined): Fault[] {
    const out: Fault[] = [];
    this.rules.forEach((r, index) => {
      if (!r.ops.includes('*') && !r.ops.includes(op)) return;
      if (r.keyPrefix !== undefined && !(key ?? '').startsWith(r.keyPrefix)) return;
      if (r.regex && !r.regex.test(key ?? '')) return;
      r.seen++;
      if (r.seen <= r.skip) return;
      if (r.times !== undefined && r.fired >= r.times) return;
      if (r.rate < 1 && this.random() >= r.rate) return;
      r.fired++;
      out.push({ ...r, index });
    });
    return out;
  }
}
