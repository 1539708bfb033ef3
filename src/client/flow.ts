import { Client, WorkflowIdReusePolicy } from '@temporalio/client';
import { poolWaitingReason } from './pool-pollers';
import { poolQueues } from '../domain/pools';
import { loadSettings, taskProviderSettings, type FlowSettings, type FlowSettingsInput } from '../config/load-config';
import { readPipelineFile } from '../config/pipeline-file';
import { providerWarnings, withoutImageInHostMode } from '../config/provider-notes';
import { looksLikeTaskFile, mergeOverrides, parseTaskFileConfig, readTaskFile } from '../config/task-file';
import {
  defaultTaskName,
  searchableInstanceType,
  parsePipelineConfig,
  parseTaskConfig,
  type PipelineInput,
  type ProviderName,
  type ProviderSettings,
  type TaskConfig,
  type TaskConfigInput,
  type TaskInput,
  type TaskStatus,
} from '../domain';
import { createLogStore } from '../logs/create-log-store';
import type { TaskLogStore } from '../logs/task-log-store';
import type { taskWorkflow } from '../workflows/task-workflow';
import {
  FlowInstanceTypeKey,
  FlowProviderKey,
  FlowStatusKey,
  FlowTaskNameKey,
  MEMO_KEYS,
} from '../workflows/definitions';
import { openConnection } from './connection';
import { OPEN_CLAUSE, statusClause, TASK_RUNS_CLAUSE } from './execution-status';
import { progressOf } from './read-task-state';
import type { TaskPlan } from './plan';
import { fixedOffers } from '../domain/offer-choice';
import { preflightTask } from './preflight';
import { ProviderOps } from './provider-ops';
import { startPipeline } from './pipeline';
import { Task } from './task';
import { resolveCodeDir } from './code-dir';
import { startNamed, startOnceForKey, startWithFreshId } from './task-id';
import { Volumes } from './volumes';

export interface ConnectOptions {
  /** Settings that win over env vars and config.yaml (e.g. `{ temporal: { address } }`). */
  settings?: FlowSettingsInput;
  /** Environment to read settings from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Told about slow steps, such as starting the embedded daemon. */
  onProgress?: (message: string) => void;
  /** Told about config accepted but not honoured, e.g. an image on the local provider (default: process.emitWarning). */
  onWarning?: (message: string) => void;
  /** Internal: the daemon's own API server, connecting to its server by address with the daemon's keys. */
  embeddedDaemon?: boolean;
}

export interface TaskSummary {
  taskId: string;
  name: string;
  status: TaskStatus;
  instanceType: string;
  provider: string;
  numInstances: number;
  /** Per instance-hour; known once an offer was chosen (0 for local). */
  pricePerHour?: number;
  /** Why a pending task waits (e.g. no offer under its price cap). */
  waitingReason?: string;
  createdAt: Date;
  endedAt?: Date;
}

/**
 * The provider a task runs on and its settings, resolved once at submission (explicit args >
 * env > config.yaml > defaults) by whoever submits; they travel with the task.
 */
export interface SubmissionSettings {
  provider: ProviderName;
  providerSettings: ProviderSettings;
  /** local.encrypt_volumes of the submitter (its env may differ from the daemon's). */
  encryptVolumes?: boolean;
  /** Host mode of the submitter (local.no_image / FLOW_NO_IMAGE): a local task's image is ignored. */
  noImage?: boolean;
}

export interface SubmitOptions {
  /** Where a local task runs when it sets no workingDir (default: this process's cwd). */
  codeDir?: string;
  /** Resolved by the caller (e.g. the CLI, from its own env and config); default: resolved now, here. */
  settings?: SubmissionSettings;
  /** Submit a new task even when the config's idempotencyKey already named one (`--force-new`). */
  forceNew?: boolean;
}

export interface ListTasksOptions {
  status?: TaskStatus | TaskStatus[];
  limit?: number;
  /** Only tasks that are still active or were started after this time. */
  activeOrSince?: Date;
}

export type RunOptions = Partial<TaskConfigInput> & {
  /** Block until the task ends (throws TaskFailedError if it fails). */
  wait?: boolean;
  /** A new task even when idempotencyKey already named one. */
  forceNew?: boolean;
};

/** The SDK entry point: `const flow = await Flow.connect(); await flow.run("python train.py")`. */
export class Flow {
  readonly settings: FlowSettings;
  /**
   * Volumes of the configured provider, kept by the worker:
   * `await flow.volumes.list()`, `create({ name, sizeGb })`, `delete(name)`.
   */
  readonly volumes: Volumes;
  /** Every provider operation (offers, volumes, exec, shell and port targets), run in the worker. */
  readonly providerOps: ProviderOps;
  private readonly logStore: TaskLogStore;
  private readonly warn: (message: string) => void;

  private constructor(
    readonly client: Client,
    settings: FlowSettings,
    /** Where settings are read from again at each submission (config.yaml may change meanwhile). */
    private readonly settingsSource: { env?: NodeJS.ProcessEnv; overrides?: FlowSettingsInput },
    onWarning?: (message: string) => void,
  ) {
    this.settings = settings;
    this.providerOps = new ProviderOps(client);
    this.volumes = new Volumes(settings, this.providerOps);
    this.logStore = createLogStore(settings);
    this.warn = onWarning ?? ((message) => process.emitWarning(message, 'FlowWarning'));
  }

  /** Connects to TEMPORAL_ADDRESS (or the chosen profile's address) when set, else to the embedded daemon (started on first use). */
  static async connect(options: ConnectOptions = {}): Promise<Flow> {
    const settings = loadSettings({ env: options.env, overrides: options.settings });
    const { connection, namespace, dataConverter } = await openConnection(settings, { onProgress: options.onProgress, env: options.env, embeddedDaemon: options.embeddedDaemon });
    return new Flow(new Client({ connection, namespace, ...(dataConverter ? { dataConverter } : {}) }), settings, { env: options.env, overrides: options.settings }, options.onWarning);
  }

  /** The provider and its settings as they are now (args > env > config.yaml > defaults). */
  submissionSettings(): SubmissionSettings {
    const settings = loadSettings(this.settingsSource);
    return { provider: settings.provider, providerSettings: taskProviderSettings(settings), encryptVolumes: settings.local.encryptVolumes, noImage: settings.local.noImage };
  }

  /**
   * Refuses, before anything is submitted, a task that could not run as given (see preflight);
   * returns it with local.encrypt_volumes applied to its volumes that do not exist yet.
   */
  async preflight(config: TaskConfig, settings: SubmissionSettings, step?: string): Promise<TaskConfig> {
    return preflightTask(
      config,
      {
        provider: config.provider ?? settings.provider,
        settings: settings.providerSettings,
        encryptByDefault: settings.encryptVolumes ?? this.settings.local.encryptVolumes,
        operations: this.providerOps,
      },
      step,
    );
  }

  /**
   * Validates the config (nothing is submitted when it is invalid) and starts the task.
   * `config` is a TaskConfig, a command, or the path of a task file (`*.yaml`/`*.yml` that
   * exists; snake_case as the Python SDK writes it, or camelCase); `overrides` win over it
   * (env and secrets merge key by key). `codeDir` is where a local task runs when it sets no
   * workingDir (default: this process's cwd).
   */
  async submit(config: TaskConfigInput | string, overrides: Partial<TaskConfigInput> = {}, options: SubmitOptions = {}): Promise<string> {
    const settings = options.settings ?? this.submissionSettings();
    const given = this.validate(config, overrides);
    const provider = given.provider ?? settings.provider;
    const noImage = settings.noImage ?? this.settings.local.noImage;
    const parsed = await this.preflight(withoutImageInHostMode(given, provider, noImage), settings);
    for (const warning of providerWarnings(given, provider, { noImage })) this.warn(warning);
    const name = parsed.name ?? defaultTaskName(parsed.command);
    const codeDir = resolveCodeDir(parsed, options.codeDir ?? process.cwd());
    // A pool no worker polls: the task says so while it waits (its workflow cannot run to say it).
    const poolWait = parsed.pool === undefined ? undefined : await poolWaitingReason(this.client, parsed.pool);
    const start = (taskId: string) => {
      const input: TaskInput = { taskId, name, provider, config: parsed, codeDir, providerSettings: settings.providerSettings };
      return this.client.workflow.start<typeof taskWorkflow>('taskWorkflow', taskStartOptions(input, poolWait));
    };
    // The same idempotency key returns the task it started; a name used as the id is taken while its task lives.
    if (parsed.idempotencyKey !== undefined && !options.forceNew) return startOnceForKey(this.client, name, parsed.idempotencyKey, start);
    if (!parsed.uniqueName) return startNamed(name, start);
    return startWithFreshId(name, start);
  }

  /**
   * What submit() would do now, without submitting: the same validation and preflight (a config
   * submit() refuses is refused here the same way), then the offer and price the task would get
   * (or why it would wait), its worst-case cost, volumes, ports and env keys. See client/plan.
   */
  async plan(config: TaskConfigInput | string, options: Pick<SubmitOptions, 'settings'> = {}): Promise<TaskPlan> {
    const settings = options.settings ?? this.submissionSettings();
    const given = this.validate(config, {});
    const provider = given.provider ?? settings.provider;
    const noImage = settings.noImage ?? this.settings.local.noImage;
    const parsed = await this.preflight(withoutImageInHostMode(given, provider, noImage), settings);
    const { planTask } = await import('./plan');
    const offers = await this.providerOps.run({ op: 'offers', provider, ...(Object.keys(settings.providerSettings).length > 0 ? { providerSettings: settings.providerSettings } : {}) });
    return planTask(parsed, {
      providerName: provider,
      provider: fixedOffers(provider, offers),
      name: parsed.name ?? defaultTaskName(parsed.command),
      warnings: providerWarnings(given, provider, { noImage }),
    });
  }

  /** One config from a command, a task file or an object, plus overrides; errors name the field (and file line). */
  private validate(config: TaskConfigInput | string, overrides: Partial<TaskConfigInput>): TaskConfig {
    if (typeof config === 'string' && looksLikeTaskFile(config)) {
      const file = readTaskFile(config);
      const merged = mergeOverrides(file.config, overrides);
      const parsed = parseTaskFileConfig(file, merged);
      for (const warning of file.warnings) this.warn(warning);
      return parsed;
    }
    const raw = typeof config === 'string' ? { command: config } : config;
    return parseTaskConfig(mergeOverrides(raw as Record<string, unknown>, overrides));
  }

  /**
   * Starts a task and returns its handle; `{ wait: true }` also waits for the end. Takes what
   * submit() takes: `flow.run('task.yaml', { env: { BATCH: '64' } })`.
   */
  async run(command: string | TaskConfigInput, options: RunOptions = {}): Promise<Task> {
    const { wait, forceNew, ...overrides } = options;
    const task = this.task(await this.submit(command, overrides, { forceNew }));
    if (wait) await task.wait();
    return task;
  }

  /** A handle on an existing task; throws TaskNotFoundError if there is none. */
  async getTask(taskId: string): Promise<Task> {
    const task = this.task(taskId);
    await task.assertExists();
    return task;
  }

  /** Tasks newest first, from one visibility query. */
  async listTasks(options: ListTasksOptions = {}): Promise<TaskSummary[]> {
    const limit = options.limit ?? 100;
    const tasks: TaskSummary[] = [];
    for await (const execution of this.client.workflow.list({ query: listQuery(options), pageSize: Math.min(limit, 1000) })) {
      const attributes = execution.typedSearchAttributes;
      const memo = (execution.memo ?? {}) as { numInstances?: number; pricePerHour?: number };
      tasks.push({
        taskId: execution.workflowId,
        name: attributes.get(FlowTaskNameKey) ?? execution.workflowId,
        ...progressOf(execution),
        instanceType: attributes.get(FlowInstanceTypeKey) ?? '',
        provider: attributes.get(FlowProviderKey) ?? '',
        numInstances: memo.numInstances ?? 1,
        pricePerHour: memo.pricePerHour,
        createdAt: execution.startTime,
        endedAt: execution.closeTime,
      });
      if (tasks.length >= limit) break;
    }
    return tasks;
  }

  /**
   * A pipeline of steps (each a TaskConfig with a `name` and optional `dependsOn`), or a
   * pipeline.yaml. Validated here; `submit()` starts it and returns its id, `run()` its handle
   * (a Task: status, describe with `steps`, wait, stop).
   */
  pipeline(input: PipelineInput | PipelineInput['steps'] | string, options: SubmitOptions = {}) {
    const config =
      typeof input === 'string' ? readPipelineFile(input).config : parsePipelineConfig(Array.isArray(input) ? { steps: input } : input);
    const submit = async () => {
      const settings = options.settings ?? this.submissionSettings();
      for (const step of config.steps) {
        step.config = await this.preflight(step.config, settings, step.name);
      }
      return startPipeline(this.client, settings, config, options);
    };
    return {
      config,
      submit,
      run: async (runOptions: { wait?: boolean } = {}): Promise<Task> => {
        const task = this.task(await submit());
        if (runOptions.wait) await task.wait();
        return task;
      },
    };
  }

  /**
   * Runs an exported async function of a local module (.js/.mjs) as a task and returns its JSON
   * result; a thrown error comes back as RemoteFunctionError with the remote stack's tail.
   * `options` is any TaskConfig (instance type, volumes, env, ...).
   */
  async invoke<T = unknown>(modulePath: string, exportName: string, args: unknown[] = [], options: Partial<TaskConfigInput> = {}): Promise<T> {
    const { invokeConfig, invokeResult } = await import('./invoke');
    const task = this.task(await this.submit(invokeConfig(modulePath, exportName, args, options)));
    return invokeResult<T>(task);
  }

  /** A handle without a round trip to check the task exists (use getTask for that). */
  task(taskId: string): Task {
    return new Task(this.client, this.logStore, taskId, this.settings.home, this.providerOps);
  }

  async close(): Promise<void> {
    await this.logStore.close();
    await this.client.connection.close();
  }
}

/** How a task's workflow is started: its id is its task id, never reused for a second run. */
export function taskStartOptions(input: TaskInput, waitingReason?: string) {
  return {
    // A task routed to a pool is run only by that pool's workers (flow worker --pool).
    taskQueue: poolQueues(input.config.pool).control,
    workflowId: input.taskId,
    // A task id names one task forever (never a second run under a finished task's id), except
    // a name used as the id (uniqueName: false), which is free again once its task has ended.
    workflowIdReusePolicy: input.taskId === input.name && !input.config.uniqueName ? WorkflowIdReusePolicy.ALLOW_DUPLICATE : WorkflowIdReusePolicy.REJECT_DUPLICATE,
    args: [input] as [TaskInput],
    memo: {
      [MEMO_KEYS.numInstances]: input.config.numInstances,
      ...(input.config.idempotencyKey === undefined ? {} : { [MEMO_KEYS.idempotencyKey]: input.config.idempotencyKey }),
      ...(waitingReason === undefined ? {} : { [MEMO_KEYS.waitingReason]: waitingReason }),
    },
    typedSearchAttributes: [
      { key: FlowStatusKey, value: 'pending' },
      { key: FlowTaskNameKey, value: input.name },
      { key: FlowInstanceTypeKey, value: searchableInstanceType(input.config) },
      { key: FlowProviderKey, value: input.provider },
    ],
  };
}

/**
 * One visibility query for a listing; statuses come from the TaskStatus enum, never user text.
 * Open or closed is the execution status (FlowStatus goes stale when Temporal ends a task).
 */
function listQuery(options: ListTasksOptions): string {
  const clauses = [TASK_RUNS_CLAUSE];
  const statuses = options.status === undefined ? [] : [options.status].flat();
  if (statuses.length > 0) clauses.push(statusClause(statuses));
  if (options.activeOrSince) clauses.push(`(${OPEN_CLAUSE} OR StartTime > '${options.activeOrSince.toISOString()}')`);
  return clauses.join(' AND ');
}
