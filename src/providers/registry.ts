import { ValidationError, assertProviderAvailable, type ProviderName, type ProviderSettings } from '../domain';
import { LocalProvider } from './local/local-provider';
import type { Provider } from './provider';

/**
 * Builds providers on first use, one per name and settings for the life of the worker. Settings
 * come with each task (resolved where it was submitted), so a changed config.yaml applies to the
 * next task without restarting the worker.
 */
export function createProviderRegistry(options: { home: string; env?: NodeJS.ProcessEnv }) {
  const cache = new Map<string, Provider>();
  return {
    get(name: ProviderName, settings: ProviderSettings = {}): Provider {
      assertProviderAvailable(name);
      const price = settings.localPricePerHour ?? 0;
      const key = `${name}:${price}`;
      let provider = cache.get(key);
      if (provider === undefined) {
        const env = options.env ?? process.env;
        provider = new LocalProvider({
          home: options.home,
          gpus: 'detect',
          bootDelayPerRankMs: wholeMs(env, 'FLOW_LOCAL_BOOT_DELAY_MS'),
          pricePerHour: price,
        });
        cache.set(key, provider);
      }
      return provider;
    },
  };
}

export type ProviderRegistry = ReturnType<typeof createProviderRegistry>;

/** FLOW_LOCAL_BOOT_DELAY_MS: the local provider's simulated boot time per rank (a testing aid of the worker). */
function wholeMs(env: NodeJS.ProcessEnv, name: string): number {
  const raw = env[name]?.trim();
  if (!raw) return 0;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0) throw new ValidationError(`${name}: '${raw}' must be a whole number of milliseconds`, { field: name });
  return ms;
}
