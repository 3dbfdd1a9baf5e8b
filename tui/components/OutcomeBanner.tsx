// @jsxRuntime automatic
// @jsxImportSource react
import { Box, Text } from 'ink';
import type { Outcome } from '../state/types.ts';

/** How the run ended, and what to do next. */
export function OutcomeBanner({ outcome, workdir }: { outcome: Outcome; workdir?: string }) {
  if (outcome.status === 'done') {
    return (
      <Box paddingX={1}>
        <Text bold color={outcome.exitCode === 0 ? 'green' : 'red'}>
          {outcome.exitCode === 0
            ? `Migration complete.${outcome.report ? ` Report: ${outcome.report}` : ''}  q: quit`
            : `Migration finished with problems (exit code ${outcome.exitCode}).${outcome.report ? ` Report: ${outcome.report}` : ''}  q: quit`}
        </Text>
      </Box>
    );
  }
  if (outcome.status === 'stopped') {
    return (
      <Box flexDirection="column" paddingX={1}>
        <Text bold color="yellow">{`■ Stopped: ${outcome.message ?? ''}`}</Text>
        <Text>{`Nothing is lost: the job and its progress are in ${workdir ?? 'the work dir'}; start it again to resume. q: quit`}</Text>
      </Box>
    );
  }
  return (
    <Box flexDirection="column" paddingX={1}>
      <Text bold color="red">{`✗ ${outcome.message ?? 'failed'}`}</Text>
      {outcome.fix ? <Text color="yellow">{`  fix: ${outcome.fix}`}</Text> : null}
      <Text>The job is kept: fix the problem and start again to resume. q: quit</Text>
    </Box>
  );
}
