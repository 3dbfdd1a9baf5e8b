// @jsxRuntime automatic
// @jsxImportSource react
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { ENGINE_PHASES } from '../../runner/app/migration/phases.ts';
import { currentPhase, failureGroups } from '../state/selectors.ts';
import type { TuiState } from '../state/types.ts';
import { BusinessPanel } from './BusinessPanel.tsx';
import { ConfirmDialog } from './ConfirmDialog.tsx';
import { FailuresPanel } from './FailuresPanel.tsx';
import { Header } from './Header.tsx';
import { InfraLog } from './InfraLog.tsx';
import { KeysBar } from './KeysBar.tsx';
import { LogTail } from './LogTail.tsx';
import { OutcomeBanner } from './OutcomeBanner.tsx';
import { PlanScreen } from './PlanScreen.tsx';
import { ProblemsPanel } from './ProblemsPanel.tsx';
import { ProgressScreen } from './ProgressScreen.tsx';
import { ReportScreen } from './ReportScreen.tsx';
import { ResumePrompt } from './ResumePrompt.tsx';
import { Timeline } from './Timeline.tsx';
import { WorkersTable } from './WorkersTable.tsx';

/**
 * The whole screen for a state: header, phase timeline, the panel of the phase at hand, the
 * simulated business (demo), the log tail and the keys. Render only.
 */
export function Screen({
  s,
  now,
  width = 100,
  height = 50,
}: {
  s: TuiState;
  now: number;
  width?: number;
  height?: number;
}) {
  const pending = s.pending;
  if (pending?.ask.kind === 'resume') {
    return (
      <Box flexDirection="column" width={width}>
        <ResumePrompt
          ask={pending.ask}
          {...((pending.ask.workdir ?? s.job?.workdir)
            ? { workdir: pending.ask.workdir ?? s.job?.workdir }
            : {})}
        />
      </Box>
    );
  }
  const phase = currentPhase(s);
  const fixed = 4 + 11 + 1 + (s.business ? 1 : 0);
  const room = Math.max(6, height - fixed - 1);
  let panel: ReactNode;
  let panelLines = 8;
  if (s.outcome && s.report) {
    panelLines = room - 2;
    panel = <ReportScreen report={s.report} maxLines={room - 4} />;
  } else if (!phase) {
    panel = null;
  } else if (phase === 'plan' || pending?.ask.kind === 'start') {
    panelLines = 16;
    panel = (
      <PlanScreen
        {...(s.plan ? { plan: s.plan } : {})}
        awaitingStart={pending?.ask.kind === 'start'}
        surveying={s.phases.plan.status === 'running'}
      />
    );
  } else if (phase === 'provision' || phase === 'mirror') {
    panel = <InfraLog infra={s.infra} />;
  } else if (phase === 'teardown') {
    panelLines = 14;
    panel = (
      <Box flexDirection="column">
        {s.report ? (
          <Text color={s.report.ok ? 'green' : 'red'} bold>
            {`  ${s.report.ok ? '✔ every object migrated and verified' : '✗ some objects need attention'} — report ${s.report.dir}`}
          </Text>
        ) : null}
        <InfraLog infra={s.infra} maxLines={5} />
        {pending?.ask.kind === 'teardown' ? <ConfirmDialog pending={pending} /> : null}
      </Box>
    );
  } else if (phase === 'cutover') {
    panelLines = 12;
    const v = s.results.verify?.verify;
    panel = (
      <Box flexDirection="column">
        {v ? (
          <Text>{`  verified ${v.verified} · changed since T1 ${v.pending} (the incremental copies them) · mirror ${s.noMirror ? 'none: the write freeze at cutover covers them' : s.mirrorOn ? 'on: OSS serves them meanwhile' : 'off'}`}</Text>
        ) : null}
        {pending?.ask.kind === 'cutover' ? <ConfirmDialog pending={pending} /> : null}
      </Box>
    );
  } else if (ENGINE_PHASES.has(phase)) {
    const groups = failureGroups(s);
    panelLines = 6 + Math.min(12, groups.length * 3) + (s.workers.length ? s.workers.length + 2 : 0);
    panel = (
      <Box flexDirection="column">
        <ProgressScreen s={s} phase={phase} />
        <WorkersTable workers={s.workers} now={now} />
        <FailuresPanel
          groups={groups}
          verifyIssues={phase === 'verify' || phase === 'final-verify' ? s.verifyIssues : {}}
          {...(pending?.ask.kind === 'retry' ? { retry: pending.ask.failed } : {})}
          width={width}
        />
      </Box>
    );
  } else if (phase === 'report') {
    panel = s.report ? (
      <ReportScreen report={s.report} maxLines={room - 4} />
    ) : (
      <Text dimColor> writing the report…</Text>
    );
  }
  const logLines = Math.max(3, Math.min(8, room - panelLines - (s.outcome ? 3 : 0)));
  return (
    <Box flexDirection="column" width={width}>
      <Header s={s} now={now} />
      <Timeline s={s} width={width} />
      <ProblemsPanel problems={s.problems} />
      {panel}
      {s.business ? <BusinessPanel b={s.business} /> : null}
      {s.outcome ? (
        <OutcomeBanner outcome={s.outcome} {...(s.job?.workdir ? { workdir: s.job.workdir } : {})} />
      ) : null}
      <LogTail log={s.log} lines={s.outcome && s.report ? 0 : logLines} width={width} />
      <KeysBar s={s} />
    </Box>
  );
}
