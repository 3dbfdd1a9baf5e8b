// @jsxRuntime automatic
// @jsxImportSource react
import { Box, Text } from 'ink';
import type { LogLine } from '../state/types.ts';
import { truncate } from './format.ts';

const COLOR = { info: undefined, warn: 'yellow', error: 'red' } as const;

/** The last few things that happened. */
export function LogTail({ log, lines = 6, width = 100 }: { log: LogLine[]; lines?: number; width?: number }) {
  if (lines <= 0 || log.length === 0) return null;
  const shown = log.slice(-lines);
  return (
    <Box flexDirection="column" paddingX={1}>
      {shown.map((l, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a log tail
        <Text key={i} color={COLOR[l.level]} dimColor={l.level === 'info' && l.source !== 'business'}>
          {truncate(
            `${new Date(l.at).toISOString().slice(11, 19)} ${l.source ? `[${l.source}] ` : ''}${l.text}`,
            width - 2,
          )}
        </Text>
      ))}
    </Box>
  );
}
