/**
 * One host of an SSH fleet as config.yaml's `ssh.hosts` holds it (camelCase here; snake_case in
 * the file). The identity file is the user's own key, named by path; its contents are never stored.
 */
export interface FleetHost {
  /** Unique name, e.g. "gpu1"; used in lease ids, errors and `flow fleet list`. */
  name: string;
  user: string;
  /** Address or DNS name as this machine reaches it. */
  host: string;
  port: number;
  identityFile?: string;
  /** "user@jump:port" hops before this host, comma-separated as in OpenSSH's ProxyJump. */
  proxyJump?: string;
  /** Instance type this host offers, e.g. "8xa100" or "cpu": from --gpus, else discovered. */
  instanceType: string;
  cpus: number;
  memoryGb: number;
  /** USD per hour (0 for machines you own). */
  pricePerHour: number;
  labels: Record<string, string>;
  /** Flow's folder on the host (instances, volumes); default ~/.flow-host. */
  remoteDir?: string;
}
