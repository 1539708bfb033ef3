/**
 * Config a provider accepts but cannot honour, said once at submit time. The local provider runs
 * commands on this machine, so an image (the Python SDK always writes one) is ignored there,
 * as the Python SDK's own local provider does when Docker is missing.
 */
export function providerWarnings(config: { image?: unknown }, provider: string): string[] {
  if (provider === 'local' && typeof config.image === 'string' && config.image !== '') {
    return [`image: '${config.image}' ignored: provider local runs the command on this machine, not in a container`];
  }
  return [];
}
