/** Everything a task needs, passed explicitly: the engine has no globals. */
import type { LimitFunction } from 'p-limit';
import type { Logger } from 'pino';
import type { JobSpec } from '../config/job.ts';
import type { MappedKey } from '../core/copyPolicy.ts';
import type { EventSink, StopReason } from '../core/events.ts';
import type { PhaseWindow } from '../core/types.ts';
import type { JobState, PassInfo } from '../ports/jobState.ts';
import type { Journal } from '../ports/journal.ts';
import type { ObjectStore } from '../ports/objectStore.ts';
import type { WorkQueue } from '../ports/workQueue.ts';
import type { TokenBucket } from './limiter.ts';

export type EngineContext = {
  spec: JobSpec;
  pass: PassInfo;
  window: PhaseWindow;
  src: ObjectStore;
  dst: ObjectStore;
  /** Source prefix in the source store (empty for a local directory: the path is the root). */
  srcPrefix: string;
  dstPrefix: string;
  /**
   * Where a source key goes (or why OSS would refuse it): the one mapping that copy, verify, the
   * report and the plan survey all use.
   */
  mapKey: (srcKey: string) => MappedKey;
  state: JobState;
  journal: Journal;
  queue: WorkQueue;
  bucket: TokenBucket;
  /** Whole-object transfers in flight (transfer.concurrency), shared by every task of the process. */
  objectSlots: LimitFunction;
  emit: EventSink;
  log: Logger;
  /** Hard stop: abort transfers now (checkpoints keep multipart progress). */
  signal: AbortSignal;
  /** Soft stop: finish what is in flight, start nothing new. */
  stopping: () => boolean;
  /** Ask for a soft stop of the whole run (the first reason given is the one reported). */
  requestStop: (why: StopReason) => void;
  /** Count bytes for the rate meter (called as they flow). */
  onBytes: (n: number) => void;
  now: () => Date;
  /**
   * Ids of copy/verify tasks whose whole source range this process's root scan listed just now
   * and found empty (an empty source prefix): the task skips listing it again. Per pass, in memory
   * only, so a task run elsewhere (a fleet) or after a restart lists as always.
   */
  knownEmpty?: Set<string>;
};
