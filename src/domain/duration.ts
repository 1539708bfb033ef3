import { ValidationError } from './errors';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "0s", "90s", "10m", "1.5h", "2d" → milliseconds; anything else a ValidationError naming `field`. */
export function parseDurationMs(text: string, field: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (match === null) {
    throw new ValidationError(`${field}: '${text}' is not a duration`, { field, suggestions: ['Use a number and a unit: 0s, 90s, 10m, 2h or 1d'] });
  }
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
}
