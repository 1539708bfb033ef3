import type { Offer } from '../domain';
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
