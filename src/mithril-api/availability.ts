import { z } from 'zod';
import { ResourceNotFoundError } from '../domain';
import { documentOf } from './envelope';
import type { MithrilHttp } from './http-client';
import { Count, Usd, asRecord, oneOf, parseWith } from './parse-fields';

/** One market row of GET /v2/spot/availability: an instance type in a region, its price and room. */
export interface AvailabilityRow {
  instanceTypeFid: string;
  region: string;
  /** USD per instance-hour the last instance cleared at; undefined when the row has no price. */
  pricePerHour?: number;
  /** Instances that can be had now. */
  capacity: number;
  internodeInterconnect?: string;
  intranodeInterconnect?: string;
  minBidPrice?: number;
}

const AvailabilitySchema = z.object({
  instanceTypeFid: z.string().min(1),
  region: z.string().min(1),
  pricePerHour: Usd.optional(),
  capacity: Count,
  internodeInterconnect: z.string().optional(),
  intranodeInterconnect: z.string().optional(),
  minBidPrice: Usd.optional(),
});

export function parseAvailabilityRow(row: unknown): AvailabilityRow {
  const record = asRecord(row, 'a spot availability row');
  return parseWith(
    AvailabilitySchema,
    {
      instanceTypeFid: record.instance_type,
      region: record.region,
      pricePerHour: oneOf(record, ['last_instance_price', 'price']),
      capacity: oneOf(record, ['capacity', 'available_gpus']) ?? 0,
      internodeInterconnect: record.internode_interconnect ?? undefined,
      intranodeInterconnect: record.intranode_interconnect ?? undefined,
      minBidPrice: record.min_bid_price ?? undefined,
    },
    'a spot availability row',
  );
}

/**
 * The market: global rows, with the project's own rows (when a project is given) replacing the
 * global row of the same (instance type, region).
 */
export async function listSpotAvailability(http: MithrilHttp, project?: string): Promise<AvailabilityRow[]> {
  const merged = new Map<string, AvailabilityRow>();
  const key = (row: AvailabilityRow) => `${row.instanceTypeFid}@${row.region}`;
  for (const row of (await http.getAllPages('/v2/spot/availability')).map(parseAvailabilityRow)) merged.set(key(row), row);
  if (project !== undefined) {
    for (const row of (await http.getAllPages('/v2/spot/availability', { project })).map(parseAvailabilityRow)) merged.set(key(row), row);
  }
  return [...merged.values()];
}

/** GET /v2/pricing/current for one type in one region: the spot price in USD, or undefined where there is no market. */
export async function getCurrentSpotPrice(http: MithrilHttp, instanceTypeFid: string, region: string): Promise<number | undefined> {
  let body: unknown;
  try {
    body = await http.get('/v2/pricing/current', { instance_type: instanceTypeFid, region });
  } catch (error) {
    if (error instanceof ResourceNotFoundError) return undefined;
    throw error;
  }
  const record = asRecord(documentOf(body), 'the current price');
  const { cents } = parseWith(z.object({ cents: z.number().int().positive() }), { cents: record.spot_price_cents }, 'the current price');
  return cents / 100;
}
