/**
 * The job log (pino NDJSON in the work dir). Secrets never reach it: known secret values are
 * scrubbed from every line, and credential-looking fields are redacted by name.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type DestinationStream, type Logger, pino } from 'pino';
import type { EngineEvent } from '../core/events.ts';

// Not `import … from 'node:util'`: the bundle's view of it reads every export, and util's lazy
// ones (TextDecoder …) load its diff and colour tables: ~7 CPU-ms of every start.
const { format } = process.getBuiltinModule('node:util');

const REDACT = [
  '*.accessKeySecret',
  '*.secretKey',
  '*.SecretKey',
  '*.securityToken',
  '*.password',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  'err.config.headers.authorization',
];

/** Replace every occurrence of the given secrets in a string. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('***');
  return out;
}

/** A destination that scrubs secrets out of each serialised line before writing it. */
function scrubbing(dest: DestinationStream, secrets: () => readonly string[]): DestinationStream {
  return { write: (line: string) => dest.write(scrub(line, secrets())) };
}

/** The level of job logs that name none; set once by the entry point (OSSMIGRATE_LOG_LEVEL). */
let defaultLevel = 'info';

/** Called by the entry points (runner/cli/main.ts, runner/worker/main.ts) with the environment's level. */
export function setDefaultLogLevel(level: string | undefined): void {
  defaultLevel = level ?? 'info';
}

export function jobLogger(o: { file?: string; level?: string; secrets?: () => readonly string[] }): Logger {
  const level = o.level ?? defaultLevel;
  if (!o.file) return pino({ level: 'silent' });
  mkdirSync(dirname(o.file), { recursive: true });
  const dest = pino.destination({ dest: o.file, sync: false, mkdir: true });
  process.once('exit', () => dest.flushSync());
  return pino(
    { level, redact: { paths: REDACT, censor: '***' }, base: { pid: process.pid } },
    scrubbing(dest, o.secrets ?? (() => [])),
  );
}

/**
 * Libraries that print to the console (urllib under ali-oss warns on every reset connection)
 * would scribble over the progress display; route their warnings into the job log instead.
 * Returns the undo.
 */
export function routeConsole(log: Logger): () => void {
  const { warn, error } = console;
  console.warn = (...args: unknown[]) => log.warn({ source: 'library' }, format(...args));
  console.error = (...args: unknown[]) => log.error({ source: 'library' }, format(...args));
  return () => {
    console.warn = warn;
    console.error = error;
  };
}

/**
 * What of the event stream belongs in the job log: the run's shape (passes, stages, problems,
 * bandwidth changes, the summary) and every failure with its reason — not one line per object
 * copied, which the journals already hold.
 */
export function logEvent(log: Logger, e: EngineEvent): void {
  switch (e.type) {
    case 'pass':
      log.info(
        { pass: e.passId, phase: e.phase, mode: e.mode, t1: e.t1, t2: e.t2, resumed: e.resumed },
        'pass',
      );
      break;
    case 'stage':
      log.info({ stage: e.stage, state: e.state }, 'stage');
      break;
    case 'problem':
      log[e.problem.severity === 'error' ? 'error' : e.problem.severity === 'warning' ? 'warn' : 'info'](
        { code: e.problem.code, fix: e.problem.fix },
        e.problem.message,
      );
      break;
    case 'task':
      if (e.state === 'failed')
        log.warn({ task: e.id, kind: e.kind, objects: e.objects }, 'task finished with failures');
      break;
    case 'object':
      if (e.outcome === 'failed')
        log.warn({ key: e.key, class: e.failureClass, reason: e.reason }, 'object failed');
      break;
    case 'bandwidth':
      log.info({ limit: e.limit, bytesPerSec: e.effectiveBytesPerSec }, 'bandwidth');
      break;
    case 'summary': {
      const { type: _t, ...summary } = e;
      log.info(summary, 'summary');
      break;
    }
    default:
      break;
  }
}
