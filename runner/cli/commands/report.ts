import { spawn } from 'node:child_process';
import { access, constants, readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import type { Command } from 'commander';
import { HTML_REPORT, openList, passReportModel, writeHtmlReport } from '../../app/htmlReport/index.ts';
import { listProblems } from '../../app/report.ts';
import { ConfigError } from '../../core/errors.ts';
import type { Summary } from '../../core/events.ts';
import type { PassRun } from '../../engine/run.ts';
import { summarize } from '../../engine/summary.ts';
import type { PassInfo } from '../../ports/jobState.ts';
import { passProblems } from '../../ports/journal.ts';
import { applyOptions } from '../options.ts';
import { action, Console, type GlobalOptions, openSession } from '../shared.ts';

type ReportOptions = GlobalOptions & { pass?: string; html: boolean; open?: boolean; objects?: boolean };

/** `ossmigrate report`: print the report of the latest (or a named) pass. */
export function register(program: Command): void {
  applyOptions(program.command('report'))
    .summary('print the report of the latest run')
    .description(
      'Print the report of the latest pass, or of --pass ID (ids from `ossmigrate stat`): summary, failures by class, and where the report files are.',
    )
    .action(
      action(async (o: ReportOptions) => {
        if (o.open && !o.html)
          throw new ConfigError(
            '--open opens report.html, which --no-html turns off',
            'drop one of the two flags',
          );
        if (o.objects && o.open)
          throw new ConfigError(
            '--objects prints the ledger on stdout; --open opens report.html',
            'drop one of the two flags',
          );
        const s = await openSession(o);
        try {
          const passes = await s.state.passes();
          const copyPasses = passes.filter((p) => p.mode === 'copy' || p.mode === 'verify');
          // The latest pass with a report of its own: a `verify` run after the import writes one
          // (the import's own verify is in its copy pass's report, which the copy pass names).
          let latest: PassInfo | undefined;
          for (const p of [...copyPasses].reverse()) {
            if (await exists(join(s.ws.reportDir(s.name, p.id), 'summary.txt'))) {
              latest = p;
              break;
            }
          }
          const pass = o.pass
            ? passes.find((p) => p.id === o.pass)
            : (latest ?? copyPasses.filter((p) => p.mode === 'copy').pop() ?? copyPasses.pop());
          if (!pass)
            throw new ConfigError(
              o.pass ? `no pass ${o.pass}` : `job ${s.name} has not run yet`,
              'see `ossmigrate stat` for the passes',
            );
          if (o.objects) {
            // The full per-object detail, on request only: streamed task by task, never held.
            for await (const r of s.journal.ledger(pass.id)) {
              if (!process.stdout.write(`${JSON.stringify(r)}\n`))
                await new Promise((ok) => process.stdout.once('drain', ok));
            }
            return 0;
          }
          const dir = s.ws.reportDir(s.name, pass.id);
          const text = await readFile(join(dir, 'summary.txt'), 'utf8').catch(() => undefined);
          if (!text)
            throw new ConfigError(
              `pass ${pass.id} has no report yet (it is running or was interrupted)`,
              'run `ossmigrate start` to finish it, or `ossmigrate stat` for its progress',
            );
          const c = new Console(o);
          const json = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as SummaryFile;
          let html: string | undefined;
          if (o.html) {
            html = join(dir, HTML_REPORT);
            // Reports written before report.html existed (or with it off) get one now.
            if (!(await exists(html))) {
              const run = async (p: PassInfo | undefined): Promise<PassRun | undefined> => {
                if (!p) return undefined;
                const info = passes.find((x) => x.id === p.id) ?? p;
                const r = await summarize(info, s.journal, s.state, 0, 0);
                return {
                  pass: info,
                  summary: r.summary,
                  totals: r.totals,
                  restoresPending: 0,
                  stopped: false,
                };
              };
              const [copy, verify] = await Promise.all([run(json.copyPass), run(json.verifyPass)]);
              const [cs, vs] = await Promise.all([
                copy ? s.state.series(copy.pass.id) : undefined,
                verify ? s.state.series(verify.pass.id) : undefined,
              ]);
              await writeHtmlReport(
                dir,
                passReportModel({
                  job: s.name,
                  source: json.source,
                  destination: json.destination,
                  summary: json.summary,
                  ...(copy ? { copy, openList: await openList(copy.totals.open) } : {}),
                  ...(verify ? { verify } : {}),
                  series: { ...(cs ? { copy: cs } : {}), ...(vs ? { verify: vs } : {}) },
                  failures: copy ? await s.state.failures(copy.pass.id) : [],
                  ...(verify
                    ? {
                        problemList: await listProblems(passProblems(s.journal, verify.pass.id), {
                          capPending: verify.pass.phase === 'full',
                        }),
                        verifyCounts: await s.state.counters(verify.pass.id),
                      }
                    : {}),
                  dir,
                  journal: json.journals,
                }),
              );
            }
          }
          if (o.json) c.json({ type: 'report', ...json, ...(html ? { html } : {}) });
          else {
            process.stdout.write(text);
            if (html) process.stdout.write(`  html      ${html}\n`);
          }
          if (html && o.open) {
            const how = await openInBrowser(html);
            c.say(
              how
                ? `opened ${html} with ${how}`
                : `no browser here ($BROWSER is not set and xdg-open is not installed): open ${html} yourself, or copy it to a machine with one`,
            );
          }
          return 0;
        } finally {
          await s.close();
        }
      }),
    );
}

type SummaryFile = {
  source: string;
  destination: string;
  summary: Summary;
  journals: string;
  copyPass?: PassInfo;
  verifyPass?: PassInfo;
};

const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

async function onPath(cmd: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (cmd.includes('/')) return (await isExecutable(cmd)) ? cmd : undefined;
  for (const d of (env.PATH ?? '').split(delimiter)) {
    if (d && (await isExecutable(join(d, cmd)))) return join(d, cmd);
  }
  return undefined;
}

const isExecutable = (p: string) =>
  access(p, constants.X_OK).then(
    () => true,
    () => false,
  );

/**
 * $BROWSER (a colon-separated list of commands, `%s` for the file, as xdg-utils reads it), else
 * xdg-open. Returns the command used, or undefined when this machine has none.
 */
export async function openInBrowser(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  const candidates = [...(env.BROWSER ?? '').split(':').filter(Boolean), 'xdg-open'];
  for (const c of candidates) {
    const [cmd, ...rest] = c.trim().split(/\s+/);
    if (!cmd) continue;
    const bin = await onPath(cmd, env);
    if (!bin) continue;
    const args = rest.some((a) => a.includes('%s'))
      ? rest.map((a) => a.replace('%s', file))
      : [...rest, file];
    const child = spawn(bin, args, { detached: true, stdio: 'ignore', env });
    child.on('error', () => {});
    child.unref();
    return cmd;
  }
  return undefined;
}
