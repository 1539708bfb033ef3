/**
 * The patterns TaskConfigSchema (task-config.ts) checks, in a module without zod, so the CLI's
 * fast path (task-config-fast.ts) checks exactly the same ones without loading the schema.
 */
export const PROVIDER_NAMES = ['local', 'ssh', 'mithril'] as const;
export const NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9._-]*$/;
export const ENV_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const VOLUME_NAME_PATTERN = /^[a-z0-9][a-z0-9-]*[a-z0-9]$/;
/**
 * A container image reference (registry/name:tag or @digest). It goes into the runtime's argv
 * right after the options, so a value starting with '-' would be read as an option.
 */
export const IMAGE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._\/:@+-]*$/;
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
