// Names, tags and endpoints. PURE: every resource name and tag set comes from here so a stack's
// resources are recognisable in the console and two stacks in one account never collide.

import { createHash } from 'node:crypto';

export interface Naming {
  /** Stack name reduced to [a-z0-9-]. */
  readonly stack: string;
  /** `ossmigrate-<stack>-<suffix>`, [a-z0-9-], at most `max` characters. */
  name(suffix: string, max?: number): string;
  /** Tags for every taggable resource; `role` says what the resource is for. */
  tags(role: string): Record<string, string>;
}

function slug(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/-+/g, '-')
      .replace(/^-|-$/g, '') || 'x'
  );
}

export function makeNaming(stack: string): Naming {
  const s = slug(stack);
  return {
    stack: s,
    name(suffix, max = 63) {
      const full = `ossmigrate-${s}-${slug(suffix)}`;
      if (full.length <= max) return full;
      // Keep it unique when truncating: the tail becomes a short hash of the full name.
      const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
      return `${full.slice(0, max - 9).replace(/-$/, '')}-${hash}`;
    },
    tags(role) {
      return { 'ossmigrate-stack': s, 'ossmigrate-role': slug(role), 'managed-by': 'pulumi' };
    },
  };
}

/**
 * Connection-string prefix for the queue's public endpoint: lowercase letters and digits only,
 * starting with a letter, 8–64 characters, unique per region (derived from the bucket name).
 */
export function redisPublicPrefix(stack: string, destBucket: string): string {
  const hash = createHash('sha256').update(`${stack}/${destBucket}`).digest('hex').slice(0, 10);
  return `ossm${slug(stack).replace(/-/g, '').slice(0, 20)}${hash}`;
}

export function ossPublicEndpoint(region: string): string {
  return `https://oss-${region}.aliyuncs.com`;
}

/** The in-region endpoint: not billed for traffic and not limited by the instance's public bandwidth. */
export function ossInternalEndpoint(region: string): string {
  return `https://oss-${region}-internal.aliyuncs.com`;
}

/** Virtual-hosted COS origin for the mirror rule; OSS appends the object key, so it ends with `/`. */
export function cosOrigin(cosBucket: string, cosRegion: string): string {
  return `https://${cosBucket}.cos.${cosRegion}.myqcloud.com/`;
}

export const REDIS_PORT = 6379;

/** `redis://:<password>@host:6379/0` with the password URL-encoded. */
export function redisUrl(o: { host: string; password: string; port?: number | string }): string {
  return `redis://:${encodeURIComponent(o.password)}@${o.host}:${o.port ?? REDIS_PORT}/0`;
}
