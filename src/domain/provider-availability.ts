import { ValidationError } from './errors';
import type { ProviderName } from './task-config';

/** Providers this build can run tasks on; the others are refused before anything is submitted. */
export const AVAILABLE_PROVIDERS: readonly ProviderName[] = ['local', 'ssh', 'mithril'];

/** Throws a ValidationError naming `provider` unless tasks can run on it. */
export function assertProviderAvailable(name: ProviderName): void {
  if (AVAILABLE_PROVIDERS.includes(name)) return;
  throw new ValidationError(`provider: '${name}' is not supported yet; nothing was submitted`, {
    field: 'provider',
    suggestions: [
      `Use ${AVAILABLE_PROVIDERS.map((p) => `--provider ${p}`).join(' or ')}`,
      'Or set provider: local in config.yaml / FLOW_PROVIDER=local (see: flow config show)',
    ],
  });
}
