// Network plan. PURE.

/** Private ranges for the stack's own VPC; nothing peers with it, so a fixed range is fine. */
export const VPC_CIDR = '10.88.0.0/16';
/** /20 = 4 091 usable addresses: room for the largest allowed fleet plus Redis. */
export const VSWITCH_CIDR = '10.88.0.0/20';

/**
 * First zone (in the provider's order) that can host both a vSwitch with the worker instance
 * type and the Redis queue, so workers and queue share one vSwitch. Fails with the fix when the
 * region has none, or when a lookup answered for a different region.
 */
export function pickZone(
  region: string,
  instanceType: string,
  ecsZones: string[],
  redisZones: string[],
): string {
  const redis = new Set(redisZones);
  const zone = ecsZones.find((z) => redis.has(z));
  if (!zone) {
    throw new Error(
      `no zone in ${region} offers both ${instanceType} (pay-as-you-go) and ApsaraDB for Redis ` +
        `(ECS zones: ${ecsZones.join(', ') || 'none'}; Redis zones: ${redisZones.join(', ') || 'none'}); ` +
        'pick another type — pulumi config set ossmigrate:instanceType ecs.g7.large',
    );
  }
  if (!zone.startsWith(`${region}-`)) {
    throw new Error(`zone ${zone} is not in the bucket's region ${region}; check alicloud:region`);
  }
  return zone;
}
