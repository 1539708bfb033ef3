import type { IncomingHttpHeaders } from 'node:http';
import { ApiError, invalid, type Reply } from '../http';
import type { SimCore } from '../sim';

export interface RequestContext {
  core: SimCore;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: () => Promise<unknown>;
}

export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path pattern; named groups become params. */
  pattern: RegExp;
  handler: (ctx: RequestContext) => Reply | Promise<Reply>;
}

/** The `project` query parameter, which must name this simulator's project by fid. */
export function requireProject(ctx: RequestContext): string {
  const project = ctx.query.get('project');
  if (!project) throw new ApiError(422, [{ loc: ['query', 'project'], msg: 'Field required', type: 'missing' }]);
  if (project !== ctx.core.project.fid) throw new ApiError(404, `Project '${project}' not found`);
  return project;
}

/** A body field naming the project, checked like requireProject. */
export function checkBodyProject(ctx: RequestContext, project: string): void {
  if (project !== ctx.core.project.fid) throw invalid(['body', 'project'], `unknown project '${project}'`);
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** The Idempotency-Key header, if sent, checked against the pattern the SDK uses. */
export function idempotencyKey(ctx: RequestContext): string | undefined {
  const raw = ctx.headers['idempotency-key'];
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) throw invalid(['header', 'Idempotency-Key'], 'must match ^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$');
  return key;
}
