// Fleet sizing. PURE: no Pulumi, no I/O. Lives in core so the runner (`plan`, the migration flow)
// and the Pulumi program (infra/) both import it without either depending on the other.
//
// ossimport's rule of thumb: one instance sustaining Z Mbit/s moves about Z/100 TB per day
// (200 Mbit/s × 86 400 s ≈ 2.16 TB, rounded down to 2 TB, which leaves ~8 % headroom).
// instances = ceil(X / Y / (Z / 100)) for X TB in Y days.

export interface SizingInput {
  /** Terabytes to move (10^12 bytes). */
  dataTB: number;
  /** Days allowed for the full copy. */
  days: number;
  /** Mbit/s one instance sustains end to end. */
  mbpsPerInstance: number;
}

export interface Sizing {
  instances: number;
  /** One sentence a TUI can show. */
  explanation: string;
}

/** Pay-as-you-go ECS public bandwidth (`internetMaxBandwidthOut`) accepts 0–100 Mbit/s. */
export const PAYG_MAX_PUBLIC_MBPS = 100;

/** TB per day per instance at `mbps`, per the ossimport rule (Z/100). */
export function tbPerDay(mbps: number): number {
  return mbps / 100;
}

function requirePositive(name: keyof SizingInput, value: number, fix: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new Error(`fleet sizing: ${name} must be a positive finite number (got ${String(value)}); ${fix}`);
  }
}

/**
 * Ceil that ignores float noise: 0.3 / 0.1 is 2.9999999999999996 and 0.1 * 3 / 0.1 is
 * 3.0000000000000004 — both mean exactly 3. A relative tolerance of 1e-9 is far below any
 * meaningful data volume (1e-9 of 500 TB is 500 kB).
 */
export function tolerantCeil(x: number): number {
  const nearest = Math.round(x);
  if (Math.abs(x - nearest) <= 1e-9 * Math.max(1, Math.abs(x))) return nearest;
  return Math.ceil(x);
}

/** Human number: at most two decimals, no trailing zeros. */
export function fmt(n: number): string {
  // Small volumes (a trial run, the sandbox) keep two significant digits instead of showing 0.
  if (n > 0 && n < 0.01) return String(Number(n.toPrecision(2)));
  return String(Number(n.toFixed(2)));
}

export function fleetSize(input: SizingInput): Sizing {
  const { dataTB, days, mbpsPerInstance } = input;
  requirePositive('dataTB', dataTB, 'pass the terabytes to move, e.g. 500');
  requirePositive('days', days, 'pass the deadline in days, e.g. 7');
  requirePositive('mbpsPerInstance', mbpsPerInstance, 'pass the Mbit/s one instance sustains, e.g. 200');
  const perDay = tbPerDay(mbpsPerInstance);
  // One division: dataTB * 100 / (days * mbps) accumulates less rounding than three.
  // Any data at all needs one instance (the float-noise tolerance must not round 1e-12 to 0).
  const instances = Math.max(1, tolerantCeil((dataTB * 100) / (days * mbpsPerInstance)));
  const plural = instances === 1 ? 'instance' : 'instances';
  const explanation =
    `${fmt(dataTB)} TB in ${fmt(days)} days at ${fmt(mbpsPerInstance)} Mbit/s per instance ` +
    `(≈${fmt(perDay)} TB/day each) needs ${instances} ${plural} ` +
    `(ceil(${fmt(dataTB)} / ${fmt(days)} / ${fmt(perDay)}) = ${instances}).`;
  return { instances, explanation };
}

export interface PublicBandwidth {
  /** What to put in ecs.Instance `internetMaxBandwidthOut`: min(mbps, 100). */
  internetMaxBandwidthOut: number;
  /** True when the requested rate exceeds what a pay-as-you-go public IP allows. */
  capped: boolean;
}

export function publicBandwidth(mbpsPerInstance: number): PublicBandwidth {
  requirePositive('mbpsPerInstance', mbpsPerInstance, 'pass the Mbit/s one instance sustains, e.g. 200');
  const out = Math.min(Math.ceil(mbpsPerInstance), PAYG_MAX_PUBLIC_MBPS);
  return { internetMaxBandwidthOut: out, capped: mbpsPerInstance > PAYG_MAX_PUBLIC_MBPS };
}

/** Which figure decides the fleet size: the data over the deadline at mbpsPerInstance, or the public bandwidth cap. */
export type SizingBound = 'deadline' | 'bandwidthCap';

export interface CappedSizing extends Sizing {
  bound: SizingBound;
  /** The per-instance rate the count was computed at: min(mbpsPerInstance, the pay-as-you-go cap). */
  effectiveMbps: number;
  /** What mbpsPerInstance alone would have asked for, when the cap lowered the rate. */
  uncappedInstances?: number;
}

/**
 * The fleet a deployment needs. Workers pull from COS over their public IP, which the program caps
 * at PAYG_MAX_PUBLIC_MBPS, so a faster mbpsPerInstance cannot be reached: size at the cap.
 */
export function sizeFleet(input: SizingInput): CappedSizing {
  requirePositive(
    'mbpsPerInstance',
    input.mbpsPerInstance,
    'pass the Mbit/s one instance sustains, e.g. 100',
  );
  if (input.mbpsPerInstance <= PAYG_MAX_PUBLIC_MBPS) {
    return { ...fleetSize(input), bound: 'deadline', effectiveMbps: input.mbpsPerInstance };
  }
  const capped = fleetSize({ ...input, mbpsPerInstance: PAYG_MAX_PUBLIC_MBPS });
  return {
    ...capped,
    bound: 'bandwidthCap',
    effectiveMbps: PAYG_MAX_PUBLIC_MBPS,
    uncappedInstances: fleetSize(input).instances,
  };
}

/**
 * Honest caveats about a sizing. Workers pull from COS over the public internet, so their
 * inbound rate follows the public bandwidth, which pay-as-you-go caps at 100 Mbit/s
 * (inbound = outbound above 10 Mbit/s; a ticket, an EIP or a shared bandwidth package lifts it).
 */
export function sizingWarnings(input: SizingInput): string[] {
  const warnings: string[] = [];
  const bw = publicBandwidth(input.mbpsPerInstance);
  if (bw.capped) {
    const atCap = fleetSize({ ...input, mbpsPerInstance: PAYG_MAX_PUBLIC_MBPS }).instances;
    warnings.push(
      `mbpsPerInstance is ${fmt(input.mbpsPerInstance)} Mbit/s but a pay-as-you-go public IP is capped at ` +
        `${PAYG_MAX_PUBLIC_MBPS} Mbit/s, so each worker gets ${PAYG_MAX_PUBLIC_MBPS} Mbit/s from COS unless the cap ` +
        `is raised (ticket, EIP or shared bandwidth); at ${PAYG_MAX_PUBLIC_MBPS} Mbit/s the deadline needs ` +
        `${atCap} instances (set mbpsPerInstance ${PAYG_MAX_PUBLIC_MBPS} to size for that).`,
    );
  }
  return warnings;
}

/** Bytes → TB (decimal, 10^12), the unit the sizing formula uses. */
export function bytesToTB(bytes: number): number {
  return bytes / 1e12;
}
