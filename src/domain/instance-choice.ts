/** How a task's choice of instance reads in listings, search attributes and offer selection. Pure: workflows use it. */

/** The instance types a config asks for, in order of preference (empty: the provider's default). */
export function instanceTypeChoices(config: { instanceType?: string | string[] }): string[] {
  return config.instanceType === undefined ? [] : [config.instanceType].flat();
}

/** One line for listings and search attributes: "a100", "a100 | h100", or "default". */
export function instanceTypeLabel(config: { instanceType?: string | string[]; minGpuMemoryGb?: number }): string {
  const choices = instanceTypeChoices(config);
  if (choices.length > 0) return choices.join(' | ');
  return config.minGpuMemoryGb ? `>=${config.minGpuMemoryGb}GB` : 'default';
}

/** The FlowInstanceType search attribute at start: the type asked for ("a | b" for alternatives) or "default". */
export function searchableInstanceType(config: { instanceType?: string | string[] }): string {
  return instanceTypeChoices(config).join(' | ') || 'default';
}
