/**
 * Config a provider accepts but cannot honour, said once at submit time. The local provider runs
 * on this machine: a cloud region is ignored there, since every local offer is in region
 * "local", and so is a priority, since local offers have no price tiers. An image runs in a
 * container, unless the user asked for host mode (see withoutImageInHostMode).
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

/**
 * Host mode (flow run --no-image, FLOW_NO_IMAGE=1, local.no_image): a local task's image is
 * dropped and its command runs on this machine, as the Python SDK's local provider does without
 * Docker. providerWarnings says so: the command runs in a different environment from the one asked for.
 */
export function withoutImageInHostMode<T extends { image?: unknown }>(config: T, provider: string, noImage: boolean): T {
  if (!noImage || provider !== 'local' || typeof config.image !== 'string') return config;
  const { image: _ignored, ...rest } = config;
  return rest as T;
}

/** `noImage`: host mode is on (see withoutImageInHostMode), so an image is ignored, and said so first. */
export function providerWarnings(config: ProviderNoteFields, provider: string, options: { noImage?: boolean } = {}): string[] {
  if (provider !== 'local') return [];
  const warnings: string[] = [];
  if (options.noImage === true && typeof config.image === 'string' && config.image !== '') {
    warnings.push(`image: '${config.image}' ignored: host mode (--no-image / FLOW_NO_IMAGE=1) runs the command on this machine, not in its image`);
  }
  if (typeof config.region === 'string' && config.region !== '' && config.region !== 'local') {
    warnings.push(`region: provider local runs on this machine; region ${config.region} is ignored`);
  }
  if ((config.priority === 'low' || config.priority === 'high')) {
    warnings.push(`priority: provider local has no price tiers; priority ${config.priority} is recorded only`);
  }
  return warnings;
}
