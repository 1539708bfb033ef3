import { Context } from '@temporalio/activity';
import type { Provider } from '../providers/provider';
import { chooseOffer, type OfferChoice, type SelectOfferInput } from '../providers/offer-choice';

export interface AwaitOfferInput extends SelectOfferInput {
  /** The waiting reason the workflow already shows: the same reason again is not news. */
  knownReason: string;
  /** A changed reason is reported (by returning) only after this long, so changes cost few events. */
  reportChangeAfterMs: number;
  /** Returns after this long even without news, so no attempt runs unbounded. */
  maxWaitMs: number;
  /** How often the provider is asked. */
  pollMs: number;
}

/**
 * Waits for an offer inside one heartbeating activity, so a pending task adds no history events
 * while nothing changes. Returns the offer as soon as there is one, or the new waiting reason.
 */
export async function awaitOffer(provider: Provider, input: AwaitOfferInput): Promise<OfferChoice> {
  const context = Context.current();
  const started = Date.now();
  const maxWaitMs = Math.min(input.maxWaitMs, waitCapMs());
  for (;;) {
    const choice = await chooseOffer(provider, input);
    if ('offer' in choice) return choice;
    const waited = Date.now() - started;
    if ((choice.waiting !== input.knownReason && waited >= input.reportChangeAfterMs) || waited >= maxWaitMs) return choice;
    context.heartbeat({ waiting: choice.waiting });
    await context.sleep(input.pollMs);
  }
}

/**
 * FLOW_OFFER_WAIT_MAX_MS shortens each wait (tests and benchmarks: hours of waiting, each ending
 * in a few history events, played in seconds). Unset: no cap beyond the workflow's own.
 */
function waitCapMs(): number {
  const raw = process.env.FLOW_OFFER_WAIT_MAX_MS?.trim();
  if (!raw) return Infinity;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`FLOW_OFFER_WAIT_MAX_MS must be a number of milliseconds >= 0, got '${raw}'`);
  return value;
}
