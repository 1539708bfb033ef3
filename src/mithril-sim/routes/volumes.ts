import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ApiError, invalid, json, notFound, validate } from '../http';
import { nowIso, type Volume } from '../model';
import { paginate } from '../paging';
import { volumeView } from '../views';
import { checkBodyProject, idempotencyKey, requireProject, type RequestContext, type Route } from './context';

const createVolume = z.object({
  size_gb: z.number().int().min(1).max(16_384),
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'letters, digits, dot, dash and underscore; at most 63'),
  project: z.string().min(1),
  disk_interface: z.enum(['Block', 'File']),
  region: z.string().min(1),
});

function render(ctx: RequestContext, volume: Volume) {
  const use = ctx.core.volumeUse(volume.fid);
  return volumeView(volume, use.attached, use.bids);
}

async function create(ctx: RequestContext) {
  const { core } = ctx;
  const key = idempotencyKey(ctx);
  const previous = key ? core.volumes.get(core.idempotency.get(`volume:${key}`) ?? '') : undefined;
  if (previous) return json(render(ctx, previous), 201);
  const body = validate(createVolume, await ctx.body(), 'body');
  checkBodyProject(ctx, body.project);
  if (!core.markets.some((m) => m.region === body.region)) throw invalid(['body', 'region'], `unknown region '${body.region}'`);
  const taken = [...core.volumes.values()].some((v) => v.name === body.name && v.region === body.region);
  if (taken) throw new ApiError(409, `volume name already exists in ${body.region}: ${body.name}`);
  const fid = core.newId('vol');
  const volume: Volume = {
    fid,
    name: body.name,
    project: body.project,
    region: body.region,
    sizeGb: body.size_gb,
    diskInterface: body.disk_interface,
    createdAt: nowIso(),
    dir: join(core.stateDir, 'volumes', fid),
    seq: core.nextSeq(),
  };
  mkdirSync(volume.dir, { recursive: true });
  core.volumes.set(fid, volume);
  if (key) core.idempotency.set(`volume:${key}`, fid);
  return json(render(ctx, volume), 201);
}

function list(ctx: RequestContext) {
  const project = requireProject(ctx);
  const region = ctx.query.get('region');
  const rows = [...ctx.core.volumes.values()].filter((v) => v.project === project && (region === null || v.region === region));
  return json(paginate(rows, ctx.query, (v) => render(ctx, v)));
}

function remove(ctx: RequestContext) {
  const volume = ctx.core.volumes.get(ctx.params.id ?? '');
  if (!volume) throw notFound('Volume', ctx.params.id ?? '');
  const use = ctx.core.volumeUse(volume.fid);
  if (use.bids.length > 0) throw new ApiError(409, `volume '${volume.fid}' is used by bid(s) ${use.bids.join(', ')}`);
  // The folder stays in the state dir (a deleted volume's data is not ours to wipe in a test run).
  ctx.core.volumes.delete(volume.fid);
  return { status: 204 };
}

export const volumeRoutes: Route[] = [
  { method: 'POST', pattern: /^\/v2\/volumes$/, handler: create },
  { method: 'GET', pattern: /^\/v2\/volumes$/, handler: list },
  { method: 'DELETE', pattern: /^\/v2\/volumes\/(?<id>[^/]+)$/, handler: remove },
];
