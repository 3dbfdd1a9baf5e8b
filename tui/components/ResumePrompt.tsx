// @jsxRuntime automatic
// @jsxImportSource react
import { Box, Text } from 'ink';
import { PHASE_INFO } from '../../runner/app/migration/phases.ts';
import type { Ask } from '../state/types.ts';
import { shortTime } from './format.ts';

/** On start, when the job has progress: resume it, or begin a new migration. */
export function ResumePrompt({ ask, workdir }: { ask: Extract<Ask, { kind: 'resume' }>; workdir?: string }) {
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="cyan" paddingX={1}>
      {ask.complete ? (
        <>
          <Text
            bold
          >{`The migration of job ${ask.job} has finished (saved ${shortTime(ask.savedAt)}).`}</Text>
          {ask.report ? <Text>{`report: ${ask.report}`}</Text> : null}
          <Text color="cyan" bold>
            n: start a new migration of this job · q: quit
          </Text>
        </>
      ) : (
        <>
          <Text
            bold
          >{`A migration of job ${ask.job} is in progress${workdir ? ` in ${workdir}` : ''}.`}</Text>
          <Text>{`  saved ${shortTime(ask.savedAt)}`}</Text>
          <Text>
            {'  done: '}
            <Text color="green">{ask.done.map((p) => PHASE_INFO[p].title).join(', ') || 'nothing yet'}</Text>
          </Text>
          {ask.next ? (
            <Text>{`  next: ${PHASE_INFO[ask.next].title} — ${PHASE_INFO[ask.next].explain}`}</Text>
          ) : null}
          <Text color="cyan" bold>
            r/Enter: resume it · n: start a new one · q: quit
          </Text>
        </>
      )}
      <Text dimColor>
        A new one forgets this job's progress (state, journals, reports); objects already in OSS stay and are
        skipped as identical.
      </Text>
    </Box>
  );
}
