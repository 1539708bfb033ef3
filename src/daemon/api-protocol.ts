/**
 * The daemon's local API: JSON over HTTP on a Unix socket in $FLOW_HOME/daemon (mode 0700), so
 * only this user reaches it. It lets the CLI skip loading the Temporal client (about 300 ms):
 * the daemon already holds a warm connection and serves through the same Flow facade.
 */
export const API_SOCKET_NAME = 'api.sock';
/** Unix socket paths are limited to ~108 bytes; beyond that the CLI uses Temporal directly. */
export const MAX_SOCKET_PATH = 100;

export const API_ROUTES = {
  tasks: '/v1/tasks',
  /** POST { config, settings } → { plan }: what submitting would do now; submits nothing (flow run -d). */
  plans: '/v1/plans',
  /** POST { request } → { result }: one provider operation, run in the worker (see client/provider-ops). */
  providerOperations: '/v1/provider-operations',
  /** POST { pipeline, codeDir } → { taskId } (the pipeline's id) */
  pipelines: '/v1/pipelines',
  /** ?task=<id or unique prefix> → { taskId } */
  resolve: '/v1/resolve',
  task: (taskId: string) => `/v1/tasks/${encodeURIComponent(taskId)}`,
  status: (taskId: string) => `/v1/tasks/${encodeURIComponent(taskId)}/status`,
  outcome: (taskId: string) => `/v1/tasks/${encodeURIComponent(taskId)}/outcome`,
  stop: (taskId: string) => `/v1/tasks/${encodeURIComponent(taskId)}/stop`,
} as const;
