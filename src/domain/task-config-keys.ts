/**
 * The Python SDK's spellings of TaskConfig keys, normalised; without zod (task-config.ts re-exports
 * these), so the CLI's flags and task files can use them before any schema is loaded.
 */

/** snake_case → camelCase, so YAML written for the Python SDK parses unchanged. */
export function camelKey(key: string): string {
  return key.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

const NESTED_OBJECT_LISTS = new Set(['volumes']);
const NESTED_OBJECTS = new Set(['retry', 'retries']);
/** Fields whose keys are user data (variable names) and must not be renamed. */
const VERBATIM = new Set(['env', 'secrets']);

/** Accepts the Python SDK's snake_case spellings (and `environment` for env). */
export function normalizeConfigKeys(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [rawKey, value] of Object.entries(input)) {
    const key = rawKey === 'environment' ? 'env' : camelKey(rawKey);
    if (VERBATIM.has(key)) out[key] = value;
    else if (NESTED_OBJECT_LISTS.has(key) && Array.isArray(value)) {
      out[key] = value.map((item) => (item && typeof item === 'object' ? normalizeConfigKeys(item as Record<string, unknown>) : item));
    } else if (NESTED_OBJECTS.has(key) && value && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = normalizeConfigKeys(value as Record<string, unknown>);
    } else out[key] = value;
  }
  return out;
}
