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
 * OSS mirrors back-to-origin with S3V4-signed GETs (infra/mirror.ts builds the rule for COS and
 * S3-compatible origins only). Anything else — a private Azure container (Shared Key or SAS),
 * UpYun, a URL list, a local directory — cannot be fetched by the rule, so the flow must not
 * pretend it can.
 */
export function cutoverModeFor(source: JobSpec['source']): CutoverMode {
  if (source.type === 'cos' || source.type === 's3') return { kind: 'mirror' };
  return {
    kind: 'freeze',
    source: source.type,
    line: `mirroring: not available for ${source.type} — cutover with a write freeze`,
  };
}
