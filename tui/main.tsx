// @jsxRuntime automatic
// @jsxImportSource react
/**
 * Entry shared by `ossmigrate tui` and the demo: the Ink UI in a terminal (rendered on stderr,
 * in the alternate screen), plain progress lines otherwise. Signals: SIGINT / SIGTERM / SIGHUP
 * (the terminal closed) stop softly — in-flight objects finish and the job resumes next start;
 * a second one stops at once. On exit the report's path goes to stdout (for scripts), the
 * summary to stderr.
 */
import { render } from 'ink';
import { App } from './App.tsx';
import type { StartFlow } from './hooks/useMigration.ts';
import { runPlain } from './plainRun.ts';
import type { InfraKind, Outcome } from './state/types.ts';

export type TuiMode = {
  infra: InfraKind;
  /** Answer every question automatically (--yes). */
  yes: boolean;
  /** Use Ink (a terminal on stdin and stderr). */
  tty: boolean;
  /** Ink: exit by itself when the flow ends (unattended); default with --yes. */
  autoExit?: boolean;
};

function onSignals(stop: () => void): () => void {
  const handler = () => stop();
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, handler);
  // After a hangup the terminal is gone: never die on a write to it.
  const ignore = () => {};
  process.stderr.on('error', ignore);
  return () => {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, handler);
  };
}

export async function runTui(start: StartFlow, mode: TuiMode): Promise<Outcome> {
  let stopFn: () => void = () => {};
  // Stopped by a signal (terminal closed, `ossmigrate stop`, kill): nobody is there to press q,
  // so the app leaves by itself once the flow has stopped.
  let signalled = false;
  let leave: () => void = () => {};
  const dispose = onSignals(() => {
    signalled = true;
    stopFn();
  });
  try {
    if (!mode.tty) {
      const { outcome } = await runPlain(start, {
        infra: mode.infra,
        bindStop: (s) => {
          stopFn = s;
        },
      });
      finalLines(outcome);
      return outcome;
    }
    let outcome: Outcome | undefined;
    const wrapped: StartFlow = async (io) => {
      outcome = await start(io);
      if (signalled) setTimeout(() => leave(), 200);
      return outcome;
    };
    const app = render(
      <App
        start={wrapped}
        infra={mode.infra}
        unattended={mode.yes}
        bindStop={(s) => {
          stopFn = s;
        }}
        {...(mode.autoExit === false ? { autoExitMs: 2 ** 31 - 1 } : {})}
      />,
      {
        stdout: process.stderr,
        stdin: process.stdin,
        exitOnCtrlC: false,
        patchConsole: false,
        // We already decided there is a terminal (mode.tty). Ink would otherwise go silent
        // until exit whenever CI=true is in the environment (is-in-ci), e.g. over SSH to a
        // build agent: a blank screen and no questions answered.
        interactive: true,
        alternateScreen: true,
      },
    );
    leave = () => app.unmount();
    await app.waitUntilExit();
    const result = outcome ?? { status: 'stopped', exitCode: 6, message: 'quit before the end' };
    finalLines(result);
    return result;
  } finally {
    dispose();
  }
}

function finalLines(o: Outcome): void {
  const say = (l: string) => process.stderr.write(`${l}\n`);
  if (o.status === 'done')
    say(
      o.exitCode === 0
        ? 'migration complete.'
        : `migration finished with problems (exit code ${o.exitCode}).`,
    );
  else if (o.status === 'stopped') say(`stopped: ${o.message ?? ''}`);
  else say(`failed: ${o.message ?? ''}${o.fix ? `\n  fix: ${o.fix}` : ''}`);
  if (o.report) {
    say(`report: ${o.report}/report.txt`);
    process.stdout.write(`${o.report}\n`);
  }
}
