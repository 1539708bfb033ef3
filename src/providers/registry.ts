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
        const env = options.env ?? process.env;
        provider = new LocalProvider({
          home: options.home,
          gpus: 'detect',
          bootDelayPerRankMs: wholeMs(env, 'FLOW_LOCAL_BOOT_DELAY_MS'),
          pricePerHour: price(env, 'FLOW_LOCAL_PRICE_PER_HOUR'),
        });
        cache.set(name, provider);
      }
      return provider;
    },
  };
}

export type ProviderRegistry = ReturnType<typeof createProviderRegistry>;

/** FLOW_LOCAL_BOOT_DELAY_MS: the local provider's simulated boot time per rank (testing aid). */
function wholeMs(env: NodeJS.ProcessEnv, name: string): number {
  const raw = env[name]?.trim();
  if (!raw) return 0;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0) throw new ValidationError(`${name}: '${raw}' must be a whole number of milliseconds`, { field: name });
  return ms;
}

/** FLOW_LOCAL_PRICE_PER_HOUR: a price for local offers, so price and cost limits can be tried here. */
function price(env: NodeJS.ProcessEnv, name: string): number {
  const raw = env[name]?.trim();
  if (!raw) return 0;
  const usd = Number(raw);
  if (!Number.isFinite(usd) || usd < 0) throw new ValidationError(`${name}: '${raw}' must be a price in USD per hour, e.g. 2.5`, { field: name });
  return usd;
}
