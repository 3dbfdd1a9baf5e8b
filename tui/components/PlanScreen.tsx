// @jsxRuntime automatic
// @jsxImportSource react
import { Box, Text } from 'ink';
import { type MirrorSupport, mirrorLines } from '../../runner/core/mirrorSupport.ts';
import { SIZE_BUCKET_LABELS } from '../../runner/core/survey.ts';
import type { PlanInfo } from '../state/types.ts';
import { formatBytes, formatDuration, truncate } from './format.ts';

/** The plan: what the source holds, the fleet-sizing explanation, the time estimate. */
export function PlanScreen({
  plan,
  awaitingStart,
  surveying,
}: {
  plan?: PlanInfo;
  awaitingStart: boolean;
  surveying?: boolean;
}) {
  if (!plan) {
    return (
      <Box flexDirection="column" paddingX={1}>
        <Text bold>Plan</Text>
        <Text dimColor>
          {surveying ? 'surveying the source (nothing is copied)…' : 'the plan has not run yet'}
        </Text>
        {awaitingStart ? <StartKey /> : null}
      </Box>
    );
  }
  const s = plan.survey;
  const max = Math.max(1, ...s.histogram);
  const archived = (['ARCHIVE', 'COLD_ARCHIVE', 'DEEP_COLD_ARCHIVE'] as const).reduce(
    (n, k) => n + (s.storageClasses[k]?.objects ?? 0),
    0,
  );
  const e = plan.estimate;
  return (
    <Box flexDirection="column" paddingX={1}>
      <Text bold>Plan — what the source holds</Text>
      <Text>
        {`  objects ${s.objects} · ${formatBytes(s.bytes)} (${(s.bytes / 1e12).toFixed(6)} TB)`}
        {s.largest
          ? ` · largest ${formatBytes(s.largest.size)} ${truncate(JSON.stringify(s.largest.key), 40)}`
          : ''}
      </Text>
      {s.histogram.map((n, i) =>
        n === 0 ? null : (
          <Text key={SIZE_BUCKET_LABELS[i]}>
            {`  ${SIZE_BUCKET_LABELS[i]!.padEnd(10)} ${String(n).padStart(8)}  ${formatBytes(s.histogramBytes[i]!).padStart(10)}  `}
            <Text color="cyan">{'█'.repeat(Math.max(1, Math.ceil((n / max) * 24)))}</Text>
          </Text>
        ),
      )}
      <Text>
        {'  classes '}
        {Object.entries(s.storageClasses)
          .map(([k, v]) => `${k} ${v!.objects}`)
          .join(' · ')}
        {archived ? <Text color="yellow">{`  (${archived} archived: restored before copying)`}</Text> : null}
      </Text>
      <Text>
        {'  invalid names '}
        <Text color={s.invalidNames ? 'red' : 'green'}>{s.invalidNames}</Text>
        {s.invalidSamples[0]
          ? ` — e.g. ${JSON.stringify(s.invalidSamples[0].key)}: ${s.invalidSamples[0].reason}`
          : ''}
      </Text>
      <Text bold>Fleet sizing</Text>
      <Text>{`  ${plan.sizing.explanation}`}</Text>
      {plan.sizing.warnings.map((w) => (
        <Text key={w} color="yellow">{`  ! ${w}`}</Text>
      ))}
      {plan.fleetNote ? <Text dimColor>{`  ${plan.fleetNote}`}</Text> : null}
      <Text bold>Time estimate</Text>
      <Text>
        {`  one machine at ${e.mbpsPerInstance} Mbit/s ≈ ${formatDuration(e.oneMachineSeconds * 1000)}`}
        {plan.sizing.instances > 1
          ? ` · fleet of ${plan.sizing.instances} ≈ ${formatDuration(e.fleetSeconds * 1000)}`
          : ''}
        {` · deadline ${e.deadlineDays} days `}
        {e.fleetSeconds <= e.deadlineDays * 86_400 ? (
          <Text color="green">(fits)</Text>
        ) : (
          <Text color="red">(does not fit: more instances or more days)</Text>
        )}
      </Text>
      {plan.mirror ? <MirrorLine m={plan.mirror} /> : null}
      {awaitingStart ? <StartKey /> : null}
    </Box>
  );
}

/** Whether OSS mirroring can serve the cutover: the same lines `ossmigrate plan` prints. */
function MirrorLine({ m }: { m: MirrorSupport }) {
  const [, why, fix] = mirrorLines(m);
  return (
    <>
      <Text bold>Mirroring at cutover</Text>
      <Text>
        {'  mirror '}
        <Text color={m.mirror === 'yes' ? 'green' : 'yellow'}>{m.mirror}</Text>
        {` — ${m.how}`}
      </Text>
      <Text dimColor>{`  ${why}`}</Text>
      <Text color={m.mirror === 'yes' ? undefined : 'yellow'}>{`  ${fix}`}</Text>
    </>
  );
}

function StartKey() {
  return (
    <Text color="cyan" bold>
      {'  Enter: start the migration (provision, then the full copy) · q: quit (the plan is kept)'}
    </Text>
  );
}
