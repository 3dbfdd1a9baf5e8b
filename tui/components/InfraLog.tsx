// @jsxRuntime automatic
// @jsxImportSource react
import { Box, Text } from 'ink';
import type { TuiState } from '../state/types.ts';

/** Streamed output of provision / mirror / teardown (Pulumi or the sandbox driver). */
export function InfraLog({ infra, maxLines = 8 }: { infra: TuiState['infra']; maxLines?: number }) {
  const c = infra.check;
  const lines = infra.log.slice(-maxLines);
  return (
    <Box flexDirection="column" paddingX={1}>
      <Text bold>{`Infrastructure (${infra.kind})`}</Text>
      {c && !c.ok ? (
        <>
          <Text color="red">{`  ✗ ${c.problem}`}</Text>
          <Text color="yellow">{`    fix: ${c.fix}`}</Text>
        </>
      ) : null}
      {lines.length === 0 ? <Text dimColor> (no output yet)</Text> : null}
      {lines.map((l, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a log tail
        <Text key={i} dimColor={i < lines.length - 1}>{`  ${l}`}</Text>
      ))}
      {infra.outputs ? (
        <Text>
          {`  outputs: bucket ${infra.outputs.bucket} (${infra.outputs.region}) · endpoint ${infra.outputs.ossEndpoint} · fleet ${infra.outputs.fleetSize} · mirror ${infra.outputs.mirrorEnabled ? 'on' : 'off'}`}
        </Text>
      ) : null}
    </Box>
  );
}
