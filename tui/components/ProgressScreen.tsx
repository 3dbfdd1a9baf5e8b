// @jsxRuntime automatic
// @jsxImportSource react
import { ProgressBar } from '@inkjs/ui';
import { Box, Text } from 'ink';
import { PHASE_INFO, type PhaseId } from '../../runner/app/migration/phases.ts';
import { progressNumbers } from '../state/selectors.ts';
import type { TuiState } from '../state/types.ts';
import { formatBytes, formatDuration, pct, rate, shortTime } from './format.ts';

function Bar({ label, value, text }: { label: string; value: number; text: string }) {
  return (
    <Box>
      <Text>{label.padEnd(9)}</Text>
      <Box width={40}>
        <ProgressBar value={value} />
      </Box>
      <Text>{`  ${text}`}</Text>
    </Box>
  );
}

/** Objects and bytes bars, rate, ETA against the deadline, outcome counts. */
export function ProgressScreen({ s, phase }: { s: TuiState; phase: PhaseId }) {
  const n = progressNumbers(s);
  const p = s.progress;
  const pass = s.pass;
  const window =
    pass?.phase === 'incremental'
      ? `modified from T1 ${shortTime(s.t1)} to T2 ${shortTime(s.t2)}`
      : `modified before T1 ${shortTime(s.t1)}`;
  return (
    <Box flexDirection="column" paddingX={1}>
      <Text>
        <Text bold>{PHASE_INFO[phase].title}</Text>
        {pass ? (
          <Text dimColor>{`  pass ${pass.id}${pass.resumed ? ' (resumed)' : ''} · objects ${window}`}</Text>
        ) : null}
        {s.stage ? <Text color="cyan">{`  · ${s.stage}`}</Text> : null}
      </Text>
      {!n || !p ? (
        <Text dimColor>
          {s.stage === 'preflight' ? '  preflight: credentials, buckets, regions, clock…' : '  starting…'}
        </Text>
      ) : n.verifying ? (
        <>
          <Bar
            label="checked"
            value={n.objectsPct}
            text={`${n.checked}/${n.objectsPlanned}${n.scanDone ? '' : '+'}  ${pct(n.objectsPct)}`}
          />
          <Text>
            {'  match '}
            <Text color="green">{p.verified}</Text>
            {` · changed since the window ${p.pending} · missing `}
            <Text color={p.missing ? 'red' : undefined}>{p.missing}</Text>
            {' · different '}
            <Text color={p.different ? 'red' : undefined}>{p.different}</Text>
            {` · only in OSS ${p.extra} · kept (newer in OSS) ${p.destNewer} · unverifiable ${p.unverifiable}`}
          </Text>
        </>
      ) : (
        <>
          <Bar
            label="objects"
            value={n.objectsPct}
            text={`${n.objectsDone}/${n.objectsPlanned}${n.scanDone ? '' : '+'}  ${pct(n.objectsPct)}`}
          />
          <Bar
            label="bytes"
            value={n.bytesPct}
            text={`${formatBytes(n.bytesDone)} / ${formatBytes(n.bytesPlanned)}  ${pct(n.bytesPct)}`}
          />
          <Text>
            {`  rate ${rate(n.bytesPerSec)} · ETA ${n.etaMs !== undefined ? formatDuration(n.etaMs) : n.scanDone ? '—' : 'after the scan'}`}
            {n.deadline ? (
              n.deadline.onTrack === undefined ? (
                <Text>{` · deadline in ${formatDuration(n.deadline.leftMs)}`}</Text>
              ) : n.deadline.onTrack ? (
                <Text color="green">{` · deadline in ${formatDuration(n.deadline.leftMs)}: on track (${formatDuration(-(n.deadline.marginMs ?? 0))} to spare)`}</Text>
              ) : (
                <Text color="red">
                  {` · deadline in ${formatDuration(n.deadline.leftMs)}: late by ${formatDuration(n.deadline.marginMs ?? 0)} — needs ${rate(n.deadline.neededBytesPerSec)}`}
                </Text>
              )
            ) : null}
            {s.bandwidth && s.bandwidth.limit !== 'off' ? ` · limit ${s.bandwidth.limit}` : ''}
          </Text>
          <Text
            dimColor
          >{`  in the window: ${n.window.objects} objects, ${formatBytes(n.window.bytes)} — the rest of the listing is outside it`}</Text>
          <Text>
            {`  copied ${p.copied} · skipped ${p.skipped} · ${pass?.phase === 'incremental' ? 'unchanged since T1' : 'deferred'} ${p.deferred} · failed `}
            <Text color={p.failed ? 'red' : undefined}>{p.failed}</Text>
            {` · transferred ${formatBytes(p.bytes)} · tasks ${s.tasks.done}/${s.tasks.started}`}
          </Text>
        </>
      )}
    </Box>
  );
}
