import { OssStore } from '../../runner/adapters/oss/ossStore.ts';
import { startOssEmulator } from '../sandbox/oss/index.ts';
import { defineObjectStoreSuite } from './suite.ts';

const CLASS = {
  STANDARD: 'Standard',
  IA: 'IA',
  INTELLIGENT_TIERING: 'Standard',
  ARCHIVE: 'Archive',
  COLD_ARCHIVE: 'ColdArchive',
  DEEP_COLD_ARCHIVE: 'DeepColdArchive',
} as const;

for (const v4 of [false, true]) {
  defineObjectStoreSuite(v4 ? 'oss (V4 signatures)' : 'oss', async () => {
    const cred = { accessKeyId: 'LTAIconformance', secret: 'oss-conformance-secret' };
    const emu = await startOssEmulator({ credentials: [cred] });
    emu.createBucket('dst', 'oss-cn-hangzhou');
    const make = (secret: string) =>
      new OssStore({
        bucket: 'dst',
        region: 'cn-hangzhou',
        credentials: { accessKeyId: cred.accessKeyId, accessKeySecret: secret },
        endpoint: emu.endpoint,
        signatureV4: v4,
      });
    return {
      store: make(cred.secret),
      region: 'cn-hangzhou',
      async seed(key, body, o = {}) {
        await emu.seed('dst', {
          key,
          body,
          ...(o.lastModified ? { lastModified: o.lastModified } : {}),
          ...(o.contentType ? { contentType: o.contentType } : {}),
          ...(o.meta ? { meta: o.meta } : {}),
          ...(o.cacheControl ? { headers: { 'cache-control': o.cacheControl } } : {}),
          ...(o.storageClass ? { storageClass: CLASS[o.storageClass] } : {}),
        });
      },
      throttleNext(op) {
        emu.faults.add({
          kind: 'throttle',
          ops: [op === 'read' ? 'GetObject' : op === 'list' ? 'ListObjectsV2' : 'HeadObject'],
          times: 1,
          retryAfterSeconds: 2,
        });
      },
      withBadSecret: () => make('wrong-secret'),
      close: () => emu.close(),
    };
  });
}
