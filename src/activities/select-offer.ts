import {
  PriceLimitError,
  ResourceNotFoundError,
  instanceMatches,
  parseInstanceType,
  totalGpuMemoryGb,
  type Offer,
} from '../domain';
import type { Provider } from '../providers/provider';

export interface SelectOfferInput {
  instanceType?: string;
  minGpuMemoryGb?: number;
  maxPricePerHour?: number;
}

function describeOffers(offers: Offer[]): string {
  return offers.map((o) => (o.pricePerHour > 0 ? `${o.instanceType} ($${o.pricePerHour.toFixed(2)}/h)` : o.instanceType)).join(', ');
}

/** Picks the cheapest offer that matches the request and the price cap. */
export async function selectOffer(provider: Provider, input: SelectOfferInput): Promise<Offer> {
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
  const affordable = candidates
    .filter((o) => input.maxPricePerHour === undefined || o.pricePerHour <= input.maxPricePerHour)
    .sort((a, b) => a.pricePerHour - b.pricePerHour);
  if (affordable.length === 0) {
    const cheapest = Math.min(...candidates.map((o) => o.pricePerHour));
    throw new PriceLimitError(`No ${wanted} under $${input.maxPricePerHour}/h (cheapest now $${cheapest.toFixed(2)}/h); still waiting`, [
      `Raise the cap with --max-price ${cheapest.toFixed(2)}`,
    ]);
  }
  return affordable[0]!;
}
