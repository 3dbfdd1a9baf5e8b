// @jsxRuntime automatic
// @jsxImportSource react
import { Box, Text } from 'ink';
import type { ReportView } from '../state/types.ts';

/** The migration report (report.txt), with its verdict and where the HTML report is. */
export function ReportScreen({ report, maxLines = 40 }: { report: ReportView; maxLines?: number }) {
  const lines = report.text.trimEnd().split('\n');
  const shown =
    lines.length > maxLines ? [...lines.slice(0, maxLines - 1), `… (${report.dir}/report.txt)`] : lines;
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={report.ok ? 'green' : 'red'} paddingX={1}>
      <Text bold color={report.ok ? 'green' : 'red'}>
        {report.ok ? '✔ Every object migrated and verified' : '✗ Some objects need attention'}
      </Text>
      {report.html ? (
        <Text>
          Charts: open <Text bold>{report.html}</Text> in a browser
        </Text>
      ) : null}
      {shown.map((l, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: static text lines
        <Text key={i}>{l}</Text>
      ))}
    </Box>
  );
}
