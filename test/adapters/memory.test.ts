import { MemoryStore } from '../../runner/adapters/memory/memoryStore.ts';
import { MigrationError } from '../../runner/core/errors.ts';
import { defineObjectStoreSuite } from './suite.ts';

defineObjectStoreSuite('memory', async () => {
  const store = new MemoryStore();
  return {
    store,
    async seed(key, body, o = {}) {
      store.put(key, body, {
        ...(o.lastModified ? { lastModified: o.lastModified } : {}),
        ...(o.contentType ? { contentType: o.contentType } : {}),
        ...(o.cacheControl ? { cacheControl: o.cacheControl } : {}),
        meta: o.meta ?? {},
        ...(o.storageClass ? { storageClass: o.storageClass } : {}),
      });
    },
    throttleNext(op) {
      const was = store.hook;
      store.hook = (called) => {
        if (called === op) {
          store.hook = was;
          throw new MigrationError('THROTTLED', 'slow down', { status: 503, retryAfterMs: 2000 });
        }
      };
    },
    close: async () => {},
  };
});
