/**
 * The summary of a pass, computed from the ledger (the commit record), not from live counters:
 * exact after crashes, resumes and retries. Memory holds only keys whose latest outcome is not
 * final (failures, deferrals), never the whole listing.
 */
import type { Summary, VerifiedBy } from '../core/events.ts';
import { byCount, countOpen, emptyTotals, type PassTotals } from '../core/ledger.ts';
import { type Counters, EVIDENCE_METHODS, type ObjectResult, VERIFIED_COUNTER } from '../core/types.ts';
import type { JobState, PassInfo } from '../ports/jobState.ts';
import { type Journal, passTotals } from '../ports/journal.ts';

/** The engine's name for the pass totals (runner/core/ledger.ts holds the one shape). */
export type LedgerTotals = PassTotals;

export async function ledgerTotals(ledger: AsyncIterable<ObjectResult>): Promise<LedgerTotals> {
  const t: LedgerTotals = emptyTotals();
  const open = new Map<string, ObjectResult>();
  for await (const r of ledger) {
    t.bytes += r.bytes;
    if (r.outcome === 'copied' || r.outcome === 'skipped') {
      open.delete(r.key);
      if (r.outcome === 'copied') {
        t.copied++;
        t.copiedBytes += r.size;
      } else {
        t.skipped++;
        const why = r.failureClass ?? r.skipReason ?? 'other';
        t.skippedBy[why] = (t.skippedBy[why] ?? 0) + 1;
      }
    } else {
      open.set(r.key, r);
    }
  }
  for (const r of open.values()) countOpen(t, r);
  t.failuresByClass = byCount(t.failuresByClass);
  t.open = [...open.values()];
  return t;
}

/**
 * What proved the matches of a verify pass, from its counters: crc64, md5 and size always (the
 * readers' old keys), every other evidence method when it proved something.
 */
export function verifiedBy(c: Counters): VerifiedBy {
  const out: VerifiedBy = { crc64: c.verifiedCrc64, md5: c.verifiedMd5, size: c.verifiedSize };
  for (const m of EVIDENCE_METHODS) {
    const n = c[VERIFIED_COUNTER[m]] ?? 0;
    if (n > 0) out[m] = n;
  }
  return out;
}

export async function summarize(
  pass: PassInfo,
  journal: Journal,
  state: JobState,
  elapsedMs: number,
  exitCode: number,
  verifyCounters?: Counters,
): Promise<{ summary: Summary; totals: LedgerTotals }> {
  // Task summaries, not every ledger line (ledgerTotals' numbers, O(tasks)).
  const totals: LedgerTotals = await passTotals(journal, pass.id, state);
  const v = verifyCounters ?? (pass.mode === 'verify' ? await state.counters(pass.id) : undefined);
  // Unchanged objects have no ledger line (they are not work): the scan counted them, exactly once.
  const unchanged =
    pass.mode === 'copy' && pass.phase === 'incremental' ? (await state.counters(pass.id)).unchanged : 0;
  const summary: Summary = {
    passId: pass.id,
    phase: pass.phase,
    copied: totals.copied,
    skipped: totals.skipped,
    failed: totals.failed,
    deferred: totals.deferred,
    deferredAfterWindow: totals.deferredAfterWindow,
    unchanged,
    bytes: totals.bytes,
    verified: v?.verified ?? 0,
    ...(v ? { verifiedBy: verifiedBy(v) } : {}),
    missing: v?.missing ?? 0,
    different: v?.different ?? 0,
    extra: v?.extra ?? 0,
    verifyErrors: v?.verifyErrors ?? 0,
    elapsedMs,
    exitCode,
    failuresByClass: totals.failuresByClass,
  };
  return { summary, totals };
}
