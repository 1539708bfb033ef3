import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ValidationError, toValidationError, type ProviderSettings } from '../domain';
import { flowHome, flowPaths } from './flow-home';
import { isMapping, isPlaceholder, readConfigFile, splitList } from './config-file';
import { selectProfile } from './temporal-profiles';
import { redactUrlPassword } from '../logs/log-store-url';
import { simpleSettings } from './settings-fast';
import type { FlowSettings, FlowSettingsInput } from './settings-schema';

export { DEFAULT_MITHRIL_API_URL } from './settings-fast';
export type { FlowSettings, FlowSettingsInput };

/** The schema, loaded on first use (see settings-schema.ts). */
const settingsSchema = (): typeof import('./settings-schema').FlowSettingsSchema => (require('./settings-schema') as typeof import('./settings-schema')).FlowSettingsSchema;



export interface LoadSettingsOptions {
  env?: NodeJS.ProcessEnv;
  overrides?: FlowSettingsInput;
}

/** Where a resolved value came from: `profile:NAME` is a profile in config.yaml, `temporal.toml:NAME` one in Temporal's file. */
export type SettingSource = 'argument' | `env:${string}` | 'config.yaml' | `profile:${string}` | `temporal.toml:${string}` | 'default';

export interface ExplainedSetting {
  /** Dotted path, e.g. "mithril.apiKey"; "home" is the Flow home folder. */
  key: string;
  /** The resolved value (masked when `secret`); undefined when unset. */
  value: unknown;
  source: SettingSource;
  secret: boolean;
}

/** Leaves that hold credentials: never shown unmasked. */
export const SECRET_SETTINGS: ReadonlySet<string> = new Set(['temporal.apiKey', 'mithril.apiKey', 'encryptionKey']);

const BULLETS = '••••••••';

/** `mk_••••••••3f2a`: the first 3 and last 4 characters of a long secret, else only bullets. */
export function maskSecret(value: string): string {
  if (value.length === 0) return '';
  return value.length >= 12 ? `${value.slice(0, 3)}${BULLETS}${value.slice(-4)}` : BULLETS;
}

// ---------------------------------------------------------------------------------------------
// Layers and where each value came from

interface Layer {
  values: Record<string, unknown>;
  sources: Map<string, SettingSource>;
}

/** The dotted paths of the leaves a layer sets (undefined and '' set nothing, as in merge). */
function leafPaths(values: Record<string, unknown>, prefix = ''): string[] {
  const paths: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || value === '') continue;
    if (isMapping(value)) paths.push(...leafPaths(value, `${prefix}${key}.`));
    else paths.push(`${prefix}${key}`);
  }
  return paths;
}

function uniformLayer(values: Record<string, unknown>, source: SettingSource): Layer {
  return { values, sources: new Map(leafPaths(values).map((path) => [path, source])) };
}

function fromEnv(env: NodeJS.ProcessEnv): Layer {
  const sources = new Map<string, SettingSource>();
  /** The first set variable among `names` (empty and `YOUR_…` count as unset), noted as the source. */
  const valueOf = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value && !isPlaceholder(value) ? value : undefined;
  };
  const read = (leaf: string, ...names: string[]): string | undefined => {
    for (const name of names) {
      const value = valueOf(name);
      if (value !== undefined) {
        sources.set(leaf, `env:${name}`);
        return value;
      }
    }
    return undefined;
  };

  const mithrilApiKey = read('mithril.apiKey', 'MITHRIL_API_KEY');
  let provider = read('provider', 'FLOW_PROVIDER');
  if (provider === undefined && mithrilApiKey !== undefined) {
    // As in the Python SDK: a Mithril key in the environment selects the Mithril provider.
    provider = 'mithril';
    sources.set('provider', 'env:MITHRIL_API_KEY');
  }

  const sshKeysText = read('mithril.sshKeys', 'MITHRIL_SSH_KEYS');
  const sshKeys = sshKeysText === undefined ? undefined : splitList(sshKeysText);
  if (sshKeys !== undefined && sshKeys.length === 0) sources.delete('mithril.sshKeys');

  const encryptText = read('local.encryptVolumes', 'FLOW_ENCRYPT_VOLUMES');
  const encryptVolumes = encryptText === undefined ? undefined : ['true', '1', 'yes'].includes(encryptText.toLowerCase());
  const noImageText = read('local.noImage', 'FLOW_NO_IMAGE');
  const noImage = noImageText === undefined ? undefined : ['true', '1', 'yes'].includes(noImageText.toLowerCase());

  let tls: boolean | undefined;
  const tlsText = read('temporal.tls', 'TEMPORAL_TLS');
  if (tlsText !== undefined) {
    tls = ['true', '1'].includes(tlsText.toLowerCase());
  } else {
    const implied = ['TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_SERVER_CA_CERT_PATH', 'TEMPORAL_TLS_SERVER_NAME', 'TEMPORAL_API_KEY'].find((name) => valueOf(name) !== undefined);
    if (implied !== undefined) {
      tls = true;
      sources.set('temporal.tls', `env:${implied}`);
    }
  }

  const values = {
    provider,
    temporalBin: read('temporalBin', 'FLOW_TEMPORAL_BIN'),
    encryptionKey: read('encryptionKey', 'FLOW_ENCRYPTION_KEY') ?? keyFromFile(read('encryptionKey', 'FLOW_ENCRYPTION_KEY_FILE')),
    temporal: {
      profile: read('temporal.profile', 'TEMPORAL_PROFILE'),
      address: read('temporal.address', 'TEMPORAL_ADDRESS'),
      namespace: read('temporal.namespace', 'TEMPORAL_NAMESPACE'),
      apiKey: read('temporal.apiKey', 'TEMPORAL_API_KEY'),
      tls,
      tlsCertPath: read('temporal.tlsCertPath', 'TEMPORAL_TLS_CLIENT_CERT_PATH'),
      tlsKeyPath: read('temporal.tlsKeyPath', 'TEMPORAL_TLS_CLIENT_KEY_PATH'),
      tlsCaPath: read('temporal.tlsCaPath', 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'),
      serverName: read('temporal.serverName', 'TEMPORAL_TLS_SERVER_NAME'),
    },
    local: {
      pricePerHour: read('local.pricePerHour', 'FLOW_LOCAL_PRICE_PER_HOUR'),
      encryptVolumes,
      containerRuntime: read('local.containerRuntime', 'FLOW_CONTAINER_RUNTIME'),
      imagePullPolicy: read('local.imagePullPolicy', 'FLOW_IMAGE_PULL_POLICY')?.toLowerCase(),
      noImage,
    },
    logs: { store: read('logs.store', 'FLOW_LOG_STORE') },
    mithril: {
      apiKey: mithrilApiKey,
      project: read('mithril.project', 'MITHRIL_PROJECT', 'MITHRIL_DEFAULT_PROJECT'),
      region: read('mithril.region', 'MITHRIL_REGION', 'MITHRIL_DEFAULT_REGION'),
      apiUrl: read('mithril.apiUrl', 'MITHRIL_API_URL'),
      sshKeys: sshKeys !== undefined && sshKeys.length > 0 ? sshKeys : undefined,
    },
  };
  return { values, sources };
}

/**
 * FLOW_ENCRYPTION_KEY_FILE: the key read from a file (a container secret such as
 * /run/secrets/flow_encryption_key), so it is never in the environment or an image. Errors name
 * the variable and path, never the content.
 */
function keyFromFile(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new ValidationError(`FLOW_ENCRYPTION_KEY_FILE names ${path}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      field: 'encryptionKey',
      suggestions: ['Point FLOW_ENCRYPTION_KEY_FILE at a readable file holding the base64 key, or unset it'],
    });
  }
}

/** Later layers win; undefined never overrides a value. */
function merge(...layers: Array<Record<string, unknown> | undefined>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer ?? {})) {
      if (value === undefined || value === '') continue;
      const current = out[key];
      // Nested objects are merged (also into nothing), so their undefined fields are dropped too.
      out[key] = isMapping(value) ? merge(isMapping(current) ? current : {}, value) : value;
    }
  }
  return out;
}

function describeSource(source: SettingSource, configFile: string): string {
  if (source === 'config.yaml') return configFile;
  if (source === 'argument') return 'an explicit argument';
  if (source.startsWith('env:')) return `the environment variable ${source.slice(4)}`;
  if (source.startsWith('profile:')) return `the profile ${source.slice(8)} in ${configFile}`;
  if (source.startsWith('temporal.toml:')) return `the profile ${source.slice(14)} in Temporal's temporal.toml`;
  return 'the default';
}

/**
 * The chosen profile's fields, between config.yaml's plain `temporal:` keys and the environment:
 * an argument's profile name beats TEMPORAL_PROFILE, which beats config.yaml's temporal.profile.
 */
function profileLayer(namers: Layer[], context: { yamlProfiles: unknown; configFile: string; env: NodeJS.ProcessEnv }): Layer {
  const namer = namers.find((layer) => typeof valueAt(layer.values, 'temporal.profile') === 'string');
  const name = namer === undefined ? undefined : String(valueAt(namer.values, 'temporal.profile'));
  const source = namer?.sources.get('temporal.profile');
  const namedBy = source === undefined ? 'temporal.profile' : source.startsWith('env:') ? source.slice(4) : source === 'argument' ? 'the temporal.profile argument' : `temporal.profile in ${context.configFile}`;
  const selected = selectProfile({ name, namedBy, ...context });
  if (selected === undefined) return { values: {}, sources: new Map() };
  const label: SettingSource = selected.origin === 'config.yaml' ? `profile:${selected.name}` : `temporal.toml:${selected.name}`;
  // An implicit `default` profile is named here, so `flow config show` says which one is active.
  const values = { temporal: { ...selected.values, ...(name === undefined ? { profile: selected.name } : {}) } };
  return uniformLayer(values, label);
}

function resolve(options: LoadSettingsOptions): { settings: FlowSettings; sources: Map<string, SettingSource> } {
  const env = options.env ?? process.env;
  const home = flowHome(env);
  const configFile = flowPaths(home).configFile;
  const fileValues = readConfigFile(configFile);
  // `temporal.profiles` is not a setting itself: the chosen profile becomes a layer of its own.
  let yamlProfiles: unknown;
  if (isMapping(fileValues.temporal)) {
    const { profiles, ...rest } = fileValues.temporal;
    yamlProfiles = profiles;
    fileValues.temporal = rest;
  }
  const fileLayer = uniformLayer(fileValues, 'config.yaml');
  const envLayer = fromEnv(env);
  const argumentLayer = uniformLayer((options.overrides ?? {}) as Record<string, unknown>, 'argument');
  const layers: Layer[] = [
    fileLayer,
    profileLayer([argumentLayer, envLayer, fileLayer], { yamlProfiles, configFile, env }),
    envLayer,
    argumentLayer,
  ];
  const sources = new Map<string, SettingSource>();
  for (const layer of layers) for (const [path, source] of layer.sources) sources.set(path, source);
  const merged = merge(...layers.map((layer) => layer.values));
  // Simple settings (the usual: few or none set) need no schema, with the same result.
  const simple = simpleSettings(merged);
  if (simple !== undefined) return { settings: { ...simple, home }, sources };
  const schema = settingsSchema();
  const result = schema.safeParse(merged);
  if (!result.success) {
    const error = toValidationError(result.error, Object.keys(schema.shape), 'Flow settings');
    const source = error.field === undefined ? undefined : sources.get(error.field);
    if (source === undefined) throw error;
    const where = `${error.field} comes from ${describeSource(source, configFile)}`;
    throw new ValidationError(error.message, { field: error.field, suggestions: [...error.suggestions, where] });
  }
  return { settings: { ...result.data, home }, sources };
}

export function loadSettings(options: LoadSettingsOptions = {}): FlowSettings {
  return resolve(options).settings;
}

/** The settings with nothing configured (for a fallback when config.yaml is broken). */
export function defaultSettings(home: string): FlowSettings {
  return { ...settingsSchema().parse({}), home };
}

// ---------------------------------------------------------------------------------------------
// explainSettings

function unwrapSchema(schema: z.ZodType): z.ZodType {
  const { z } = require('zod') as typeof import('zod');
  let current = schema;
  while (current instanceof z.ZodDefault || current instanceof z.ZodPrefault || current instanceof z.ZodOptional) {
    current = current.unwrap() as z.ZodType;
  }
  return current;
}

/** Every leaf of the settings schema, as dotted paths, in declaration order. */
function settingLeaves(shape: Record<string, z.ZodType> = settingsSchema().shape, prefix = ''): string[] {
  const { z } = require('zod') as typeof import('zod');
  const leaves: string[] = [];
  for (const [key, schema] of Object.entries(shape)) {
    const inner = unwrapSchema(schema);
    if (inner instanceof z.ZodObject) leaves.push(...settingLeaves(inner.shape as Record<string, z.ZodType>, `${prefix}${key}.`));
    else leaves.push(`${prefix}${key}`);
  }
  return leaves;
}

function valueAt(root: unknown, path: string): unknown {
  let current = root;
  for (const part of path.split('.')) current = isMapping(current) ? current[part] : undefined;
  return current;
}

/**
 * Every resolved setting (plus `home`) with where it came from: 'argument', 'env:NAME',
 * 'config.yaml' or 'default' (also for a setting that is unset). Secrets come back masked.
 */
export function explainSettings(options: LoadSettingsOptions = {}): ExplainedSetting[] {
  const env = options.env ?? process.env;
  const { settings, sources } = resolve(options);
  const entries: ExplainedSetting[] = [{ key: 'home', value: settings.home, source: env.FLOW_HOME?.trim() ? 'env:FLOW_HOME' : 'default', secret: false }];
  for (const key of settingLeaves()) {
    const secret = SECRET_SETTINGS.has(key);
    const raw = valueAt(settings, key);
    // The log store's URL is worth seeing, its password is not.
    const value = secret && typeof raw === 'string' ? maskSecret(raw) : key === 'logs.store' && typeof raw === 'string' ? redactUrlPassword(raw) : raw;
    entries.push({ key, value, source: sources.get(key) ?? 'default', secret });
  }
  return entries;
}

/** The provider and its settings for a task, resolved once at submission; they travel with the task. */
export function taskProviderSettings(settings: FlowSettings): ProviderSettings {
  return settings.local.pricePerHour > 0 ? { localPricePerHour: settings.local.pricePerHour } : {};
}
