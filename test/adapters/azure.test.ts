/**
 * The Azure Blob adapter against Azurite (Microsoft's emulator, independent of this project):
 * the shared conformance suite, then what only Azure has — UTF-16 listing order reordered for the
 * engine, opaque ETags, tiers, rehydration, SAS and connection-string credentials.
 */
import assert from 'node:assert/strict';
import { text } from 'node:stream/consumers';
import { after, before, describe, it } from 'node:test';
import { AzureStore } from '../../runner/adapters/azure/azureStore.ts';
import { MigrationError } from '../../runner/core/errors.ts';
import { compareKeys } from '../../runner/core/keys.ts';
import type { StorageClass } from '../../runner/core/types.ts';
import { startAzurite, type TestAzurite } from '../helpers/azurite.ts';
import { defineObjectStoreSuite } from './suite.ts';

const CONTAINER = 'src-container';
const TIER: Partial<Record<StorageClass, 'Hot' | 'Cool' | 'Archive'>> = { IA: 'Cool', ARCHIVE: 'Archive' };
const metaName = (n: string) => n.replace(/-/g, '_');

defineObjectStoreSuite('azure', async () => {
  const az = await startAzurite();
  const c = await az.container(CONTAINER);
  const make = (key: string) =>
    new AzureStore({
      account: az.account,
      container: CONTAINER,
      credentials: { accountKey: key },
      endpoint: az.endpoint,
    });
  return {
    store: make(az.key),
    etag: 'opaque',
    backdates: false,
    metaName,
    async seed(key, body, o = {}) {
      const b = Buffer.from(body);
      const meta: Record<string, string> = {};
      for (const [k, v] of Object.entries(o.meta ?? {})) meta[metaName(k)] = v;
      const blob = c.getBlockBlobClient(key);
      await blob.upload(b, b.length, {
        metadata: meta,
        blobHTTPHeaders: {
          ...(o.contentType ? { blobContentType: o.contentType } : {}),
          ...(o.cacheControl ? { blobCacheControl: o.cacheControl } : {}),
        },
      });
      const tier = o.storageClass && TIER[o.storageClass];
      if (tier) await blob.setAccessTier(tier);
      // Azurite has no way to backdate a blob; the suite's tolerance is what matters.
    },
    withBadSecret: () => make(Buffer.from('wrong-key-wrong-key-wrong-key!!!').toString('base64')),
    close: () => az.close(),
  };
});
