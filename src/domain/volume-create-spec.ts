import { ValidationError } from './errors';
import { VolumeSpecSchema } from './task-config';
import type { VolumeCreateSpec } from './volume-info';

/** Size recorded for a volume created without one, in GB. */
export const DEFAULT_VOLUME_SIZE_GB = 1;

/** "My_Data " → "my-data": a valid name close to what was typed, if there is one. */
function nameSuggestion(name: string): string | undefined {
  const candidate = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 64)
    .replace(/-+$/, '');
  return candidate !== name && VolumeSpecSchema.shape.name.safeParse(candidate).success ? candidate : undefined;
}

const NAME_RULE = 'Volume names are 3 to 64 lower-case letters, digits and dashes, starting and ending with a letter or digit';
const SIZE_RULE = 'Give the size as a whole number of GB from 1 to 15000, e.g. --size 10 (sizeGb: 10)';

/** Validates a create request with VolumeSpecSchema; the ValidationError names `name` or `sizeGb`. */
export function parseVolumeCreateSpec(input: VolumeCreateSpec): { name: string; sizeGb: number } {
  const raw = input !== null && typeof input === 'object' ? input : ({} as Partial<VolumeCreateSpec>);
  const result = VolumeSpecSchema.safeParse({ name: raw.name, sizeGb: raw.sizeGb ?? DEFAULT_VOLUME_SIZE_GB });
  if (result.success) return { name: result.data.name, sizeGb: result.data.sizeGb };
  const lines: string[] = [];
  const suggestions: string[] = [];
  let field: string | undefined;
  for (const issue of result.error.issues) {
    const key = String(issue.path[0] ?? '');
    if (key === 'name' && !lines.some((line) => line.startsWith('name:'))) {
      field ??= 'name';
      lines.push(`name: ${typeof raw.name === 'string' ? `'${raw.name}' ` : ''}is not a valid volume name (${issue.message})`);
      const better = typeof raw.name === 'string' ? nameSuggestion(raw.name) : undefined;
      if (better !== undefined) suggestions.push(`Try: flow volumes create ${better}`);
      suggestions.push(NAME_RULE);
    } else if (key === 'sizeGb' && !lines.some((line) => line.startsWith('sizeGb:'))) {
      field ??= 'sizeGb';
      lines.push(`sizeGb: ${String(raw.sizeGb)} is not a valid size (${issue.message})`);
      suggestions.push(SIZE_RULE);
    }
  }
  if (lines.length === 0) lines.push(result.error.issues[0]?.message ?? 'invalid volume');
  const message = lines.length === 1 ? `Invalid volume: ${lines[0]}` : `Invalid volume:\n  ${lines.join('\n  ')}`;
  throw new ValidationError(message, { field, suggestions });
}

/** Creates an empty volume and records its quota. ValidationError for bad input or a name in use. */
