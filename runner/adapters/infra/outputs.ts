// Reading a stack's outputs into the InfraDriver port's InfraOutputs (the Pulumi driver's
// `pulumi stack output --json`): validated, unknown keys (and the secrets among them) dropped.
import { z } from 'zod';
import { InfraError } from '../../core/errors.ts';
import type { InfraOutputs } from '../../ports/infra.ts';

const outputsSchema = z.object({
  region: z.string().min(1),
  bucket: z.string().min(1),
  controlBucket: z.string().optional(),
  ossEndpoint: z.string().min(1),
  ossInternalEndpoint: z.string().optional(),
  queueUrl: z.string().optional(),
  fleetSize: z.number().int().nonnegative(),
  instanceIds: z.array(z.string()).default([]),
  sizing: z.string().optional(),
  mirrorEnabled: z.boolean(),
  // '' when the source can be mirrored (the program always exports it).
  mirrorNote: z.string().optional(),
});

/** Validates a stack's outputs (e.g. `pulumi stack output --json`); unknown keys are dropped. */
export function parseInfraOutputs(value: unknown, source = 'stack outputs'): InfraOutputs {
  const parsed = outputsSchema.safeParse(value);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new InfraError(`${source} are not what ossmigrate expects (${detail})`);
  }
  const o = parsed.data;
  return {
    region: o.region,
    bucket: o.bucket,
    ...(o.controlBucket !== undefined && { controlBucket: o.controlBucket }),
    ossEndpoint: o.ossEndpoint,
    ...(o.ossInternalEndpoint !== undefined && { ossInternalEndpoint: o.ossInternalEndpoint }),
    ...(o.queueUrl !== undefined && { queueUrl: o.queueUrl }),
    fleetSize: o.fleetSize,
    instanceIds: o.instanceIds,
    ...(o.sizing !== undefined && { sizing: o.sizing }),
    mirrorEnabled: o.mirrorEnabled,
    ...(o.mirrorNote ? { mirrorNote: o.mirrorNote } : {}),
  };
}
