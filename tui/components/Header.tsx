// @jsxRuntime automatic
// @jsxImportSource react
import { Box, Text } from 'ink';
import type { TuiState } from '../state/types.ts';
import { formatDuration, shortTime } from './format.ts';

/** Job, source → destination, infra, deadline, T1/T2, mirror (or why there is none). */
export function Header({ s, now }: { s: TuiState; now: number }) {
  const check = s.infra.check;
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="cyan" paddingX={1}>
      <Text>
        <Text bold color="cyan">
          ossmigrate
        </Text>
        {s.job ? (
          <Text>
            {'  job '}
            <Text bold>{s.job.name}</Text>
            {`  ${s.job.source} → ${s.job.destination}`}
          </Text>
        ) : (
          <Text dimColor> starting…</Text>
        )}
      </Text>
      <Text>
        {'infra '}
        <Text bold>{s.infra.kind}</Text>
        {check ? (
          check.ok ? (
            <Text color="green"> ✔ {check.detail}</Text>
          ) : (
            <Text color="red"> ✗ {check.problem}</Text>
          )
        ) : null}
        {s.deadline ? (
          <Text>
            {'  · deadline '}
            {s.deadline.days}d (
            {s.deadline.at > now ? `${formatDuration(s.deadline.at - now)} left` : 'passed'})
          </Text>
        ) : null}
        {`  · T1 ${s.t1 ? shortTime(s.t1) : '—'}  · T2 ${s.t2 ? shortTime(s.t2) : '—'}  · `}
        {s.noMirror ? (
          <Text color="yellow">{s.noMirror}</Text>
        ) : (
          <>
            {'mirror '}
            <Text color={s.mirrorOn ? 'green' : undefined}>{s.mirrorOn ? 'on' : 'off'}</Text>
          </>
        )}
        {s.paused ? <Text color="yellow"> · PAUSED</Text> : null}
        {s.stopping ? <Text color="yellow"> · stopping…</Text> : null}
      </Text>
    </Box>
  );
}
