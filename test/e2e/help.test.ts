/**
 * `--help`: through the real CLI it exits 0 and shows examples, time formats, credentials and the
 * exit-code table; and every example line of every command's help parses with the real commander
 * program (an example naming a flag that does not exist, or a time or rate we refuse, fails here).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Command } from 'commander';
import { TIME_EXAMPLES } from '../../runner/cli/help.ts';
import { buildProgram } from '../../runner/cli/program.ts';
import { parseTimetable } from '../../runner/core/bandwidth.ts';
import { EXIT_CODE_HELP } from '../../runner/core/exitCodes.ts';
import { parseTime } from '../../runner/core/units.ts';
import { register as tui } from '../../tui/command.ts';
import { runCli } from '../helpers/cli.ts';

const silent = { writeOut: () => {}, writeErr: () => {} };

/** The full help of a command (or the program) as commander prints it, the after-text included. */
function helpOf(cmd: Command): string {
  let out = '';
  cmd.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
  cmd.outputHelp();
  return out;
}

/** A command line as a POSIX shell splits it: quotes group, a leading VAR=value is the environment. */
function tokenize(line: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|([^\s"']+)/g;
  let word: string | undefined;
  let last = 0;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    const gap = line.slice(last, m.index);
    if (gap.trim() !== '') throw new Error(`cannot split ${JSON.stringify(line)}`);
    if (gap !== '' || word === undefined) {
      if (word !== undefined) words.push(word);
      word = '';
    }
    const bare = m[3];
    if (bare !== undefined && /[|&;<>()$`\\*?]/.test(bare))
      throw new Error(`example ${JSON.stringify(line)} is not a plain command (shell operator in ${bare})`);
    word += m[1] ?? m[2] ?? bare ?? '';
    last = re.lastIndex;
  }
  if (word !== undefined) words.push(word);
  while (words[0] !== undefined && /^[A-Z_][A-Z0-9_]*=/.test(words[0])) words.shift();
  return words;
}

type Parsed = { command: string; args: string[]; opts: Record<string, unknown> };

/** Parse an example with a fresh real program whose actions only record what they were given. */
async function parseExample(line: string): Promise<Parsed> {
  const argv = tokenize(line);
  assert.equal(argv[0], 'ossmigrate', `example ${line} must start with ossmigrate`);
  const program = buildProgram([tui]);
  program.configureOutput(silent);
  let got: Parsed | undefined;
  for (const c of program.commands) {
    c.configureOutput(silent);
    c.action((...a: unknown[]) => {
      const cmd = a.at(-1) as Command;
      got = { command: cmd.name(), args: cmd.args, opts: cmd.opts() };
    });
  }
  await program.parseAsync(argv.slice(1), { from: 'user' });
  if (!got) throw new Error(`example ${line} ran no command`);
  // Values the commands would refuse at once are as wrong as a missing flag.
  for (const key of ['since', 'until'] as const) {
    const v = got.opts[key];
    if (typeof v === 'string') parseTime(v);
  }
  if (typeof got.opts.bwlimit === 'string') parseTimetable(got.opts.bwlimit);
  if (got.command === 'limit' && got.args[0] !== undefined && got.args[0] !== 'job')
    parseTimetable(got.args[0]);
  return got;
}

const exampleLines = (help: string) =>
  help
    .split('\n')
    .filter((l) => /^\s+\$ /.test(l))
    .map((l) => l.replace(/^\s+\$ /, ''));

describe('--help', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'help-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('ossmigrate --help exits 0 with examples, time formats, credentials and every exit code', async () => {
    const r = await runCli(['--help'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    for (const section of ['Examples:', 'Times (--since T1, --until T2):', 'Credentials', 'Exit codes:'])
      assert.ok(r.stdout.includes(section), `root help lacks ${section}`);
    for (const v of [
      'ALIBABA_CLOUD_ACCESS_KEY_ID',
      'TENCENTCLOUD_SECRET_KEY',
      '~/.ossmigrate/credentials.yaml',
    ])
      assert.ok(r.stdout.includes(v), `root help lacks ${v}`);
    for (const [code, text] of Object.entries(EXIT_CODE_HELP))
      assert.ok(r.stdout.includes(`  ${code}  ${text}`), `root help lacks exit code ${code}`);
    // The command list shows each command's one-line summary, not the long description.
    assert.match(r.stdout, /^ {2}import \[options\] \[jobfile\] +migrate: preflight, copy, verify, report/m);
  });

  it('a command --help (and `help COMMAND`) exits 0 with its examples, time formats and pointers', async () => {
    for (const argv of [
      ['import', '--help'],
      ['help', 'import'],
    ]) {
      const r = await runCli(argv, { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Usage: ossmigrate import/m);
      assert.match(r.stdout, /^Examples:\n {2}# .+\n {2}\$ ossmigrate import /m);
      assert.ok(r.stdout.includes('Times (--since T1, --until T2):'));
      assert.ok(r.stdout.includes('TENCENTCLOUD_SECRET_ID'));
      assert.match(r.stdout, /Exit codes .*ossmigrate --help/);
    }
    const sandbox = await runCli(['sandbox', '--help'], { cwd: dir });
    assert.equal(sandbox.code, 0, sandbox.stderr);
    assert.ok(!sandbox.stdout.includes('Times ('), 'sandbox takes no times');
  });

  it('every command has two or more examples, and every example of every help parses with the real program', async () => {
    const program = buildProgram([tui]);
    const root = exampleLines(helpOf(program));
    assert.ok(root.length >= 2);
    for (const line of root) await parseExample(line);
    for (const cmd of program.commands) {
      if (cmd.name() === 'help') continue;
      const lines = exampleLines(helpOf(cmd));
      assert.ok(lines.length >= 2, `${cmd.name()} --help has ${lines.length} examples`);
      for (const line of lines) {
        const got = await parseExample(line).catch((e: Error) =>
          assert.fail(`${cmd.name()}: ${line}\n${e.message}`),
        );
        assert.equal(got.command, cmd.name(), `an example under ${cmd.name()} runs ${got.command}`);
      }
    }
  });

  it('the example check refuses an unknown flag, a bad time and a bad rate (it is not vacuous)', async () => {
    await assert.rejects(parseExample('ossmigrate import job.yaml --no-such-flag'), {
      code: 'commander.unknownOption',
    });
    await assert.rejects(parseExample('ossmigrate import job.yaml --since yesterday'), /is not a time/);
    await assert.rejects(parseExample('ossmigrate limit 50furlongs'), /unknown unit/);
    await assert.rejects(parseExample('ossmigrate import job.yaml --bwlimit fast'), /is not a bandwidth/);
    await assert.rejects(parseExample('ossmigrate limit 50M 60M'), { code: 'commander.excessArguments' });
    await assert.rejects(parseExample('ossmigrate import --concurrency 0'), /--concurrency/);
    await assert.rejects(parseExample('ossmigrate import job.yaml > out.txt'), /not a plain command/);
  });

  it('each time format the help lists is one parseTime accepts', () => {
    for (const t of TIME_EXAMPLES) assert.ok(!Number.isNaN(parseTime(t).getTime()), t);
  });
});
