/** When and how long the HTTP client waits before trying a request again. */

/** Methods whose repetition cannot do a thing twice. */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/** A Retry-After longer than this is not waited out: the caller gets a rate-limit error at once. */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * Whether a request may be sent again after a 5xx or a dropped connection. A POST or PATCH with
 * an Idempotency-Key may: the server answers a repeated key with the first outcome instead of
 * creating a second bid or volume, which is exactly what the key is for.
 */
export function isSafeToRepeat(method: string, idempotencyKey: string | undefined): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase()) || idempotencyKey !== undefined;
}

/** Exponential backoff: 1 s, 2 s, 4 s … capped at 10 s, plus up to 250 ms of jitter so clients spread out. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  return Math.min(1000 * 2 ** attempt, 10_000) + Math.floor(random() * 250);
}

/** Retry-After as milliseconds: integer seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
