import { existsSync } from 'node:fs';
import type { Flow, ListTasksOptions, SubmissionSettings, TaskSummary } from '../client/flow';
import { DaemonApi, DaemonUnreachableError } from '../client/daemon-api';
import type { TaskPlan } from '../client/plan';
import type { ProviderOperations } from '../client/provider-ops';
import type { TaskProgress } from '../client/task';
import { loadSettings, taskProviderSettings, type FlowSettings } from '../config/load-config';
import { runningDaemon } from '../daemon/daemon-health';
import type { TaskConfigInput, TaskOutcome, TaskState, TaskStatus } from '../domain';
import { createLogStore } from '../logs/create-log-store';
import type { TaskLogStore } from '../logs/task-log-store';
import { colors } from './output';

/** What the CLI needs from Flow; served by the daemon's local API or by the SDK directly. */
export interface TaskBackend {
  /** forceNew: a new task even when config.idempotencyKey already named one. */
  submit(config: TaskConfigInput, options?: { forceNew?: boolean }): Promise<string>;
  /** What submit() would do now (offer, price, worst case), or its refusal; submits nothing. */
  plan(config: TaskConfigInput): Promise<TaskPlan>;
  /** A pipeline mapping (as in pipeline.yaml, already checked by the caller); returns its id. */
  submitPipeline(pipeline: unknown): Promise<string>;
  /** Full id from an id or a unique prefix; TaskNotFoundError / ambiguous ValidationError. */
  resolve(idOrPrefix: string): Promise<string>;
  /** Resolves for completed/cancelled; throws TaskFailedError for failed. */
  wait(taskId: string): Promise<TaskOutcome>;
  status(taskId: string): Promise<TaskStatus>;
  /** Status plus, while pending, why the task waits. */
  progress(taskId: string): Promise<TaskProgress>;
  describe(taskId: string): Promise<TaskState>;
  list(options: ListTasksOptions): Promise<TaskSummary[]>;
  stop(taskId: string, reason?: string): Promise<TaskOutcome>;
  /** Provider operations (offers, volumes, exec, shell targets), run in the worker. */
  providers: ProviderOperations;
  /** Task logs: files in $FLOW_HOME on this machine, or the shared database of FLOW_LOG_STORE. */
  logs: TaskLogStore;
  close(): Promise<void>;
}

const RECONNECT_DEADLINE_MS = 120_000;

function apiBackend(initial: DaemonApi, logs: TaskLogStore, settings: SubmissionSettings, reconnect: () => Promise<DaemonApi | undefined>): TaskBackend {
  let api = initial;
  return {
    submit: (config, options) => api.submit(config, process.cwd(), settings, options),
    plan: (config) => api.plan(config, settings),
    submitPipeline: (pipeline) => api.submitPipeline(pipeline, process.cwd(), settings),
    resolve: (idOrPrefix) => api.resolve(idOrPrefix),
    /** Survives a daemon restart: the task goes on, so reconnect and keep waiting. */
    async wait(taskId) {
      const deadline = Date.now() + RECONNECT_DEADLINE_MS;
      for (;;) {
        try {
          return await api.wait(taskId);
        } catch (error) {
          if (!(error instanceof DaemonUnreachableError) || Date.now() > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, 200));
          api = (await reconnect().catch(() => undefined)) ?? api;
        }
      }
    },
    status: (taskId) => api.status(taskId),
    progress: (taskId) => api.progress(taskId),
    describe: (taskId) => api.describe(taskId),
    list: (options) => api.list(options),
    stop: (taskId, reason) => api.stop(taskId, reason),
    providers: { run: (request) => api.run(request) },
    logs,
    close: () => logs.close(),
  };
}

function sdkBackend(flow: Flow, logs: TaskLogStore, settings: SubmissionSettings): TaskBackend {
  return {
    submit: (config, options) => flow.submit(config, {}, { settings, forceNew: options?.forceNew }),
    plan: (config) => flow.plan(config, { settings }),
    submitPipeline: (pipeline) => flow.pipeline(pipeline as never, { settings }).submit(),
    resolve: async (idOrPrefix) => (await import('../client/resolve-task-id')).resolveTaskId(flow.client, idOrPrefix),
    wait: (taskId) => flow.task(taskId).wait(),
    status: (taskId) => flow.task(taskId).status(),
    progress: (taskId) => flow.task(taskId).progress(),
    describe: (taskId) => flow.task(taskId).describe(),
    list: (options) => flow.listTasks(options),
    stop: (taskId, reason) => flow.task(taskId).stop(reason),
    providers: flow.providerOps,
    logs,
    close: async () => {
      await flow.close();
      await logs.close();
    },
  };
}

/**
 * The embedded daemon's local API when it serves one (no Temporal client to load: the fast
 * path), else the SDK against TEMPORAL_ADDRESS or the daemon. Says so when a daemon starts.
 */
export async function openBackend(loaded?: FlowSettings): Promise<TaskBackend> {
  // A caller that already read the settings for this command passes them (one read, not two).
  const settings = loaded ?? loadSettings();
  // Resolved here, from this command's env and config.yaml: the task carries them to the worker.
  const submission: SubmissionSettings = { provider: settings.provider, providerSettings: taskProviderSettings(settings), encryptVolumes: settings.local.encryptVolumes, noImage: settings.local.noImage };
  const logs = createLogStore(settings);
  const c = colors(process.stderr);
  const onProgress = (message: string) => process.stderr.write(`${c.dim(message)}\n`);
  if (!settings.temporal.address) {
    const connectApi = async () => {
      // Running already (the usual case): nothing that could start one is loaded.
      const state = runningDaemon(settings.home) ?? (await (await import('../daemon/daemon-control')).ensureDaemon(settings.home, { temporalBin: settings.temporalBin, onProgress }));
      return state.apiSocket && existsSync(state.apiSocket) ? new DaemonApi(state.apiSocket) : undefined;
    };
    const api = await connectApi();
    if (api) return apiBackend(api, logs, submission, connectApi);
  }
  const { Flow } = await import('../client/flow');
  // The CLI prints config warnings itself (task-flags); the SDK must not print them again.
  return sdkBackend(await Flow.connect({ onProgress, onWarning: () => undefined }), logs, submission);
}
