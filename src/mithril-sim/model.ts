/** The simulator's records. Field names follow the API where they are served as-is. */

export type BidStatus = 'Open' | 'Allocated' | 'Preempting' | 'Terminated' | 'Paused';
export type InstanceStatus =
  | 'STATUS_NEW'
  | 'STATUS_STARTING'
  | 'STATUS_RUNNING'
  | 'STATUS_PREEMPTING'
  | 'STATUS_TERMINATED'
  | 'STATUS_ERROR';

export interface StatusChange<S> {
  at: string;
  status: S;
  reason?: string;
}

export interface LaunchSpecification {
  ssh_keys: string[];
  startup_script: string;
  volumes: string[];
}

export interface Bid {
  fid: string;
  name: string;
  project: string;
  region: string;
  instanceType: string;
  quantity: number;
  limitPriceCents: number;
  launch: LaunchSpecification;
  status: BidStatus;
  createdAt: string;
  createdBy: string;
  /** Ids of the current allocation's instances (empty while Open). */
  instances: string[];
  /** The market price charged for the current allocation (second price), cents per instance-hour. */
  chargedPriceCents?: number;
  message?: string;
  history: Array<StatusChange<BidStatus>>;
  /** Order of creation, for stable sorting. */
  seq: number;
}

export interface Instance {
  fid: string;
  name: string;
  bid: string;
  index: number;
  status: InstanceStatus;
  createdAt: string;
  instanceType: string;
  region: string;
  address: string;
  chargedPriceCents: number;
  /** Folder holding this instance's private paths, sshd files and logs. */
  dir: string;
  startupLog: string;
  message?: string;
  history: Array<StatusChange<InstanceStatus>>;
  seq: number;
}

export interface Volume {
  fid: string;
  name: string;
  project: string;
  region: string;
  sizeGb: number;
  diskInterface: 'Block' | 'File';
  createdAt: string;
  dir: string;
  seq: number;
}

export interface SshKey {
  fid: string;
  name: string;
  project: string;
  publicKey: string;
  required: boolean;
  createdAt: string;
  seq: number;
}

export interface Market {
  instanceType: string;
  region: string;
  priceCents: number;
  /** How many instances this market can run at once. */
  capacity: number;
}

export const LIVE_INSTANCE_STATUSES: ReadonlySet<InstanceStatus> = new Set([
  'STATUS_NEW',
  'STATUS_STARTING',
  'STATUS_RUNNING',
  'STATUS_PREEMPTING',
]);

export function nowIso(): string {
  return new Date().toISOString();
}
