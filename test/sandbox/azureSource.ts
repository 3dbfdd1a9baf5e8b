/**
 * `--source azure` for `ossmigrate sandbox` and `npm run demo`: Azurite (Microsoft's emulator) with
 * one container seeded with the demo objects (the same keys, sizes and metadata as the COS demo;
 * tiers Cool/Archive for STANDARD_IA/ARCHIVE). Self-contained, so the `--source` switch only has
 * to call it and hand its `env`, `srcArgs` and `jobSource` on (next to the OSS emulator's).
 */

import { startAzurite, type TestAzurite } from '../helpers/azurite.ts';
import { afterTheSecondOf } from '../helpers/clock.ts';
import { patternBytes } from './common/blobs.ts';
import { demoObjects } from './seed.ts';

export type AzureSource = {
  azurite: TestAzurite;
  account: string;
  container: string;
  endpoint: string;
  /** AZURE_STORAGE_ACCOUNT / AZURE_STORAGE_KEY of the emulator (its public development key). */
  env(): Record<string, string>;
  /** `--src … --src-endpoint …` flags (the destination flags come from the OSS sandbox). */
  srcArgs(prefix?: string): string[];
  /** A job file's `source:`. */
  jobSource(prefix?: string): {
    type: 'azure';
    account: string;
    container: string;
    endpoint: string;
    prefix: string;
  };
  close(): Promise<void>;
};

const TIERS: Record<string, 'Cool' | 'Archive'> = {
  STANDARD_IA: 'Cool',
  ARCHIVE: 'Archive',
  DEEP_ARCHIVE: 'Archive',
};

export async function startAzureSource(
  o: { container?: string; seed?: 'demo' | 'none' } = {},
): Promise<AzureSource> {
  const azurite = await startAzurite();
  const container = o.container ?? 'demo-src';
  const c = await azurite.container(container);
  if (o.seed !== 'none') {
    for (const d of demoObjects()) {
      const chunks: Buffer[] = [];
      for (const b of patternBytes(d.size, d.seed)) chunks.push(b);
      const body = Buffer.concat(chunks);
      const h = d.headers ?? {};
      const meta: Record<string, string> = {};
      // Azure metadata names are identifiers: "-" is not allowed.
      for (const [k, v] of Object.entries(d.meta ?? {})) meta[k.replace(/-/g, '_')] = v;
      const blob = c.getBlockBlobClient(d.key);
      await blob.upload(body, body.length, {
        metadata: meta,
        blobHTTPHeaders: {
          ...(d.contentType ? { blobContentType: d.contentType } : {}),
          ...(h['cache-control'] ? { blobCacheControl: h['cache-control'] } : {}),
          ...(h['content-disposition'] ? { blobContentDisposition: h['content-disposition'] } : {}),
          ...(h['content-encoding'] ? { blobContentEncoding: h['content-encoding'] } : {}),
          ...(h['content-language'] ? { blobContentLanguage: h['content-language'] } : {}),
        },
        ...(d.storageClass && TIERS[d.storageClass] ? { tier: TIERS[d.storageClass] } : {}),
      });
    }
  }
  // Azurite cannot backdate a blob: let the second of the last upload pass, so a job started
  // now has these objects before its T1 (the full copy), not deferred to the incremental.
  if (o.seed !== 'none') await afterTheSecondOf(Date.now());
  const { account, endpoint } = azurite;
  return {
    azurite,
    account,
    container,
    endpoint,
    env: () => ({ AZURE_STORAGE_ACCOUNT: account, AZURE_STORAGE_KEY: azurite.key }),
    srcArgs: (prefix = '') => [
      '--src',
      `azure://${account}/${container}/${prefix}`,
      '--src-endpoint',
      endpoint,
    ],
    jobSource: (prefix = '') => ({ type: 'azure', account, container, endpoint, prefix }),
    close: () => azurite.close(),
  };
}
