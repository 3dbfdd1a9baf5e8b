/**
 * Where a fleet's journals live, and opening them. Every process of a job (coordinator and
 * workers) must reach the same place:
 *   - a directory every machine mounts (tests, NFS):  --journal-dir DIR or OSSMIGRATE_JOURNAL_DIR
 *   - an OSS prefix (the cloud):  OSSMIGRATE_CONTROL_BUCKET [+ OSSMIGRATE_JOURNAL_PREFIX, default
 *     journals/] → oss://<bucket>/<prefix>/<job>/<pass>/tasks/<task>/…
 * The coordinator records the location with the job in Redis; workers follow it, so a worker
 * started with other settings still writes where the report will read.
 */
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { LocalJournal } from '../adapters/journal/localJournal.ts';
import { OssJournal } from '../adapters/journal/ossJournal.ts';
import { OssStore } from '../adapters/oss/ossStore.ts';
import type { Credentials } from '../config/credentials.ts';
import type { JobSpec } from '../config/job.ts';
import { ConfigError } from '../core/errors.ts';
import type { JournalLocation } from '../ports/jobBackend.ts';
import { type Journal, passDigests } from '../ports/journal.ts';

export {
  DEFAULT_JOURNAL_PREFIX,
  describeLocation,
  journalLocationFrom,
  NO_JOURNAL_FIX,
  sameLocation,
} from './journalLocation.ts';
export type { JournalLocation };

/**
 * Open a job's journal at a location, with this process's credentials and endpoint
 * (`ossEndpoint`: OSSMIGRATE_OSS_ENDPOINT, read by the entry point).
 */
export function openJournal(
  loc: JournalLocation,
  job: string,
  o: { spec: JobSpec; creds: Credentials; ossEndpoint?: string; writer: string; log?: Logger },
): Journal {
  const auditLog = o.spec.journal.auditLog;
  if (loc.type === 'local') return new LocalJournal(resolve(loc.dir, job), { auditLog });
  if (!o.creds.oss) {
    throw new ConfigError(
      `no Alibaba Cloud credentials for the journal bucket oss://${loc.bucket}`,
      'export ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET',
    );
  }
  const d = o.spec.destination;
  // Same region and endpoint rules as the destination: a fleet worker writes over the
  // region's internal endpoint (OSSMIGRATE_OSS_ENDPOINT), the operator's machine over the public one.
  const endpoint = o.ossEndpoint || d.endpoint;
  const store = new OssStore({
    bucket: loc.bucket,
    region: loc.region ?? d.region,
    credentials: o.creds.oss,
    internal: d.internal,
    signatureV4: d.signatureV4,
    ...(endpoint ? { endpoint } : {}),
  });
  return new OssJournal(store, `${loc.prefix ? `${loc.prefix}/` : ''}${job}`, {
    writer: o.writer,
    auditLog,
    ...(o.log ? { log: o.log } : {}),
  });
}

/** Write what a journal buffers for a task (OSS journals batch lines; local ones write at once). */
export async function flushTask(journal: Journal, passId: string, taskId: string): Promise<void> {
  const j = unwrap(journal);
  if (j instanceof OssJournal) await j.flush(passId, taskId);
}

export async function closeJournal(journal: Journal): Promise<void> {
  const j = unwrap(journal);
  if (j instanceof OssJournal) await j.close();
}

function unwrap(journal: Journal): Journal | undefined {
  return 'inner' in journal ? (journal as { inner?: Journal }).inner : journal;
}

/** A journal opened on first use (commands that never touch it need no OSS credentials). */
export function lazyJournal(open: () => Journal): Journal {
  let j: Journal | undefined;
  const get = () => (j ??= open());
  return {
    append: (p, t, r) => get().append(p, t, r),
    finished: (p, t) => get().finished(p, t),
    setStatus: (p, t, s) => get().setStatus(p, t, s),
    ledger: (p) => get().ledger(p),
    taskLedger: async (p, t) => {
      const j = get();
      return j.taskLedger ? j.taskLedger(p, t) : [];
    },
    digests: async function* (p) {
      const j = get();
      yield* j.digests ? j.digests(p) : await passDigests(j, p);
    },
    taskAttention: async (p, t) => {
      const j = get();
      return j.taskAttention ? j.taskAttention(p, t) : undefined;
    },
    putVerify: (p, t, r) => get().putVerify(p, t, r),
    verifyTasks: (p) => get().verifyTasks(p),
    taskVerify: (p, t) => get().taskVerify(p, t),
    location: (p) => get().location(p),
    // Let flushTask / closeJournal reach an opened OSS journal.
    get inner() {
      return j;
    },
  } as Journal & { inner?: Journal };
}
