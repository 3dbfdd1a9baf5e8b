/**
 * Local Alibaba Cloud OSS emulator for tests: the real `ali-oss` SDK (V1 and V4 signatures) and
 * S3-compatible clients (AWS SigV4) talk to it as to the service. See server.ts for the request
 * pipeline and the per-area modules for each operation family.
 */
import { OssEmulator, type OssEmulatorOptions } from './server.ts';

export { OssEmulator, type OssEmulatorOptions } from './server.ts';

export function startOssEmulator(opts: OssEmulatorOptions): Promise<OssEmulator> {
  return OssEmulator.start(opts);
}
