/**
 * The job log (pino NDJSON in the work dir). Secrets never reach it: known secret values are
 * scrubbed from every line, and credential-looking fields are redacted by name.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { format } from 'node:util';
import { type DestinationStream, type Logger, pino } from 'pino';

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

export function jobLogger(o: { file?: string; level?: string; secrets?: () => readonly string[] }): Logger {
  const level = o.level ?? process.env.OSSMIGRATE_LOG_LEVEL ?? 'info';
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
