import type { ContainmentOption } from './local/containment';
import { join } from 'node:path';
import { ValidationError, assertProviderAvailable, type ProviderName, type ProviderSettings } from '../domain';
import { readFleet } from '../config/fleet-config';
import { SshConnections } from '../ssh/ssh-connections';
import { LocalProvider } from './local/local-provider';
import type { Provider } from './provider';
import { SshProvider } from './ssh/ssh-provider';
import { loadSettings } from '../config/load-config';
import { runtimeOrder } from '../containers';
import { mithrilHttpFromSettings } from '../mithril-api';
import { MithrilProvider } from './mithril/mithril-provider';

export interface ProviderRegistryOptions {
  home: string;
  env?: NodeJS.ProcessEnv;
  /** Which fleet hosts hold a lease (the worker reads them from Temporal); without it none do. */
  leasedHosts?: (provider: ProviderName, hosts: readonly string[]) => Promise<Set<string>>;
}

/**
 * Builds providers on first use, one per name and settings for the life of the worker. Settings
 * come with each task (resolved where it was submitted), so a changed config.yaml applies to the
 * next task without restarting the worker. The ssh fleet is read from config.yaml on each call.
 */
export function createProviderRegistry(options: ProviderRegistryOptions) {
  const cache = new Map<string, Provider>();
  let connections: SshConnections | undefined;
  const sshProvider = (): Provider => {
    // The worker's settings for images apply on its fleet's hosts too: runtime order and pull policy.
    const { local } = loadSettings({ env: { ...(options.env ?? process.env), FLOW_HOME: options.home } });
    return new SshProvider({
      containerRuntimeOrder: runtimeOrder(local.containerRuntime),
      imagePullPolicy: local.imagePullPolicy,
      fleet: () => readFleet(options.home),
      shell: (host) => (connections ??= new SshConnections({ knownHostsPath: join(options.home, 'ssh', 'known_hosts') })).shell(host),
      leasedHosts: async (hosts) => (options.leasedHosts ? options.leasedHosts('ssh', hosts) : new Set()),
    });
  };
  const mithrilProviders: MithrilProvider[] = [];
  // The worker's own settings: the API key lives with the worker, never in a task's input.
  const mithrilProvider = (): Provider => {
    const env = options.env ?? process.env;
    const { mithril, local } = loadSettings({ env: { ...env, FLOW_HOME: options.home } });
    const provider = new MithrilProvider({
      imagePullPolicy: local.imagePullPolicy,
      http: mithrilHttpFromSettings(mithril),
      home: options.home,
      project: mithril.project,
      region: mithril.region,
      sshKeys: mithril.sshKeys,
      sshUser: env.MITHRIL_SSH_USER?.trim() || 'ubuntu',
    });
    mithrilProviders.push(provider);
    return provider;
  };
  return {
    get(name: ProviderName, settings: ProviderSettings = {}): Provider {
      assertProviderAvailable(name);
      const price = settings.localPricePerHour ?? 0;
      const key = name === 'local' ? `${name}:${price}` : name;
      let provider = cache.get(key);
      if (provider === undefined) {
        provider = name === 'ssh' ? sshProvider() : name === 'mithril' ? mithrilProvider() : localProvider(options, price);
        cache.set(key, provider);
      }
      return provider;
    },
    /** Closes pooled connections (the worker is shutting down). */
    close(): void {
      connections?.close();
      for (const provider of mithrilProviders) provider.close();
    },
  };
}

function localProvider(options: ProviderRegistryOptions, price: number): Provider {
  const env = options.env ?? process.env;
  // The worker's own settings: its machine's runtime and pull policy.
  const { local } = loadSettings({ env: { ...env, FLOW_HOME: options.home } });
  return new LocalProvider({
    ...(local.containerRuntime !== undefined ? { containerRuntime: local.containerRuntime } : {}),
    imagePullPolicy: local.imagePullPolicy,
    home: options.home,
    gpus: 'detect',
    bootDelayPerRankMs: wholeMs(env, 'FLOW_LOCAL_BOOT_DELAY_MS'),
    pricePerHour: price,
    containment: containmentOption(env),
  });
}

/** FLOW_LOCAL_CONTAINMENT: auto (default), cgroup, pidns or session; lets tests take each path on one machine. */
function containmentOption(env: NodeJS.ProcessEnv): ContainmentOption {
  const raw = env.FLOW_LOCAL_CONTAINMENT?.trim() || 'auto';
  if (raw === 'auto' || raw === 'cgroup' || raw === 'pidns' || raw === 'session') return raw;
  throw new ValidationError(`FLOW_LOCAL_CONTAINMENT: '${raw}' must be auto, cgroup, pidns or session`, { field: 'FLOW_LOCAL_CONTAINMENT' });
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
