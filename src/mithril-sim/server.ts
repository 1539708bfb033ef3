import { randomUUID, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ApiError, readJson, send, type Reply } from './http';
import { adminRoutes } from './routes/admin';
import { bidRoutes } from './routes/bids';
import { catalogRoutes } from './routes/catalog';
import type { RequestContext, Route } from './routes/context';
import { instanceRoutes } from './routes/instances';
import { sshKeyRoutes } from './routes/ssh-keys';
import { volumeRoutes } from './routes/volumes';
import { SimCore } from './sim';

export interface MithrilSimOptions {
  /** The key every /v2 request must carry as `Authorization: Bearer <key>`. */
  apiKey: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  projectName?: string;
  provisionDelayMs?: number;
  /** Where instances' folders and volumes live; a temporary folder (removed on stop) when absent. */
  stateDir?: string;
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface MithrilSim {
  url: string;
  port: number;
  core: SimCore;
  /** Why instances cannot run here (bids then stay Open), or undefined. */
  instancesUnavailable?: string;
  /** Ends every instance, removes namespaces and mounts, closes the server. Idempotent. */
  stop(): Promise<void>;
}

const ROUTES: Route[] = [...catalogRoutes, ...bidRoutes, ...instanceRoutes, ...volumeRoutes, ...sshKeyRoutes, ...adminRoutes];

function bearerMatches(req: IncomingMessage, apiKey: string): boolean {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer (.+)$/.exec(header);
  if (!match?.[1]) return false;
  const given = Buffer.from(match[1]);
  const expected = Buffer.from(apiKey);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function handle(core: SimCore, apiKey: string, req: IncomingMessage): Promise<Reply> {
  const url = new URL(req.url ?? '/', 'http://sim.invalid');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  if (path.startsWith('/v2/')) {
    const fault = core.faults.take(path);
    if (fault) {
      return {
        status: fault.status,
        body: { detail: `flow-mithril-sim: injected ${fault.status}` },
        headers: fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) },
      };
    }
    if (!bearerMatches(req, apiKey)) return { status: 401, body: { detail: 'Not authenticated: a valid API key is required' } };
  }
  for (const route of ROUTES) {
    const match = route.method === req.method ? route.pattern.exec(path) : null;
    if (!match) continue;
    const ctx: RequestContext = {
      core,
      params: { ...(match.groups ?? {}) },
      query: url.searchParams,
      headers: req.headers,
      body: () => readJson(req),
    };
    return await route.handler(ctx);
  }
  const known = ROUTES.some((r) => r.pattern.test(path));
  return { status: known ? 405 : 404, body: { detail: known ? 'Method Not Allowed' : 'Not Found' } };
}

/** Starts the simulator on 127.0.0.1. */
export async function startMithrilSim(options: MithrilSimOptions): Promise<MithrilSim> {
  const log = options.log ?? (() => undefined);
  const ownsStateDir = options.stateDir === undefined;
  const stateDir = resolve(options.stateDir ?? mkdtempSync(join(tmpdir(), 'flow-mithril-sim-')));
  const core = new SimCore({
    projectName: options.projectName ?? 'flow-sim',
    provisionDelayMs: options.provisionDelayMs ?? 1_000,
    stateDir,
    readyTimeoutMs: options.readyTimeoutMs,
    log,
  });
  const onExit = () => core.closeNow();
  process.on('exit', onExit);
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomUUID();
    handle(core, options.apiKey, req)
      .catch((error: unknown) => {
        if (error instanceof ApiError) return { status: error.status, body: { detail: error.detail }, headers: error.headers };
        log(`internal error on ${req.method} ${req.url}: ${(error as Error).stack ?? String(error)}`);
        return { status: 500, body: { detail: `flow-mithril-sim internal error: ${(error as Error).message}` } };
      })
      .then((reply) => send(res, { ...reply, headers: { ...(reply.headers ?? {}), 'x-request-id': requestId } }));
  });
  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen());
    });
  } catch (error) {
    await core.close();
    process.off('exit', onExit);
    throw error;
  }
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    core,
    instancesUnavailable: core.hostsUnavailable,
    stop() {
      stopping ??= (async () => {
        server.closeAllConnections();
        await new Promise<void>((done) => server.close(() => done()));
        await core.close();
        process.off('exit', onExit);
        if (ownsStateDir) rmSync(stateDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
