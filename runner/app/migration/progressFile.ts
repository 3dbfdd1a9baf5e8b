/**
 * The migration's own progress, next to the job: <workdir>/jobs/<name>/tui.json (the name is kept: the TUI and `ossmigrate migrate` share it). The engine's state
 * (state.db) says what was copied; this says where the migration is — which phases are done,
 * T1 and T2, whether the mirror rule is on, the plan — so a closed terminal or a crash never
 * loses the job: the next start offers to resume it. Written atomically (tmp + rename) after
 * every phase.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InfraOutputs } from '../../ports/infra.ts';
import { PHASES, type PhaseId } from './phases.ts';
import type { InfraKind, PlanInfo } from './types.ts';

export type SavedProgress = {
  version: 1;
  job: string;
  infra: InfraKind;
  deadlineDays: number;
  /** When the plan ran: the deadline counts from here. */
  startedAt?: string;
  done: PhaseId[];
  t1?: string;
  t2?: string;
  mirrorOn: boolean;
  plan?: PlanInfo;
  /** Infra outputs without the queue URL (it holds a password). */
  outputs?: InfraOutputs;
  passes: { full?: string; verify?: string; incremental?: string; finalVerify?: string };
  report?: string;
  finishedAt?: string;
  updatedAt: string;
};

export function newProgress(o: { job: string; infra: InfraKind; deadlineDays: number }): SavedProgress {
  return {
    version: 1,
    job: o.job,
    infra: o.infra,
    deadlineDays: o.deadlineDays,
    done: [],
    mirrorOn: false,
    passes: {},
    updatedAt: new Date().toISOString(),
  };
}

export function isComplete(p: SavedProgress): boolean {
  return PHASES.every((x) => p.done.includes(x));
}

export class ProgressFile {
  readonly path: string;

  constructor(jobDir: string) {
    this.path = join(jobDir, 'tui.json');
  }

  async load(): Promise<SavedProgress | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const p = JSON.parse(text) as SavedProgress;
      if (p.version !== 1 || !Array.isArray(p.done) || typeof p.job !== 'string') return undefined;
      p.done = p.done.filter((x) => (PHASES as readonly string[]).includes(x));
      p.passes ??= {};
      return p;
    } catch {
      return undefined;
    }
  }

  async save(p: SavedProgress): Promise<void> {
    const { outputs, ...rest } = p;
    const clean: SavedProgress = {
      ...rest,
      ...(outputs ? { outputs: withoutQueueUrl(outputs) } : {}),
      updatedAt: new Date().toISOString(),
    };
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(clean, null, 2)}\n`);
    await rename(tmp, this.path);
  }

  async remove(): Promise<void> {
    await rm(this.path, { force: true });
  }
}

function withoutQueueUrl(o: InfraOutputs): InfraOutputs {
  const { queueUrl: _q, ...rest } = o;
  return rest;
}
