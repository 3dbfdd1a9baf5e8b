/**
 * The generated reference pages (scripts/docs.ts: the command pages, environment, exit codes and
 * the marked tables of README.md and docs/cloud.md) are what the code generates now: a flag, a
 * command, an exit code or a Pulumi key changed without `npm run docs` fails here. The exit-code
 * tables printed in the README and docs are EXIT_CODE_HELP, row for row.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EXIT_CODE_HELP, ExitCode } from '../../runner/core/exitCodes.ts';
import { fillRegions, generateDocs, ROOT } from '../../scripts/docs.ts';

const generated = generateDocs();

/** The rows of the first markdown table after `heading` (or in the whole text). */
function tableRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => /^\|\s*\d+\s*\|/.test(l))
    .map((l) =>
      l
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim().replace(/\\\|/g, '|')),
    );
}

describe('generated docs', () => {
  for (const [file, text] of generated)
    it(`${file} is what \`npm run docs\` writes`, () => {
      const path = join(ROOT, file);
      assert.ok(existsSync(path), `${file} is missing: run npm run docs`);
      assert.equal(readFileSync(path, 'utf8'), text, `${file} is out of date: run npm run docs`);
    });

  it('docs/commands holds a page for each command and nothing else', () => {
    const pages = readdirSync(join(ROOT, 'docs/commands')).map((f) => `docs/commands/${f}`);
    assert.deepEqual(
      pages.sort(),
      [...generated.keys()].filter((f) => f.startsWith('docs/commands/')).sort(),
      'a page for a command that no longer exists: delete it',
    );
  });

  it('the exit-code tables of the README and docs/exit-codes.md are EXIT_CODE_HELP', () => {
    const expected = Object.entries(EXIT_CODE_HELP).map(([c, t]) => [c, t]);
    for (const file of ['README.md', 'docs/exit-codes.md']) {
      const rows = tableRows(readFileSync(join(ROOT, file), 'utf8')).filter((r) => r.length === 2);
      assert.deepEqual(rows, expected, file);
    }
    // Every documented code has a line, and every line is a code.
    assert.deepEqual(
      Object.keys(EXIT_CODE_HELP).map(Number),
      Object.values(ExitCode).sort((a, b) => a - b),
    );
  });

  it('a generated region without its markers is an error naming the file and the region', () => {
    assert.throws(
      () => fillRegions('X.md', 'no markers here', { 'exit-codes': () => '' }, undefined as never),
      /X\.md: the markers of the generated region "exit-codes" are missing/,
    );
  });
});
