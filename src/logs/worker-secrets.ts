import { loadSettings } from '../config/load-config';

/**
 * API keys the worker holds (settings or env): masked in every task's log too, in case a
 * command prints them. Read here, in the worker, so they never travel in workflow history.
 * A broken config.yaml must not stop the worker: then only the env's keys are known.
 */
export function workerSecrets(env: NodeJS.ProcessEnv = process.env): string[] {
  const values = [env.TEMPORAL_API_KEY, env.MITHRIL_API_KEY];
  try {
    const settings = loadSettings({ env });
    values.push(settings.temporal.apiKey, settings.mithril.apiKey);
  } catch {
    // The settings' own errors are reported where settings are used; nothing to mask from them.
  }
  return values.filter((value): value is string => typeof value === 'string' && value.length > 0);
}
