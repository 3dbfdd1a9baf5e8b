import { CosStore } from '../../runner/adapters/cos/cosStore.ts';
import { startCosEmulator } from '../sandbox/cos/index.ts';
import { defineObjectStoreSuite } from './suite.ts';

const BUCKET = 'src-1250000000';
const REGION = 'ap-guangzhou';
const CLASS = {
  STANDARD: 'STANDARD',
  IA: 'STANDARD_IA',
  INTELLIGENT_TIERING: 'INTELLIGENT_TIERING',
  ARCHIVE: 'ARCHIVE',
  COLD_ARCHIVE: 'DEEP_ARCHIVE',
  DEEP_COLD_ARCHIVE: 'DEEP_ARCHIVE',
} as const;

defineObjectStoreSuite('cos', async () => {
  const cred = { accessKeyId: 'AKIDconformance', secret: 'cos-conformance-secret' };
  const emu = await startCosEmulator({ credentials: [cred] });
  emu.createBucket(BUCKET, REGION);
  const make = (secret: string) =>
    new CosStore({
      bucket: BUCKET,
      region: REGION,
      credentials: { secretId: cred.accessKeyId, secretKey: secret },
      endpoint: emu.endpoint,
    });
  return {
    store: make(cred.secret),
    region: REGION,
    async seed(key, body, o = {}) {
      await emu.seed(BUCKET, {
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
        ops: [op === 'read' ? 'GetObject' : op === 'list' ? 'ListObjects' : 'HeadObject'],
        times: 1,
        retryAfterSeconds: 2,
      });
    },
    withBadSecret: () => make('wrong-secret'),
    close: () => emu.close(),
  };
});
