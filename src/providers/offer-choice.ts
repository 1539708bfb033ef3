import {
  ResourceNotFoundError,
  instanceMatches,
  parseInstanceType,
  totalGpuMemoryGb,
  type Offer,
} from '../domain';
import type { Provider } from './provider';

export interface SelectOfferInput {
  instanceType?: string;
  minGpuMemoryGb?: number;
  maxPricePerHour?: number;
}

/** An offer to take now, or why the task must keep waiting (e.g. nothing under its price cap). */
export type OfferChoice = { offer: Offer } | { waiting: string; suggestions: string[] };

function describeOffers(offers: Offer[]): string {
  return offers.map((o) => (o.pricePerHour > 0 ? `${o.instanceType} ($${o.pricePerHour.toFixed(2)}/h)` : o.instanceType)).join(', ');
}

/**
 * The provider's offers of the requested shape, whatever their price. Throws
 * ResourceNotFoundError (listing what is offered) when the provider has no such shape at all.
 */
export async function matchingOffers(provider: Provider, input: SelectOfferInput): Promise<{ wanted: string; candidates: Offer[] }> {
  const offers = await provider.listOffers();
  let candidates: Offer[];
  let wanted: string;
  if (input.minGpuMemoryGb !== undefined) {
    wanted = `at least ${input.minGpuMemoryGb} GB of GPU memory`;
    candidates = offers.filter((o) => totalGpuMemoryGb(o.spec) >= input.minGpuMemoryGb!);
  } else {
    const requested = parseInstanceType(input.instanceType ?? (await provider.defaultInstanceType()));
    wanted = requested.name;
    candidates = offers.filter((o) => instanceMatches(requested, o.spec));
  }
  if (candidates.length === 0) {
    throw new ResourceNotFoundError(`Provider '${provider.name}' has no instance with ${wanted}`, [
      `Available here: ${describeOffers(offers) || 'none'}`,
      offers.length > 0 ? `Run with e.g. -i ${offers[0]!.instanceType}, or leave -i out for the default` : 'Check the provider setup with: flow doctor',
    ]);
  }
  return { wanted, candidates };
}

/** The cheapest offer that matches the request and the price cap, or why there is none yet. */
export async function chooseOffer(provider: Provider, input: SelectOfferInput): Promise<OfferChoice> {
  const { wanted, candidates } = await matchingOffers(provider, input);
  const affordable = candidates
    .filter((o) => input.maxPricePerHour === undefined || o.pricePerHour <= input.maxPricePerHour)
    .sort((a, b) => a.pricePerHour - b.pricePerHour);
  if (affordable.length > 0) return { offer: affordable[0]! };
  const cheapest = Math.min(...candidates.map((o) => o.pricePerHour));
  return {
    waiting: `no ${wanted} under $${input.maxPricePerHour!.toFixed(2)}/h (cheapest now $${cheapest.toFixed(2)}/h)`,
    suggestions: [`Raise the cap with --max-price ${cheapest.toFixed(2)}`],
  };
}
