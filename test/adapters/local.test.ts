import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { LocalStore } from '../../runner/adapters/local/localStore.ts';
import { defineObjectStoreSuite } from './suite.ts';

defineObjectStoreSuite('local', async () => {
  const root = await mkdtemp(join(tmpdir(), 'ossmigrate-local-'));
  return {
    store: new LocalStore(root),
    async seed(key, body, o = {}) {
      if (key.includes('//') || key.endsWith('/')) return; // not representable as a file
      const path = join(root, ...key.split('/'));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, body);
      if (o.lastModified) await utimes(path, o.lastModified, o.lastModified);
    },
    close: () => rm(root, { recursive: true, force: true }),
  };
});
