import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import type { Command } from 'commander';
import { runFlow } from '../flow.ts';
import { applyOptions } from '../options.ts';
import { action, Console, type GlobalOptions, openSession } from '../shared.ts';

/** `ossmigrate start`: run (or resume) the submitted job. */
export function register(program: Command): void {
  applyOptions(program.command('start'))
    .summary('run the submitted job, resuming where it stopped')
    .description(
      "Run the job registered by `ossmigrate submit` (or an interrupted import), resuming where it stopped: preflight, copy, verify, report. --detach runs it in the background with its output in the job's log dir; follow it with `ossmigrate stat`, stop it with `ossmigrate stop`.",
    )
    .action(
      action(async (o: GlobalOptions & { detach?: boolean; verify?: boolean }) => {
        // A cfg-submitted job's keys are read from the cfg again (before detaching, so errors show).
        const session = await openSession(o, {}, 'needed');
        if (o.detach) {
          const log = session.ws.logFile(session.name).replace(/\.log$/, '.console.log');
          await session.close();
          mkdirSync(new URL('.', `file://${log}`).pathname, { recursive: true });
          const out = openSync(log, 'a');
          const args = [
            process.argv[1]!,
            'start',
            '--workdir',
            o.workdir,
            '--job',
            session.name,
            '--yes',
            ...(o.verify === false ? ['--no-verify'] : []),
          ];
          const child = spawn(process.execPath, args, {
            detached: true,
            stdio: ['ignore', out, out],
            // A fleet queue goes by the environment: a password in argv would show in /proc.
            env: o.queue ? { ...process.env, OSSMIGRATE_REDIS_URL: o.queue } : process.env,
          });
          child.unref();
          new Console(o).say(
            `started job ${session.name} in the background (pid ${child.pid}); output in ${log}`,
          );
          return 0;
        }
        // ossimport jobType=audit: the job verifies, it does not copy.
        const audit = (await session.ws.origin(session.name))?.auditOnly ?? false;
        return runFlow(session, audit ? 'verify' : 'start', o);
      }),
    );
}
