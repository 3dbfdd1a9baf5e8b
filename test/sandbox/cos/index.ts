/**
 * Local Tencent COS emulator for tests: the real `cos-nodejs-sdk-v5` (with `Ip: '127.0.0.1:PORT'`,
 * `Protocol: 'http:'`) and S3 clients (SigV4, path style) talk to it as to the service.
 * See server.ts for routing and README-style notes on each operation in the sibling modules.
 */
import { CosEmulator, type CosEmulatorOptions } from './server.ts';

export { CosError } from './errors.ts';
export type { CosEmulatorOptions } from './server.ts';
export { CosEmulator };

/** Start a COS emulator on a free port (or `opts.port`). Close it with `close()`. */
export function startCosEmulator(opts: CosEmulatorOptions): Promise<CosEmulator> {
  return CosEmulator.start(opts);
}
