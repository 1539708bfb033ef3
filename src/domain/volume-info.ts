/** A volume as `flow volumes list` and `flow.volumes.list()` report it. Plain JSON-friendly data. */
export interface VolumeInfo {
  name: string;
  /** Recorded quota in GB: set by `flow volumes create` or by the task that created the volume; 1 when none was recorded. */
  sizeGb: number;
  /** Where the data lives on the provider's machine, e.g. <FLOW_HOME>/volumes/<name>. */
  path: string;
  /** ISO 8601 time the volume was created. */
  createdAt: string;
  /** Bytes of the files in the volume (apparent size); for an encrypted volume, of its ciphertext. */
  usedBytes: number;
  /** True when the volume holds too many entries to count them all: usedBytes is then a lower bound. */
  usedBytesPartial: boolean;
  /** Ids of the running tasks whose command uses this volume. */
  attachedTo: string[];
  /** block or file, when the creator said (recorded only). */
  interface?: 'block' | 'file';
  /** true: encrypted at rest (gocryptfs); the host holds only ciphertext. */
  encrypted?: boolean;
  /** ssh: the fleet hosts that hold a copy (each host has its own; `path` lists them as host:folder). */
  hosts?: string[];
}

/** What `flow volumes create` / `flow.volumes.create()` take. */
export interface VolumeCreateSpec {
  /** 3 to 64 lower-case letters, digits and dashes, e.g. "datasets". */
  name: string;
  /** Quota in GB, 1 to 15000 (default 1). */
  sizeGb?: number;
  /** block or file (recorded only). */
  interface?: 'block' | 'file';
  /** Encrypted at rest (local: gocryptfs, which must be installed). */
  encrypted?: boolean;
}
