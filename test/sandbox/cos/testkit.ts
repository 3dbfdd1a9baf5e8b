/** Shared setup for the COS conformance tests: an emulator, the real SDK pointed at it, temp dirs. */

import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import COS from 'cos-nodejs-sdk-v5';
import type { LoggedRequest } from '../common/requestLog.ts';
import { type CosEmulator, type CosEmulatorOptions, startCosEmulator } from './index.ts';

export const APPID = '1250000000';
export const BUCKET = `src-${APPID}`;
export const REGION = 'ap-guangzhou';
export const CRED = { accessKeyId: 'AKIDsandboxCOS', secret: 'sandbox-cos-secret-key' };
/** Bucket and region, as every SDK call takes them. */
export const B = { Bucket: BUCKET, Region: REGION } as const;

export type CosClientOptions = ConstructorParameters<typeof COS>[0];

export type Harness = {
  emu: CosEmulator;
  cos: COS;
  /** A temp dir for this harness (SDK session cache, files to upload/download). */
  tmp: string;
  client(opts?: Partial<CosClientOptions>): COS;
  close(): Promise<void>;
};

/** Start an emulator with `src-1250000000` in ap-guangzhou and a SDK client for it. */
export async function harness(opts: Partial<CosEmulatorOptions> = {}): Promise<Harness> {
  const tmp = await mkdtemp(join(tmpdir(), 'cos-emu-test-'));
  const emu = await startCosEmulator({ credentials: [CRED], ...opts });
  emu.createBucket(BUCKET, REGION);
  const client = (o: Partial<CosClientOptions> = {}) =>
    new COS({
      SecretId: CRED.accessKeyId,
      SecretKey: CRED.secret,
      Protocol: 'http:',
      Ip: `127.0.0.1:${emu.port}`,
      // Keep the SDK's resumable-upload cache out of the home directory.
      ConfCwd: tmp,
      ...o,
    });
  return {
    emu,
    cos: client(),
    tmp,
    client,
    close: async () => {
      await emu.close();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

/** What the SDK rejects with. */
export type CosSdkError = {
  code?: string;
  statusCode?: number;
  message?: string;
  error?: { Code?: string; Message?: string; Resource?: string; RequestId?: string; TraceId?: string };
  headers?: Record<string, string>;
  RequestId?: string;
};

/** Await a rejection and return the SDK error. */
export async function sdkError(p: Promise<unknown>): Promise<CosSdkError> {
  try {
    await p;
  } catch (err) {
    return err as CosSdkError;
  }
  throw new Error('expected the SDK call to fail');
}

/** A raw HTTP request to the emulator (for what the SDK cannot send). */
export function raw(
  port: number,
  o: { method: string; path: string; headers?: Record<string, string>; body?: Buffer | string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: o.method, path: o.path, headers: o.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

/** Log entries of one operation since a mark. */
export function opsSince(emu: CosEmulator, mark: number, op?: string): LoggedRequest[] {
  return emu.log.since(mark).filter((e) => op === undefined || e.op === op);
}
