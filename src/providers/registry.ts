import { ValidationError, type ProviderName } from '../domain';
import { LocalProvider } from './local/local-provider';
import type { Provider } from './provider';

/** Builds providers on first use; one instance per name for the life of the worker. */
export function createProviderRegistry(options: { home: string; env?: NodeJS.ProcessEnv }) {
  const cache = new Map<ProviderName, Provider>();
  return {
    get(name: ProviderName): Provider {
      let provider = cache.get(name);
      if (provider === undefined) {
        if (name !== 'local') {
          throw new ValidationError(`Provider '${name}' is not supported yet`, {
            field: 'provider',
            suggestions: ['Use --provider local for now'],
          });
        }
        provider = new LocalProvider({ home: options.home, gpus: 'detect', bootDelayPerRankMs: bootDelayFrom(options.env ?? process.env) });
        cache.set(name, provider);
      }
      return provider;
    },
  };
}

export type ProviderRegistry = ReturnType<typeof createProviderRegistry>;

/** FLOW_LOCAL_BOOT_DELAY_MS: the local provider's simulated boot time per rank (testing aid). */
function bootDelayFrom(env: NodeJS.ProcessEnv): number {
  const raw = env.FLOW_LOCAL_BOOT_DELAY_MS?.trim();
  if (!raw) return 0;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0) {
    throw new ValidationError(`FLOW_LOCAL_BOOT_DELAY_MS: '${raw}' must be a whole number of milliseconds`, { field: 'FLOW_LOCAL_BOOT_DELAY_MS' });
  }
  return ms;
}
