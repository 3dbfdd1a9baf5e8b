/**
 * audit.log, ossimport's per-task view of the ledger (one line per object: time, outcome, size,
 * source ETag, CRC-64, reason, key). `journal.auditLog` in the job file picks its form:
 *   gzip (default)  audit.log.gz. Each batch is appended as its own gzip member (RFC 1952 allows
 *                   concatenated members; zcat, zgrep and zless read them all) and the task's
 *                   members are packed into one when it ends: ≈ 40 B per object instead of ≈ 115.
 *   plain           audit.log, plain text as ossimport writes it (grep, tail -f).
 *   off             none: the ledger holds the same facts.
 * A crash mid-append leaves a torn last member. Readers read up to the last whole member (its
 * CRC-32 and length checked); the writer cuts a torn tail off before it appends again, since
 * zcat stops at the first bad member and would never reach the lines after it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';
import type { AuditLogMode } from '../../ports/journal.ts';

export const AUDIT_FILE = { gzip: 'audit.log.gz', plain: 'audit.log' } as const;

/** The file of a mode, or undefined for `off`. */
export function auditFile(mode: AuditLogMode): string | undefined {
  return mode === 'off' ? undefined : AUDIT_FILE[mode];
}

/** One whole gzip member at `at`: where it ends and what it holds; undefined if torn or not gzip. */
function member(buf: Buffer, at: number): { end: number; data: Buffer } | undefined {
  if (buf.length - at < 18 || buf[at] !== 0x1f || buf[at + 1] !== 0x8b || buf[at + 2] !== 8) return undefined;
  const flags = buf[at + 3]!;
  let p = at + 10;
  const zeroTerminated = () => {
    const z = buf.indexOf(0, p);
    p = z < 0 ? buf.length + 1 : z + 1;
  };
  if (flags & 4) p = p + 2 > buf.length ? buf.length + 1 : p + 2 + buf.readUInt16LE(p); // FEXTRA
  if (flags & 8) zeroTerminated(); // FNAME
  if (flags & 16) zeroTerminated(); // FCOMMENT
  if (flags & 2) p += 2; // FHCRC
  if (p >= buf.length) return undefined;
  let out: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    // info: the engine tells how much deflate input it consumed, i.e. where the trailer starts.
    out = inflateRawSync(buf.subarray(p), { info: true } as object) as unknown as typeof out;
  } catch {
    return undefined; // cut short (Z_BUF_ERROR) or garbled
  }
  const q = p + out.engine.bytesWritten;
  if (q + 8 > buf.length) return undefined;
  if (buf.readUInt32LE(q) !== crc32(out.buffer) || buf.readUInt32LE(q + 4) !== out.buffer.length % 2 ** 32)
    return undefined;
  return { end: q + 8, data: out.buffer };
}

/**
 * The text of concatenated gzip members up to the last whole one, and its byte length (`whole`
 * < buf.length: a torn or foreign tail follows). `members`: how many were read.
 */
export function gzipMembers(buf: Buffer): { text: string; whole: number; members: number } {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < buf.length) {
    const m = member(buf, at);
    if (!m) break;
    parts.push(m.data);
    at = m.end;
  }
  return { text: Buffer.concat(parts).toString('utf8'), whole: at, members: parts.length };
}

/**
 * A task's audit lines as a human's tools see them: audit.log.gz up to its last whole member,
 * then (a task journaled by an older version, or with `plain`) audit.log without a torn last line.
 * Undefined when the task has neither.
 */
export async function readAuditLines(taskDir: string): Promise<string[] | undefined> {
  let found = false;
  const lines: string[] = [];
  for (const [name, decode] of [
    [AUDIT_FILE.gzip, (b: Buffer) => gzipMembers(b).text],
    [AUDIT_FILE.plain, (b: Buffer) => b.toString('utf8')],
  ] as const) {
    const buf = await readFile(join(taskDir, name)).catch(() => undefined);
    if (!buf) continue;
    found = true;
    const text = decode(buf);
    // A plain line cut by a crash has no newline yet: not a line.
    lines.push(
      ...text
        .slice(0, text.lastIndexOf('\n') + 1)
        .split('\n')
        .filter(Boolean),
    );
  }
  return found ? lines : undefined;
}
