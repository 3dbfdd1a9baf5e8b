/**
 * How a migration cuts over, from its source: behind the OSS back-to-origin rule (mirror), or
 * with a short write freeze when OSS cannot mirror from that source (stop writes → the final
 * incremental since T1 → switch). The answer is core/mirrorSupport's, the one `plan`, the TUI's
 * plan screen and the README give, so the flow never promises a mirror the plan ruled out.
 */
import type { JobSpec } from '../../config/job.ts';
import { mirrorSupport } from '../../core/mirrorSupport.ts';
import { describeMirrorSource, mirrorContextOf } from '../planMirror.ts';

export type CutoverMode =
  | { kind: 'mirror' }
  | {
      kind: 'freeze';
      /** The source type, as the operator wrote it. */
      source: string;
      /** One line for the timeline, the headless run and the TUI. */
      line: string;
      /** Why OSS cannot mirror it (mirrorSupport's reason). */
      why: string;
    };

export function cutoverModeFor(spec: JobSpec): CutoverMode {
  // A URL list's prefixes are not sampled here: whether its origin is public is the plan's call.
  const m = mirrorSupport(describeMirrorSource(spec), mirrorContextOf(spec));
  if (m.mirror === 'yes') return { kind: 'mirror' };
  return {
    kind: 'freeze',
    source: spec.source.type,
    line: `mirroring: not available for ${spec.source.type} — cutover with a write freeze`,
    why: m.why,
  };
}
