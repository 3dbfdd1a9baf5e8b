/**
 * Azurite, Microsoft's Azure Storage emulator (the npm package), as the independent Blob server
 * the Azure tests run against: a child process on a random port, in-memory, killed on close.
 * Accounts are its well-known development account (public, documented key) unless others are given.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';

/** Azurite's documented development account (not a secret: it is in Microsoft's docs). */
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export type TestAzurite = {
  /** Blob service URL, path style: http://127.0.0.1:PORT/ACCOUNT */
  endpoint: string;
  account: string;
  key: string;
  connectionString: string;
  /** A client of a container (created when missing), for seeding behind the adapter's back. */
  container(name: string): Promise<ContainerClient>;
  close(): Promise<void>;
};

export async function startAzurite(o: { account?: string; key?: string } = {}): Promise<TestAzurite> {
  const account = o.account ?? DEV_ACCOUNT;
  const key = o.key ?? DEV_KEY;
  const main = join(
    dirname(createRequire(import.meta.url).resolve('azurite/package.json')),
    'dist/src/blob/main.js',
  );
  const env = { ...process.env, ...(o.account ? { AZURITE_ACCOUNTS: `${account}:${key}` } : {}) };
  const child: ChildProcess = spawn(
    process.execPath,
    [
      main,
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      '0',
      '--inMemoryPersistence',
      '--skipApiVersionCheck',
      '--loose',
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /successfully listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`azurite exited (${code}) before listening:\n${out}`)));
  });
  child.stdout?.resume();
  child.stderr?.resume();
  const endpoint = `http://127.0.0.1:${port}/${account}`;
  const cred = new StorageSharedKeyCredential(account, key);
  return {
    endpoint,
    account,
    key,
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${account};AccountKey=${key};BlobEndpoint=${endpoint};`,
    async container(name) {
      const c = new ContainerClient(`${endpoint}/${name}`, cred);
      await c.createIfNotExists();
      return c;
    },
    async close() {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    },
  };
}
