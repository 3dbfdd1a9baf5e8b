/** OSS emulator conformance: archive storage classes and RestoreObject through ali-oss. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { OssEmulator } from './oss/index.ts';
import { BUCKET, client, raw, rejects, startEmu, xmlField } from './oss/testkit.ts';

describe('OSS emulator: archive and restore', () => {
  let emu: OssEmulator;
  before(async () => {
    emu = await startEmu();
    for (const sc of ['Archive', 'ColdArchive', 'DeepColdArchive']) {
      await emu.seed(BUCKET, { key: `arch/${sc}`, body: `frozen ${sc}`, storageClass: sc });
    }
  });
  after(() => emu.close());

  it('GET of a frozen object → 403 InvalidObjectState (EC 0016-00000404); HEAD works', async () => {
    const c = client(emu);
    for (const sc of ['Archive', 'ColdArchive', 'DeepColdArchive']) {
      const err = await rejects(c.get(`arch/${sc}`), { status: 403, code: 'InvalidObjectState' });
      assert.equal(err.ecCode, '0016-00000404');
      const head = await c.head(`arch/${sc}`);
      const h = head.res.headers as Record<string, string>;
      assert.equal(h['x-oss-storage-class'], sc);
      assert.equal(h['x-oss-restore'], undefined);
    }
    // A streaming GET never reads the error body: only the status is visible to ali-oss.
    const streamErr = await rejects(c.getStream('arch/Archive'), { status: 403 });
    assert.equal(streamErr.name, 'UnknownError');
    // CopyObject from a frozen source is refused too.
    await rejects(c.copy('arch/copy', 'arch/Archive'), { status: 403, code: 'InvalidObjectState' });
  });

  it('restore: 202, then 409 RestoreAlreadyInProgress while ongoing, then readable, then 200 (extends)', async () => {
    const c = client(emu);
    // The restore's end is driven on the emulator's clock, not waited for: a wall-clock 150 ms
    // let a loaded machine finish it before the "still frozen" GET below.
    emu.restoreDelayMs = 60_000;
    const first = await c.restore('arch/Archive');
    assert.equal(first.res.status, 202);
    const logged = emu.log.find({ op: 'RestoreObject' }).at(-1)!;
    assert.equal(logged.status, 202);
    const ongoing = await c.head('arch/Archive');
    assert.equal((ongoing.res.headers as Record<string, string>)['x-oss-restore'], 'ongoing-request="true"');
    const err = await rejects(c.restore('arch/Archive'), { status: 409, code: 'RestoreAlreadyInProgress' });
    assert.equal(err.ecCode, '0016-00000701');
    await rejects(c.get('arch/Archive'), { status: 403, code: 'InvalidObjectState' });
    const skew = emu.clockSkewMs;
    emu.clockSkewMs = skew + 61_000;
    const got = await c.get('arch/Archive');
    assert.equal(got.content.toString(), 'frozen Archive');
    const restored = (await c.head('arch/Archive')).res.headers as Record<string, string>;
    const m = /^ongoing-request="false", expiry-date="(.+)"$/.exec(restored['x-oss-restore'] ?? '');
    assert.ok(m, restored['x-oss-restore']);
    const expiry = new Date(m[1]!).getTime();
    assert.ok(expiry > Date.now() + 86_400_000, 'ali-oss default Days=2');
    // Restoring a restored object answers 200 (ali-oss only accepts 202, so it throws with the status).
    await rejects(c.restore('arch/Archive', { Days: 5 }), { status: 200 });
    const extended = (await c.head('arch/Archive')).res.headers as Record<string, string>;
    const m2 = /expiry-date="(.+)"/.exec(extended['x-oss-restore'] ?? '');
    assert.ok(new Date(m2![1]!).getTime() > expiry);
    emu.clockSkewMs = skew;
  });

  it('restoreDelayMs 0: restored on the next request; Cold/DeepCold take JobParameters', async () => {
    const c = client(emu);
    emu.restoreDelayMs = 0;
    const r = await c.restore('arch/ColdArchive', {
      type: 'ColdArchive',
      JobParameters: 'Expedited',
      Days: 1,
    });
    assert.equal(r.res.status, 202);
    const logged = emu.log.find({ op: 'RestoreObject', key: 'arch/ColdArchive' }).at(-1)!;
    assert.equal(logged.bytesIn > 0, true);
    assert.equal(emu.buckets.get(BUCKET)!.get('arch/ColdArchive')?.restore?.status, 'ongoing');
    assert.equal((await c.get('arch/ColdArchive')).content.toString(), 'frozen ColdArchive');
    await rejects(c.restore('arch/DeepColdArchive', { type: 'DeepColdArchive', JobParameters: 'Fastest' }), {
      status: 400,
      code: 'InvalidArgument',
    });
  });

  it('an expired restore freezes the object again', async () => {
    const c = client(emu);
    const obj = emu.buckets.get(BUCKET)!.get('arch/ColdArchive')!;
    obj.restore = { status: 'restored', expiresAt: Date.now() - 1 };
    await rejects(c.get('arch/ColdArchive'), { status: 403, code: 'InvalidObjectState' });
    assert.equal((await c.head('arch/ColdArchive')).res.headers['x-oss-restore'], undefined);
  });

  it('restore of a non-archive object → OperationNotSupported; of a missing one → NoSuchKey', async () => {
    const c = client(emu);
    await c.put('arch/standard', Buffer.from('x'));
    await rejects(c.restore('arch/standard'), { status: 400, code: 'OperationNotSupported' });
    await rejects(c.restore('arch/missing'), { status: 404, code: 'NoSuchKey' });
    const malformed = await raw(emu, {
      method: 'POST',
      path: '/arch/DeepColdArchive',
      key: 'arch/DeepColdArchive',
      query: 'restore',
      subres: { restore: null },
      body: '<RestoreRequest><Days>0</Days></RestoreRequest>',
    });
    assert.equal(malformed.status, 400);
    assert.equal(xmlField(malformed.body, 'Code'), 'InvalidArgument');
  });

  it('uploads can create archive objects (x-oss-storage-class)', async () => {
    const c = client(emu);
    await c.put('arch/new', Buffer.from('new'), { headers: { 'x-oss-storage-class': 'Archive' } });
    await rejects(c.get('arch/new'), { status: 403, code: 'InvalidObjectState' });
    const init = await c.initMultipartUpload('arch/mp', {
      headers: { 'x-oss-storage-class': 'ColdArchive' },
    });
    const p = await c.uploadPart('arch/mp', init.uploadId, 1, Buffer.from('abc'), 0, 3);
    await c.completeMultipartUpload('arch/mp', init.uploadId, [{ number: 1, etag: p.etag }]);
    assert.equal((await c.head('arch/mp')).res.headers['x-oss-storage-class'], 'ColdArchive');
  });
});
