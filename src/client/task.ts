import type { Client, WorkflowHandle } from '@temporalio/client';
import { type TaskEvent, type TaskOutcome, type TaskState, type TaskStatus } from '../domain';
import { followTaskLog } from '../logs/follow-task';
import type { LogStore } from '../logs/log-store';
import { stopSignal } from '../workflows/definitions';
import { progressOf, readTaskState } from './read-task-state';
import { fromTemporalError } from './errors';
import { endpointsOf, shellCommandOf, type Endpoint, type ShellCommand } from './task-access';

export interface LogOptions {
  /** Only the last N lines (default: all). */
  tail?: number;
  /** Rank to read; default 0. */
  node?: number;
}

const FAILED_LOG_LINES = 20;

/** A task's status and, while it waits for an instance, why. */
export interface TaskProgress {
  status: TaskStatus;
  waitingReason?: string;
}

/** A handle on one task. Cheap to create; every method asks the server (or LogStore) afresh. */
export class Task {
  readonly taskId: string;
  private readonly handle: WorkflowHandle;
  private lastState?: TaskState;

  constructor(
    private readonly client: Client,
    private readonly logStore: LogStore,
    taskId: string,
    /** FLOW_HOME, where local tasks keep their files (for shellCommand). */
    private readonly home?: string,
  ) {
    this.taskId = taskId;
    this.handle = client.workflow.getHandle(taskId);
  }

  private async mapped<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw await fromTemporalError(error, this.taskId, () => this.logStore.tail(this.taskId, 0, FAILED_LOG_LINES));
    }
  }

  /** Current status from the server's record (works even while no worker runs). */
  async status(): Promise<TaskStatus> {
    return (await this.progress()).status;
  }

  /** The status and, while the task waits for an instance, why (e.g. no offer under its price cap). */
  async progress(): Promise<TaskProgress> {
    return this.mapped(async () => progressOf(await this.handle.describe()));
  }

  /**
   * Full state: nodes, instance ids, addresses, cost so far, events. A finished task is read from
   * the final state it recorded, never by replaying its history.
   */
  async describe(): Promise<TaskState> {
    this.lastState = await this.mapped(() => readTaskState(this.client, this.handle));
    return this.lastState;
  }

  /** Alias of describe() that keeps the last state on the handle. */
  refresh(): Promise<TaskState> {
    return this.describe();
  }

  async events(): Promise<TaskEvent[]> {
    return (await this.describe()).events;
  }

  /** What the task costs per hour now: the chosen offer's price per instance-hour × nodes (0 on local). */
  async costPerHour(): Promise<number> {
    const state = await this.describe();
    return state.pricePerHour * state.numInstances;
  }

  /** The config's ports as URLs, `http://<host>:<port>` per node (127.0.0.1 on local). */
  async endpoints(): Promise<Endpoint[]> {
    return endpointsOf(await this.describe());
  }

  /** The `ssh ...` command for a node where the provider has a shell; else null and why. */
  async shellCommand(node = 0): Promise<ShellCommand> {
    return shellCommandOf(await this.describe(), node, this.home);
  }

  /** The state from the last describe()/refresh(), without a round trip. */
  get lastKnownState(): TaskState | undefined {
    return this.lastState;
  }

  /** Waits for the end. Resolves for completed/cancelled; throws TaskFailedError on failure. */
  wait(): Promise<TaskOutcome> {
    return this.mapped(() => this.handle.result() as Promise<TaskOutcome>);
  }

  /** Asks the task to stop, then waits until teardown has run. */
  async stop(reason?: string): Promise<TaskOutcome> {
    await this.mapped(async () => {
      const description = await this.handle.describe();
      if (description.status.name !== 'RUNNING') return;
      await this.handle.signal(stopSignal, { reason });
    });
    try {
      return await this.wait();
    } catch (error) {
      const status = await this.status();
      if (status === 'failed') throw error;
      return { taskId: this.taskId, status, exitCode: null, reason: 'stopped' };
    }
  }

  /** Output so far (`{ follow: true }` streams it until the task ends). */
  logs(options: LogOptions & { follow: true }): AsyncIterable<string>;
  logs(options?: LogOptions & { follow?: false }): Promise<string>;
  logs(options: LogOptions & { follow?: boolean } = {}): AsyncIterable<string> | Promise<string> {
    const rank = options.node ?? 0;
    if (options.follow) return this.followLogs(rank, options.tail);
    return (async () => {
      if (options.tail !== undefined) return (await this.logStore.tail(this.taskId, rank, options.tail)).join('\n');
      const { data } = await this.logStore.read(this.taskId, rank);
      return data.toString('utf8').replace(/\n$/, '');
    })();
  }

  private followLogs(rank: number, tail?: number): AsyncGenerator<string> {
    return followTaskLog(this.logStore, this.taskId, rank, { ended: this.handle.result(), tail });
  }

  /** Throws TaskNotFoundError unless the task exists. */
  async assertExists(): Promise<void> {
    await this.mapped(() => this.handle.describe());
  }
}
