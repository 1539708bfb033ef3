import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { TaskFailedError, ValidationError, type EndReason, type TaskEvent, type TaskOutcome, type TaskState, type TaskStatus } from '../domain';
import type { TaskLogStore } from '../logs/task-log-store';
import { followPipelineLines, pipelineLines, type PipelineLogSource } from '../logs/pipeline-logs';
import { followSelected, selectLines } from '../logs/select-lines';
import { stopSignal } from '../workflows/definitions';
import { progressOf, readTaskState } from './read-task-state';
import { fromTemporalError } from './errors';
import { LogLines } from './log-lines';
import { endpointsOf, shellCommandOf, type Endpoint, type ShellCommand } from './task-access';
import { attachShell, execOnNode, noTerminalError, runningNode, shellTargetOf } from './task-shell';
import type { ProviderOperations } from './provider-ops';
import type { ExecOptions, ExecResult } from '../domain/provider-contract';

export interface LogOptions {
  /** Only the last N lines (default: all); of each step, for a pipeline. */
  tail?: number;
  /** Rank to read; default 0. Not for a pipeline (read a step's task instead). */
  node?: number;
  /** Keep yielding new lines until the task ends. */
  follow?: boolean;
}

const FAILED_LOG_LINES = 20;

/** A task's status and, while it waits for an instance, why. */
export interface TaskProgress {
  status: TaskStatus;
  waitingReason?: string;
}

/** A handle on one task. Cheap to create; every method asks the server (or TaskLogStore) afresh. */
export class Task {
  readonly taskId: string;
  private readonly handle: WorkflowHandle;
  private lastState?: TaskState;

  constructor(
    private readonly client: Client,
    private readonly logStore: TaskLogStore,
    taskId: string,
    /** FLOW_HOME of this client. */
    private readonly home?: string,
    /** The worker's provider operations (exec, shell targets); a Flow client passes its own. */
    private readonly operations?: ProviderOperations,
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
    const state = await this.describe();
    return shellCommandOf(state, node, await this.workDirOf(state, node));
  }

  /** Where a running local node's command works, for shellCommand's hint; undefined when not known. */
  private async workDirOf(state: TaskState, rank: number): Promise<string | undefined> {
    if (state.provider !== 'local' || this.operations === undefined) return undefined;
    try {
      const target = await this.operations.run({ op: 'shellTarget', instance: runningNode(state, rank), command: 'true' });
      return target.kind === 'local' ? target.cwd : undefined;
    } catch {
      return undefined; // not running (yet, or any more): the hint goes without the folder
    }
  }

  /**
   * Runs `command` on a running node (default rank 0) in the task's working dir, with its env,
   * secrets and volumes, and returns { exitCode, stdout, stderr } (output bounded, see
   * ExecOptions; at most 256 KiB of each, as it comes back through the worker's history). Without a command: an interactive shell there on this process's terminal
   * (needs a TTY), resolving with its exit code once it is left.
   */
  shell(command: string | readonly string[], options?: ExecOptions & { node?: number }): Promise<ExecResult>;
  shell(): Promise<{ exitCode: number }>;
  async shell(command?: string | readonly string[], options: ExecOptions & { node?: number } = {}): Promise<ExecResult | { exitCode: number }> {
    const state = await this.describe();
    const instance = runningNode(state, options.node ?? 0);
    const operations = this.operations;
    if (operations === undefined) throw new ValidationError('task.shell() needs a Flow client (the worker runs the command); get the task through flow.task() or flow.getTask()', { field: 'task' });
    const { node: _node, ...execOptions } = options;
    if (command !== undefined) return execOnNode(operations, instance, command, execOptions);
    if (!process.stdin.isTTY) throw noTerminalError(this.taskId);
    return { exitCode: await attachShell(await shellTargetOf(operations, instance, { shell: process.env.SHELL || undefined })) };
  }

  /** The state from the last describe()/refresh(), without a round trip. */
  get lastKnownState(): TaskState | undefined {
    return this.lastState;
  }

  /** Waits for the end. Resolves for completed/cancelled; throws TaskFailedError on failure. */
  wait(): Promise<TaskOutcome> {
    return this.mapped(() => this.handle.result() as Promise<TaskOutcome>);
  }

  /**
   * Asks the task to stop, then waits until teardown has run. A task that has already ended, or
   * ends before the signal lands, is left as it was: stop() returns its outcome, whatever it was
   * (a failure too, as status 'failed' with its exit code, reason and message; never thrown).
   */
  async stop(reason?: string): Promise<TaskOutcome> {
    await this.mapped(async () => {
      const description = await this.handle.describe();
      if (description.status.name !== 'RUNNING') return;
      try {
        await this.handle.signal(stopSignal, { reason });
      } catch (error) {
        // It ended between the look and the signal: a closed workflow takes no signal.
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      }
    });
    return this.outcome();
  }

  /** How the task ended, as a TaskOutcome however it ended (once it has). */
  private async outcome(): Promise<TaskOutcome> {
    try {
      return await this.wait();
    } catch (error) {
      if (!(error instanceof TaskFailedError)) throw error;
      // Failed, or cancelled through Temporal rather than stopped; the task's state has its reason.
      const [execution, state] = await Promise.all([this.mapped(() => this.handle.describe()), this.describe().catch(() => undefined)]);
      const status: TaskStatus = execution.status.name === 'CANCELLED' ? 'cancelled' : 'failed';
      const fallback: EndReason = status === 'cancelled' ? 'stopped' : error.exitCode === null ? 'error' : 'exit';
      return { taskId: this.taskId, status, exitCode: error.exitCode, reason: state?.reason ?? fallback, message: error.message };
    }
  }

  /**
   * The output as lines: `for await (const line of task.logs())`, or `await task.logs().text()`.
   * `{ follow: true }` keeps yielding new lines until the task ends. A pipeline's output is
   * every step's, lines prefixed `[step] ` (step by step; live as steps start when following).
   */
  logs(options: LogOptions = {}): LogLines {
    return new LogLines(() => this.logLines(options));
  }

  private async *logLines(options: LogOptions): AsyncGenerator<string> {
    const selection = { tail: options.tail };
    if (await this.isPipeline()) {
      if (options.node !== undefined) {
        throw new ValidationError(`node: ${this.taskId} is a pipeline; each step is a task of its own`, {
          field: 'node',
          suggestions: [`Read a step's rank with: flow.task('${this.taskId}-<step>').logs({ node: ${options.node} })`],
        });
      }
      const source = this.pipelineLogSource();
      if (options.follow) yield* followPipelineLines(source, this.taskId, { ended: this.handle.result(), selection });
      else yield* pipelineLines(source, await this.describe(), selection);
      return;
    }
    const rank = options.node ?? 0;
    if (options.follow) yield* followSelected(this.logStore, this.taskId, rank, this.handle.result(), selection);
    else yield* selectLines(this.logStore, this.taskId, rank, selection);
  }

  /** A pipeline has no output of its own: a task that has some is read without asking the server. */
  private async isPipeline(): Promise<boolean> {
    if ((await this.logStore.ranks(this.taskId)).length > 0) return false;
    return (await this.mapped(() => this.handle.describe())).type === 'pipelineWorkflow';
  }

  /** The pipeline's steps are tasks of their own, read through handles like this one. */
  private pipelineLogSource(): PipelineLogSource {
    const task = (taskId: string) => (taskId === this.taskId ? this : new Task(this.client, this.logStore, taskId, this.home, this.operations));
    return { logs: this.logStore, describe: (taskId) => task(taskId).describe(), wait: (taskId) => task(taskId).wait() };
  }

  /** Throws TaskNotFoundError unless the task exists. */
  async assertExists(): Promise<void> {
    await this.mapped(() => this.handle.describe());
  }
}
