import { invalid, json } from '../http';
import { paginate } from '../paging';
import { instanceView } from '../views';
import { requireProject, type RequestContext, type Route } from './context';

function list(ctx: RequestContext) {
  const project = requireProject(ctx);
  const bidIds = ctx.query.get('bid_fid_in');
  const wanted = bidIds === null ? undefined : new Set(bidIds.split(',').map((s) => s.trim()).filter(Boolean));
  if (wanted && wanted.size > 50) throw invalid(['query', 'bid_fid_in'], 'at most 50 bid ids');
  const status = ctx.query.get('status');
  const rows = [...ctx.core.instances.values()].filter((i) => {
    const bid = ctx.core.bids.get(i.bid);
    return bid?.project === project && (!wanted || wanted.has(i.bid)) && (status === null || i.status === status);
  });
  return json(paginate(rows, ctx.query, instanceView));
}

export const instanceRoutes: Route[] = [{ method: 'GET', pattern: /^\/v2\/instances$/, handler: list }];
