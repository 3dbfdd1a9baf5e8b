// @jsxRuntime automatic
// @jsxImportSource react
import { Box, Text } from 'ink';
import type { Problem } from '../../runner/core/events.ts';

/** Preflight findings: errors stop the migration before anything is written. */
export function ProblemsPanel({ problems }: { problems: Problem[] }) {
  const shown = problems.filter((p) => p.severity !== 'info');
  if (shown.length === 0) return null;
  return (
    <Box flexDirection="column" paddingX={1}>
      <Text bold>Preflight</Text>
      {shown.map((p) => (
        <Box key={`${p.code}:${p.message}`} flexDirection="column">
          <Text
            color={p.severity === 'error' ? 'red' : 'yellow'}
          >{`  ${p.severity === 'error' ? '✗' : '!'} ${p.code}: ${p.message}`}</Text>
          {p.fix ? <Text dimColor>{`      fix: ${p.fix}`}</Text> : null}
        </Box>
      ))}
    </Box>
  );
}
