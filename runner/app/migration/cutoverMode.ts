/**
 * How a migration cuts over, from its source: behind the OSS back-to-origin rule (mirror), or
 * with a short write freeze when OSS cannot mirror from that source (stop writes → the final
 * incremental since T1 → switch). Plain data, no I/O.
 *
 * A local check on purpose: runner/core/mirrorSupport.ts (branch h-plan) will answer the same
 * question for the plan; when both are on main this should defer to it.
 */
import type { JobSpec } from '../../config/job.ts';

export type CutoverMode =
  | { kind: 'mirror' }
  | {
      kind: 'freeze';
      /** The source type, as the operator wrote it. */
      source: string;
      /** One line for the timeline, the headless run and the TUI. */
      line: string;
    };

/**
 * Sources OSS cannot fetch back-to-origin from (README "Sources", the mirroring column): a
 * private Azure container (Shared Key or SAS, not S3V4), UpYun (its CDN domain only when public),
 * a local directory. The others — COS, S3 and compatibles, OSS, a public URL list — can stand
 * behind a mirror rule.
 */
const NO_MIRROR: ReadonlySet<string> = new Set(['azure', 'upyun', 'local']);

export function cutoverModeFor(source: JobSpec['source']): CutoverMode {
  if (!NO_MIRROR.has(source.type)) return { kind: 'mirror' };
  return {
    kind: 'freeze',
    source: source.type,
    line: `mirroring: not available for ${source.type} — cutover with a write freeze`,
  };
}
