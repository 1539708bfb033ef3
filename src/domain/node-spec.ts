import type { InstanceSpec } from './instance-types';
import type { ProviderName, ProviderSettings, TaskConfig, VolumeSpec } from './task-config';
import type { TaskState } from './task-status';

/** One purchasable (or local) machine shape with its price. */
export interface Offer {
  instanceType: string;
  spec: InstanceSpec;
  /** USD per instance-hour; 0 for machines you already own. */
  pricePerHour: number;
  region: string;
  /** How many instances of this shape can be had now. */
  available: number;
  /** CPU cores and memory of one instance (for minCpus / minMemoryGb). */
  cpus: number;
  memoryGb: number;
  /**
   * Fleet providers (ssh): the free hosts of this shape. Each rank leases one of them before it
   * provisions (see workflows/host-lease), so a host runs one rank at a time.
   */
  hosts?: string[];
}

/** An instance a provider handed us for one rank of one task. */
export interface InstanceRef {
  provider: ProviderName;
  instanceId: string;
  /** Address other ranks reach this one on. */
  address: string;
  /**
   * The task queue of the worker host that holds the instance (host-bound providers: local), set
   * at provision; its later steps run there. Absent for providers any worker reaches.
   */
  hostQueue?: string;
}

/** Everything a provider needs to run one rank. Built by the workflow, deterministic. */
export interface NodeSpec {
  taskId: string;
  rank: number;
  /** Bumped on each restart/preemption, so a new attempt gets a fresh instance. */
  attempt: number;
  /**
   * Names the workflow run (the last 8 hex digits of its first run id): a second run under a reused task id gets
   * its own instances instead of finding the first run's. Absent in tasks started before it.
   */
  runKey?: string;
  command: string | string[];
  /** Task env plus the FLOW_* variables; secrets are kept apart so they can be redacted. */
  env: Record<string, string>;
  secrets: Record<string, string>;
  workingDir?: string;
  /** Caller's directory at submit time: where local tasks run when uploadCode is on. */
  codeDir?: string;
  volumes: VolumeSpec[];
  instanceType: string;
  /** Fleet providers: the host this rank leased (one of its offer's hosts). */
  host?: string;
  /** Ranks in the task (providers that place one order for all of them, as Mithril's bid). Absent in older tasks: 1. */
  numNodes?: number;
  /** The task's price cap per instance-hour (a bid's limit price). */
  maxPricePerHour?: number;
  /** Without a cap, how far above the market a bid may go (3.28's tiers: low, med, high). Absent: med. */
  priority?: 'low' | 'med' | 'high';
  /** Ports the task opens on every node. */
  ports?: number[];
  /** The container image the command runs in (providers with images); absent: on the host. */
  image?: string;
}

/** What the workflow is started with. */
export interface TaskInput {
  taskId: string;
  name: string;
  provider: ProviderName;
  config: TaskConfig;
  codeDir?: string;
  /** Absent in tasks submitted before settings travelled with the task: the worker's defaults apply. */
  providerSettings?: ProviderSettings;
  /** Set only by the task itself when it continued as new while pending (see task-workflow). */
  resume?: PendingResume;
}

/** What a pending task carries into its next run, so its history stays bounded however long it waits. */
export interface PendingResume {
  /** The state so far: events, waiting reason, createdAt (the maxPendingHours clock runs from it). */
  state: TaskState;
  /** The waiting-reason report interval reached so far (it doubles). */
  reportChangeAfterMs: number;
  /**
   * Set when the task waited long with nothing held after its first offer: for a new offer after a
   * preemption, or for fleet hosts. The attempt to go on with.
   */
  next?: AttemptResume;
}

/** An attempt carried across continue-as-new while the task waits with nothing held. */
export interface AttemptResume {
  /** The attempt to run: restarts so far count against the limit. */
  attempt: number;
  /** Waiting for a new offer (after a preemption): where it may be (the lost instance's region only, or there first). */
  where?: { region?: string; preferRegion?: string };
  /** Waiting for fleet hosts: the offer whose hosts the attempt leases. */
  offer?: Offer;
  /** The line noted in each rank's log before a restart's output. */
  note?: string;
  /** When the task first ran: its running limits count from then. Absent if it never ran. */
  runningSince?: string;
}

/** A rank of a task as its environment needs it (a workflow's NodeInput has these fields). */
export interface RankIdentity {
  taskId: string;
  name: string;
  rank: number;
  numNodes: number;
  offer: Offer;
  spec: NodeSpec;
}

/** A rank's whole environment: the FLOW_* variables for its gang's addresses, then the task's own env (which wins). */
export function rankEnvironment(rank: RankIdentity, gang: { mainIp: string; nodeIps: string[] }): Record<string, string> {
  return {
    ...nodeEnvironment({
      taskId: rank.taskId,
      name: rank.name,
      rank: rank.rank,
      numNodes: rank.numNodes,
      mainIp: gang.mainIp,
      nodeIps: gang.nodeIps,
      gpusPerNode: rank.offer.spec.gpuCount,
    }),
    ...rank.spec.env,
  };
}

/** Variables every rank sees (single-node values here; gangs extend them). */
export function nodeEnvironment(input: { taskId: string; name: string; rank: number; numNodes: number; mainIp: string; nodeIps: string[]; gpusPerNode: number }): Record<string, string> {
  return {
    FLOW_TASK_ID: input.taskId,
    FLOW_TASK_NAME: input.name,
    FLOW_NODE_RANK: String(input.rank),
    FLOW_NUM_NODES: String(input.numNodes),
    FLOW_MAIN_IP: input.mainIp,
    FLOW_NODE_IPS: input.nodeIps.join(','),
    FLOW_GPUS_PER_NODE: String(input.gpusPerNode),
    MASTER_ADDR: input.mainIp,
    MASTER_PORT: '29500',
    NODE_RANK: String(input.rank),
    WORLD_SIZE: String(input.numNodes),
  };
}
