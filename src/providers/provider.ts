import type { InstanceRef, NodeSpec, Offer, ProviderName } from '../domain';

/** What a provider can do; callers check this instead of probing optional methods. */
export interface ProviderCapabilities {
  multiNode: boolean;
  volumes: boolean;
  shell: boolean;
  images: boolean;
  /** Whether offers differ by region (a task's `region` narrows them); false: one place, region ignored. */
  regions: boolean;
  /** Human note on how volumes are made visible (e.g. bubblewrap, or the fallback). */
  volumeIsolation?: string;
}

/** The state of the user's command on an instance. */
export type CommandState =
  | { state: 'not_started' }
  | { state: 'running'; pid?: number }
  | {
      state: 'exited';
      exitCode: number | null;
      signal?: string;
      /** True when a stop (stopCommand) reached the command before it ended on its own. */
      stopped?: boolean;
    };

/**
 * The one port every compute backend implements. Every method is idempotent for the same
 * instance: the activities calling them may be retried at any point.
 */
export interface Provider {
  readonly name: ProviderName;
  readonly capabilities: ProviderCapabilities;
  /** Instance shapes this provider can give now, cheapest first. */
  listOffers(): Promise<Offer[]>;
  /** Instance type used when a task names neither instanceType nor minGpuMemoryGb. */
  defaultInstanceType(): Promise<string>;
  /** Gets (or finds again, for the same taskId/rank/attempt) an instance for this rank. */
  provision(spec: NodeSpec, offer: Offer): Promise<InstanceRef>;
  /** True once the instance accepts commands. */
  isReady(instance: InstanceRef): Promise<boolean>;
  /** Launches the command detached. Never launches it twice for the same instance. */
  startCommand(instance: InstanceRef, spec: NodeSpec): Promise<void>;
  commandState(instance: InstanceRef): Promise<CommandState>;
  /** Up to maxBytes of combined stdout/stderr starting at byte `offset`. */
  readOutput(instance: InstanceRef, offset: number, maxBytes: number): Promise<Buffer>;
  /** Signals the command's whole process tree; SIGKILL after graceMs. Resolves once it is gone. */
  stopCommand(instance: InstanceRef, graceMs: number): Promise<void>;
  /** Releases the instance. Safe to call on one already gone. */
  terminate(instance: InstanceRef): Promise<void>;
}
