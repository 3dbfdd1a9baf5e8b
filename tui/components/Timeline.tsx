// @jsxRuntime automatic
// @jsxImportSource react
import { Spinner } from '@inkjs/ui';
import { Box, Text } from 'ink';
import { PHASE_INFO } from '../../runner/app/migration/phases.ts';
import { currentPhase, timeline, upcomingPhase } from '../state/selectors.ts';
import type { PhaseStatus, TuiState } from '../state/types.ts';
import { truncate } from './format.ts';

const MARK: Record<PhaseStatus, string> = {
  pending: '·',
  running: '▶',
  waiting: '?',
  done: '✔',
  skipped: '–',
  failed: '✗',
  stopped: '■',
};
const COLOR: Partial<Record<PhaseStatus, string>> = {
  running: 'cyan',
  waiting: 'yellow',
  done: 'green',
  failed: 'red',
  stopped: 'yellow',
};

/** The ten phases: done, current (with what it does), next, and the rest. */
export function Timeline({ s, width = 100 }: { s: TuiState; width?: number }) {
  const rows = timeline(s);
  const cur = currentPhase(s);
  const next = upcomingPhase(s);
  return (
    <Box flexDirection="column">
      {rows.map((r) => (
        <Box key={r.phase}>
          <Box width={3}>
            {r.status === 'running' && !s.outcome ? (
              <Spinner />
            ) : (
              <Text color={COLOR[r.status]}>{MARK[r.status]}</Text>
            )}
          </Box>
          <Text color={COLOR[r.status]} bold={r.current}>
            {`${String(r.n).padStart(2)} ${PHASE_INFO[r.phase].title.padEnd(13)}`}
          </Text>
          <Text
            dimColor={r.status === 'pending' || r.status === 'skipped'}
            color={r.status === 'failed' ? 'red' : undefined}
          >
            {truncate(
              r.status === 'failed' && r.error
                ? (r.error.split('\n')[0] ?? '')
                : (r.detail ?? PHASE_INFO[r.phase].explain),
              Math.max(20, width - 26),
            )}
          </Text>
          {r.current ? (
            <Text color="cyan">{'  ← now'}</Text>
          ) : r.next ? (
            <Text dimColor>{'  ← next'}</Text>
          ) : null}
        </Box>
      ))}
      <Text>
        {cur ? (
          <Text>
            <Text bold>Now: </Text>
            {`${PHASE_INFO[cur].title} — ${PHASE_INFO[cur].explain}.`}
          </Text>
        ) : (
          <Text bold>Every phase is done.</Text>
        )}
        {next ? (
          <Text dimColor>{`  Next: ${PHASE_INFO[next].title} — ${PHASE_INFO[next].explain}.`}</Text>
        ) : null}
      </Text>
    </Box>
  );
}
