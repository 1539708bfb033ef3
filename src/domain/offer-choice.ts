import {
  ResourceNotFoundError,
  instanceMatches,
  instanceTypeChoices,
  parseInstanceType,
  totalGpuMemoryGb,
  type Offer,
} from './index';
import type { Provider } from './provider-contract';

/** What choosing an offer reads of a provider: a Provider, or its offers as the worker reported them. */
export type OfferSource = Pick<Provider, 'name' | 'capabilities' | 'listOffers' | 'defaultInstanceType'>;

/** An OfferSource over offers already fetched (e.g. by the worker's `offers` operation). */
export function fixedOffers(name: Provider['name'], result: { offers: Offer[]; defaultInstanceType: string; capabilities: Provider['capabilities'] }): OfferSource {
  return { name, capabilities: result.capabilities, listOffers: async () => result.offers, defaultInstanceType: async () => result.defaultInstanceType };
}

export interface SelectOfferInput {
  /** One type, or alternatives in order of preference. */
  instanceType?: string | string[];
  minGpuMemoryGb?: number;
  minCpus?: number;
  minMemoryGb?: number;
  region?: string;
  maxPricePerHour?: number;
  /** Ranks of the task: a fleet offer (with `hosts`) needs a free host per rank. */
  numInstances?: number;
  /** Among offers that fit, this region's go first (a task bidding again after a preemption stays where its volumes are). */
  preferRegion?: string;
}

/** An offer to take now, or why the task must keep waiting (e.g. nothing under its price cap). */
export type OfferChoice = { offer: Offer } | { waiting: string; suggestions: string[] };

/** One alternative the task accepts and the provider's offers of that shape. */
interface Alternative {
  wanted: string;
  candidates: Offer[];
}

function describeOffers(offers: Offer[]): string {
  return offers.map((o) => (o.pricePerHour > 0 ? `${o.instanceType} ($${o.pricePerHour.toFixed(2)}/h)` : o.instanceType)).join(', ');
}

/** What the host (CPUs, memory) and region requirements add to a description: " with ≥ 8 CPUs". */
function hostText(input: SelectOfferInput): string {
  const parts = [
    input.minCpus === undefined ? undefined : `${input.minCpus} CPUs`,
    input.minMemoryGb === undefined ? undefined : `${input.minMemoryGb} GB of memory`,
  ].filter(Boolean);
  const host = parts.length === 0 ? '' : ` with at least ${parts.join(' and ')}`;
  return input.region === undefined ? host : `${host} in ${input.region}`;
}

/** Offers that meet the host and region requirements. */
function hostOffers(provider: OfferSource, offers: Offer[], input: SelectOfferInput): Offer[] {
  return offers.filter(
    (o) =>
      (input.minCpus === undefined || o.cpus >= input.minCpus) &&
      (input.minMemoryGb === undefined || o.memoryGb >= input.minMemoryGb) &&
      // A provider in one place (local) has no regions to choose from; the task's region is ignored there.
      (input.region === undefined || !provider.capabilities.regions || o.region === input.region),
  );
}

/** The alternatives in order of preference, each with its matching offers (maybe none). */
async function alternatives(provider: OfferSource, offers: Offer[], input: SelectOfferInput): Promise<Alternative[]> {
  const fit = hostOffers(provider, offers, input);
  const host = hostText(input);
  if (input.minGpuMemoryGb !== undefined) {
    return [{ wanted: `at least ${input.minGpuMemoryGb} GB of GPU memory${host}`, candidates: fit.filter((o) => totalGpuMemoryGb(o.spec) >= input.minGpuMemoryGb!) }];
  }
  const choices = instanceTypeChoices(input);
  if (choices.length === 0) {
    // Host requirements alone: any shape that meets them, else the provider's default shape.
    if (input.minCpus !== undefined || input.minMemoryGb !== undefined) return [{ wanted: `an instance${host}`, candidates: fit }];
    choices.push(await provider.defaultInstanceType());
  }
  return choices.map((choice) => {
    const requested = parseInstanceType(choice);
    return { wanted: `${requested.name}${host}`, candidates: fit.filter((o) => instanceMatches(requested, o.spec)) };
  });
}

/**
 * The provider's offers for each accepted alternative that it has at all, whatever their price.
 * Throws ResourceNotFoundError (listing what is offered) when it has none of them.
 */
export async function matchingOffers(provider: OfferSource, input: SelectOfferInput): Promise<Alternative[]> {
  const offers = await provider.listOffers();
  const all = await alternatives(provider, offers, input);
  const offered = all.filter((alternative) => alternative.candidates.length > 0);
  if (offered.length === 0) {
    const wanted = all.map((alternative) => alternative.wanted).join(', nor ');
    throw new ResourceNotFoundError(`Provider '${provider.name}' has no instance with ${wanted}`, [
      `Available here: ${describeOffers(offers) || 'none'}${offers.length > 0 ? ` (${offers[0]!.cpus} CPUs, ${offers[0]!.memoryGb} GB of memory)` : ''}`,
      offers.length > 0 ? `Run with e.g. -i ${offers[0]!.instanceType}, or leave -i out for the default` : 'Check the provider setup with: flow doctor',
    ]);
  }
  return offered;
}

/** Why a fleet task waits: "1 of 2 hosts of 8xa100 free; the task needs 2". */
function busyHostsReason(offers: Offer[], needed: number): string {
  const free = Math.max(...offers.map((o) => o.hosts?.length ?? 0));
  const shapes = [...new Set(offers.map((o) => o.instanceType))].join(' or ');
  return `${free === 0 ? 'no' : `only ${free}`} free host${free === 1 ? '' : 's'} of ${shapes}; the task needs ${needed} (waiting for a host to be released)`;
}

/**
 * Whether an offer can hold every rank: a fleet offer lists its free hosts (one per rank); a
 * regional market's offer says how many instances it has free; a single machine always has room.
 */
function hasRoom(provider: OfferSource, offer: Offer, needed: number): boolean {
  if (offer.hosts !== undefined) return offer.hosts.length >= needed;
  return !provider.capabilities.regions || offer.available >= needed;
}

/** Why a cloud task waits: "no region has 2 free 8xh100 (most: 1 in us-central1-b)". */
function noCapacityReason(offers: Offer[], needed: number): string {
  const most = [...offers].sort((a, b) => b.available - a.available)[0]!;
  const shapes = [...new Set(offers.map((o) => o.instanceType))].join(' or ');
  return `no region has ${needed} free ${shapes} (most: ${most.available} in ${most.region}); waiting for capacity`;
}

/**
 * The cheapest offer with room under the price cap of the first alternative that has one (in
 * `preferRegion` if it has one), or why there is none yet (above the cap, or no room).
 */
export async function chooseOffer(provider: OfferSource, input: SelectOfferInput): Promise<OfferChoice> {
  const offered = await matchingOffers(provider, input);
  const needed = input.numInstances ?? 1;
  let busy: Offer[] = [];
  for (const { candidates } of offered) {
    const affordable = candidates
      .filter((o) => input.maxPricePerHour === undefined || o.pricePerHour <= input.maxPricePerHour)
      .sort((a, b) => Number(b.region === input.preferRegion) - Number(a.region === input.preferRegion) || a.pricePerHour - b.pricePerHour);
    const roomy = affordable.filter((o) => hasRoom(provider, o, needed));
    if (roomy.length > 0) return { offer: roomy[0]! };
    busy = busy.concat(affordable);
  }
  if (busy.length > 0 && provider.capabilities.regions) {
    return { waiting: noCapacityReason(busy, needed), suggestions: [`See the market with: flow instances --provider ${provider.name}`] };
  }
  if (busy.length > 0) return { waiting: busyHostsReason(busy, needed), suggestions: ['See which tasks hold the hosts: flow fleet list'] };
  const cheapest = Math.min(...offered.flatMap(({ candidates }) => candidates.map((o) => o.pricePerHour)));
  return {
    waiting: `no ${offered.map(({ wanted }) => wanted).join(' or ')} under $${input.maxPricePerHour!.toFixed(2)}/h (cheapest now $${cheapest.toFixed(2)}/h)`,
    suggestions: [`Raise the cap with --max-price-per-hour ${cheapest.toFixed(2)}`],
  };
}
