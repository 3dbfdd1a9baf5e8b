// The queue's Redis password. PURE.
//
// It must be stable across `pulumi up` runs (a new password every run would update Redis and,
// through the user data, replace every worker), secret, and not typed by anyone. @pulumi/random
// is not a dependency, so it is derived: HMAC-SHA256 over the RAM access key's secret, which the
// provider generated randomly, Pulumi keeps encrypted in state, and which only changes when the
// key is rotated — and a rotation replaces the workers anyway because their env file holds the
// key. HMAC is one-way: knowing the Redis password reveals nothing about the access key.
// `ossmigrate:redisPassword` overrides it.

import { createHmac } from 'node:crypto';

/** ApsaraDB for Redis: 8–32 characters, at least three of upper, lower, digit, special. */
const ALLOWED = /^[A-Za-z0-9!@#$%^&*()_+\-=]{8,32}$/;

export function redisPasswordProblem(pw: string): string | undefined {
  if (!ALLOWED.test(pw)) return 'must be 8–32 characters of A–Z a–z 0–9 and !@#$%^&*()_+-=';
  const classes = [/[A-Z]/, /[a-z]/, /[0-9]/, /[!@#$%^&*()_+\-=]/].filter((re) => re.test(pw)).length;
  if (classes < 3) return 'must mix at least three of: uppercase, lowercase, digits, special characters';
  return undefined;
}

export function deriveRedisPassword(secretMaterial: string, stack: string): string {
  if (!secretMaterial) throw new Error('deriveRedisPassword: empty secret material');
  const mac = createHmac('sha256', secretMaterial).update(`ossmigrate/redis/${stack}`).digest('hex');
  // Fixed "Om-9" prefix guarantees all four character classes; 26 hex digits carry 104 bits.
  return `Om-9${mac.slice(0, 26)}`;
}
