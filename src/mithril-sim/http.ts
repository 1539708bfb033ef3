import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';

/** One `detail` entry of a 422, as FastAPI writes it. */
export interface ValidationDetail {
  loc: Array<string | number>;
  msg: string;
  type: string;
}

/** Thrown by handlers; the server turns it into the status and `{"detail": ...}` body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string | ValidationDetail[],
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof detail === 'string' ? detail : detail.map((d) => `${d.loc.join('.')}: ${d.msg}`).join('; '));
  }
}

export function invalid(loc: Array<string | number>, msg: string, type = 'value_error'): ApiError {
  return new ApiError(422, [{ loc, msg, type }]);
}

export function notFound(what: string, id: string): ApiError {
  return new ApiError(404, `${what} '${id}' not found`);
}

/** Parses `value` with `schema`, or throws a 422 whose locations start with `where` ("body", "query"). */
export function validate<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ApiError(
    422,
    result.error.issues.map((issue) => ({
      loc: [where, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))],
      msg: issue.message,
      type: issue.code,
    })),
  );
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export function json(body: unknown, status = 200): Reply {
  return { status, body };
}

export function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  if (reply.body === undefined) {
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(reply.body);
  headers['content-type'] = 'application/json';
  headers['content-length'] = String(Buffer.byteLength(text));
  res.writeHead(reply.status, headers);
  res.end(text);
}

const MAX_BODY_BYTES = 1024 * 1024;

/** The request's JSON body ({} when empty); a malformed one is a 422 like FastAPI's. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 'request body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw invalid(['body'], `JSON decode error: ${(error as Error).message}`, 'json_invalid');
  }
}
