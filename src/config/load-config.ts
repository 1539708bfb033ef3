import { readFileSync } from 'node:fs';
import { parseYaml } from './parse-yaml';
import { z } from 'zod';
import { ProviderNameSchema, ValidationError, toValidationError } from '../domain';
import { flowHome, flowPaths } from './flow-home';

/** Settings, resolved: explicit args > env vars > $FLOW_HOME/config.yaml > defaults. */
export const FlowSettingsSchema = z.strictObject({
  provider: ProviderNameSchema.default('local'),
  temporal: z
    .strictObject({
      address: z.string().optional(),
      namespace: z.string().default('default'),
      apiKey: z.string().optional(),
      tls: z.boolean().default(false),
      tlsCertPath: z.string().optional(),
      tlsKeyPath: z.string().optional(),
      tlsCaPath: z.string().optional(),
      serverName: z.string().optional(),
    })
    .prefault({}),
  temporalBin: z.string().optional(),
});
export type FlowSettings = z.infer<typeof FlowSettingsSchema> & { home: string };
export type FlowSettingsInput = z.input<typeof FlowSettingsSchema>;

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (error) {
    throw new ValidationError(`${path} is not valid YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`, {
      suggestions: [`Fix the file or recreate it with: flow init`],
    });
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ValidationError(`${path} must hold a YAML mapping of settings`, { suggestions: ['Recreate it with: flow init'] });
  }
  return parsed as Record<string, unknown>;
}

function fromEnv(env: NodeJS.ProcessEnv): FlowSettingsInput {
  const tlsWanted = env.TEMPORAL_TLS?.trim() || (env.TEMPORAL_TLS_CLIENT_CERT_PATH || env.TEMPORAL_API_KEY ? 'true' : undefined);
  return {
    provider: env.FLOW_PROVIDER as FlowSettingsInput['provider'],
    temporalBin: env.FLOW_TEMPORAL_BIN,
    temporal: {
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      apiKey: env.TEMPORAL_API_KEY,
      tls: tlsWanted === undefined ? undefined : ['true', '1'].includes(tlsWanted.trim().toLowerCase()),
      tlsCertPath: env.TEMPORAL_TLS_CLIENT_CERT_PATH,
      tlsKeyPath: env.TEMPORAL_TLS_CLIENT_KEY_PATH,
      tlsCaPath: env.TEMPORAL_TLS_SERVER_CA_CERT_PATH,
      serverName: env.TEMPORAL_TLS_SERVER_NAME,
    },
  };
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
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

export function loadSettings(options: { env?: NodeJS.ProcessEnv; overrides?: FlowSettingsInput } = {}): FlowSettings {
  const env = options.env ?? process.env;
  const home = flowHome(env);
  const file = readConfigFile(flowPaths(home).configFile);
  const merged = merge(file, fromEnv(env) as Record<string, unknown>, options.overrides as Record<string, unknown> | undefined);
  const result = FlowSettingsSchema.safeParse(merged);
  if (!result.success) throw toValidationError(result.error, Object.keys(FlowSettingsSchema.shape), 'Flow settings');
  return { ...result.data, home };
}
