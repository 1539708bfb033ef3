// Named connection profiles, in the shape of Temporal's environment configuration
// (temporal.toml's `[profile.<name>]`): in config.yaml under `temporal.profiles`, and in
// Temporal's own TOML file. load-config.ts layers the chosen profile between config.yaml's plain
// `temporal:` keys and the TEMPORAL_* variables, so a variable always overrides a profile field.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import { ValidationError } from '../domain';
import { closestNames } from '../domain/closest';
import { isMapping } from './config-file';

/**
 * One profile, with Temporal's key names (snake_case, as `temporal config set --prop` writes them).
 * Built on first use: most commands read no profile, and zod costs a fresh CLI tens of ms.
 */
function buildProfileSchemas() {
  const { z } = require('zod') as typeof import('zod');
  const ProfileTlsSchema = z.strictObject({
    disabled: z.boolean().optional(),
    client_cert_path: z.string().trim().min(1, 'must not be empty').optional(),
    client_key_path: z.string().trim().min(1, 'must not be empty').optional(),
    server_ca_cert_path: z.string().trim().min(1, 'must not be empty').optional(),
    server_name: z.string().trim().min(1, 'must not be empty').optional(),
  });
  const ProfileSchema = z.strictObject({
    address: z.string().trim().min(1, 'must not be empty').optional(),
    namespace: z.string().trim().min(1, 'must not be empty').optional(),
    api_key: z.string().trim().min(1, 'must not be empty').optional(),
    tls: ProfileTlsSchema.optional(),
  });
  return { ProfileTlsSchema, ProfileSchema };
}
let profileSchemas: ReturnType<typeof buildProfileSchemas> | undefined;
export type TemporalProfile = z.infer<ReturnType<typeof buildProfileSchemas>['ProfileSchema']>;

/** Keys of Temporal's format that Flow does not take (PEM data inline, gRPC metadata, codec). */
const UNSUPPORTED: Record<string, string> = {
  client_cert_data: 'client_cert_path',
  client_key_data: 'client_key_path',
  server_ca_cert_data: 'server_ca_cert_path',
};

/** Where the chosen profile came from, for `flow config show` and errors. */
export type ProfileOrigin = 'config.yaml' | 'temporal.toml';

export interface SelectedProfile {
  name: string;
  origin: ProfileOrigin;
  /** The file it was read from. */
  file: string;
  /** Its fields as Flow's `temporal` settings (camelCase); only the fields the profile sets. */
  values: Record<string, unknown>;
}

/**
 * Temporal's TOML file: TEMPORAL_CONFIG_FILE, else the platform default
 * ($XDG_CONFIG_HOME or ~/.config on Linux, ~/Library/Application Support on macOS).
 */
export function temporalTomlPath(env: NodeJS.ProcessEnv): { path: string; explicit: boolean } {
  const named = env.TEMPORAL_CONFIG_FILE?.trim();
  if (named) return { path: named, explicit: true };
  const home = env.HOME?.trim() || homedir();
  const configDir = process.platform === 'darwin' ? join(home, 'Library', 'Application Support') : env.XDG_CONFIG_HOME?.trim() || join(home, '.config');
  return { path: join(configDir, 'temporalio', 'temporal.toml'), explicit: false };
}

/** The `profile` table of Temporal's TOML file; {} when the default file is absent. */
function readTomlProfiles(path: string, explicit: boolean): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (!explicit) return {};
    throw new ValidationError(`TEMPORAL_CONFIG_FILE names ${path}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, {
      field: 'TEMPORAL_CONFIG_FILE',
      suggestions: ['Point TEMPORAL_CONFIG_FILE at a readable temporal.toml, or unset it'],
    });
  }
  let parsed: Record<string, unknown>;
  try {
    // Loaded only when a TOML file is read: most commands never need it.
    const { parse } = require('smol-toml') as typeof import('smol-toml');
    parsed = parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new ValidationError(`${path} is not valid TOML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`, {
      field: 'TEMPORAL_CONFIG_FILE',
      suggestions: [`Fix ${path} (temporal config set writes it), or point TEMPORAL_CONFIG_FILE elsewhere`],
    });
  }
  return isMapping(parsed.profile) ? parsed.profile : {};
}

/** A profile's raw mapping, checked against Temporal's key names; errors name the dotted field. */
function parseProfile(raw: unknown, field: string, file: string): TemporalProfile {
  if (!isMapping(raw)) {
    throw new ValidationError(`${file}: ${field} must be a mapping (address, namespace, api_key, tls)`, { field, suggestions: [`Write ${field}: with its settings indented below it`] });
  }
  const { ProfileSchema, ProfileTlsSchema } = (profileSchemas ??= buildProfileSchemas());
  const result = ProfileSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const prefix = issue.path.length > 0 ? `${issue.path.join('.')}.` : '';
    const key = issue.keys[0]!;
    const known = prefix === 'tls.' ? Object.keys(ProfileTlsSchema.shape) : Object.keys(ProfileSchema.shape);
    const instead = UNSUPPORTED[key];
    const hint = instead ? `Flow reads certificates from files: use ${instead}` : closestNames(key, known).map((name) => `Did you mean ${prefix}${name}?`)[0];
    throw new ValidationError(`${file}: ${field}.${prefix}${key} is not a profile setting (known: ${known.join(', ')})`, {
      field: `${field}.${prefix}${key}`,
      suggestions: hint ? [hint] : [`Use Temporal's key names: ${known.join(', ')}`],
    });
  }
  const path = [field, ...issue.path.map(String)].join('.');
  throw new ValidationError(`${file}: ${path} ${issue.message}`, { field: path, suggestions: [`Fix ${path} in ${file}`] });
}

/** A profile's fields as Flow's `temporal` settings. TLS is on with a `tls` table or an API key, unless `tls.disabled`. */
export function profileSettings(profile: TemporalProfile): Record<string, unknown> {
  const tls = profile.tls;
  const tlsOn = tls?.disabled === true ? false : tls !== undefined || profile.api_key !== undefined ? true : undefined;
  const values: Record<string, unknown> = {
    address: profile.address,
    namespace: profile.namespace,
    apiKey: profile.api_key,
    tls: tlsOn,
    tlsCertPath: tls?.client_cert_path,
    tlsKeyPath: tls?.client_key_path,
    tlsCaPath: tls?.server_ca_cert_path,
    serverName: tls?.server_name,
  };
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
}

export interface SelectProfileOptions {
  /** The profile name asked for, and which setting named it (for errors). */
  name: string | undefined;
  namedBy: string;
  /** config.yaml's `temporal.profiles` (undefined when absent). */
  yamlProfiles: unknown;
  configFile: string;
  env: NodeJS.ProcessEnv;
}

/**
 * The profile to layer in: the one named (TEMPORAL_PROFILE, else config.yaml's temporal.profile),
 * looked up in config.yaml's profiles, then in Temporal's TOML file. Unnamed: the profile called
 * `default` in config.yaml, or in the TOML file only when TEMPORAL_CONFIG_FILE names it (a
 * temporal CLI's file at the default path does not silently move Flow off the embedded server).
 * A name that exists nowhere is a ValidationError listing the profiles that do.
 */
export function selectProfile(options: SelectProfileOptions): SelectedProfile | undefined {
  const { env, configFile } = options;
  if (options.yamlProfiles !== undefined && options.yamlProfiles !== null && !isMapping(options.yamlProfiles)) {
    throw new ValidationError(`${configFile}: temporal.profiles must be a mapping of profile names to settings`, {
      field: 'temporal.profiles',
      suggestions: ['Write temporal.profiles: with one entry per profile name (address, namespace, api_key, tls) below it'],
    });
  }
  const yamlProfiles = isMapping(options.yamlProfiles) ? options.yamlProfiles : {};
  const fromYaml = (name: string): SelectedProfile | undefined =>
    Object.hasOwn(yamlProfiles, name)
      ? { name, origin: 'config.yaml', file: configFile, values: profileSettings(parseProfile(yamlProfiles[name], `temporal.profiles.${name}`, configFile)) }
      : undefined;
  const toml = temporalTomlPath(env);
  const fromToml = (name: string, profiles: Record<string, unknown>): SelectedProfile | undefined =>
    Object.hasOwn(profiles, name) ? { name, origin: 'temporal.toml', file: toml.path, values: profileSettings(parseProfile(profiles[name], `profile.${name}`, toml.path)) } : undefined;

  if (options.name === undefined) {
    return fromYaml('default') ?? (toml.explicit ? fromToml('default', readTomlProfiles(toml.path, true)) : undefined);
  }
  const found = fromYaml(options.name);
  if (found) return found;
  const tomlProfiles = readTomlProfiles(toml.path, toml.explicit);
  const inToml = fromToml(options.name, tomlProfiles);
  if (inToml) return inToml;
  const known = [...new Set([...Object.keys(yamlProfiles), ...Object.keys(tomlProfiles)])].sort();
  const close = closestNames(options.name, known);
  throw new ValidationError(
    `${options.namedBy} names the Temporal profile '${options.name}', which does not exist (${known.length > 0 ? `profiles: ${known.join(', ')}` : 'no profiles are defined'})`,
    {
      field: 'temporal.profile',
      suggestions: [
        ...close.map((name) => `Did you mean ${name}?`),
        `Define it under temporal.profiles.${options.name} in ${configFile}, or as [profile.${options.name}] in ${toml.path}`,
      ],
    },
  );
}
