/**
 * An OSS job that copies whole objects never loads ali-oss (its load was ~90 CPU-ms of every job's
 * start, issue #16): the probe, listing pages (with continuation tokens), HEAD, GET and PUT are
 * built and signed by ossRequest.ts. Multipart control still goes through the SDK, loaded then.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { it } from 'node:test';
import { OssStore } from '../../runner/adapters/oss/ossStore.ts';
import { startOssEmulator } from '../sandbox/oss/index.ts';

const aliOssLoaded = () =>
  Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes('/node_modules/ali-oss/'));

it('probe, listing, HEAD, GET and PUT without ali-oss (V1 and V4 signatures); multipart loads it', async () => {
  const cred = { accessKeyId: 'LTAIlazy', secret: 'lazy-secret' };
  const emu = await startOssEmulator({ credentials: [cred] });
  try {
    emu.createBucket('dst', 'oss-cn-shanghai');
    const stores: OssStore[] = [];
    for (const v4 of [false, true]) {
      for (let i = 0; i < 5; i++)
        await emu.seed('dst', { key: `p/${i} (x)!.txt`, body: Buffer.from(`body ${i}`) });
      const store = new OssStore({
        bucket: 'dst',
        region: 'cn-shanghai',
        credentials: { accessKeyId: cred.accessKeyId, accessKeySecret: cred.secret },
        endpoint: emu.endpoint,
        signatureV4: v4,
      });
      const probe = await store.probe();
      assert.equal(probe.region, 'cn-shanghai');
      const keys: string[] = [];
      for await (const e of store.list({ prefix: 'p/', pageSize: 2 }))
        if (e.kind === 'object') keys.push(e.info.key);
      assert.deepEqual(
        keys,
        [0, 1, 2, 3, 4].map((i) => `p/${i} (x)!.txt`),
      );
      assert.ok(emu.log.find({ op: 'ListObjectsV2' }).some((e) => e.url.includes('continuation-token=')));
      const dirs: string[] = [];
      for await (const e of store.list({ prefix: '', delimiter: '/' }))
        if (e.kind === 'prefix') dirs.push(e.prefix);
      assert.equal(dirs[0], 'p/');
      assert.equal((await store.head('p/3 (x)!.txt'))?.size, 6);
      assert.equal(await text((await store.read('p/4 (x)!.txt')).body), 'body 4');
      await store.write('q/new.json', Readable.from([Buffer.from('{}')]), { size: 2, meta: {} });
      assert.equal((await store.head('q/new.json'))?.contentType, 'application/json');
      stores.push(store);
    }
    assert.equal(aliOssLoaded(), false, 'ali-oss was loaded');
    for (const store of stores) {
      const id = await store.multipartInit('q/big.bin', { size: 0, meta: {} });
      assert.ok(id);
      await store.multipartAbort('q/big.bin', id);
    }
    assert.equal(aliOssLoaded(), true);
  } finally {
    await emu.close();
  }
});
