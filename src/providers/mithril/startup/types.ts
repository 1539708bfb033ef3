import type { PullPolicy } from '../../../containers';

/** One volume the instance has attached (the bid's launch specification names it). */
export interface StartupVolume {
  /** The platform's volume id (vol_...): finds a block device by id. */
  id: string;
  /** The volume's name: a file volume (and the simulator's every volume) appears at /mnt/<name>. */
  name: string;
  interface: 'block' | 'file';
  /** Where the command sees it. */
  mountPath: string;
}

export interface StartupScriptInput {
  taskId: string;
  name: string;
  /** A string runs through bash -c; an argv runs exactly. */
  command: string | readonly string[];
  env: Record<string, string>;
  /** Kept apart from env so tests and callers can check where they go; both reach the command. */
  secrets: Record<string, string>;
  /** Absolute path on the instance; default /workspace. */
  workingDir?: string;
  /** Embedded code: a base64 tar.gz, unpacked into the working dir. */
  codeArchive?: string;
  /** The code is too big to embed: the script waits for the worker to send it over SSH (CODE_UPLOAD_PATH). */
  codeOverSsh?: boolean;
  volumes: readonly StartupVolume[];
  numInstances: number;
  ports?: readonly number[];
  /** MASTER_PORT for torchrun; default the env's MASTER_PORT, else 29500. */
  masterPort?: number;
  /** The container image the command runs in (docker, else podman, on the instance); absent: on the host. */
  image?: string;
  /** When the image is pulled on the instance (default missing). */
  imagePullPolicy?: PullPolicy;
}

export interface StartupScriptOptions {
  /** The platform's limit on the script (bytes); default 10000. */
  maxBytes?: number;
  /** How long a volume may take to appear on the instance; default 60 s. */
  volumeWaitSeconds?: number;
}

export interface StartupScript {
  /** What goes into the bid's launch_specification.startup_script. */
  script: string;
  strategy: 'inline' | 'compressed';
  /** Bytes of the full script before compression. */
  rawBytes: number;
  /** Bytes of `script`. */
  bytes: number;
}
