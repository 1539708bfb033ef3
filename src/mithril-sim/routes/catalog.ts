import { INSTANCE_TYPES, instanceTypeByIdOrName } from '../catalog';
import { ApiError, invalid, json } from '../http';
import { formatPrice } from '../money';
import type { Route } from './context';

/** Who, which project, what can be rented and at what price. */
export const catalogRoutes: Route[] = [
  { method: 'GET', pattern: /^\/v2\/me$/, handler: ({ core }) => json({ ...core.user, id: core.user.fid }) },
  { method: 'GET', pattern: /^\/v2\/projects$/, handler: ({ core }) => json({ data: [core.project], next_cursor: null }) },
  {
    method: 'GET',
    pattern: /^\/v2\/instance-types$/,
    handler: () => json({ data: INSTANCE_TYPES.map((t) => ({ ...t })), next_cursor: null }),
  },
  {
    method: 'GET',
    pattern: /^\/v2\/spot\/availability$/,
    handler: ({ core }) =>
      json({
        data: core.markets.map((m) => ({
          fid: `auc_${m.instanceType.slice(3)}_${m.region}`,
          instance_type: m.instanceType,
          region: m.region,
          last_instance_price: formatPrice(m.priceCents),
          capacity: Math.max(m.capacity - core.usedCapacity(m.instanceType, m.region), 0),
          internode_interconnect: 'InfiniBand',
          intranode_interconnect: 'SXM',
        })),
        next_cursor: null,
      }),
  },
  {
    method: 'GET',
    pattern: /^\/v2\/pricing\/current$/,
    handler: ({ core, query }) => {
      const typeId = query.get('instance_type');
      const region = query.get('region');
      if (!typeId) throw invalid(['query', 'instance_type'], 'Field required', 'missing');
      if (!region) throw invalid(['query', 'region'], 'Field required', 'missing');
      const type = instanceTypeByIdOrName(typeId);
      const market = type ? core.market(type.fid, region) : undefined;
      if (!type || !market) throw new ApiError(404, `no market for ${typeId} in ${region}`);
      const free = Math.max(market.capacity - core.usedCapacity(market.instanceType, region), 0);
      return json({
        instance_type: type.fid,
        region,
        spot_price_cents: market.priceCents,
        dynamic_win_price_cents: market.priceCents,
        minimum_price_cents: market.priceCents,
        available_capacity: free,
        capacity: free,
        total_capacity: market.capacity,
      });
    },
  },
];
