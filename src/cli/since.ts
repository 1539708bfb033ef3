import { ValidationError } from '../domain/errors';

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `--since 10m` / `2h` / `1d` (that long ago) or an ISO time such as 2026-11-22T10:00:00Z → epoch ms. */
export function parseSince(text: string, now: number): number {
  const match = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(text.trim());
  if (match) return now - Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  // Only full dates: Date.parse would also take "5" or "May" and guess.
  const at = /^\d{4}-\d{2}-\d{2}/.test(text.trim()) ? Date.parse(text.trim()) : Number.NaN;
  if (Number.isNaN(at)) {
    throw new ValidationError(`since: '${text}' is neither a duration nor a date`, {
      field: 'since',
      suggestions: ['Use a duration such as 30s, 10m, 2h or 1d, or an ISO time such as 2026-11-22T10:00:00Z'],
    });
  }
  return at;
}
