// @jsxRuntime automatic
// @jsxImportSource react
import { Box, Text } from 'ink';
import type { PendingAsk } from '../state/types.ts';
import { shortTime } from './format.ts';

/**
 * The irreversible steps. Deliberate by design: the operator types a word (the destination
 * bucket's name for cutover, "teardown" for teardown) and presses Enter — a stray key or a
 * held Enter cannot confirm. Esc folds the dialog away; the job waits at that phase.
 */
export function ConfirmDialog({ pending }: { pending: PendingAsk }) {
  const ask = pending.ask;
  if (ask.kind !== 'cutover' && ask.kind !== 'teardown') return null;
  if (!pending.open) {
    return (
      <Box paddingX={1}>
        <Text color="yellow" bold>
          {ask.kind === 'cutover'
            ? 'Cutover is waiting for you — press c to confirm it when the business is ready · q quits (the job resumes here)'
            : 'Teardown is waiting for you — press t to confirm it · q quits (the job resumes here)'}
        </Text>
      </Box>
    );
  }
  return (
    <Box flexDirection="column" borderStyle="double" borderColor="yellow" paddingX={1}>
      {ask.kind === 'cutover' && ask.freeze ? (
        <>
          <Text bold color="yellow">
            Cutover — a write freeze, then the switch to oss://{ask.bucket}
          </Text>
          <Text color="yellow">{`${ask.freeze}: OSS cannot fetch keys it lacks from this source.`}</Text>
          <Text>Before confirming:</Text>
          <Text>{"  1. stop the application's writes to the source (reads may go on)"}</Text>
          <Text>{`  2. do not switch to oss://${ask.bucket} yet`}</Text>
          <Text>
            {`On confirm T2 = now is recorded and the final incremental copies what changed between T1${
              ask.t1 ? ` (${shortTime(ask.t1)})` : ''
            } and T2. When it is done this screen says so: then switch the reads and writes to OSS, and the freeze is over.`}
          </Text>
        </>
      ) : ask.kind === 'cutover' ? (
        <>
          <Text bold color="yellow">
            Cutover — switch the business to oss://{ask.bucket}
          </Text>
          <Text>Before confirming:</Text>
          <Text>{`  1. point the application's reads and writes at oss://${ask.bucket}`}</Text>
          <Text>{'  2. stop its writes to the source'}</Text>
          <Text>
            {`On confirm T2 = now is recorded. The incremental phase then copies what changed between T1${
              ask.t1 ? ` (${shortTime(ask.t1)})` : ''
            } and T2, and never overwrites what the business writes to OSS after T2. Until then the mirror rule serves keys not copied yet.`}
          </Text>
        </>
      ) : (
        <>
          <Text bold color="yellow">
            Teardown — remove the migration's infrastructure
          </Text>
          <Text>{`Removes: ${ask.removes.join(', ')}.`}</Text>
          <Text color="green">{`Keeps: ${ask.keeps.join('; ')}. Teardown never deletes buckets or objects.`}</Text>
        </>
      )}
      <Text>
        {'Type '}
        <Text bold color="cyan">
          {ask.expect}
        </Text>
        {' and press Enter to confirm (Esc: not now · Ctrl-C: quit, the job resumes here):'}
      </Text>
      <Text>
        {'> '}
        <Text bold>{pending.typed}</Text>
        <Text inverse> </Text>
      </Text>
      {pending.error ? <Text color="red">{pending.error}</Text> : null}
    </Box>
  );
}
