// @jsxRuntime automatic
// @jsxImportSource react
import { Box, Text } from 'ink';
import type { BusinessStats } from '../state/types.ts';

/** The demo's simulated business: what it is doing to the source and OSS while the migration runs. */
export function BusinessPanel({ b }: { b: BusinessStats }) {
  return (
    <Box paddingX={1}>
      <Text>
        <Text bold color="magenta">
          Business
        </Text>
        {` ${b.doing} · ${b.source} writes ${b.sourceWrites} · OSS writes ${b.ossWrites} · OSS reads ${b.ossReads} (`}
        {b.cutover === 'freeze' ? (
          <Text>no mirror: write freeze</Text>
        ) : (
          <Text
            color={b.mirrorFetches ? 'green' : undefined}
          >{`${b.mirrorFetches} fetched back-to-origin`}</Text>
        )}
        {')'}
      </Text>
    </Box>
  );
}
