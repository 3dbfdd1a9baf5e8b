// @jsxRuntime automatic
// @jsxImportSource react
import { Box, Text } from 'ink';
import type { FailureGroup, TuiState, VerifyIssue } from '../state/types.ts';
import { truncate } from './format.ts';

const VERIFY_TEXT: Record<string, { reason: string; fix: string; bad: boolean }> = {
  missing: {
    reason: 'in the source but not in OSS',
    fix: 'the next copy phase copies it; or run `ossmigrate start` again',
    bad: true,
  },
  different: {
    reason: 'size or CRC-64 differs between source and OSS',
    fix: 'run `ossmigrate start` again (if-different re-copies it), then verify',
    bad: true,
  },
  error: { reason: 'the comparison itself kept failing', fix: 'run `ossmigrate verify` again', bad: true },
  unverifiable: {
    reason: 'sizes match but a side has no CRC-64 and no plain MD5',
    fix: 'none needed if you trust sizes; verify.mode: size makes this explicit',
    bad: false,
  },
  pending: { reason: 'modified after the window', fix: 'none: the incremental phase copies it', bad: false },
  extra: {
    reason: 'in OSS only (written there by the business, or deleted at the source)',
    fix: 'none: deletions are reported, never propagated',
    bad: false,
  },
  'dest-newer': {
    reason: 'rewritten in OSS by the business after cutover (T2)',
    fix: 'none: the newer OSS object is kept',
    bad: false,
  },
};

/** Failures grouped by class (reason, fix, examples) and the retry action; verification issues. */
export function FailuresPanel({
  groups,
  verifyIssues,
  retry,
  width = 100,
}: {
  groups: FailureGroup[];
  verifyIssues?: TuiState['verifyIssues'];
  /** Failed objects waiting for the operator's retry decision. */
  retry?: number;
  width?: number;
}) {
  const issues = Object.entries(verifyIssues ?? {}) as Array<[string, VerifyIssue]>;
  if (groups.length === 0 && issues.length === 0 && !retry) return null;
  const w = Math.max(40, width - 12);
  return (
    <Box flexDirection="column" paddingX={1}>
      <Text bold>Failures and exceptions by class</Text>
      {groups.map((g) => (
        <Box key={g.cls} flexDirection="column">
          <Text>
            <Text color={g.failed ? 'red' : 'yellow'}>{g.failed ? '  ✗ ' : '  ~ '}</Text>
            <Text bold>{g.cls.padEnd(20)}</Text>
            {[
              g.failed ? `${g.failed} failed` : '',
              g.deferred ? `${g.deferred} deferred` : '',
              g.skipped ? `${g.skipped} left as is` : '',
            ]
              .filter(Boolean)
              .join(', ')}
            <Text dimColor>{` — ${g.reason}`}</Text>
          </Text>
          <Text dimColor>{`      fix: ${truncate(g.fix, w)}`}</Text>
          {g.samples.slice(0, 2).map((x) => (
            <Text key={x.key} dimColor>{`      e.g. ${truncate(JSON.stringify(x.key), w)}`}</Text>
          ))}
        </Box>
      ))}
      {issues.map(([status, issue]) => {
        const t = VERIFY_TEXT[status] ?? { reason: status, fix: '', bad: false };
        return (
          <Box key={status} flexDirection="column">
            <Text>
              <Text color={t.bad ? 'red' : 'yellow'}>{t.bad ? '  ✗ ' : '  ~ '}</Text>
              <Text bold>{`verify: ${status}`.padEnd(20)}</Text>
              {`${issue.count}`}
              <Text dimColor>{` — ${t.reason}`}</Text>
            </Text>
            <Text dimColor>{`      fix: ${t.fix}`}</Text>
            {issue.samples.slice(0, 1).map((x) => (
              <Text key={x.key} dimColor>{`      e.g. ${truncate(JSON.stringify(x.key), w)}`}</Text>
            ))}
          </Box>
        );
      })}
      {retry ? (
        <Text color="cyan" bold>
          {`  ${retry} object${retry === 1 ? '' : 's'} not copied · r: retry now · s: skip (ossmigrate retry later) · q: quit`}
        </Text>
      ) : null}
    </Box>
  );
}
