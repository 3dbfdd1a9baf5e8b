/** Where a fleet keeps its journals, named by flags and the environment (pure: no SDK loaded). */
import { resolve } from 'node:path';
import type { RuntimeEnvironment } from '../config/environment.ts';
import type { JournalLocation } from '../ports/jobBackend.ts';

export const DEFAULT_JOURNAL_PREFIX = 'journals/';

/**
 * The location named by flags and the environment's values (OSSMIGRATE_JOURNAL_DIR,
 * OSSMIGRATE_CONTROL_BUCKET, OSSMIGRATE_JOURNAL_PREFIX; undefined: none given).
 */
export function journalLocationFrom(
  given: RuntimeEnvironment['journal'],
  flags: { journalDir?: string } = {},
): JournalLocation | undefined {
  const dir = flags.journalDir ?? given.dir;
  if (dir) return { type: 'local', dir: resolve(dir) };
  const bucket = given.controlBucket;
  if (bucket) {
    const prefix = (given.prefix ?? DEFAULT_JOURNAL_PREFIX).replace(/^\/+|\/+$/g, '');
    return { type: 'oss', bucket, prefix };
  }
  return undefined;
}

export function describeLocation(loc: JournalLocation): string {
  return loc.type === 'local' ? loc.dir : `oss://${loc.bucket}/${loc.prefix ? `${loc.prefix}/` : ''}`;
}

export function sameLocation(a: JournalLocation, b: JournalLocation): boolean {
  return describeLocation(a) === describeLocation(b);
}

export const NO_JOURNAL_FIX =
  'give the fleet a place every machine reaches: --journal-dir DIR (a shared directory) or ' +
  'OSSMIGRATE_CONTROL_BUCKET=<bucket> (an OSS prefix; the infra sets it on every worker)';
