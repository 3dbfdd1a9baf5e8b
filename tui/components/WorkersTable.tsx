// @jsxRuntime automatic
// @jsxImportSource react
import { Box, Text } from 'ink';
import type { WorkerStatus } from '../../runner/core/events.ts';
import { rate, truncate } from './format.ts';

const STATE_COLOR: Record<WorkerStatus['state'], string | undefined> = {
  active: 'green',
  idle: undefined,
  draining: 'yellow',
  gone: 'red',
};

/** Fleet mode: one row per worker. */
export function WorkersTable({ workers, now }: { workers: WorkerStatus[]; now: number }) {
  if (workers.length === 0) return null;
  const active = workers.filter((w) => w.state === 'active').length;
  const total = workers.reduce((n, w) => n + w.bytesPerSec, 0);
  return (
    <Box flexDirection="column" paddingX={1}>
      <Text bold>{`Workers — ${active} active of ${workers.length} · ${rate(total)} together`}</Text>
      <Text
        dimColor
      >{`  ${'worker'.padEnd(18)} ${'host'.padEnd(18)} ${'state'.padEnd(9)} ${'tasks'.padStart(6)} ${'rate'.padStart(11)} ${'errors'.padStart(7)}  seen`}</Text>
      {workers.map((w) => (
        <Text key={w.id}>
          {`  ${truncate(w.id, 18).padEnd(18)} ${truncate(w.host, 18).padEnd(18)} `}
          <Text color={STATE_COLOR[w.state]}>{w.state.padEnd(9)}</Text>
          {` ${String(w.tasks).padStart(6)} ${rate(w.bytesPerSec).padStart(11)} `}
          <Text color={w.errors ? 'red' : undefined}>{String(w.errors).padStart(7)}</Text>
          {`  ${Math.max(0, Math.round((now - Date.parse(w.lastSeen)) / 1000))}s ago`}
        </Text>
      ))}
    </Box>
  );
}
