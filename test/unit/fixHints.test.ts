/**
 * Every job-file key a fix or hint names must exist in the job file schema: a user who follows
 * "set keyRewrite.stripLeadingSlash" gets exit 2. The strings come from the failure classes, the
 * key rules, and the string literals of the files that write fixes (preflight problems, policy,
 * the engine, the report); a new hint naming a key that does not exist fails this test.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { JobSchema } from '../../runner/config/job.ts';
import { CLASS_INFO } from '../../runner/core/errors.ts';
import { ossKeyProblem } from '../../runner/core/keys.ts';

/** Files whose string literals hold fixes and hints. */
const HINT_FILES = [
  'runner/app/preflight.ts',
  'runner/app/report.ts',
  'runner/core/errors.ts',
  'runner/core/keys.ts',
  'runner/core/copyPolicy.ts',
  'runner/engine/copyObject.ts',
  'runner/engine/multipartCopy.ts',
  'runner/engine/transfer.ts',
  'runner/engine/scanTask.ts',
  'runner/engine/copyTask.ts',
  'runner/engine/commitBatch.ts',
  'runner/engine/destCursor.ts',
  'runner/engine/verifyTask.ts',
  'runner/engine/taskRange.ts',
  'runner/engine/run.ts',
];

type Def = {
  type: string;
  shape?: Record<string, unknown>;
  innerType?: unknown;
  in?: unknown;
  options?: unknown[];
};
const def = (s: unknown): Def => (s as { _zod: { def: Def } })._zod.def;

/** Does the job file accept this dotted path (e.g. keys.stripLeadingSlash)? */
function schemaHas(path: string): boolean {
  const walk = (schema: unknown, segs: string[]): boolean => {
    const d = def(schema);
    switch (d.type) {
      case 'default':
      case 'prefault':
      case 'optional':
      case 'nullable':
        return walk(d.innerType, segs);
      case 'pipe':
        return walk(d.in, segs);
      case 'union':
        return (d.options ?? []).some((o) => walk(o, segs));
      case 'object': {
        if (segs.length === 0) return true;
        const next = d.shape?.[segs[0]!];
        return next !== undefined && walk(next, segs.slice(1));
      }
      default:
        return segs.length === 0;
    }
  };
  return walk(JobSchema, path.split('.'));
}

/** Not job-file keys: file names, hosts, abbreviations. */
const NOT_A_KEY = /\.(txt|json|ndjson|ya?ml|cfg|db|log|properties|sh|ts|js|com|cn|sqlite)$/;

/** Dotted names in a hint that look like job-file keys (section.key[.key]). */
function keysNamed(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?<![\w.$/-])([a-z][A-Za-z0-9]+(?:\.[a-z][A-Za-z0-9]+)+)(?![\w/-])/g)) {
    const k = m[1]!;
    if (!NOT_A_KEY.test(k)) out.push(k);
  }
  return out;
}

/** The contents of a file's string and template literals (`${side}` expanded, other interpolations dropped). */
function literals(source: string): string[] {
  const code = source.replace(/^\s*(\/\/.*|\/?\*.*)$/gm, ''); // comments are not shown to users
  const out: string[] = [];
  for (const m of code.matchAll(/'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\]|\\.)*)`/g)) {
    if (m[3] !== undefined) {
      for (const side of ['source', 'destination'])
        out.push(m[3].replaceAll(`\${side}`, side).replace(/\$\{[^}]*\}/g, ' '));
    } else out.push(m[1] ?? m[2]!);
  }
  return out;
}

async function hintStrings(): Promise<Array<{ where: string; text: string }>> {
  const out: Array<{ where: string; text: string }> = [];
  for (const [cls, info] of Object.entries(CLASS_INFO)) {
    out.push(
      { where: `CLASS_INFO.${cls}.fix`, text: info.fix },
      { where: `CLASS_INFO.${cls}.reason`, text: info.reason },
    );
  }
  for (const key of ['', '\uD800x', 'x'.repeat(1100), '/lead', '\\lead']) {
    const p = ossKeyProblem(key);
    if (p)
      out.push({ where: `ossKeyProblem(${JSON.stringify(key.slice(0, 8))})`, text: `${p.reason} ${p.fix}` });
  }
  for (const file of HINT_FILES) {
    const source = await readFile(fileURLToPath(new URL(`../../${file}`, import.meta.url)), 'utf8');
    for (const text of literals(source)) out.push({ where: file, text });
  }
  return out;
}

describe('fix hints name only keys the job file has', () => {
  it('the checker itself: real keys pass, the keys hints used to name fail', () => {
    for (const k of [
      'keys.stripLeadingSlash',
      'transfer.stopOnInternalError',
      'source.region',
      'destination.region',
      'archive.mode',
      'bandwidth.limit',
      'destination.prefix',
    ])
      assert.equal(schemaHas(k), true, k);
    for (const k of ['keyRewrite.stripLeadingSlash', 'keys.rename', 'transfer.partsize', 'source.bogus'])
      assert.equal(schemaHas(k), false, k);
    assert.deepEqual(
      keysNamed('set keyRewrite.stripLeadingSlash or a keys.rename rule; see summary.json, e.g. x'),
      ['keyRewrite.stripLeadingSlash', 'keys.rename'],
    );
  });

  it('every key named in CLASS_INFO, the key rules, preflight problems, policy and the engine exists', async () => {
    const hints = await hintStrings();
    const named = hints.flatMap((h) => keysNamed(h.text).map((key) => ({ ...h, key })));
    // The extraction finds the hints that do name keys (guards against a regex that finds nothing).
    assert.ok(named.some((n) => n.key === 'keys.stripLeadingSlash' && n.where.startsWith('CLASS_INFO')));
    assert.ok(named.some((n) => n.key === 'source.region' && n.where === 'runner/app/preflight.ts'));
    const bad = named
      .filter((n) => !schemaHas(n.key))
      .map((n) => `${n.where}: ${n.key}  in "${n.text.trim()}"`);
    assert.deepEqual(bad, [], `hints naming keys the job file does not have:\n${bad.join('\n')}`);
  });
});
