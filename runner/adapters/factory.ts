/** Build the source and destination stores a job names, with its credentials. */
import type { Credentials } from '../config/credentials.ts';
import type { JobSpec } from '../config/job.ts';
import { ConfigError } from '../core/errors.ts';
import type { ObjectStore, StoresFactory } from '../ports/objectStore.ts';

/** What the entry point hands the factory from the environment. */
export type StoreSettings = {
  /**
   * OSSMIGRATE_OSS_ENDPOINT: replaces the destination's endpoint (fleet workers: the region's
   * internal one; tests: the sandbox).
   */
  ossEndpoint?: string;
};

/** The SDKs cost ~300 ms to load: only the adapters a job uses are loaded, when it needs them. */
export async function makeStores(
  spec: JobSpec,
  creds: Credentials,
  settings: StoreSettings = {},
): Promise<{ src: ObjectStore; dst: ObjectStore }> {
  return { src: await sourceStore(spec, creds), dst: await destinationStore(spec, creds, settings) };
}

/** A StoresFactory bound to the entry point's settings. */
export function storesFactory(settings: StoreSettings): StoresFactory {
  return (spec, creds) => makeStores(spec, creds, settings);
}

export async function sourceStore(spec: JobSpec, creds: Credentials): Promise<ObjectStore> {
  const s = spec.source;
  switch (s.type) {
    case 'local': {
      const { LocalStore } = await import('./local/localStore.ts');
      return new LocalStore(s.path, { followSymlinks: s.followSymlinks });
    }
    case 'cos': {
      if (!creds.cos) {
        throw new ConfigError(
          'no Tencent Cloud credentials for the COS source',
          withHint(
            creds.hint?.cos,
            'export TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY, or add cos: {secretId, secretKey} to ~/.ossmigrate/credentials.yaml (chmod 600)',
          ),
        );
      }
      const { CosStore } = await import('./cos/cosStore.ts');
      return new CosStore({
        bucket: s.bucket,
        region: s.region,
        credentials: creds.cos,
        ...(s.endpoint ? { endpoint: s.endpoint } : {}),
      });
    }
    case 'oss': {
      const c = creds.sourceOss ?? creds.oss;
      if (!c) throw missingOss('source', creds.hint?.sourceOss ?? creds.hint?.oss);
      const { OssStore } = await import('./oss/ossStore.ts');
      return new OssStore({
        bucket: s.bucket,
        region: s.region,
        credentials: c,
        internal: s.internal,
        ...(s.endpoint ? { endpoint: s.endpoint } : {}),
      });
    }
    case 'http-list': {
      const { HttpListStore } = await import('./httpList/httpListStore.ts');
      const store = new HttpListStore({
        listFile: s.listFile,
        prefixColumn: s.prefixColumn,
        relativePathColumn: s.relativePathColumn,
      });
      // The list is the job's definition: a bad line is a usage error (exit 2), before preflight.
      await store.entries();
      return store;
    }
    case 'upyun': {
      if (!creds.upyun) {
        throw new ConfigError(
          'no UpYun operator credentials for the upyun source',
          withHint(
            creds.hint?.upyun,
            'export UPYUN_OPERATOR and UPYUN_PASSWORD (an operator authorized on the service), or add upyun: {operator, password} to ~/.ossmigrate/credentials.yaml (chmod 600)',
          ),
        );
      }
      const { UpyunStore } = await import('./upyun/upyunStore.ts');
      return new UpyunStore({
        service: s.service,
        credentials: creds.upyun,
        ...(s.endpoint ? { endpoint: s.endpoint } : {}),
      });
    }
    case 'azure': {
      if (!creds.azure) {
        throw new ConfigError(
          'no Azure credentials for the Azure Blob source',
          withHint(
            creds.hint?.azure,
            'export AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY, or AZURE_STORAGE_SAS_TOKEN; or add azure: {accountName, accountKey} (or connectionString / sasToken) to ~/.ossmigrate/credentials.yaml (chmod 600)',
          ),
        );
      }
      const { AzureStore } = await import('./azure/azureStore.ts');
      return new AzureStore({
        account: s.account,
        container: s.container,
        credentials: creds.azure,
        ...(creds.origin.azure ? { credentialsOrigin: creds.origin.azure } : {}),
        ...(s.endpoint ? { endpoint: s.endpoint } : {}),
      });
    }
    case 's3': {
      if (!creds.s3) {
        throw new ConfigError(
          'no S3 credentials for the S3 source',
          withHint(
            creds.hint?.s3,
            'export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for a temporary key), set AWS_PROFILE to a profile in ~/.aws/credentials (or AWS_SHARED_CREDENTIALS_FILE), or add s3: {accessKeyId, secretAccessKey} to ~/.ossmigrate/credentials.yaml (chmod 600)',
          ),
        );
      }
      const { S3Store } = await import('./s3/s3Store.ts');
      return new S3Store({
        bucket: s.bucket,
        provider: s.provider,
        credentials: creds.s3,
        ...(s.region ? { region: s.region } : {}),
        ...(s.endpoint ? { endpoint: s.endpoint } : {}),
        ...(s.forcePathStyle !== undefined ? { forcePathStyle: s.forcePathStyle } : {}),
        ...(creds.origin.s3 ? { credentialsOrigin: creds.origin.s3 } : {}),
      });
    }
  }
}

export async function destinationStore(
  spec: JobSpec,
  creds: Credentials,
  settings: StoreSettings = {},
): Promise<ObjectStore> {
  const d = spec.destination;
  if (!creds.oss) throw missingOss('destination', creds.hint?.oss);
  const endpoint = settings.ossEndpoint || d.endpoint;
  const { OssStore } = await import('./oss/ossStore.ts');
  return new OssStore({
    bucket: d.bucket,
    region: d.region,
    credentials: creds.oss,
    internal: d.internal,
    signatureV4: d.signatureV4,
    ...(endpoint ? { endpoint } : {}),
  });
}

/** The job's own place for keys (a cfg's destAccessKey/destSecretKey) comes first in the fix. */
function withHint(hint: string | undefined, fix: string): string {
  return hint ? `${hint}; or ${fix}` : fix;
}

function missingOss(side: string, hint: string | undefined): ConfigError {
  return new ConfigError(
    `no Alibaba Cloud credentials for the OSS ${side}`,
    withHint(
      hint,
      'export ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or add oss: {accessKeyId, accessKeySecret} to ~/.ossmigrate/credentials.yaml (chmod 600)',
    ),
  );
}
