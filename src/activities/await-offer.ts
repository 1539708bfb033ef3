import { Context } from '@temporalio/activity';
import type { Provider } from '../providers/provider';
import { chooseOffer, type OfferChoice, type SelectOfferInput } from '../providers/offer-choice';
import { waitCapMs } from './wait-cap';

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
  const maxWaitMs = Math.min(input.maxWaitMs, waitCapMs('FLOW_OFFER_WAIT_MAX_MS'));
  for (;;) {
    const choice = await chooseOffer(provider, input);
    if ('offer' in choice) return choice;
    const waited = Date.now() - started;
    if ((choice.waiting !== input.knownReason && waited >= input.reportChangeAfterMs) || waited >= maxWaitMs) return choice;
    context.heartbeat({ waiting: choice.waiting });
    await context.sleep(input.pollMs);
  }
}
