// @jsxRuntime automatic
// @jsxImportSource react
import { Text } from 'ink';
import type { TuiState } from '../state/types.ts';

/** What the keys do right now. */
export function KeysBar({ s }: { s: TuiState }) {
  if (s.outcome) return null;
  if (s.unattended)
    return <Text dimColor> --yes: running unattended · q / Ctrl-C: stop (the job resumes next start)</Text>;
  return (
    <Text dimColor>
      {' q: quit (in-flight objects finish; the job resumes next start) · Ctrl-C twice: stop now · p: '}
      {s.paused ? 'resume' : 'pause'}
    </Text>
  );
}
