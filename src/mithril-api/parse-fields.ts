import { z } from 'zod';
import { ProviderError } from '../domain';

/** Field readers shared by the response schemas: the API spells some fields two ways and prices several. */

/** ISO 8601 with a timezone (Z or ±hh:mm). A naive time would be read in the wrong zone, so it is refused. */
export const Timestamp = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i, 'must be an ISO 8601 time with a timezone (Z or an offset)')
  .refine((text) => !Number.isNaN(Date.parse(text)), 'is not a valid time')
  .transform((text) => new Date(text).toISOString());

/** A price in USD: "$1.23", "1.23" or 1.23. */
export const Usd = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const amount = typeof value === 'number' ? value : Number(value.trim().replace(/^\$/, '').replace(/,/g, ''));
  if (!Number.isFinite(amount) || amount < 0) {
    ctx.addIssue({ code: 'custom', message: `is not a price: ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  return amount;
});

/** A count sent as a number or a numeric string. */
export const Count = z.union([z.number(), z.string().regex(/^\d+$/)]).transform(Number).pipe(z.number().int().min(0));

/** The first present value among spellings of one field; both present and different is an error. */
export function oneOf<T>(row: Record<string, unknown>, keys: readonly string[], equal: (a: T, b: T) => boolean = Object.is): T | undefined {
  let found: { key: string; value: T } | undefined;
  for (const key of keys) {
    const value = row[key] as T | undefined | null;
    if (value === undefined || value === null) continue;
    if (found !== undefined && !equal(found.value, value)) {
      throw new ProviderError(`Mithril sent '${found.key}' and '${key}' with different values (${String(found.value)} / ${String(value)})`, { retryable: false });
    }
    found ??= { key, value };
  }
  return found?.value;
}

/** Parses one row with a schema; a mismatch becomes a ProviderError that names what and which field. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.length ? issue.path.join('.') : '(document)';
  throw new ProviderError(`Unexpected Mithril response for ${what}: ${field} ${issue?.message ?? 'is invalid'}`, { retryable: false });
}

/** A JSON object, or a ProviderError naming what was expected. */
export function asRecord(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ProviderError(`Unexpected Mithril response for ${what}: expected an object`, { retryable: false });
  }
  return value as Record<string, unknown>;
}
