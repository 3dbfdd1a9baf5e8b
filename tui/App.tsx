// @jsxRuntime automatic
// @jsxImportSource react
/** The Ink app: the migration hook, the keyboard, the screen. */
import { useApp, useWindowSize } from 'ink';
import { useEffect, useState } from 'react';
import { Screen } from './components/Screen.tsx';
import { useKeys } from './hooks/useKeys.ts';
import { type StartFlow, useMigration } from './hooks/useMigration.ts';
import type { InfraKind, Outcome } from './state/types.ts';

export type AppProps = {
  start: StartFlow;
  infra: InfraKind;
  unattended: boolean;
  onExit?(outcome: Outcome | undefined): void;
  bindStop?(stop: () => void): void;
  /** Exit by itself this long after the flow ends when unattended. */
  autoExitMs?: number;
};

function useNow(everyMs: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(t);
  }, [everyMs]);
  return now;
}

export function App(p: AppProps) {
  const { exit } = useApp();
  const [s, a] = useMigration({
    start: p.start,
    infra: p.infra,
    unattended: p.unattended,
    ...(p.bindStop ? { bindStop: p.bindStop } : {}),
  });
  const now = useNow(1000);
  const { columns, rows } = useWindowSize();
  const leave = () => {
    p.onExit?.(s.outcome);
    exit();
  };
  useKeys(s, a, leave);
  // biome-ignore lint/correctness/useExhaustiveDependencies: exit once, when the outcome arrives
  useEffect(() => {
    if (!s.outcome || !p.unattended) return;
    const t = setTimeout(leave, p.autoExitMs ?? 1500);
    return () => clearTimeout(t);
  }, [s.outcome]);
  return <Screen s={s} now={now} width={Math.max(60, columns || 100)} height={rows || 50} />;
}
