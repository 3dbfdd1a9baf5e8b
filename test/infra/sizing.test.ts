import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  bytesToTB,
  fleetSize,
  PAYG_MAX_PUBLIC_MBPS,
  publicBandwidth,
  sizeFleet,
  sizingWarnings,
  tbPerDay,
  tolerantCeil,
} from '../../runner/core/sizing.ts';
import { surveyBytes } from '../../runner/core/survey.ts';

// Plausible inputs: 1 GB … 100 PB, an hour … a year, 1 Mbit/s … 10 Gbit/s.
const dataTB = fc.double({ min: 0.001, max: 100_000, noNaN: true });
const days = fc.double({ min: 0.05, max: 365, noNaN: true });
const mbps = fc.double({ min: 1, max: 10_000, noNaN: true });
const REL = 1e-9;

describe('fleetSize', () => {
  const table: Array<[number, number, number, number]> = [
    // dataTB, days, mbps, instances
    [500, 7, 200, 36], // the reference case: ceil(35.71…)
    [14, 7, 200, 1], // exactly 1, not 2
    [14.000001, 7, 200, 2],
    [28, 7, 200, 2],
    [0.3, 0.1, 100, 3], // 0.3 / 0.1 is 2.9999999999999996 in floats
    [0.30000000000000004, 0.1, 100, 3], // float noise above an integer must not add an instance
    [1, 1, 100, 1],
    [0.001, 7, 200, 1],
    [500, 7, 100, 72],
    [500, 1, 200, 250],
    [100, 10, 1000, 1],
    [1000, 3.5, 50, 572],
  ];
  for (const [d, y, z, expected] of table) {
    it(`${d} TB in ${y} days at ${z} Mbit/s → ${expected}`, () => {
      assert.equal(fleetSize({ dataTB: d, days: y, mbpsPerInstance: z }).instances, expected);
    });
  }

  it('explains the reference case in one sentence', () => {
    assert.equal(
      fleetSize({ dataTB: 500, days: 7, mbpsPerInstance: 200 }).explanation,
      '500 TB in 7 days at 200 Mbit/s per instance (≈2 TB/day each) needs 36 instances (ceil(500 / 7 / 2) = 36).',
    );
    assert.match(fleetSize({ dataTB: 14, days: 7, mbpsPerInstance: 200 }).explanation, /needs 1 instance \(/);
  });

  for (const [field, bad] of [
    ['dataTB', 0],
    ['dataTB', -5],
    ['days', Number.NaN],
    ['days', Number.POSITIVE_INFINITY],
    ['mbpsPerInstance', 0],
  ] as const) {
    it(`rejects ${field} = ${bad} naming the input and the fix`, () => {
      const input = { dataTB: 500, days: 7, mbpsPerInstance: 200, [field]: bad };
      assert.throws(
        () => fleetSize(input),
        (err: Error) => {
          assert.match(err.message, new RegExp(`${field} must be a positive finite number`));
          assert.match(err.message, /e\.g\. \d+/);
          return true;
        },
      );
    });
  }

  it('covers the data: instances × capacity ≥ data (up to float tolerance)', () => {
    fc.assert(
      fc.property(dataTB, days, mbps, (d, y, z) => {
        const { instances } = fleetSize({ dataTB: d, days: y, mbpsPerInstance: z });
        return instances * y * tbPerDay(z) >= d * (1 - REL);
      }),
    );
  });

  it('is minimal: one instance fewer cannot cover the data', () => {
    fc.assert(
      fc.property(dataTB, days, mbps, (d, y, z) => {
        const { instances } = fleetSize({ dataTB: d, days: y, mbpsPerInstance: z });
        return instances >= 1 && (instances - 1) * y * tbPerDay(z) < d * (1 + REL);
      }),
    );
  });

  it('is monotonic in dataTB and antitone in days and mbps', () => {
    fc.assert(
      fc.property(dataTB, dataTB, days, days, mbps, mbps, (d1, d2, y1, y2, z1, z2) => {
        const n = (d: number, y: number, z: number) =>
          fleetSize({ dataTB: d, days: y, mbpsPerInstance: z }).instances;
        const [dLo, dHi] = d1 <= d2 ? [d1, d2] : [d2, d1];
        const [yLo, yHi] = y1 <= y2 ? [y1, y2] : [y2, y1];
        const [zLo, zHi] = z1 <= z2 ? [z1, z2] : [z2, z1];
        return (
          n(dLo, y1, z1) <= n(dHi, y1, z1) &&
          n(d1, yLo, z1) >= n(d1, yHi, z1) &&
          n(d1, y1, zLo) >= n(d1, y1, zHi)
        );
      }),
    );
  });
});

describe('tolerantCeil', () => {
  it('treats float noise around an integer as that integer but still rounds real fractions up', () => {
    assert.equal(tolerantCeil(3.0000000000000004), 3);
    assert.equal(tolerantCeil(2.9999999999999996), 3);
    assert.equal(tolerantCeil(35.714285714285715), 36);
    assert.equal(tolerantCeil(1.000001), 2);
  });
});

describe('public bandwidth cap', () => {
  it('caps internetMaxBandwidthOut at the pay-as-you-go maximum', () => {
    assert.deepEqual(publicBandwidth(200), { internetMaxBandwidthOut: PAYG_MAX_PUBLIC_MBPS, capped: true });
    assert.deepEqual(publicBandwidth(100), { internetMaxBandwidthOut: 100, capped: false });
    assert.deepEqual(publicBandwidth(50), { internetMaxBandwidthOut: 50, capped: false });
  });

  it('warns, with the instance count at the cap, when the sizing assumes more than 100 Mbit/s', () => {
    const [w, ...rest] = sizingWarnings({ dataTB: 500, days: 7, mbpsPerInstance: 200 });
    assert.equal(rest.length, 0);
    assert.match(w ?? '', /capped at 100 Mbit\/s/);
    assert.match(w ?? '', /needs 72 instances/);
    assert.deepEqual(sizingWarnings({ dataTB: 500, days: 7, mbpsPerInstance: 100 }), []);
  });
});

describe("sizeFleet (the program's sizing)", () => {
  it('sizes at mbpsPerInstance up to the cap and says the data and deadline bound it', () => {
    assert.deepEqual(sizeFleet({ dataTB: 500, days: 7, mbpsPerInstance: 100 }), {
      ...fleetSize({ dataTB: 500, days: 7, mbpsPerInstance: 100 }),
      bound: 'deadline',
      effectiveMbps: 100,
    });
    assert.equal(sizeFleet({ dataTB: 500, days: 7, mbpsPerInstance: 50 }).instances, 143);
  });

  it('sizes above the cap at the cap: the bandwidth cap bounds the fleet', () => {
    const s = sizeFleet({ dataTB: 500, days: 7, mbpsPerInstance: 200 });
    assert.equal(s.instances, 72);
    assert.equal(s.bound, 'bandwidthCap');
    assert.equal(s.effectiveMbps, PAYG_MAX_PUBLIC_MBPS);
    assert.equal(s.uncappedInstances, 36);
    assert.match(s.explanation, /at 100 Mbit\/s per instance .* needs 72 instances/);
  });

  it('never sizes below what the capped rate needs', () => {
    fc.assert(
      fc.property(dataTB, days, mbps, (d, y, z) => {
        const s = sizeFleet({ dataTB: d, days: y, mbpsPerInstance: z });
        return s.instances * y * tbPerDay(Math.min(z, PAYG_MAX_PUBLIC_MBPS)) >= d * (1 - REL);
      }),
    );
  });
});

describe('survey parsing', () => {
  it('reads bytes from a single JSON plan object', () => {
    assert.equal(surveyBytes(JSON.stringify({ type: 'plan', bytes: 5e14, objects: 10 })), 5e14);
  });

  it('prefers the last "type":"plan" line of NDJSON over other lines with bytes', () => {
    const ndjson = [
      '{"type":"progress","bytes":1}',
      '{"type":"plan","bytes":2000000000000}',
      'not json',
      '{"type":"progress","bytes":3}',
    ].join('\n');
    assert.equal(surveyBytes(ndjson), 2e12);
  });

  it('falls back to a top-level numeric bytes field and returns undefined when there is none', () => {
    assert.equal(surveyBytes('{"bytes": 42}'), 42);
    assert.equal(surveyBytes('{"type":"plan","bytes":"many"}\n{"objects":3}'), undefined);
    assert.equal(surveyBytes(''), undefined);
  });

  it('converts bytes to decimal terabytes', () => {
    assert.equal(bytesToTB(5e14), 500);
  });
});

describe('fleetSize for tiny volumes', () => {
  it('any data at all needs one instance (float tolerance must not round it to zero)', () => {
    for (const dataTB of [1e-12, 4.7e-8, 0.001]) {
      assert.equal(fleetSize({ dataTB, days: 7, mbpsPerInstance: 200 }).instances, 1, String(dataTB));
    }
  });
});
