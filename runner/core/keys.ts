/**
 * Object-key rules shared by the engine (planning, preflight) and the sandbox emulators.
 * OSS and COS both order listings by the UTF-8 bytes of the key; JS string comparison is UTF-16
 * order, which differs for characters above U+FFFF versus U+E000..U+FFFF.
 */
import type { KeyRange } from './types.ts';

/** Map a UTF-16 code unit so that plain numeric order equals UTF-8 byte (= code point) order. */
function rank(cu: number): number {
  // Surrogates (U+D800..DFFF, only in pairs for astral code points) must sort after U+E000..U+FFFF.
  if (cu < 0xd800) return cu;
  return cu >= 0xe000 ? cu - 0x800 : cu + 0x2000;
}

/** Compare two keys in UTF-8 byte order without encoding them. Negative, zero or positive. */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return rank(x) - rank(y);
  }
  return a.length - b.length;
}

/** The smallest key strictly greater than every key starting with `prefix`, or undefined if none. */
export function prefixEnd(prefix: string): string | undefined {
  // Increment the last code unit that can be incremented; drop anything after it.
  for (let i = prefix.length - 1; i >= 0; i--) {
    const cu = prefix.charCodeAt(i);
    if (cu < 0xffff) return prefix.slice(0, i) + String.fromCharCode(cu + 1);
  }
  return undefined;
}

export type KeyProblem = {
  /** Stable code, also the OSS error code the service would answer with. */
  code: 'InvalidObjectName';
  /** OSS error-code detail (EC) as the service reports it. */
  ec: string;
  reason: string;
  fix: string;
};

const MAX_OSS_KEY_BYTES = 1023;

/** True when the string is well-formed UTF-16 (no lone surrogates), i.e. encodes to valid UTF-8. */
export function isWellFormed(s: string): boolean {
  return s.isWellFormed();
}

/**
 * Why OSS would refuse `key` (400 InvalidObjectName), or undefined when it is acceptable.
 * Rules: 1..1023 UTF-8 bytes, valid UTF-8, must not start with `/` or `\`.
 */
export function ossKeyProblem(key: string): KeyProblem | undefined {
  if (key.length === 0) {
    return {
      code: 'InvalidObjectName',
      ec: '0016-00000001',
      reason: 'the object name is empty',
      fix: 'give the object a non-empty name',
    };
  }
  if (!isWellFormed(key)) {
    return {
      code: 'InvalidObjectName',
      ec: '0016-00000002',
      reason: 'the object name is not valid UTF-8',
      fix: 'rename the source object to a valid UTF-8 name',
    };
  }
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_OSS_KEY_BYTES) {
    return {
      code: 'InvalidObjectName',
      ec: '0016-00000002',
      reason: `the object name is ${bytes} bytes long; OSS allows at most ${MAX_OSS_KEY_BYTES}`,
      fix: 'rename the source object to a shorter name (or copy it under a shorter destination.prefix)',
    };
  }
  if (key.startsWith('/') || key.startsWith('\\')) {
    return {
      code: 'InvalidObjectName',
      ec: '0016-00000005',
      reason: `the object name starts with "${key[0]}", which OSS does not allow`,
      fix:
        key[0] === '/'
          ? 'set keys.stripLeadingSlash: true in the job file (copies "/a" as "a"), or rename the source object'
          : 'rename the source object (OSS names cannot start with "\\")',
    };
  }
  return undefined;
}

/** A range as a user reads it: `prefix "a/" after "a/k" up to "a/z"` (a task error names it). */
export function rangeLabel(range: KeyRange): string {
  const q = (s: string) => JSON.stringify(s);
  return [
    `prefix ${q(range.prefix)}`,
    ...(range.startAfter !== undefined ? [`after ${q(range.startAfter)}`] : []),
    ...(range.endKey !== undefined ? [`up to ${q(range.endKey)}`] : []),
  ].join(' ');
}
