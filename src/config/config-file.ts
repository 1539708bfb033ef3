// config.yaml as the Python SDK writes it (snake_case, placeholders, Python-only keys), read
// into the shape of FlowSettingsSchema's input; load-config.ts layers it with env and defaults.
import { readFileSync } from 'node:fs';
import { ValidationError } from '../domain';
import { parseYaml } from './parse-yaml';

/** A value the Python SDK's templates leave in place of a real one (`YOUR_API_KEY`). */
export function isPlaceholder(value: string): boolean {
  return value.trim().startsWith('YOUR_');
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function readConfigFile(path: string): Record<string, unknown> {
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
      suggestions: [`Fix the file or recreate it with: flow setup`],
    });
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isMapping(parsed)) {
    throw new ValidationError(`${path} must hold a YAML mapping of settings`, { suggestions: ['Recreate it with: flow setup'] });
  }
  return normalizeFileSettings(parsed, path);
}

/** Keys the Python SDK writes that Flow accepts and ignores, so one config.yaml serves both. */
const PYTHON_ONLY_TOP_LEVEL = new Set(['mode', 'demo']);
const PYTHON_ONLY_MITHRIL = new Set(['devTaskId', 'limitPrices', 'enableWorkloadResume']);
const SECTIONS = new Set(['temporal', 'local', 'mithril', 'ssh', 'logs']);

function camelKey(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

/** `YOUR_…` placeholders become unset, in strings and in lists. */
function dropPlaceholders(value: unknown): unknown {
  if (typeof value === 'string') return isPlaceholder(value) ? undefined : value;
  if (Array.isArray(value)) return value.filter((item) => !(typeof item === 'string' && isPlaceholder(item)));
  return value;
}

/** camelCases one mapping's keys; two spellings of one key must agree. */
function camelMapping(input: Record<string, unknown>, prefix: string, path: string, ignore: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const spelledAs: Record<string, string> = {};
  for (const [rawKey, rawValue] of Object.entries(input)) {
    const key = camelKey(rawKey);
    if (ignore.has(key) || (prefix === '' && key.startsWith('health'))) continue;
    const value = SECTIONS.has(key) && prefix === '' ? rawValue : dropPlaceholders(rawValue);
    // Own keys only: `constructor` or `toString` in the file is not set already because objects have them.
    const earlier = Object.hasOwn(out, key) ? out[key] : undefined;
    if (value === undefined && Object.hasOwn(out, key)) continue;
    if (earlier !== undefined && JSON.stringify(earlier) !== JSON.stringify(value)) {
      throw new ValidationError(`${path} sets ${prefix}${key} twice, as '${spelledAs[key]}' and '${rawKey}', with different values`, {
        field: `${prefix}${key}`,
        suggestions: [`Keep one of '${spelledAs[key]}' and '${rawKey}' in ${path}`],
      });
    }
    out[key] = value;
    spelledAs[key] = rawKey;
  }
  return out;
}

/**
 * Accepts Flow's own shape (camelCase) and the Python SDK's (`api_key` at the top level,
 * `mithril: {project, region, api_url, ssh_keys}`, snake_case keys).
 */
function normalizeFileSettings(raw: Record<string, unknown>, path: string): Record<string, unknown> {
  const out = camelMapping(raw, '', path, PYTHON_ONLY_TOP_LEVEL);
  for (const section of SECTIONS) {
    const value = out[section];
    // A section of the wrong shape would be replaced silently by the environment's settings.
    if (value !== undefined && value !== null && !isMapping(value)) {
      throw new ValidationError(`${path}: ${section} must be a mapping of settings, not ${Array.isArray(value) ? 'a list' : typeof value}`, {
        field: section,
        suggestions: [`Write ${section}: with its settings indented below it, or remove it from ${path}`],
      });
    }
  }
  if (isMapping(out.temporal)) out.temporal = camelMapping(out.temporal, 'temporal.', path, new Set());
  if (isMapping(out.local)) out.local = camelMapping(out.local, 'local.', path, new Set());
  if (isMapping(out.logs)) out.logs = camelMapping(out.logs, 'logs.', path, new Set());
  if (isMapping(out.ssh)) {
    const ssh = camelMapping(out.ssh, 'ssh.', path, new Set());
    // Each host's keys are snake_case in the file; labels keep their keys as written.
    if (Array.isArray(ssh.hosts)) {
      ssh.hosts = ssh.hosts.map((entry: unknown, index) => (isMapping(entry) ? camelMapping(entry, `ssh.hosts.${index}.`, path, new Set()) : entry));
    }
    out.ssh = ssh;
  }
  if (isMapping(out.mithril)) {
    const mithril = camelMapping(out.mithril, 'mithril.', path, PYTHON_ONLY_MITHRIL);
    if (typeof mithril.sshKeys === 'string') mithril.sshKeys = splitList(mithril.sshKeys);
    out.mithril = mithril;
  }
  if ('apiKey' in out) {
    // The Python SDK keeps the Mithril key at the top level.
    const topLevel = out.apiKey;
    delete out.apiKey;
    if (topLevel !== undefined) {
      const mithril = isMapping(out.mithril) ? out.mithril : out.mithril === undefined || out.mithril === null ? {} : undefined;
      if (mithril === undefined) {
        // `mithril` is not a mapping: leave it for the schema to reject.
        out.apiKey = topLevel;
      } else {
        if (mithril.apiKey !== undefined && mithril.apiKey !== topLevel) {
          throw new ValidationError(`${path} sets the Mithril API key twice, as 'api_key' and 'mithril.apiKey', with different values`, {
            field: 'mithril.apiKey',
            suggestions: [`Keep only the top-level 'api_key' in ${path}`],
          });
        }
        out.mithril = { ...mithril, apiKey: topLevel };
      }
    }
  }
  return out;
}

/** A comma list (MITHRIL_SSH_KEYS, ssh_keys as text): trimmed, empty and placeholder items left out. */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0 && !isPlaceholder(item));
}
