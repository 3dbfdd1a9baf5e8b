/** Running a job flow from the CLI: progress, Ctrl-C, the retry prompt, the one summary line. */
import type { FlowResult, JobSession } from '../app/jobService.ts';
import { summaryText } from '../app/report.ts';
import { ExitCode } from '../core/exitCodes.ts';
import { Console, confirm, type GlobalOptions, jobLine, stopSignals } from './shared.ts';

export type FlowKind = 'import' | 'start' | 'retry' | 'verify';

/** The human summary of a flow (with the report's location once it is final). */
function report(session: JobSession, r: FlowResult, final: boolean): string {
  return summaryText({
    job: session.name,
    spec: session.spec,
    summary: r.summary,
    ...(r.copy ? { copy: r.copy } : {}),
    ...(r.verify ? { verify: r.verify } : {}),
    ...(final && r.reportDir ? { reportDir: r.reportDir } : {}),
  });
}

export async function runFlow(
  session: JobSession,
  kind: FlowKind,
  o: GlobalOptions & { verify?: boolean; retry?: boolean },
): Promise<number> {
  const c = new Console(o);
  const signals = stopSignals((s) => c.say(s));
  try {
    c.say(jobLine(session.spec));
    c.json({
      type: 'job',
      name: session.name,
      workdir: session.ws.root,
      source: session.spec.source,
      destination: session.spec.destination,
    });
    const flow = {
      emit: c.sink,
      signal: signals.hard,
      softStop: signals.soft,
      // report.html (ECharts) costs more than an empty job's copy: `ossmigrate report` writes it.
      html: false,
      ...(o.verify === false ? { verify: false } : {}),
    };
    const repeat = session.spec.window.repeatSeconds;
    let result: FlowResult =
      kind === 'retry'
        ? await session.runRetry(flow)
        : kind === 'verify'
          ? await session.runVerify(flow)
          : repeat
            ? await session.runRepeating({
                ...flow,
                intervalMs: repeat * 1000,
                onResult: (r) =>
                  c.say(
                    `pass ${r.summary.passId}: ${r.summary.copied} copied, ${r.summary.failed} failed (exit ${r.exitCode})`,
                  ),
                onWait: (next) =>
                  c.say(
                    `next incremental pass at ${next.toISOString()} (window.repeatSeconds ${repeat}); Ctrl-C ends the loop`,
                  ),
              })
            : await session.runImport(flow);
    c.done();
    // ossimport's import.sh asks whether to retry failures; --yes answers yes (once).
    if (
      (kind === 'import' || kind === 'start') &&
      result.exitCode === ExitCode.FAILED_OBJECTS &&
      o.retry !== false &&
      !signals.soft.aborted
    ) {
      c.say(report(session, result, false));
      const n = result.summary.failed;
      const again = await confirm(
        `${n} object${n === 1 ? '' : 's'} failed. Retry ${n === 1 ? 'it' : 'them'} now?`,
        { ...(o.yes ? { yes: true } : {}), fallback: false },
      );
      if (again) {
        c.say('retrying the failed objects…');
        result = await session.runRetry(flow);
        c.done();
      } else {
        c.say('not retrying now: run `ossmigrate retry` later (or pass --yes to retry unattended).');
      }
    }
    c.say(report(session, result, true));
    c.json({ type: 'summary', ...result.summary });
    return result.exitCode;
  } catch (e) {
    // The message on stderr is short; the job log keeps the whole story (stack included).
    session.log.error({ err: e }, 'run ended with an error');
    throw e;
  } finally {
    signals.dispose();
    await session.close();
  }
}
