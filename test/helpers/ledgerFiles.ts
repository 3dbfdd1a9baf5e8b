/**
 * The raw ledger lines a work dir holds, plain (`ledger.ndjson`, a task still running) or
 * compressed (`ledger.<n>.ndjson.gz`, what a task that ended leaves). A line cut by a kill is
 * not a record and is dropped.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export async function ledgerLines<T = Record<string, unknown>>(dir: string): Promise<T[]> {
  const out: T[] = [];
  for (const f of await readdir(dir, { recursive: true })) {
    const gz = /(^|\/)ledger(\.\d+)?\.ndjson\.gz$/.test(f);
    if (!gz && !/(^|\/)ledger\.ndjson$/.test(f)) continue;
    const raw = await readFile(join(dir, f));
    let text: string;
    try {
      text = (gz ? gunzipSync(raw) : raw).toString('utf8');
    } catch {
      continue; // a .gz being written when the process was killed
    }
    for (const line of text.split('\n')) if (line.endsWith('}')) out.push(JSON.parse(line) as T);
  }
  return out;
}
