import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.ts';
import { applyOptions } from '../options.ts';
import { action } from '../shared.ts';

/** `ossmigrate sandbox`: local OSS + COS emulators the real SDKs talk to (no cloud account needed). */
export function register(program: Command): void {
  applyOptions(program.command('sandbox'))
    .summary('start local OSS and COS emulators: try ossmigrate without a cloud account')
    .description(
      'Start local OSS and COS emulators (one bucket each, fresh credentials); prints one JSON line with their endpoints and keys when ready, then runs until Ctrl-C.',
    )
    .action(
      action(
        async (o: {
          seed: string;
          dataDir?: string;
          ossPort?: number;
          cosPort?: number;
          restoreDelay: number;
          source: string;
        }) => {
          if (o.seed !== 'demo' && o.seed !== 'none')
            throw new ConfigError(`--seed ${o.seed}: unknown seed set`, 'use --seed demo or --seed none');
          // The emulators live with the tests; loaded only for this command (not in the fleet bundle path).
          const { startSandbox, SANDBOX_SOURCES } = await import('../../../test/sandbox/sandbox.ts');
          const source = SANDBOX_SOURCES.find((s) => s === o.source);
          if (!source)
            throw new ConfigError(
              `--source ${o.source}: unknown sandbox source`,
              `use --source ${SANDBOX_SOURCES.join(', --source ')}`,
            );
          const sb = await startSandbox({
            source,
            seed: o.seed,
            restoreDelayMs: o.restoreDelay,
            ...(o.dataDir ? { dataDir: o.dataDir } : {}),
            ...(o.ossPort ? { ossPort: o.ossPort } : {}),
            ...(o.cosPort ? { cosPort: o.cosPort } : {}),
          });
          // The machine-readable line: throwaway sandbox credentials, by design.
          process.stdout.write(`${JSON.stringify(sb.info)}\n`);
          process.stderr.write(
            `sandbox ready: OSS ${sb.info.oss.endpoint} (bucket ${sb.info.oss.bucket}), COS ${sb.info.cos.endpoint} (bucket ${sb.info.cos.bucket}). Ctrl-C stops it.\n` +
              `  try:  ossmigrate import ${sb.importArgs().join(' ')}\n` +
              `        with ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET and ${source === 's3' ? 'AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (= the cos secretId/secretKey)' : source === 'azure' ? 'AZURE_STORAGE_ACCOUNT/AZURE_STORAGE_KEY (= azure.account/accountKey)' : 'TENCENTCLOUD_SECRET_ID/_KEY'} from the JSON line.\n`,
          );
          await new Promise<void>((resolve) => {
            process.once('SIGINT', resolve);
            process.once('SIGTERM', resolve);
          });
          await sb.close();
          process.stderr.write('sandbox stopped\n');
          return 0;
        },
      ),
    );
}
