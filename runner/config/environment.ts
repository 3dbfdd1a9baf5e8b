/**
 * The OSSMIGRATE_* variables the runner's services take, read in one place by the entry points
 * (runner/cli, runner/worker/main.ts) and handed down as values: adapters and fleet code read no
 * environment, so a test or an embedding passes settings instead of mutating process.env.
 * Vendor credential variables are read by config/credentials.ts from the env record it is given.
 */

/** Leases and retries of fleet tasks (defaults: adapters/queue/bullQueue.ts DEFAULT_LEASE). */
export type LeaseSettings = {
  lockMs?: number;
  stalledMs?: number;
  maxStalled?: number;
  attempts?: number;
  backoffMs?: number;
};

export type RuntimeEnvironment = {
  /** OSSMIGRATE_OSS_ENDPOINT: replaces the destination's (and a fleet journal bucket's) endpoint. */
  ossEndpoint?: string;
  /** OSSMIGRATE_LOG_LEVEL: the job log's pino level (default info). */
  logLevel?: string;
  redis: {
    /** OSSMIGRATE_REDIS_URL: the fleet queue when no --queue / --redis / job-file queue.url. */
    url?: string;
    /** OSSMIGRATE_REDIS_PASSWORD, OSSMIGRATE_REDIS_USERNAME, OSSMIGRATE_REDIS_CA_FILE. */
    password?: string;
    username?: string;
    caFile?: string;
  };
  journal: {
    /** OSSMIGRATE_JOURNAL_DIR: a journal directory every machine mounts. */
    dir?: string;
    /** OSSMIGRATE_CONTROL_BUCKET: journals under an OSS prefix of this bucket. */
    controlBucket?: string;
    /** OSSMIGRATE_JOURNAL_PREFIX (default journals/). */
    prefix?: string;
  };
  /** OSSMIGRATE_LOCK_MS, _STALLED_MS, _MAX_STALLED, _TASK_ATTEMPTS, _TASK_BACKOFF_MS. */
  lease: LeaseSettings;
};

/** The empty string counts as unset (as `VAR= cmd` does for every variable here). */
function text(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

/** A positive number, else unset (the default applies), as the lease variables always were. */
function positive(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = Number(env[name]);
  return Number.isFinite(v) && v > 0 ? v : undefined;
}

export function readEnvironment(env: NodeJS.ProcessEnv): RuntimeEnvironment {
  const lease: LeaseSettings = {};
  const set = (k: keyof LeaseSettings, name: string) => {
    const v = positive(env, name);
    if (v !== undefined) lease[k] = v;
  };
  set('lockMs', 'OSSMIGRATE_LOCK_MS');
  set('stalledMs', 'OSSMIGRATE_STALLED_MS');
  set('maxStalled', 'OSSMIGRATE_MAX_STALLED');
  set('attempts', 'OSSMIGRATE_TASK_ATTEMPTS');
  set('backoffMs', 'OSSMIGRATE_TASK_BACKOFF_MS');
  const pick = <T extends Record<string, string | undefined>>(o: T) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
      [K in keyof T]?: string;
    };
  return {
    ...pick({ ossEndpoint: text(env, 'OSSMIGRATE_OSS_ENDPOINT') }),
    // ?? (not ||) as before: an empty level reaches pino, which refuses it by name.
    ...(env.OSSMIGRATE_LOG_LEVEL !== undefined ? { logLevel: env.OSSMIGRATE_LOG_LEVEL } : {}),
    redis: pick({
      url: env.OSSMIGRATE_REDIS_URL,
      password: text(env, 'OSSMIGRATE_REDIS_PASSWORD'),
      username: text(env, 'OSSMIGRATE_REDIS_USERNAME'),
      caFile: text(env, 'OSSMIGRATE_REDIS_CA_FILE'),
    }),
    journal: pick({
      dir: env.OSSMIGRATE_JOURNAL_DIR,
      controlBucket: env.OSSMIGRATE_CONTROL_BUCKET,
      prefix: env.OSSMIGRATE_JOURNAL_PREFIX,
    }),
    lease,
  };
}
