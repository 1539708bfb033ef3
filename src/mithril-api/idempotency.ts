import { createHash } from 'node:crypto';
import { ValidationError } from '../domain';

/** What Mithril accepts as an Idempotency-Key. */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function checkIdempotencyKey(key: string): string {
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new ValidationError(`Idempotency key '${key}' is not valid: use 1 to 128 letters, digits and . _ : - (starting with a letter or digit)`, {
      field: 'idempotencyKey',
    });
  }
  return key;
}

/**
 * The key for one create call. A retried activity computes the same key, so Mithril returns the
 * bid or volume it already made instead of a second one. `round` tells deliberate repeats apart
 * (a new bid after a preemption must be a new bid), and `purpose` bids from volumes.
 */
export function idempotencyKeyFor(input: { idempotencyKey?: string; taskId: string; purpose: string; round?: number }): string {
  const round = input.round ?? 0;
  const tag = input.purpose.replace(/[^A-Za-z0-9]/g, '').slice(0, 24) || 'call';
  if (input.idempotencyKey !== undefined) {
    checkIdempotencyKey(input.idempotencyKey);
    return checkIdempotencyKey(round === 0 && input.purpose === 'bid' ? input.idempotencyKey : `${input.idempotencyKey}:${tag}:${round}`);
  }
  const digest = createHash('sha256').update(`${input.taskId}\0${input.purpose}\0${round}`).digest('hex').slice(0, 32);
  return `flow-${tag}-${digest}`;
}
