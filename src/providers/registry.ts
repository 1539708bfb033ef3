import { ValidationError, type ProviderName } from '../domain';
import { LocalProvider } from './local/local-provider';
import type { Provider } from './provider';

/** Builds providers on first use; one instance per name for the life of the worker. */
export function createProviderRegistry(options: { home: string }) {
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
        provider = new LocalProvider({ home: options.home, gpus: 'detect' });
        cache.set(name, provider);
      }
      return provider;
    },
  };
}

export type ProviderRegistry = ReturnType<typeof createProviderRegistry>;
