import type { HeldInstance, InstanceRef, NodeSpec, Offer, ProviderName, VolumeCreateSpec, VolumeInfo } from './index';

/**
 * What a provider can do; callers check this instead of probing methods. Every method of
 * Provider exists on every provider; one whose flag is false throws a ProviderError saying so.
 */
export interface ProviderCapabilities {
  multiNode: boolean;
  /** listVolumes/createVolume/deleteVolume, and volumes on tasks. */
  volumes: boolean;
  /** exec: a command run on a running task's node, its output and exit code returned. */
  exec: boolean;
  /** putFile/getFile on a running task's node. */
  files: boolean;
  /** shellTarget: an interactive shell on a running task's node. */
  shell: boolean;
  /** portTarget: a task's ports reachable from the caller's machine. */
  ports: boolean;
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
      /**
       * The instance was taken away under the command (a spot preemption, a lost machine): the
       * exit code means nothing, and the task may run the command again on a new instance.
       */
      preempted?: boolean;
      /**
       * The command never ran, for a reason the user must act on (e.g. its image could not be
       * pulled): the task fails with this message instead of a bare exit code.
       */
      failure?: { message: string; suggestions: string[] };
    };

/** Options of Provider.exec. */
export interface ExecOptions {
  /** Added to (and overriding) the task's own env for this command only. */
  env?: Record<string, string>;
  /** Where it runs, as the task's command sees paths; relative to its working dir. Default: the working dir. */
  cwd?: string;
  /** Killed (its whole process group) after this long; exitCode is then 124 and timedOut true. */
  timeoutMs?: number;
  /** Written to its stdin, which is then closed. Without it stdin is empty. */
  input?: string | Buffer;
  /** Most bytes kept of stdout and of stderr each (default EXEC_OUTPUT_LIMIT); the rest is dropped, `truncated` set. */
  maxOutputBytes?: number;
}

/** Default bound on each of exec's stdout and stderr: 1 MiB. */
export const EXEC_OUTPUT_LIMIT = 1024 * 1024;

export interface ExecResult {
  /** The command's exit code; 128+n when a signal n ended it; 124 on timeout. */
  exitCode: number;
  stdout: string;
  stderr: string;
  /** True when stdout or stderr was cut at maxOutputBytes. */
  truncated: boolean;
  timedOut: boolean;
}

/** What shellTarget is asked for: a login shell (no command), or one command with a terminal. */
export interface ShellSpec {
  /** Run this instead of an interactive shell (an argv exactly, a string through the shell). */
  command?: string | readonly string[];
  /** The shell to open, e.g. the caller's $SHELL; default bash where there is one, else /bin/sh. */
  shell?: string;
}

/**
 * How to open a shell on a node. `local`: spawn argv with cwd and env here (env holds the task's
 * env and secrets: pass it to the child only, never print or log it). `ssh`: connect to host:port
 * as user (the provider's key and known host key go with it) and run command, or a login shell.
 */
export type ShellTarget =
  | {
      kind: 'local';
      argv: string[];
      cwd: string;
      env: Record<string, string>;
      /** The process whose environment `env` is (the task's supervisor): a caller on this machine reads env from it. */
      pid?: number;
    }
  | SshShellTarget;

/** A shell on a node reached over SSH (the same for the worker's answer and the caller's use). */
export interface SshShellTarget {
  kind: 'ssh';
  /** The fleet entry whose key and known host key reach it; '' for a Mithril node (see `login`). */
  fleetHost: string;
  host: string;
  port: number;
  user: string;
  instanceId: string;
  command?: string;
  /** 'mithril': log in with the Mithril worker key of the caller's home, trusting the host per instance. */
  login?: 'mithril';
}

/** An SSH host to go through: the fleet entry (its key and known host key are in config) and where it is. */
export interface SshHop {
  /** '' for a Mithril node (see `login`). */
  fleetHost: string;
  host: string;
  port: number;
  user: string;
  /** 'mithril': log in with the Mithril worker key of the caller's home, trusting the host per instance. */
  login?: 'mithril';
  /** The Mithril instance (its known-hosts file); with login 'mithril'. */
  instanceId?: string;
}

/** Where a task's port can be reached: directly, or on `host` as seen from an SSH hop (a forward). */
export interface PortTarget {
  host: string;
  port: number;
  through?: SshHop;
}

/** Options of Provider.deleteVolume. */
export interface DeleteVolumeOptions {
  /** Delete even while a running task uses the volume. */
  force?: boolean;
}

/** See Provider.watchCommandEnd. */
export interface CommandEndWatch {
  /** Resolves at the next sign that the command may have ended (or after a false alarm: ask commandState). */
  next(): Promise<void>;
  close(): void;
}

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
  /**
   * Optional: a way to hear that the command may have ended, so a follower wakes then rather than
   * at its next poll. The follower still asks commandState; a provider without it is polled.
   */
  watchCommandEnd?(instance: InstanceRef): CommandEndWatch | undefined;
  /**
   * Optional: whether processes the command started still run after it ended (a release then
   * waits out their grace period). Without it, a provider's commands are never finished in the
   * launch step (see quickEnd).
   */
  commandLeftRunning?(instance: InstanceRef): Promise<boolean>;
  /** Up to maxBytes of combined stdout/stderr starting at byte `offset`. */
  readOutput(instance: InstanceRef, offset: number, maxBytes: number): Promise<Buffer>;
  /** Signals the command's whole process tree; SIGKILL after graceMs. Resolves once it is gone. */
  stopCommand(instance: InstanceRef, graceMs: number): Promise<void>;
  /**
   * Releases the instance. Safe to call on one already gone. commandStarted false: the start was
   * never asked for, so nothing of the task is on it (a provider may then skip reaching it).
   */
  terminate(instance: InstanceRef, options?: { commandStarted?: boolean }): Promise<void>;

  // Access to a running task's node (capabilities exec, files, shell, ports). Each throws a
  // ProviderError when the node's command is not running; none is retried by the workflow.

  /**
   * Runs a command on the node, in the task's working dir with its env, secrets and volumes, and
   * waits for it. Output is bounded (ExecOptions.maxOutputBytes). Not idempotent: it runs again.
   */
  exec(instance: InstanceRef, command: string | readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** Copies a file from this machine to the node; remotePath as the task sees it (relative: to its working dir). */
  putFile(instance: InstanceRef, localPath: string, remotePath: string): Promise<void>;
  /** Copies a file from the node to this machine; remotePath as for putFile. */
  getFile(instance: InstanceRef, remotePath: string, localPath: string): Promise<void>;
  /** How to open a shell (or run spec.command with a terminal) on the node. */
  shellTarget(instance: InstanceRef, spec?: ShellSpec): Promise<ShellTarget>;
  /** Where the node's `port` is reached from the caller's machine. */
  portTarget(instance: InstanceRef, port: number): Promise<PortTarget>;

  // Volumes (capability volumes): kept across tasks, attached by name.

  listVolumes(): Promise<VolumeInfo[]>;
  /** ValidationError for a bad spec or a name in use. */
  createVolume(spec: VolumeCreateSpec): Promise<VolumeInfo>;
  /** ResourceNotFoundError when there is none; ValidationError while a running task uses it, unless force. */
  deleteVolume(name: string, options?: DeleteVolumeOptions): Promise<void>;
}

/**
 * A provider that can say what Flow left on it and tear one piece down: the leak reaper (flow gc,
 * the reaper schedule) compares this with the open workflows. Not every provider has it.
 */
export interface HeldInstances {
  /** Everything Flow made here that is still held (tagged as Flow's: its folder, its name). */
  listHeld(): Promise<HeldInstance[]>;
  /** Tears one down: stops its processes, releases it, removes its files. Safe on one already gone. */
  reapHeld(held: HeldInstance): Promise<void>;
}

/** Whether the provider can list and reap what it holds (see HeldInstances). */
export function holdsInstances(provider: Provider): provider is Provider & HeldInstances {
  const candidate = provider as Partial<HeldInstances>;
  return typeof candidate.listHeld === 'function' && typeof candidate.reapHeld === 'function';
}
