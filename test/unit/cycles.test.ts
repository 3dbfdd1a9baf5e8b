/**
 * Folder-level import cycles in runner/, tui/ and infra/: each folder (runner/app, runner/fleet,
 * runner/adapters, …, sub-folders counted with their parent) is a node, every import — type-only
 * ones too, since they are design dependencies — an edge. A cycle means two layers that cannot be
 * read, tested or replaced one without the other (runner/app ↔ runner/fleet was one).
 * Imports are read by TypeScript's own pre-processor, not by a regular expression.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import ts from 'typescript';

const root = resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** runner/<folder> for a file under runner/ (its own top-level files: "runner"); tui and infra whole. */
function folderOf(file: string): string | undefined {
  const parts = relative(root, file).split(sep);
  if (parts[0] === 'tui' || parts[0] === 'infra') return parts[0];
  if (parts[0] !== 'runner') return undefined;
  return parts.length > 2 ? `runner/${parts[1]}` : 'runner';
}

/** The product's code: the runner's folders, the TUI and the Pulumi program. */
const product = () => ['runner', 'tui', 'infra'].flatMap((d) => sources(join(root, d)));

/** Folder → folders it imports from (relative imports that resolve under runner/). */
function folderGraph(files: string[]): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of files) {
    const from = folderOf(file);
    if (!from) continue;
    const edges = graph.get(from) ?? new Map<string, string>();
    graph.set(from, edges);
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const ref of info.importedFiles) {
      if (!ref.fileName.startsWith('.')) continue;
      const to = folderOf(resolve(dirname(file), ref.fileName));
      // Keep one example file per edge, for the message.
      if (to && to !== from && !edges.has(to)) edges.set(to, `${relative(root, file)} → ${ref.fileName}`);
    }
  }
  return graph;
}

/** Every cycle's folders (strongly connected components of more than one folder; Tarjan). */
function cycles(graph: Map<string, Map<string, string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v)?.keys() ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

describe('folder-level imports under runner/', () => {
  it('finds a cycle when there is one (the check itself)', () => {
    const g = new Map([
      ['runner/app', new Map([['runner/fleet', 'a → f']])],
      ['runner/fleet', new Map([['runner/app', 'f → a']])],
      ['runner/core', new Map<string, string>()],
    ]);
    assert.deepEqual(cycles(g), [['runner/app', 'runner/fleet']]);
  });

  it('has no cycle between folders (runner/app ↔ runner/fleet, adapters ↔ app, runner ↔ tui, …)', () => {
    const graph = folderGraph(product());
    const found = cycles(graph).map((scc) => {
      const edges = scc.flatMap((a) =>
        scc.filter((b) => graph.get(a)?.has(b)).map((b) => `  ${a} → ${b} (e.g. ${graph.get(a)!.get(b)})`),
      );
      return `${scc.join(' ↔ ')}\n${edges.join('\n')}`;
    });
    assert.deepEqual(found, [], `import cycles between folders:\n${found.join('\n')}`);
  });

  it('runner/app and runner/fleet do not import each other (the fleet is wired in by the composition root)', () => {
    const graph = folderGraph(sources(join(root, 'runner')));
    assert.equal(graph.get('runner/app')?.get('runner/fleet'), undefined);
    assert.equal(graph.get('runner/fleet')?.get('runner/app'), undefined);
  });
});
