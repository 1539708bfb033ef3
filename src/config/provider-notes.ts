/**
 * Config a provider accepts but cannot honour, said once at submit time. The local provider runs
 * commands on this machine: an image (Python Flow files often have one) is ignored there, as the
 * Python SDK's own local provider does when Docker is missing; so is a cloud region, since every
 * local offer is in region "local", and a priority, since local offers have no price tiers.
 */
interface ProviderNoteFields {
  image?: unknown;
  region?: unknown;
  priority?: unknown;
}

/** Whether the config has anything providerWarnings may talk about (saves loading settings). */
export function hasProviderNotes(config: ProviderNoteFields): boolean {
  return typeof config.image === 'string' || typeof config.region === 'string' || (typeof config.priority === 'string' && config.priority !== 'med');
}

export function providerWarnings(config: ProviderNoteFields, provider: string): string[] {
  if (provider !== 'local') return [];
  const warnings: string[] = [];
  if (typeof config.image === 'string' && config.image !== '') {
    warnings.push(`image: '${config.image}' ignored: provider local runs the command on this machine, not in a container`);
  }
  if (typeof config.region === 'string' && config.region !== '' && config.region !== 'local') {
    warnings.push(`region: provider local runs on this machine; region ${config.region} is ignored`);
  }
  if ((config.priority === 'low' || config.priority === 'high')) {
    warnings.push(`priority: provider local has no price tiers; priority ${config.priority} is recorded only`);
  }
  return warnings;
}
