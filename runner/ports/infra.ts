// The port the migration orchestrator (runner/app/migration) drives infrastructure through. Two
// adapters in runner/adapters/infra: PulumiCliDriver (the real cloud through the `pulumi` CLI) and
// SandboxDriver (local emulators, or any OSS endpoint). Phases map onto it:
//   2 provision → provision()          5 mirror on → setMirror(true)
//   fleet done  → setFleetSize(0)      9 teardown  → teardown()  (buckets and data survive)
// Every mutating call streams human-readable progress lines to `onOutput` and stops when `signal`
// aborts. Failures throw InfraError with the problem and, when known, the fix.

/** What the orchestrator needs from a deployed stack. Secrets other than the queue URL never reach it. */
export interface InfraOutputs {
  region: string;
  bucket: string;
  controlBucket?: string;
  ossEndpoint: string;
  ossInternalEndpoint?: string;
  /** redis:// URL with password: where the orchestrator watches and steers the queue. */
  queueUrl?: string;
  fleetSize: number;
  instanceIds: string[];
  /** One sentence: how the fleet size was chosen. */
  sizing?: string;
  mirrorEnabled: boolean;
  /** Why the source gets no mirror rule (Azure, a private endpoint) and how to cut over instead. */
  mirrorNote?: string;
}

export type InfraCheck = { ok: true; detail: string } | { ok: false; problem: string; fix: string };

export interface RunOptions {
  /** One call per line of progress (stdout and stderr interleaved). */
  onOutput?: (line: string) => void;
  /** Aborting stops the running operation (Pulumi gets SIGINT, then SIGKILL after a grace period). */
  signal?: AbortSignal;
}

export interface ProvisionOptions extends RunOptions {
  fleetSize?: number;
  mirror?: boolean;
  /** Extra stack settings, keys without namespace (e.g. { dataTB: 500, days: 7 }). */
  settings?: Record<string, string | number | boolean>;
  /** Secret settings (e.g. { cosSecretKey }); never placed on a command line. */
  secrets?: Record<string, string>;
}

export interface InfraDriver {
  readonly kind: 'pulumi' | 'sandbox';
  /** Can this driver run here? (CLI installed, logged in, stack exists, secrets unlockable.) */
  check(): Promise<InfraCheck>;
  /** Creates or updates everything; returns the outputs. */
  provision(o?: ProvisionOptions): Promise<InfraOutputs>;
  setMirror(enabled: boolean, o?: RunOptions): Promise<InfraOutputs>;
  /** 0 removes every worker and keeps buckets, queue, RAM and mirror. */
  setFleetSize(n: number, o?: RunOptions): Promise<InfraOutputs>;
  outputs(): Promise<InfraOutputs>;
  /** Removes fleet, queue, network, RAM and mirror; the buckets and their data are retained. */
  teardown(o?: RunOptions): Promise<void>;
}
