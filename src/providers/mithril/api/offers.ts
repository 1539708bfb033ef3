import type { Offer } from '../../../domain';
import type { AvailabilityRow } from './availability';
import { specOfRow, type CatalogRow } from './instance-types';

/** An offer that remembers which Mithril instance type (it_ id) it stands for, so a bid can name it. */
export interface MithrilOffer extends Offer {
  instanceTypeFid: string;
}

/**
 * One offer per (instance type, region) of the market, priced per instance-hour. Rows whose type
 * the catalog lacks, or that carry no price, cannot be bid on sensibly and are left out.
 */
export function offersFromMarket(catalog: readonly CatalogRow[], market: readonly AvailabilityRow[]): MithrilOffer[] {
  const rows = new Map(catalog.map((row) => [row.fid, row]));
  const offers: MithrilOffer[] = [];
  for (const entry of market) {
    const row = rows.get(entry.instanceTypeFid);
    if (row === undefined || entry.pricePerHour === undefined) continue;
    const spec = specOfRow(row);
    offers.push({
      instanceType: spec.name,
      spec,
      pricePerHour: entry.pricePerHour,
      region: entry.region,
      available: entry.capacity,
      cpus: row.numCpus ?? 0,
      memoryGb: row.ramGb ?? 0,
      instanceTypeFid: row.fid,
    });
  }
  return offers.sort((a, b) => a.pricePerHour - b.pricePerHour || a.instanceType.localeCompare(b.instanceType) || a.region.localeCompare(b.region));
}

export interface RegionChoiceInput {
  /** The task's region: taken first whenever it has a fitting offer. */
  region?: string;
  maxPricePerHour?: number;
  /** Instances the bid asks for; an offer with less capacity is not taken. */
  quantity?: number;
}

/**
 * Offers in the order a bid should try them: the requested region first, then the cheapest, a
 * larger capacity breaking ties. Offers above the price cap or without room are left out.
 */
export function rankOffers<T extends Offer>(offers: readonly T[], input: RegionChoiceInput): T[] {
  const quantity = input.quantity ?? 1;
  return offers
    .filter((o) => o.available >= quantity && (input.maxPricePerHour === undefined || o.pricePerHour <= input.maxPricePerHour))
    .sort(
      (a, b) =>
        Number(b.region === input.region) - Number(a.region === input.region) ||
        a.pricePerHour - b.pricePerHour ||
        b.available - a.available ||
        a.region.localeCompare(b.region),
    );
}

/** The offer to bid on now, or why none fits (shown to the user while the task waits). */
export function chooseRegionOffer<T extends Offer>(offers: readonly T[], input: RegionChoiceInput): { offer: T } | { waiting: string } {
  const best = rankOffers(offers, input)[0];
  if (best !== undefined) return { offer: best };
  const quantity = input.quantity ?? 1;
  if (offers.length === 0) return { waiting: 'no Mithril market offers this instance type now' };
  const roomy = offers.filter((o) => o.available >= quantity);
  if (roomy.length === 0) {
    const most = Math.max(...offers.map((o) => o.available));
    return { waiting: `no region has room for ${quantity} instance${quantity === 1 ? '' : 's'} (most free: ${most})` };
  }
  const cheapest = [...roomy].sort((a, b) => a.pricePerHour - b.pricePerHour)[0]!;
  return {
    waiting: `no offer under $${input.maxPricePerHour!.toFixed(2)}/h (cheapest now $${cheapest.pricePerHour.toFixed(2)}/h in ${cheapest.region})`,
  };
}
