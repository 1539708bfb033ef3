import { chmodSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Flow, SubmitOptions } from '../client/flow';
import { resolveTaskId } from '../client/resolve-task-id';
import { FlowError, ProviderNameSchema, ProviderOperationRequestSchema, ProviderSettingsSchema, TASK_STATUSES, ValidationError, errorToJson, type TaskStatus } from '../domain';
import { API_ROUTES } from './api-protocol';

const MAX_BODY_BYTES = 1 << 20;

const SubmissionSettingsSchema = z.strictObject({
  provider: ProviderNameSchema,
  providerSettings: ProviderSettingsSchema,
  encryptVolumes: z.boolean().optional(),
  noImage: z.boolean().optional(),
});

function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new ValidationError('request body is larger than 1 MiB'));
      else chunks.push(chunk);
    });
    request.on('end', () => {
      try {
        resolve(chunks.length === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new ValidationError('request body is not JSON'));
      }
    });
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

function httpStatusFor(error: unknown): number {
  if (!(error instanceof FlowError)) return 500;
  if (error.code === 'VALIDATION') return 400;
  if (error.code === 'NOT_FOUND' || error.code === 'TASK_NOT_FOUND') return 404;
  return 409;
}

/**
 * The submitter's working folder and its resolved provider settings: the CLI resolves them from
 * its own env and config.yaml, so the daemon never submits with settings it read at start.
 */
function submitOptions(body: Record<string, unknown>): SubmitOptions {
  const codeDir = typeof body.codeDir === 'string' ? body.codeDir : undefined;
  const forceNew = body.forceNew === true ? true : undefined;
  if (body.settings === undefined) return { codeDir, forceNew };
  const parsed = SubmissionSettingsSchema.safeParse(body.settings);
  if (!parsed.success) throw new ValidationError(`settings: ${parsed.error.issues[0]?.message ?? 'invalid'}`, { field: 'settings' });
  return { codeDir, forceNew, settings: parsed.data };
}

/** Routes one request to the Flow facade; every answer is JSON, errors as { error }. */
async function route(flow: Flow, request: IncomingMessage): Promise<unknown> {
  const url = new URL(request.url ?? '/', 'http://flow');
  const path = url.pathname;
  if (path === API_ROUTES.tasks && request.method === 'POST') {
    const { config, ...rest } = await readJson(request);
    return { taskId: await flow.submit(config as never, {}, submitOptions(rest)) };
  }
  if (path === API_ROUTES.plans && request.method === 'POST') {
    const { config, ...rest } = await readJson(request);
    return { plan: await flow.plan(config as never, { settings: submitOptions(rest).settings }) };
  }
  if (path === API_ROUTES.pipelines && request.method === 'POST') {
    const { pipeline, ...rest } = await readJson(request);
    return { taskId: await flow.pipeline(pipeline as never, submitOptions(rest)).submit() };
  }
  if (path === API_ROUTES.providerOperations && request.method === 'POST') {
    const { request: operation } = await readJson(request);
    const parsed = ProviderOperationRequestSchema.safeParse(operation);
    if (!parsed.success) throw new ValidationError(`request: ${parsed.error.issues[0]?.message ?? 'invalid'}`, { field: 'request' });
    return { result: await flow.providerOps.run(parsed.data) };
  }
  if (path === API_ROUTES.resolve && request.method === 'GET') {
    return { taskId: await resolveTaskId(flow.client, url.searchParams.get('task') ?? '') };
  }
  if (path === API_ROUTES.tasks && request.method === 'GET') {
    const status = url.searchParams.get('status');
    const since = url.searchParams.get('activeOrSince');
    const statuses = status ? status.split(',') : [];
    const unknown = statuses.find((s) => !TASK_STATUSES.includes(s as TaskStatus));
    if (unknown) throw new ValidationError(`status: '${unknown}' is not a task status`, { field: 'status' });
    if (since && Number.isNaN(Date.parse(since))) throw new ValidationError(`activeOrSince: '${since}' is not a date`, { field: 'activeOrSince' });
    return {
      tasks: await flow.listTasks({
        status: statuses.length > 0 ? (statuses as TaskStatus[]) : undefined,
        limit: Number(url.searchParams.get('limit') ?? 100),
        activeOrSince: since ? new Date(since) : undefined,
      }),
    };
  }
  const match = /^\/v1\/tasks\/([^/]+)(?:\/(status|outcome|stop))?$/.exec(path);
  if (match) {
    const task = flow.task(decodeURIComponent(match[1]!));
    switch (`${request.method} ${match[2] ?? ''}`) {
      case 'GET ':
        return task.describe();
      case 'GET status':
        return task.progress();
      case 'GET outcome':
        return { outcome: await task.wait() };
      case 'POST stop': {
        const { reason } = await readJson(request);
        return { outcome: await task.stop(typeof reason === 'string' ? reason : undefined) };
      }
    }
  }
  throw new ValidationError(`no such API route: ${request.method} ${path}`);
}

/** Serves the local API on a Unix socket only this user can reach. */
export async function startApiServer(flow: Flow, socketPath: string): Promise<Server> {
  rmSync(socketPath, { force: true });
  const server = createServer((request, response) => {
    route(flow, request).then(
      (body) => send(response, 200, body),
      (error) => send(response, httpStatusFor(error), { error: errorToJson(error) }),
    );
  });
  // Long waits (an attached `flow run`) keep a request open for as long as the task runs.
  server.requestTimeout = 0;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve());
  });
  chmodSync(socketPath, 0o600);
  return server;
}
