/**
 * The migration's report (phase 9): one place that says, for every object, how it got to OSS and
 * whether the final verification (size + CRC-64 on both sides, everything modified up to T2)
 * agrees. Written to <workdir>/jobs/<name>/reports/migration/:
 *   report.txt      for people
 *   report.json     the numbers (per phase, final verification, verdict, links to pass reports),
 *                   and the final verify's problems (up to PROBLEMS_LISTED)
 *   objects.ndjson  one line per object: key, size, how it was migrated, verification status
 *                   (built from the pass ledgers, up to OBJECT_LIST_CAP objects)
 *   business.json   the demo's simulated business: what it wrote and read (demo only)
 *   report.html     all of it with charts, one self-contained file to forward (htmlReport/)
 * No secrets: keys, sizes and counts only.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode } from '../../core/exitCodes.ts';
import {
  type Counters,
  EVIDENCE_LABEL,
  type ObjectResult,
  type VerifyResult,
  type VerifyStatus,
} from '../../core/types.ts';
import { formatBytes } from '../../core/units.ts';
import { verifiedBy } from '../../engine/summary.ts';
import { passObjectCounts, passProblems } from '../../ports/journal.ts';
import { HTML_REPORT, writeHtmlReport } from '../htmlReport/index.ts';
import {
  capList,
  groupFailures,
  LIST_CAP,
  migrationHeadline,
  type PhaseTrack,
  type ReportModel,
} from '../htmlReport/model.ts';
import type { JobSession } from '../jobService.ts';
import { describeDestination, describeSource } from '../report.ts';
import type { SavedProgress } from './progressFile.ts';

export const OBJECT_LIST_CAP = 250_000;
/** The final verify's problems report.json lists; the rest are counted (its pass's check.txt has them all). */
export const PROBLEMS_LISTED = 10_000;

/** What the demo's simulated business did (keys), for the report to account for. */
export type BusinessRecord = {
  /** What it wrote to before cutover ("COS", "S3", "Azure"). */
  source: string;
  /** 'mirror': switched to OSS at T2 behind the mirror rule; 'freeze': after the final incremental. */
  cutover: 'mirror' | 'freeze';
  /** Keys written to the source during the migration (new and changed). */
  sourceWrites: string[];
  /** Of those, keys that already existed (changed, not new). */
  sourceChanged: string[];
  /** Keys written to OSS after cutover. */
  ossWrites: string[];
  /** Keys read through OSS that OSS fetched back-to-origin from the source (MirrorFetch). */
  mirrorFetched: string[];
  ossReads: number;
};

export type MigratedBy =
  | 'full'
  | 'incremental'
  | 'already-identical'
  | 'kept-destination'
  | 'destination-only'
  | 'failed'
  | 'not-copied';

export type ObjectLine = {
  key: string;
  size: number;
  migratedBy: MigratedBy;
  verify: VerifyStatus;
  full?: string;
  incremental?: string;
  note?: string;
};

export type MigrationVerdict = {
  ok: boolean;
  exitCode: number;
  sourceObjects: number;
  migrated: number;
  verified: number;
  kept: number;
  problems: number;
  destinationOnly: number;
};

export type MigrationReport = {
  dir: string;
  text: string;
  verdict: MigrationVerdict;
  json: Record<string, unknown>;
  /** report.html, when written. */
  html?: string;
};

type Last = Pick<ObjectResult, 'outcome' | 'size' | 'skipReason' | 'failureClass'>;

async function lastOutcomes(
  session: JobSession,
  passId: string | undefined,
): Promise<Map<string, Last> | undefined> {
  if (!passId) return new Map();
  // Too many to list: known from the task summaries, without reading OBJECT_LIST_CAP lines first.
  if ((await passObjects(session, passId)).objects > OBJECT_LIST_CAP) return undefined;
  const out = new Map<string, Last>();
  for await (const r of session.journal.ledger(passId)) {
    if (r.outcome === 'deferred' && r.failureClass === 'ARCHIVED' && out.get(r.key)?.outcome === 'copied')
      continue;
    out.set(r.key, {
      outcome: r.outcome,
      size: r.size,
      ...(r.skipReason ? { skipReason: r.skipReason } : {}),
      ...(r.failureClass ? { failureClass: r.failureClass } : {}),
    });
    if (out.size > OBJECT_LIST_CAP) return undefined;
  }
  return out;
}

/** Objects of a pass and those kept (DEST_NEWER skips), from the pass rollup / task summaries. */
const passObjects = (session: JobSession, passId: string) =>
  passObjectCounts(session.journal, passId, session.state);

type PhaseCounts = { copied: number; skipped: number; deferred: number; failed: number; bytes: number };

/** Per-object final outcomes of a pass (exact: the last ledger line of each key). */
function countsOf(m: Map<string, Last> | undefined, c: Counters | undefined): PhaseCounts | undefined {
  if (!c) return undefined;
  if (!m)
    return { copied: c.copied, skipped: c.skipped, deferred: c.deferred, failed: c.failed, bytes: c.bytes };
  const out: PhaseCounts = { copied: 0, skipped: 0, deferred: 0, failed: 0, bytes: c.bytes };
  for (const r of m.values()) out[r.outcome]++;
  return out;
}

function describe(r: Last | undefined): string | undefined {
  if (!r) return undefined;
  return [r.outcome, r.failureClass ?? r.skipReason].filter(Boolean).join(' ');
}

function migratedBy(full: Last | undefined, inc: Last | undefined, verify: VerifyStatus): MigratedBy {
  if (inc?.outcome === 'copied') return 'incremental';
  if (inc?.failureClass === 'DEST_NEWER') return 'kept-destination';
  if (full?.outcome === 'copied') return 'full';
  if (inc?.skipReason === 'identical' || full?.skipReason === 'identical') return 'already-identical';
  if (inc?.outcome === 'failed' || full?.outcome === 'failed') return 'failed';
  if (verify === 'match' || verify === 'dest-newer') return 'already-identical';
  return 'not-copied';
}

/**
 * The final verify's problems, streamed from its tasks' journals: kept per object only while
 * objects.ndjson joins them (`perObject`, bounded like the ledger walk: above `objectCap` the join
 * is dropped), report.json's list up to `listCap` and the rest counted.
 */
export async function finalProblems(
  problems: AsyncIterable<VerifyResult> | Iterable<VerifyResult>,
  perObject: boolean,
  caps: { listCap?: number; objectCap?: number } = {},
): Promise<{
  perObject: boolean;
  problemOf: Map<string, VerifyResult>;
  extras: VerifyResult[];
  listedProblems: VerifyResult[];
  unlistedProblems: number;
}> {
  const listCap = caps.listCap ?? PROBLEMS_LISTED;
  const objectCap = caps.objectCap ?? OBJECT_LIST_CAP;
  const problemOf = new Map<string, VerifyResult>();
  const extras: VerifyResult[] = [];
  const listedProblems: VerifyResult[] = [];
  let unlistedProblems = 0;
  for await (const x of problems) {
    if (x.status !== 'extra' && x.status !== 'dest-newer') {
      if (listedProblems.length < listCap) listedProblems.push(x);
      else unlistedProblems++;
    }
    if (!perObject) continue;
    if (x.status === 'extra') extras.push(x);
    else problemOf.set(x.key, x);
    // What the business wrote to OSS alone can outgrow the list: counted, not listed, as above.
    if (problemOf.size + extras.length > objectCap) {
      perObject = false;
      problemOf.clear();
      extras.length = 0;
    }
  }
  return { perObject, problemOf, extras, listedProblems, unlistedProblems };
}

const sum = (c: Counters | undefined, ...k: Array<keyof Counters>) =>
  k.reduce((n, x) => n + (c?.[x] ?? 0), 0);

export async function writeMigrationReport(o: {
  session: JobSession;
  progress: SavedProgress;
  business?: BusinessRecord;
  teardown?: string;
  /** report.html too (default). */
  html?: boolean;
}): Promise<MigrationReport> {
  const { session, progress: p } = o;
  const st = session.state;
  const ids = p.passes;
  const counters = async (id?: string) => (id ? await st.counters(id) : undefined);
  const [full, verify, inc, fv] = await Promise.all([
    counters(ids.full),
    counters(ids.verify),
    counters(ids.incremental),
    counters(ids.finalVerify),
  ]);
  const openFailures = ids.incremental ? await st.failures(ids.incremental) : [];

  const source =
    sum(fv, 'verified', 'missing', 'different', 'unverifiable', 'pending', 'verifyErrors') +
    (fv?.destNewer ?? 0);
  const bad = sum(fv, 'missing', 'different', 'unverifiable', 'pending', 'verifyErrors');
  const verdict: MigrationVerdict = {
    ok: fv !== undefined && bad === 0 && openFailures.length === 0,
    exitCode:
      fv === undefined
        ? ExitCode.VERIFY_MISMATCH
        : sum(fv, 'missing', 'different', 'verifyErrors', 'pending') > 0
          ? ExitCode.VERIFY_MISMATCH
          : openFailures.length > 0 || (fv.unverifiable ?? 0) > 0
            ? ExitCode.FAILED_OBJECTS
            : ExitCode.OK,
    sourceObjects: source,
    migrated: source - (fv?.missing ?? 0),
    verified: (fv?.verified ?? 0) + (fv?.destNewer ?? 0),
    kept: fv?.destNewer ?? 0,
    problems: bad + openFailures.length,
    destinationOnly: fv?.extra ?? 0,
  };

  const dir = join(session.ws.jobDir(session.name), 'reports', 'migration');
  await mkdir(dir, { recursive: true });

  // Per object, from the ledgers (bounded): how it was migrated and what the final verify says.
  const fullLast = await lastOutcomes(session, ids.full);
  const incLast = fullLast ? await lastOutcomes(session, ids.incremental) : undefined;
  // Kept = left alone because the business wrote it in OSS after T2: a DEST_NEWER skip in the
  // copy pass's ledger (the copy passes' counters have no such column; verify's destNewer does).
  // Above the list cap, from the task summaries (the ledger walk stopped at the cap).
  const keptIn = async (m: Map<string, Last> | undefined, id: string | undefined) =>
    m
      ? [...m.values()].filter((r) => r.failureClass === 'DEST_NEWER').length
      : id
        ? (await passObjects(session, id)).kept
        : 0;
  const copyKept = {
    full: await keptIn(fullLast, ids.full),
    incremental: await keptIn(incLast, ids.incremental),
  };
  const { problemOf, extras, listedProblems, unlistedProblems, perObject } = await finalProblems(
    ids.finalVerify ? passProblems(session.journal, ids.finalVerify) : [],
    fullLast !== undefined && incLast !== undefined,
  );
  const mirrored = new Set(o.business?.mirrorFetched ?? []);
  const ossWritten = new Set(o.business?.ossWrites ?? []);
  const sourceWritten = new Set(o.business?.sourceWrites ?? []);
  let objectsFile = 'objects.ndjson';
  let byHow: Partial<Record<MigratedBy, number>> = {};
  // For report.html: the objects that need attention first, then the others, up to its cap.
  const attention: string[][] = [];
  const fine: string[][] = [];
  let listed = 0;
  const listRow = (l: ObjectLine) => {
    listed++;
    const row = [l.key, String(l.size), l.migratedBy, l.verify, l.note ?? ''];
    const bad = l.verify !== 'match' && l.verify !== 'dest-newer' && l.verify !== 'extra';
    if (bad || l.migratedBy === 'failed' || l.migratedBy === 'not-copied') attention.push(row);
    else if (fine.length < LIST_CAP) fine.push(row);
  };
  if (perObject && fullLast && incLast) {
    const keys = [...new Set([...fullLast.keys(), ...incLast.keys()])].sort();
    const lines: string[] = [];
    for (const key of keys) {
      const f = fullLast.get(key);
      const i = incLast.get(key);
      const v: VerifyStatus = problemOf.get(key)?.status ?? 'match';
      const how = migratedBy(f, i, v);
      byHow = { ...byHow, [how]: (byHow[how] ?? 0) + 1 };
      const notes = [
        sourceWritten.has(key)
          ? `written to ${o.business?.source ?? 'the source'} by the business during the migration`
          : '',
        mirrored.has(key) ? 'read through OSS after cutover: fetched back-to-origin by the mirror' : '',
        ossWritten.has(key) ? 'rewritten in OSS by the business after cutover (kept)' : '',
      ].filter(Boolean);
      const line: ObjectLine = {
        key,
        size: (i ?? f)?.size ?? 0,
        migratedBy: how,
        verify: v,
        ...(describe(f) ? { full: describe(f)! } : {}),
        ...(describe(i) ? { incremental: describe(i)! } : {}),
        ...(notes.length ? { note: notes.join('; ') } : {}),
      };
      listRow(line);
      lines.push(JSON.stringify(line));
    }
    for (const x of extras) {
      byHow = { ...byHow, 'destination-only': (byHow['destination-only'] ?? 0) + 1 };
      const line: ObjectLine = {
        key: x.dstKey,
        size: x.dstSize ?? 0,
        migratedBy: 'destination-only',
        verify: 'extra',
        ...(ossWritten.has(x.dstKey) ? { note: 'written to OSS by the business after cutover' } : {}),
      };
      listRow(line);
      lines.push(JSON.stringify(line));
    }
    await writeFile(join(dir, objectsFile), lines.map((l) => `${l}\n`).join(''));
  } else {
    objectsFile = '';
  }

  const passReports = Object.fromEntries(
    Object.entries(ids)
      .filter(([, id]) => id)
      .map(([k, id]) => [k, session.ws.reportDir(session.name, id!)]),
  );
  const json = {
    job: session.name,
    source: describeSource(session.spec),
    destination: describeDestination(session.spec),
    generatedAt: new Date().toISOString(),
    t1: p.t1 ?? null,
    t2: p.t2 ?? null,
    verdict,
    phases: {
      full: full ? phaseNumbers(full, copyKept.full) : null,
      verify: verify ? verifyNumbers(verify) : null,
      incremental: inc ? phaseNumbers(inc, copyKept.incremental) : null,
      finalVerify: fv ? verifyNumbers(fv) : null,
    },
    migratedBy: byHow,
    openFailures: openFailures.map((f) => ({
      key: f.key,
      class: f.failureClass,
      reason: f.reason,
      fix: f.fix,
    })),
    problems: listedProblems.map((x) => ({ key: x.key, status: x.status, detail: x.detail ?? null })),
    ...(unlistedProblems ? { problemsNotListed: unlistedProblems } : {}),
    ...(o.business ? { business: businessNumbers(o.business) } : {}),
    teardown: o.teardown ?? 'not yet',
    passReports,
    objects: objectsFile ? join(dir, objectsFile) : null,
    ...(o.html !== false ? { html: join(dir, HTML_REPORT) } : {}),
  };
  await writeFile(join(dir, 'report.json'), `${JSON.stringify(json, null, 2)}\n`);
  if (o.business) await writeFile(join(dir, 'business.json'), `${JSON.stringify(o.business, null, 2)}\n`);
  const text = reportText({
    ...json,
    dir,
    full: countsOf(fullLast, full),
    inc: countsOf(incLast, inc),
    fv,
    verdict,
    byHow,
    business: o.business,
    objectsFile,
    html: o.html !== false,
  });
  await writeFile(join(dir, 'report.txt'), text);
  if (o.html === false) return { dir, text, verdict, json };

  const passes = new Map((await st.passes()).map((x) => [x.id, x]));
  const labels: Array<[keyof SavedProgress['passes'], string]> = [
    ['full', 'full copy'],
    ['verify', 'verify'],
    ['incremental', 'incremental'],
    ['finalVerify', 'final verify'],
  ];
  const copyCounts = { full: countsOf(fullLast, full), incremental: countsOf(incLast, inc) };
  const phases: PhaseTrack[] = [];
  for (const [k, label] of labels) {
    const pass = ids[k] ? passes.get(ids[k]!) : undefined;
    if (!pass) continue;
    const series = await st.series(pass.id);
    const c = k === 'full' || k === 'incremental' ? copyCounts[k] : undefined;
    phases.push({
      label,
      passId: pass.id,
      mode: pass.mode,
      startedAt: Date.parse(pass.startedAt),
      ...(pass.finishedAt ? { finishedAt: Date.parse(pass.finishedAt) } : {}),
      ...(series ? { series } : {}),
      ...(c && (k === 'full' || k === 'incremental')
        ? {
            outcomes: {
              copied: c.copied,
              // Kept objects are skips in the ledger: shown apart, so the bar adds up once.
              skipped: c.skipped - copyKept[k],
              deferred: c.deferred,
              kept: copyKept[k],
              failed: c.failed,
            },
          }
        : {}),
    });
  }
  const plan = p.plan;
  const startedAt = p.startedAt ? Date.parse(p.startedAt) : phases[0]?.startedAt;
  const model: ReportModel = {
    title: `ossmigrate migration report — ${session.name}`,
    job: session.name,
    source: json.source,
    destination: json.destination,
    generatedAt: json.generatedAt,
    headline: migrationHeadline(verdict),
    ...(p.t1 ? { t1: Date.parse(p.t1) } : {}),
    ...(p.t2 ? { t2: Date.parse(p.t2) } : {}),
    phases,
    failures: groupFailures(openFailures),
    ...(fv
      ? {
          verification: {
            verified: verdict.verified,
            kept: verdict.kept,
            missing: fv.missing,
            different: fv.different,
            extra: fv.extra,
            unverifiable: fv.unverifiable,
            changedAfterWindow: fv.pending,
            errors: fv.verifyErrors,
            methods: verifiedBy(fv),
          },
        }
      : {}),
    ...(plan ? { survey: plan.survey } : {}),
    ...(plan && startedAt !== undefined
      ? {
          deadline: {
            deadlineDays: p.deadlineDays,
            estimatedMs:
              (plan.sizing.instances > 0 ? plan.estimate.fleetSeconds : plan.estimate.oneMachineSeconds) *
              1000,
            instances: plan.sizing.instances,
            elapsedMs: Math.max(0, Date.parse(json.generatedAt) - startedAt),
            transferredBytes: (full?.bytes ?? 0) + (inc?.bytes ?? 0),
          },
        }
      : {}),
    lists: [
      capList(
        'Objects: how each got to OSS, and what the final verification says',
        ['key', 'size', 'migrated by', 'verify', 'note'],
        [...attention, ...fine],
        {
          total: listed,
          ...(objectsFile ? { fullList: join(dir, objectsFile) } : {}),
        },
      ),
    ],
    files: [
      { name: 'report.txt', path: join(dir, 'report.txt') },
      { name: 'report.json', path: join(dir, 'report.json') },
      ...(objectsFile ? [{ name: objectsFile, path: join(dir, objectsFile) }] : []),
      ...(o.business ? [{ name: 'business.json', path: join(dir, 'business.json') }] : []),
      ...Object.entries(passReports).map(([k, d]) => ({ name: `${k} pass report`, path: d })),
    ],
    notes: [
      `teardown: ${o.teardown ?? 'not yet'}`,
      ...(o.business
        ? [
            `simulated business (demo): ${businessNumbers(o.business).sourceWrites} writes to ${o.business.source} during the migration, ${o.business.ossReads} reads through OSS after cutover, ${o.business.ossWrites.length} writes to OSS after cutover`,
          ]
        : []),
      'No secrets: keys, sizes, checksums and counts only.',
    ],
  };
  const written = await writeHtmlReport(dir, model);
  return { dir, text, verdict, json, html: written.path };
}

/** A copy phase's numbers; `destNewer` = objects kept (skipped DEST_NEWER in its ledger). */
function phaseNumbers(c: Counters, kept: number) {
  return {
    copied: c.copied,
    copiedBytes: c.copiedBytes,
    skipped: c.skipped,
    deferred: c.deferred,
    failed: c.failed,
    bytes: c.bytes,
    destNewer: kept,
  };
}

function verifyNumbers(c: Counters) {
  return {
    verified: c.verified,
    missing: c.missing,
    different: c.different,
    extra: c.extra,
    unverifiable: c.unverifiable,
    changedAfterWindow: c.pending,
    errors: c.verifyErrors,
    destNewer: c.destNewer,
    provenBy: verifiedBy(c),
  };
}

function businessNumbers(b: BusinessRecord) {
  const written = new Set(b.sourceWrites);
  const changed = new Set(b.sourceChanged);
  return {
    source: b.source,
    cutover: b.cutover,
    sourceWrites: b.sourceWrites.length,
    sourceNewKeys: [...written].filter((k) => !changed.has(k)).length,
    sourceChangedKeys: changed.size,
    ossWritesAfterCutover: b.ossWrites.length,
    ossReads: b.ossReads,
    mirrorFetched: b.mirrorFetched.length,
  };
}

function reportText(o: {
  job: string;
  source: string;
  destination: string;
  dir: string;
  t1: string | null;
  t2: string | null;
  full: PhaseCounts | undefined;
  inc: PhaseCounts | undefined;
  fv: Counters | undefined;
  verdict: MigrationVerdict;
  byHow: Partial<Record<MigratedBy, number>>;
  business: BusinessRecord | undefined;
  teardown: string;
  objectsFile: string;
  passReports: Record<string, string>;
  html: boolean;
}): string {
  const v = o.verdict;
  const row = (name: string, c: PhaseCounts | undefined) =>
    c
      ? `  ${name.padEnd(12)} ${String(c.copied).padStart(7)} ${String(c.skipped).padStart(8)} ${String(c.deferred).padStart(9)} ${String(c.failed).padStart(7)}  ${formatBytes(c.bytes)}`
      : `  ${name.padEnd(12)} (not run)`;
  const lines = [
    `ossmigrate migration report — job ${o.job}`,
    `  ${o.source}  →  ${o.destination}`,
    `  T1 ${o.t1 ?? '—'} (full copy: objects modified before)   T2 ${o.t2 ?? '—'} (cutover)`,
    '',
    '  phase         copied  skipped  deferred  failed  transferred',
    row('full', o.full),
    row('incremental', o.inc),
    '  (deferred in the full copy = changed after T1, taken by the incremental; in the incremental = unchanged since T1)',
    '',
    '  final verification — size + CRC-64 on both sides, no download, every object modified up to T2:',
    `    source objects    ${v.sourceObjects}`,
    `    migrated          ${v.migrated}`,
    `    verified          ${v.verified}  (${o.fv?.verified ?? 0} identical${v.kept ? `, ${v.kept} kept: rewritten in OSS by the business after cutover` : ''})`,
    `    proven by         ${o.fv?.verifiedCrc64 ?? 0} CRC-64 · ${o.fv?.verifiedMd5 ?? 0} MD5 · ${otherProofs(o.fv)}${o.fv?.verifiedSize ?? 0} size only`,
    `    missing ${o.fv?.missing ?? 0} · different ${o.fv?.different ?? 0} · errors ${o.fv?.verifyErrors ?? 0} · unverifiable ${o.fv?.unverifiable ?? 0} · changed in the source after T2 ${o.fv?.pending ?? 0}`,
    `    only in OSS       ${v.destinationOnly}  (written to OSS after cutover; deletions are never propagated)`,
  ];
  const how = Object.entries(o.byHow);
  if (how.length) lines.push(`    how               ${how.map(([k, n]) => `${k} ${n}`).join(' · ')}`);
  if (o.business) {
    const b = businessNumbers(o.business);
    lines.push(
      '',
      '  simulated business (demo):',
      `    wrote to ${b.source} during the migration   ${b.sourceWrites} (${b.sourceNewKeys} new keys, ${b.sourceChangedKeys} changed) — migrated by the incremental`,
      b.cutover === 'freeze'
        ? `    read through OSS after the switch   ${b.ossReads} (no mirror: writes froze at T2 and it switched once the final incremental had copied them)`
        : `    read through OSS after cutover      ${b.ossReads} (${b.mirrorFetched} fetched back-to-origin from ${b.source} by the mirror)`,
      `    wrote to OSS after cutover          ${b.ossWritesAfterCutover} — kept, never overwritten`,
    );
  }
  lines.push(
    '',
    v.ok
      ? `  RESULT  every object migrated and verified (${v.verified} of ${v.sourceObjects}); failed 0`
      : `  RESULT  ${v.problems} object(s) need attention — see objects.ndjson and the pass reports; exit code ${v.exitCode}`,
    `  teardown  ${o.teardown}`,
    '',
    `  report    ${o.dir}`,
    ...(o.html ? [`  html      ${join(o.dir, HTML_REPORT)}  (charts; open it in a browser)`] : []),
    ...(o.objectsFile
      ? [`  objects   ${join(o.dir, o.objectsFile)}`]
      : ['  objects   (too many to list here: see the pass ledgers)']),
    ...Object.entries(o.passReports).map(([k, d]) => `  ${k.padEnd(9)} ${d}`),
  );
  return `${lines.join('\n')}\n`;
}

/** "2 multipart ETag · 1 SHA-256 · ": content evidence besides CRC-64 and MD5, where it proved something. */
function otherProofs(c: Counters | undefined): string {
  if (!c) return '';
  const { crc64: _c, md5: _m, size: _s, ...rest } = verifiedBy(c);
  return Object.entries(rest)
    .map(([k, n]) => `${n} ${EVIDENCE_LABEL[k as keyof typeof EVIDENCE_LABEL]} · `)
    .join('');
}
