/**
 * The job's answer from core/mirrorSupport: its source described as the pure function takes it,
 * plus (a URL list) the distinct URL prefixes of the list's first lines. `plan` and the migration's
 * plan phase (the TUI) call this, so both say the same.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { JobSpec } from '../config/job.ts';
import {
  type MirrorContext,
  type MirrorSource,
  type MirrorSupport,
  mirrorSupport,
} from '../core/mirrorSupport.ts';

/** Lines of a URL list read for its prefixes: enough to see a mix of hosts, cheap for 10⁷ lines. */
const SAMPLE_LINES = 1000;

/** The distinct URL prefixes among the first lines of a URL list (none when it cannot be read). */
export async function urlPrefixesOf(listFile: string, prefixColumn: number): Promise<string[]> {
  const out = new Set<string>();
  const input = createReadStream(listFile);
  const lines = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const line of lines) {
      const t = line.trim();
      if (t === '' || t.startsWith('#')) continue;
      const p = t.split(/[ \t]+/)[prefixColumn - 1];
      if (p) out.add(/^[a-z][a-z0-9+.-]*:\/\//i.test(p) ? p : `http://${p}`);
      if (++n >= SAMPLE_LINES) break;
    }
  } catch {
    // Unreadable: the source's preflight says why; the answer names no prefix.
  } finally {
    lines.close();
    input.destroy();
  }
  return [...out];
}

/** The job's source as core/mirrorSupport describes it (a URL list: its sampled prefixes, if any). */
export function describeMirrorSource(spec: JobSpec, urlPrefixes?: readonly string[]): MirrorSource {
  const s = spec.source;
  switch (s.type) {
    case 'cos':
    case 'oss':
      return {
        type: s.type,
        bucket: s.bucket,
        region: s.region,
        ...(s.endpoint ? { endpoint: s.endpoint } : {}),
      };
    case 's3':
      return {
        type: 's3',
        bucket: s.bucket,
        provider: s.provider,
        ...(s.region ? { region: s.region } : {}),
        ...(s.endpoint ? { endpoint: s.endpoint } : {}),
      };
    case 'azure':
      return {
        type: 'azure',
        account: s.account,
        container: s.container,
        ...(s.endpoint ? { endpoint: s.endpoint } : {}),
      };
    case 'upyun':
      return { type: 'upyun', service: s.service, ...(s.endpoint ? { endpoint: s.endpoint } : {}) };
    case 'http-list':
      return { type: 'http-list', ...(urlPrefixes ? { urlPrefixes } : {}) };
    case 'local':
      return { type: 'local' };
  }
}

/** The job's source as core/mirrorSupport describes it, a URL list's prefixes read from the list. */
export async function mirrorSourceOf(spec: JobSpec): Promise<MirrorSource> {
  const s = spec.source;
  return describeMirrorSource(
    spec,
    s.type === 'http-list' ? await urlPrefixesOf(s.listFile, s.prefixColumn) : undefined,
  );
}

/** Where the destination is (a local address is the sandbox's emulator). */
export function mirrorContextOf(spec: JobSpec): MirrorContext {
  return spec.destination.endpoint ? { destinationEndpoint: spec.destination.endpoint } : {};
}

/** Can OSS mirroring serve this job's cutover? */
export async function jobMirrorSupport(spec: JobSpec): Promise<MirrorSupport> {
  return mirrorSupport(await mirrorSourceOf(spec), mirrorContextOf(spec));
}
