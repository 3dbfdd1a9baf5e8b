import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatRate, nextChange, parseRate, parseTimetable, rateAt } from '../../runner/core/bandwidth.ts';
import {
  choosePartSize,
  decide,
  inWindow,
  mapKey,
  mapMetadata,
  mapStorageClass,
  PROVENANCE,
  partCount,
  partRange,
} from '../../runner/core/copyPolicy.ts';
import { addToSurvey, emptySurvey, mergeSurveys } from '../../runner/core/survey.ts';
import type { ObjectInfo } from '../../runner/core/types.ts';
import { formatBytes, parseSize } from '../../runner/core/units.ts';

const at = (s: string) => new Date(s);
const obj = (o: Partial<ObjectInfo> = {}): ObjectInfo => ({
  key: 'k',
  size: 10,
  lastModified: at('2026-11-20T00:00:00Z'),
  etag: 'a'.repeat(32),
  ...o,
});

describe('bandwidth', () => {
  it('parses rclone rates and explicit units', () => {
    assert.equal(parseRate('off'), null);
    assert.equal(parseRate('512k'), 512 * 1024);
    assert.equal(parseRate('10M'), 10 * 1024 ** 2);
    assert.equal(parseRate('200Mbit/s'), 25e6);
    assert.equal(parseRate('1Gbps'), 125e6);
    assert.equal(parseRate('25MB/s'), 25e6);
    assert.equal(parseRate('100'), 100 * 1024);
    assert.throws(() => parseRate('fast'), /not a bandwidth/);
    assert.equal(formatRate(10 * 1024 ** 2), '10.0 MiB/s');
  });

  it('follows a daily timetable, wrapping around midnight', () => {
    const t = parseTimetable('08:00,512k 12:00,10M 23:00,off');
    const day = (h: number, m = 0) => new Date(2026, 10, 20, h, m);
    assert.equal(rateAt(t, day(7, 59)), null, 'before the first entry: the last one of the day before');
    assert.equal(rateAt(t, day(8)), 512 * 1024);
    assert.equal(rateAt(t, day(12, 30)), 10 * 1024 ** 2);
    assert.equal(rateAt(t, day(23, 30)), null);
    assert.deepEqual(nextChange(t, day(9))?.at, day(12));
  });

  it('follows a weekly timetable', () => {
    const t = parseTimetable('Mon-08:00,20M Sat-00:00,off');
    assert.equal(rateAt(t, new Date(2026, 10, 22, 12)), null); // Sunday
    assert.equal(rateAt(t, new Date(2026, 10, 24, 12)), 20 * 1024 ** 2); // Tuesday
  });
});

describe('policy', () => {
  it('maps keys and refuses names OSS cannot hold', () => {
    const m = { srcPrefix: 'a/', dstPrefix: 'b/', stripLeadingSlash: false };
    assert.deepEqual(mapKey('a/x/y', m), { dstKey: 'b/x/y' });
    assert.ok('problem' in mapKey('/lead', { srcPrefix: '', dstPrefix: '', stripLeadingSlash: false }));
    assert.deepEqual(mapKey('//lead', { srcPrefix: '', dstPrefix: '', stripLeadingSlash: true }), {
      dstKey: 'lead',
    });
    assert.ok('problem' in mapKey(`a/${'x'.repeat(1024)}`, m));
  });

  it('maps storage classes (OSS has no intelligent tiering) with overrides', () => {
    assert.equal(mapStorageClass('INTELLIGENT_TIERING', 'keep', {}), 'STANDARD');
    assert.equal(mapStorageClass('IA', 'keep', {}), 'IA');
    assert.equal(mapStorageClass('DEEP_COLD_ARCHIVE', 'keep', {}), 'DEEP_COLD_ARCHIVE');
    assert.equal(mapStorageClass('IA', 'keep', { IA: 'STANDARD' }), 'STANDARD');
    assert.equal(mapStorageClass('ARCHIVE', 'IA', {}), 'IA');
  });

  it('carries metadata and records provenance', () => {
    const m = mapMetadata(
      {
        ...obj({ etag: 'b'.repeat(32) }),
        contentType: 'text/plain',
        cacheControl: 'no-cache',
        meta: { a: '1' },
      },
      { preserve: true, provenance: true, recordMd5: true },
    );
    assert.equal(m.contentType, 'text/plain');
    assert.equal(m.meta.a, '1');
    assert.equal(m.meta[PROVENANCE.srcEtag], 'b'.repeat(32));
    assert.equal(m.meta.md5, Buffer.from('b'.repeat(32), 'hex').toString('base64'));
    assert.deepEqual(
      mapMetadata({ ...obj(), meta: { a: '1' } }, { preserve: false, provenance: false, recordMd5: false }),
      { meta: {} },
    );
  });

  it('windows: full takes mtime < T1; incremental takes T1 ≤ mtime ≤ T2', () => {
    const t1 = at('2026-11-20T00:00:00Z');
    const t2 = at('2026-11-21T00:00:00Z');
    assert.equal(inWindow(at('2026-11-19T23:59:59.999Z'), { phase: 'full', t1 }), true);
    assert.equal(inWindow(t1, { phase: 'full', t1 }), false);
    assert.equal(inWindow(t1, { phase: 'incremental', t1, t2 }), true);
    assert.equal(inWindow(t2, { phase: 'incremental', t1, t2 }), true);
    assert.equal(inWindow(new Date(t2.getTime() + 1), { phase: 'incremental', t1, t2 }), false);
  });

  it('decides: copy, skip identical (MD5 / CRC / provenance), never clobber post-T2 business writes', () => {
    const full = {
      overwrite: 'if-different' as const,
      window: { phase: 'full' as const, t1: at('2026-11-21T00:00:00Z') },
      provenance: true,
    };
    assert.deepEqual(decide(obj(), undefined, full), { action: 'copy', forbidOverwrite: false });
    assert.deepEqual(decide(obj(), { info: obj() }, full), { action: 'skip', reason: 'identical' });
    assert.deepEqual(decide(obj(), { info: obj({ size: 11 }) }, full), {
      action: 'copy',
      forbidOverwrite: false,
    });
    const multi = obj({ etag: 'abc-3' });
    assert.deepEqual(decide(multi, { info: obj({ etag: 'def-2' }) }, full), { action: 'need-head' });
    assert.deepEqual(
      decide(multi, { info: obj(), head: { ...obj(), crc64: '7', meta: {} } }, { ...full, srcCrc64: '7' }),
      { action: 'skip', reason: 'identical' },
    );
    assert.deepEqual(
      decide(multi, { info: obj(), head: { ...obj(), crc64: '8', meta: {} } }, { ...full, srcCrc64: '7' }),
      { action: 'copy', forbidOverwrite: false },
    );
    assert.deepEqual(
      decide(multi, { info: obj(), head: { ...obj(), meta: { [PROVENANCE.srcEtag]: 'abc-3' } } }, full),
      { action: 'skip', reason: 'identical' },
    );
    assert.deepEqual(
      decide(multi, { info: obj(), head: { ...obj(), meta: {} } }, full),
      { action: 'copy', forbidOverwrite: false },
      'unprovable: copy rather than trust the size',
    );

    const inc = {
      overwrite: 'if-different' as const,
      window: {
        phase: 'incremental' as const,
        t1: at('2026-11-20T00:00:00Z'),
        t2: at('2026-11-21T00:00:00.500Z'),
      },
      provenance: true,
    };
    assert.deepEqual(
      decide(obj(), undefined, inc),
      { action: 'copy', forbidOverwrite: true },
      'a new key may not exist by the time we PUT',
    );
    const afterT2 = obj({ lastModified: at('2026-11-21T00:00:00Z') }); // same second as T2: maybe theirs
    assert.deepEqual(decide(obj(), { info: afterT2 }, inc), { action: 'need-head' });
    assert.deepEqual(decide(obj(), { info: afterT2, head: { ...afterT2, meta: {} } }, inc), {
      action: 'keep-dest',
    });
    assert.deepEqual(
      decide(obj(), { info: afterT2, head: { ...afterT2, meta: { [PROVENANCE.srcEtag]: 'zzz' } } }, inc),
      { action: 'copy', forbidOverwrite: false },
    );
    assert.deepEqual(decide(obj(), { info: afterT2 }, { ...inc, provenance: false }), {
      action: 'keep-dest',
    });
    assert.deepEqual(decide(obj(), { info: obj() }, { ...full, overwrite: 'never' }), {
      action: 'skip',
      reason: 'exists',
    });
    assert.deepEqual(
      decide(
        obj(),
        { info: obj({ size: 1, lastModified: at('2026-11-22T00:00:00Z') }) },
        { ...full, overwrite: 'if-newer' },
      ),
      { action: 'skip', reason: 'dest-newer' },
    );
  });

  it('sizes parts within the service limits and covers the object exactly', () => {
    const limits = { minPartSize: 100 * 1024, maxPartSize: 5 * 1024 ** 3, maxParts: 10_000 };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 48 * 1024 ** 4 }),
        fc.oneof(fc.constant<'auto'>('auto'), fc.integer({ min: 1, max: 6 * 1024 ** 3 })),
        (size, setting) => {
          const part = choosePartSize(size, setting, limits);
          assert.ok(part >= limits.minPartSize && part <= limits.maxPartSize);
          const n = partCount(size, part);
          assert.ok(n <= limits.maxParts || part === limits.maxPartSize);
          const last = partRange(n, part, size);
          assert.equal(last.end, size);
          assert.ok(last.end > last.start);
        },
      ),
    );
    assert.equal(choosePartSize(100 * 1024 ** 2, 'auto', limits), 8 * 1024 ** 2);
    assert.equal(choosePartSize(40 * 1024 ** 3, 'auto', limits), 41 * 1024 ** 2);
  });
});

describe('survey and units', () => {
  it('accumulates and merges surveys', () => {
    const a = emptySurvey();
    const b = emptySurvey();
    addToSurvey(a, obj({ key: 'x', size: 10 }), 'x', undefined);
    addToSurvey(
      b,
      obj({
        key: '/bad',
        size: 2 * 1024 ** 2,
        storageClass: 'ARCHIVE',
        lastModified: at('2026-11-23T00:00:00Z'),
      }),
      '/bad',
      at('2026-11-22T00:00:00Z'),
    );
    const m = mergeSurveys(a, b);
    assert.equal(m.objects, 2);
    assert.equal(m.bytes, 10 + 2 * 1024 ** 2);
    assert.equal(m.invalidNames, 1);
    assert.equal(m.storageClasses.ARCHIVE?.objects, 1);
    assert.equal(m.modifiedSince, 1);
    assert.equal(m.largest?.key, '/bad');
    assert.equal(
      m.histogram.reduce((x, y) => x + y, 0),
      2,
    );
  });

  it('parses and formats sizes', () => {
    assert.equal(parseSize('150m'), 150 * 1024 ** 2);
    assert.equal(parseSize('1GB'), 1e9);
    assert.equal(parseSize('100MiB'), 100 * 1024 ** 2);
    assert.equal(parseSize(4096), 4096);
    assert.throws(() => parseSize('lots'), /not a size/);
    assert.equal(formatBytes(1536), '1.5 KiB');
  });
});
