import { z } from 'zod';
import { instanceTypeByIdOrName } from '../catalog';
import { ApiError, invalid, json, notFound, validate } from '../http';
import { formatPrice, parsePrice } from '../money';
import { simState } from '../state-view';
import type { RequestContext, Route } from './context';

/** Test controls under /_sim/: the market, preemption, vanishing instances, injected faults. */

const marketBody = z
  .object({
    instance_type: z.string().optional(),
    name: z.string().optional(),
    region: z.string().min(1),
    price: z.union([z.string(), z.number()]).optional(),
    capacity: z.number().int().min(0).optional(),
  })
  .refine((b) => b.instance_type !== undefined || b.name !== undefined, { message: 'give instance_type or name' });

const instanceBody = z.object({ instance: z.string().min(1) });

const faultsBody = z.union([
  z.object({
    count: z.number().int().min(1),
    status: z.union([z.literal(500), z.literal(503), z.literal(429), z.literal(401), z.literal(504)]),
    retry_after: z.number().int().min(0).optional(),
    path_prefix: z.string().startsWith('/').optional(),
  }),
  z.object({ provision_delay_ms: z.number().int().min(0) }),
  z.object({ boot_failures: z.number().int().min(0) }),
]);

async function setMarket(ctx: RequestContext) {
  const body = validate(marketBody, await ctx.body(), 'body');
  const typeRef = body.instance_type ?? body.name ?? '';
  const type = instanceTypeByIdOrName(typeRef);
  if (!type) throw invalid(['body', 'instance_type'], `unknown instance type '${typeRef}'`);
  const priceCents = body.price === undefined ? undefined : parsePrice(body.price);
  if (body.price !== undefined && priceCents === undefined) throw invalid(['body', 'price'], 'must be a price such as "$12.34"');
  let market = ctx.core.market(type.fid, body.region);
  if (!market) {
    if (priceCents === undefined || body.capacity === undefined) throw invalid(['body'], 'a new market needs price and capacity');
    market = { instanceType: type.fid, region: body.region, priceCents, capacity: body.capacity };
    ctx.core.markets.push(market);
  }
  if (priceCents !== undefined) market.priceCents = priceCents;
  if (body.capacity !== undefined) market.capacity = body.capacity;
  await ctx.core.reconcile();
  return json({ instance_type: market.instanceType, region: market.region, price: formatPrice(market.priceCents), capacity: market.capacity });
}

function liveInstanceBid(ctx: RequestContext, fid: string) {
  const instance = ctx.core.instances.get(fid);
  if (!instance) throw notFound('Instance', fid);
  const bid = ctx.core.bids.get(instance.bid);
  if (!bid || !bid.instances.includes(fid) || instance.status === 'STATUS_TERMINATED') {
    throw new ApiError(409, `instance '${fid}' is not live (${instance.status})`);
  }
  return bid;
}

async function preempt(ctx: RequestContext) {
  const { instance } = validate(instanceBody, await ctx.body(), 'body');
  const bid = liveInstanceBid(ctx, instance);
  await ctx.core.endAllocation(bid, 'preempted', `instance ${instance} preempted (/_sim/preempt)`);
  return json({ bid: bid.fid, status: bid.status, instances: bid.instances });
}

async function lose(ctx: RequestContext) {
  const { instance } = validate(instanceBody, await ctx.body(), 'body');
  const bid = liveInstanceBid(ctx, instance);
  await ctx.core.endAllocation(bid, 'lost', `instance ${instance} was lost (/_sim/lose)`, instance);
  return json({ bid: bid.fid, status: bid.status, instances: bid.instances });
}

async function faults(ctx: RequestContext) {
  const body = validate(faultsBody, await ctx.body(), 'body');
  if ('provision_delay_ms' in body) ctx.core.provisionDelayMs = body.provision_delay_ms;
  else if ('boot_failures' in body) ctx.core.bootFailures = body.boot_failures;
  else ctx.core.faults.add({ count: body.count, status: body.status, retryAfter: body.retry_after, pathPrefix: body.path_prefix ?? '/v2/' });
  return json({ faults: ctx.core.faults.list(), provision_delay_ms: ctx.core.provisionDelayMs, boot_failures: ctx.core.bootFailures });
}

export const adminRoutes: Route[] = [
  { method: 'GET', pattern: /^\/_sim\/state$/, handler: ({ core }) => json(simState(core)) },
  { method: 'POST', pattern: /^\/_sim\/market$/, handler: setMarket },
  { method: 'POST', pattern: /^\/_sim\/preempt$/, handler: preempt },
  { method: 'POST', pattern: /^\/_sim\/lose$/, handler: lose },
  { method: 'POST', pattern: /^\/_sim\/faults$/, handler: faults },
];
