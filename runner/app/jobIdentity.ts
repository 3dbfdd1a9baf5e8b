/**
 * When is a submitted definition "the same job", and when may a different one replace it?
 * The rules every backend applies at submit (JobSession hands them to the standalone and the
 * fleet backend alike).
 */
import type { JobSpec } from '../config/job.ts';
import type { JobState } from '../ports/jobState.ts';

// Not `import … from 'node:util'`: the bundle's view of it reads every export, and util's lazy
// ones (TextDecoder …) load its diff and colour tables: ~7 CPU-ms of every start.
const { isDeepStrictEqual } = process.getBuiltinModule('node:util');

/**
 * The spec without its window (re-running with a new --since/--until is the same job), its
 * queue URL (where the job is coordinated, not what it does) and its journal settings (how the
 * per-task files are written: an audit.log turned off half-way is still the same job).
 */
export function identity(spec: JobSpec): unknown {
  const { window: _w, queue: _q, journal: _j, ...rest } = spec;
  return JSON.parse(JSON.stringify(rest));
}

export function sameJob(a: JobSpec, b: JobSpec): boolean {
  return isDeepStrictEqual(identity(a), identity(b));
}

/**
 * Whether the job has put anything at the destination: a copied object or an unfinished
 * multipart upload. A job that has not (a typo in destBucket stopped it, or it was only
 * submitted) holds nothing worth keeping, so its corrected definition replaces it — ossimport
 * users are told never to change jobName, so refusing it would leave them stuck.
 */
export async function hasCopied(state: JobState): Promise<boolean> {
  for (const p of await state.passes()) {
    if (p.mode !== 'copy') continue;
    if ((await state.counters(p.id)).copied > 0) return true;
  }
  return (await state.allMultipart()).length > 0;
}
