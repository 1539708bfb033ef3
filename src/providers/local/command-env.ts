/** Variables taken from the worker's own environment; everything else is the task's. */
export const BASE_ENV_KEYS = ['PATH', 'HOME', 'USER', 'LANG', 'TERM'] as const;

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Defaults for every command; the task's env overrides them. */
const DEFAULT_ENV: Record<string, string> = {
  // Python block-buffers stdout into a file: without this, output would show only at exit.
  PYTHONUNBUFFERED: '1',
};

/**
 * The command's environment, later entries winning: a minimal base from the worker
 * (PATH, HOME, USER, LANG, TERM when set), defaults (PYTHONUNBUFFERED=1), what the provider
 * adds (volume folders, CUDA_VISIBLE_DEVICES), the task's env, then its secrets.
 */
export function commandEnvironment(input: {
  env: Record<string, string>;
  secrets: Record<string, string>;
  provided?: Record<string, string>;
  parentEnv?: NodeJS.ProcessEnv;
}): Record<string, string> {
  const parent = input.parentEnv ?? process.env;
  const base: Record<string, string> = {};
  for (const key of BASE_ENV_KEYS) {
    const value = parent[key];
    if (value !== undefined) base[key] = value;
  }
  base.PATH ??= DEFAULT_PATH;
  return { ...base, ...DEFAULT_ENV, ...(input.provided ?? {}), ...input.env, ...input.secrets };
}

/** CUDA_VISIBLE_DEVICES for the chosen GPUs; nothing for a CPU task. */
export function gpuEnvironment(indices: readonly number[]): Record<string, string> {
  return indices.length === 0 ? {} : { CUDA_VISIBLE_DEVICES: indices.join(',') };
}
