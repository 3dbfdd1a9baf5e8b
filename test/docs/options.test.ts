/**
 * The options table (runner/cli/options.ts) is the one place a flag or an environment variable
 * is declared: these checks fail when one exists in the CLI, the code or the docs and not in the
 * table (or the other way round).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import {
  ALL_COMMANDS,
  applyOptions,
  FLAG_OF,
  flagRows,
  longFlag,
  OPTIONS,
} from '../../runner/cli/options.ts';
import { buildProgram } from '../../runner/cli/program.ts';
import { register as tui } from '../../tui/command.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const program = buildProgram([tui]);
const builtIn = new Set(['--help', '--version']);

/** Source files under the given folders (what ships: no tests, no node_modules). */
function sources(dirs: string[]): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (name === 'node_modules') continue;
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(ts|tsx|js|mjs)$/.test(name)) out.push(p);
    }
  };
  for (const d of dirs) walk(join(ROOT, d));
  return out;
}

/**
 * Names of the OSSMIGRATE_ form in the code that are not variables: heredoc delimiters of the
 * workers' first-boot script (infra/userData.ts).
 */
const NOT_VARIABLES = new Set(['OSSMIGRATE_ENV_EOF', 'OSSMIGRATE_UNIT_EOF']);

describe('the options table', () => {
  it('every flag of every command is a row of the table for that command, and every row is a flag', () => {
    for (const cmd of program.commands) {
      const name = cmd.name();
      const onCommand = cmd.options.map((o) => o.long!).filter((l) => !builtIn.has(l));
      const inTable = flagRows(name).map((r) => longFlag(r)!);
      for (const f of onCommand)
        assert.ok(
          inTable.includes(f),
          `ossmigrate ${name} has ${f}, which runner/cli/options.ts does not list for "${name}": add a row (or "${name}" to the row's commands)`,
        );
      for (const f of inTable)
        assert.ok(
          onCommand.includes(f),
          `runner/cli/options.ts lists ${f} for "${name}", and ossmigrate ${name} has no such flag`,
        );
      assert.equal(new Set(inTable).size, inTable.length, `${name}: a flag is listed twice`);
    }
  });

  it("commander's options are generated from the rows (flags, help and default agree)", () => {
    for (const cmd of program.commands)
      for (const o of cmd.options.filter((x) => !builtIn.has(x.long!))) {
        const row = flagRows(cmd.name()).find((r) => longFlag(r) === o.long)!;
        assert.equal(o.flags, row.flags, `${cmd.name()} ${o.long}`);
        assert.equal(o.description, row.help, `${cmd.name()} ${o.long}`);
        assert.equal(o.defaultValue, row.default, `${cmd.name()} ${o.long}`);
        assert.equal(o.envVar, row.envReadBy === 'flag' ? row.env : undefined, `${cmd.name()} ${o.long}`);
      }
  });

  it('every command of the table exists, and every row applies to one', () => {
    const names = new Set(program.commands.map((c) => c.name()));
    for (const r of OPTIONS) {
      if (r.commands === ALL_COMMANDS) continue;
      assert.ok(r.commands.length > 0, `${r.flags ?? r.env}: applies to no command`);
      for (const c of r.commands) assert.ok(names.has(c), `${r.flags ?? r.env}: no command "${c}"`);
    }
    for (const r of OPTIONS) assert.ok(r.flags || r.env, 'a row names neither a flag nor a variable');
    for (const r of OPTIONS.filter((x) => x.env && !x.flags))
      assert.ok(r.envReadBy && r.envReadBy !== 'flag', `${r.env}: say which module reads it`);
  });

  it('every OSSMIGRATE_* variable named in runner, tui, infra and bin is a row, and every row is read', () => {
    const inCode = new Set<string>();
    for (const f of sources(['runner', 'tui', 'infra', 'bin']))
      for (const m of readFileSync(f, 'utf8').matchAll(/OSSMIGRATE_[A-Z_]+/g))
        if (!NOT_VARIABLES.has(m[0])) inCode.add(m[0]);
    const inTable = new Set(OPTIONS.flatMap((r) => (r.env?.startsWith('OSSMIGRATE_') ? [r.env] : [])));
    for (const v of inCode)
      assert.ok(inTable.has(v), `${v} is read by the code and missing from runner/cli/options.ts`);
    for (const v of inTable)
      assert.ok(inCode.has(v), `${v} is in runner/cli/options.ts, and no code names it`);
    // The brief's list of the undocumented ones.
    for (const v of ['OSSMIGRATE_LOG_LEVEL', 'OSSMIGRATE_DEBUG', 'OSSMIGRATE_STACK'])
      assert.ok(inTable.has(v), v);
  });

  it('every variable and every flag is in the docs', () => {
    const env = readFileSync(join(ROOT, 'docs/environment.md'), 'utf8');
    for (const r of OPTIONS.filter((x) => x.env))
      assert.ok(env.includes(`\`${r.env}\``), `${r.env} is missing from docs/environment.md`);
    for (const cmd of program.commands) {
      const page = readFileSync(join(ROOT, `docs/commands/${cmd.name()}.md`), 'utf8');
      for (const r of flagRows(cmd.name()))
        assert.ok(
          page.includes(`\`${r.flags}\``),
          `${r.flags} is missing from docs/commands/${cmd.name()}.md`,
        );
    }
  });

  it('a flag with a variable reads it when argv is parsed, and the flag wins', () => {
    const parse = (argv: string[], env: Record<string, string>) => {
      const saved = { ...process.env };
      Object.assign(process.env, env);
      try {
        const cmd = applyOptions(new Command('tui').exitOverride().action(() => {}));
        cmd.parse(argv, { from: 'user' });
        return cmd.opts();
      } finally {
        for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
      }
    };
    assert.equal(parse([], {}).workdir, '.ossmigrate');
    assert.equal(parse([], { OSSMIGRATE_WORKDIR: '/var/lib/x' }).workdir, '/var/lib/x');
    assert.equal(parse(['--workdir', '/w'], { OSSMIGRATE_WORKDIR: '/var/lib/x' }).workdir, '/w');
    assert.equal(parse([], { OSSMIGRATE_STACK: 'staging' }).stack, 'staging');
    assert.equal(parse([], {}).stack, 'prod');
  });

  it('FLAG_OF (messages name the flag the user typed) is the one the CLI always had', () => {
    assert.deepEqual(
      { ...FLAG_OF },
      {
        name: 'job',
        'source.region': 'srcRegion',
        'source.endpoint': 'srcEndpoint',
        'source.provider': 'srcProvider',
        'destination.region': 'dstRegion',
        'destination.endpoint': 'dstEndpoint',
        'window.since': 'since',
        'window.until': 'until',
        'transfer.concurrency': 'concurrency',
        'bandwidth.limit': 'bwlimit',
        'listing.listers': 'listers',
        'listing.inventory': 'inventory',
        'transfer.clientCrc': 'clientCrc',
      },
    );
  });

  it('secrets are never flags', () => {
    for (const r of OPTIONS.filter((x) => x.secret)) assert.equal(r.flags, undefined, r.env);
  });
});
