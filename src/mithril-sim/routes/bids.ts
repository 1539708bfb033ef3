import { z } from 'zod';
import { instanceTypeByIdOrName } from '../catalog';
import { ApiError, invalid, json, notFound, validate } from '../http';
import { nowIso, type Bid } from '../model';
import { parsePrice } from '../money';
import { paginate } from '../paging';
import { bidView } from '../views';
import { checkBodyProject, idempotencyKey, requireProject, type RequestContext, type Route } from './context';

const price = z.union([z.string(), z.number()]).refine((v) => parsePrice(v) !== undefined, { message: 'must be a price such as "$12.34"' });

const createBid = z.object({
  project: z.string().min(1),
  region: z.string().min(1),
  name: z.string().min(1).max(128),
  instance_quantity: z.number().int().min(1).max(256),
  limit_price: price,
  instance_type: z.string().min(1),
  launch_specification: z.object({
    ssh_keys: z.array(z.string()).default([]),
    startup_script: z.string().max(10_000).default(''),
    volumes: z.array(z.string()).default([]),
    kubernetes_cluster: z.string().optional(),
    image_version: z.string().optional(),
    memory_gb: z.number().optional(),
  }),
  notification_email: z.string().optional(),
});

const patchBid = z
  .object({ paused: z.boolean().optional(), limit_price: price.optional(), volumes: z.array(z.string()).optional() })
  .refine((v) => v.paused !== undefined || v.limit_price !== undefined || v.volumes !== undefined, {
    message: 'give paused, limit_price or volumes',
  });

const BID_STATUSES = new Set(['Open', 'Allocated', 'Preempting', 'Terminated', 'Paused']);

function findBid(ctx: RequestContext): Bid {
  const bid = ctx.core.bids.get(ctx.params.id ?? '');
  if (!bid) throw notFound('Bid', ctx.params.id ?? '');
  return bid;
}

function checkVolumes(ctx: RequestContext, ids: string[], region: string, quantity: number, loc: Array<string | number>): void {
  ids.forEach((id, index) => {
    const volume = ctx.core.volumes.get(id);
    if (!volume) throw invalid([...loc, index], `unknown volume '${id}'`);
    if (volume.region !== region) throw invalid([...loc, index], `volume '${id}' is in ${volume.region}, the bid in ${region}`);
    if (volume.diskInterface === 'Block' && quantity > 1) {
      throw invalid([...loc, index], `block volume '${id}' cannot attach to ${quantity} instances; use a File volume`);
    }
  });
}

async function create(ctx: RequestContext) {
  const key = idempotencyKey(ctx);
  const { core } = ctx;
  const previous = key ? core.bids.get(core.idempotency.get(`bid:${key}`) ?? '') : undefined;
  if (previous) return json(bidView(previous), 201);
  const body = validate(createBid, await ctx.body(), 'body');
  checkBodyProject(ctx, body.project);
  const type = instanceTypeByIdOrName(body.instance_type);
  if (!type || type.fid !== body.instance_type) throw invalid(['body', 'instance_type'], `unknown instance type '${body.instance_type}' (give an it_ id)`);
  if (!core.markets.some((m) => m.region === body.region)) throw invalid(['body', 'region'], `unknown region '${body.region}'`);
  body.launch_specification.ssh_keys.forEach((id, index) => {
    if (!core.sshKeys.has(id)) throw invalid(['body', 'launch_specification', 'ssh_keys', index], `unknown ssh key '${id}'`);
  });
  checkVolumes(ctx, body.launch_specification.volumes, body.region, body.instance_quantity, ['body', 'launch_specification', 'volumes']);
  // A retry racing the first attempt: the body is read asynchronously, so look again.
  const raced = key ? core.bids.get(core.idempotency.get(`bid:${key}`) ?? '') : undefined;
  if (raced) return json(bidView(raced), 201);
  const bid: Bid = {
    fid: core.newId('bid'),
    name: body.name,
    project: body.project,
    region: body.region,
    instanceType: type.fid,
    quantity: body.instance_quantity,
    limitPriceCents: parsePrice(body.limit_price) ?? 0,
    launch: {
      ssh_keys: body.launch_specification.ssh_keys,
      startup_script: body.launch_specification.startup_script,
      volumes: body.launch_specification.volumes,
    },
    status: 'Open',
    createdAt: nowIso(),
    createdBy: core.user.fid,
    instances: [],
    history: [{ at: nowIso(), status: 'Open' }],
    seq: core.nextSeq(),
  };
  core.bids.set(bid.fid, bid);
  if (key) core.idempotency.set(`bid:${key}`, bid.fid);
  await core.reconcile();
  return json(bidView(bid), 201);
}

function list(ctx: RequestContext) {
  const project = requireProject(ctx);
  const status = ctx.query.get('status');
  if (status !== null && !BID_STATUSES.has(status)) throw invalid(['query', 'status'], `status must be one of ${[...BID_STATUSES].join(', ')}`);
  const name = ctx.query.get('name');
  const rows = [...ctx.core.bids.values()].filter(
    (b) => b.project === project && (status === null || b.status === status) && (name === null || b.name === name),
  );
  return json(paginate(rows, ctx.query, bidView));
}

async function patch(ctx: RequestContext) {
  const bid = findBid(ctx);
  const body = validate(patchBid, await ctx.body(), 'body');
  if (bid.status === 'Terminated') throw new ApiError(400, `bid '${bid.fid}' is terminated`);
  if (body.volumes !== undefined) {
    if (bid.status !== 'Paused') throw new ApiError(400, 'pause the bid before changing its volumes');
    checkVolumes(ctx, body.volumes, bid.region, bid.quantity, ['body', 'volumes']);
    bid.launch.volumes = body.volumes;
  }
  if (body.limit_price !== undefined) bid.limitPriceCents = parsePrice(body.limit_price) ?? bid.limitPriceCents;
  if (body.paused === true && bid.status !== 'Paused') await ctx.core.endAllocation(bid, 'paused', 'paused by the user');
  else if (body.paused === false && bid.status === 'Paused') ctx.core.setBidStatus(bid, 'Open', 'unpaused by the user');
  await ctx.core.reconcile();
  return json(bidView(bid));
}

async function cancel(ctx: RequestContext) {
  const bid = findBid(ctx);
  if (bid.status !== 'Terminated') await ctx.core.endAllocation(bid, 'cancelled', 'cancelled by the user');
  return { status: 204 };
}

export const bidRoutes: Route[] = [
  { method: 'POST', pattern: /^\/v2\/spot\/bids$/, handler: create },
  { method: 'GET', pattern: /^\/v2\/spot\/bids$/, handler: list },
  { method: 'GET', pattern: /^\/v2\/spot\/bids\/(?<id>[^/]+)$/, handler: (ctx) => json(bidView(findBid(ctx))) },
  { method: 'PATCH', pattern: /^\/v2\/spot\/bids\/(?<id>[^/]+)$/, handler: patch },
  { method: 'DELETE', pattern: /^\/v2\/spot\/bids\/(?<id>[^/]+)$/, handler: cancel },
];
