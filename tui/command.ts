/**
 * `ossmigrate tui` (and `ossmigrate` alone in a terminal): the Ink UI over the migration
 * orchestrator (runner/app/migration) — plan, provision, full, verify, mirror, cutover,
 * incremental, final verify, report, teardown — resuming the job in progress on the next start.
 * Registered by tui/cli.ts into the runner's program, so runner/ never imports the UI.
 * Without a terminal it refuses (exit 2) unless --yes: then it runs every phase unattended with
 * plain progress lines (the cutover and teardown confirmations need someone to type them);
 * `ossmigrate migrate` is the headless command with flags for those confirmations.
 */
import type { Command } from 'commander';
import { runMigration } from '../runner/app/migration/orchestrator.ts';
import { type MigrationFlags, migrationOptions, prepareMigration } from '../runner/cli/commands/migrate.ts';
import { action } from '../runner/cli/shared.ts';
import { ConfigError } from '../runner/core/errors.ts';

export function register(program: Command): void {
  migrationOptions(program.command('tui'))
    .summary('the terminal UI: drive a migration phase by phase')
    .description(
      'The terminal UI: drive a migration phase by phase (plan … cutover … teardown), resuming the job in progress. `ossmigrate` alone in a terminal opens it. --infra says what provisions the bucket, mirror rule and fleet (pulumi, the local sandbox, or none). Headless (CI, cron): ossmigrate migrate.',
    )
    .action(
      action(async (file: string | undefined, o: MigrationFlags & Record<string, never>) => {
        const tty = Boolean(process.stdin.isTTY && process.stderr.isTTY);
        const { infra, deps } = await prepareMigration(file, o, 'the TUI', () => {
          if (tty || o.yes) return;
          throw new ConfigError(
            'ossmigrate tui asks before the irreversible steps (cutover, teardown), and there is no terminal to ask on',
            'run it in a terminal; or add --yes to run every phase unattended with plain progress lines; or run it headless with ossmigrate migrate (--confirm-cutover BUCKET, --confirm-teardown)',
          );
        });
        // Ink and React load only when the UI runs: the other commands start without them.
        const { runTui } = await import('./main.tsx');
        const outcome = await runTui((io) => runMigration(deps, io), { infra, yes: Boolean(o.yes), tty });
        return outcome.exitCode;
      }),
    );
}
