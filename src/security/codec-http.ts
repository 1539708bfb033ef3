import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { ENCRYPTED_ENCODING } from './payload-codec';

/**
 * Temporal's remote codec endpoints (POST /encode, POST /decode) for the Web UI and CLI:
 * bodies are {"payloads":[{"metadata":{"encoding":"<base64>"},"data":"<base64>"}]} in both
 * directions (Temporal's proto JSON). CORS answers only the UI's origin.
 */
export interface CodecServerOptions {
  codec: PayloadCodec;
  host: string;
  port: number;
  /** The origin the browser loads the UI from, e.g. http://localhost:8233. */
  uiOrigin: string;
  /** When set, requests must name this namespace in X-Namespace. */
  namespace?: string;
}

export interface RunningCodecServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** Request bodies larger than this are refused (a history page of payloads is far smaller). */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, `body larger than ${MAX_BODY_BYTES} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function base64Field(value: unknown, where: string): Uint8Array {
  if (typeof value !== 'string' || !BASE64.test(value)) throw new HttpError(400, `${where} must be a base64 string`);
  return Buffer.from(value, 'base64');
}

/** The body's payloads, checked field by field; errors name the field, never quote data. */
export function parsePayloads(body: Buffer): Payload[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not JSON: send {"payloads":[{"metadata":{...},"data":"<base64>"}]}');
  }
  const payloads = (parsed as { payloads?: unknown } | null)?.payloads;
  if (!Array.isArray(payloads)) throw new HttpError(400, 'body must be an object with a "payloads" array');
  return payloads.map((item: unknown, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new HttpError(400, `payloads[${index}] must be an object`);
    const { metadata = {}, data } = item as { metadata?: unknown; data?: unknown };
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) throw new HttpError(400, `payloads[${index}].metadata must be an object`);
    const decoded: Record<string, Uint8Array> = {};
    for (const [key, value] of Object.entries(metadata)) decoded[key] = base64Field(value, `payloads[${index}].metadata.${key}`);
    return { metadata: decoded, ...(data === undefined || data === null ? {} : { data: base64Field(data, `payloads[${index}].data`) }) };
  });
}

function toJson(payloads: Payload[]): { payloads: Array<{ metadata: Record<string, string>; data?: string }> } {
  return {
    payloads: payloads.map((payload) => {
      const metadata: Record<string, string> = {};
      for (const [key, value] of Object.entries(payload.metadata ?? {})) if (value) metadata[key] = Buffer.from(value).toString('base64');
      return { metadata, ...(payload.data ? { data: Buffer.from(payload.data).toString('base64') } : {}) };
    }),
  };
}

/**
 * Decodes what this codec sealed; a payload it did not seal (plain, or another key) goes back
 * unchanged, so one unreadable payload does not blank the UI's whole history view.
 */
async function decodeForDisplay(codec: PayloadCodec, payloads: Payload[]): Promise<Payload[]> {
  return Promise.all(
    payloads.map(async (payload) => {
      const encoding = Buffer.from(payload.metadata?.encoding ?? new Uint8Array()).toString('utf8');
      if (encoding !== ENCRYPTED_ENCODING) return payload;
      try {
        return (await codec.decode([payload]))[0]!;
      } catch {
        return payload;
      }
    }),
  );
}

function corsHeaders(origin: string): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': 'POST, OPTIONS',
    'Access-Control-Allow-Headers': 'Content-Type, X-Namespace, Authorization',
    'Access-Control-Allow-Credentials': 'true',
    'Access-Control-Max-Age': '600',
    Vary: 'Origin',
  };
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  response.writeHead(status, { ...headers, ...(text ? { 'Content-Type': 'application/json' } : {}), 'Cache-Control': 'no-store' });
  response.end(text);
}

async function handle(request: IncomingMessage, response: ServerResponse, options: CodecServerOptions): Promise<void> {
  const origin = request.headers.origin;
  // Only the UI's origin gets CORS headers; a browser page from anywhere else is refused outright.
  const cors = origin === options.uiOrigin ? corsHeaders(origin) : {};
  if (origin !== undefined && origin !== options.uiOrigin) {
    return send(response, 403, { error: `origin ${origin.slice(0, 200)} is not allowed: start the codec server with --ui-origin ${origin.slice(0, 200)} to allow it` }, {});
  }
  const path = (request.url ?? '/').split('?')[0];
  if (request.method === 'OPTIONS') return send(response, 204, undefined, cors);
  if (path === '/healthz' && request.method === 'GET') return send(response, 200, { ok: true }, cors);
  if (path !== '/encode' && path !== '/decode') return send(response, 404, { error: `no such endpoint ${path?.slice(0, 200)}: use POST /encode or POST /decode` }, cors);
  if (request.method !== 'POST') return send(response, 405, { error: `${path} accepts POST only` }, { ...cors, Allow: 'POST, OPTIONS' });
  if (options.namespace !== undefined) {
    const namespace = request.headers['x-namespace'];
    if (namespace !== options.namespace) {
      return send(response, 403, { error: `this codec server serves namespace ${options.namespace}; X-Namespace is ${namespace === undefined ? 'missing' : JSON.stringify(String(namespace).slice(0, 200))}` }, cors);
    }
  }
  const payloads = parsePayloads(await readBody(request));
  const result = path === '/encode' ? await options.codec.encode(payloads) : await decodeForDisplay(options.codec, payloads);
  return send(response, 200, toJson(result), cors);
}

export function startCodecServer(options: CodecServerOptions): Promise<RunningCodecServer> {
  const server = createServer((request, response) => {
    handle(request, response, options).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      // Never echo payload bytes or a codec's internals: a fixed message for the unexpected.
      const message = error instanceof HttpError ? error.message : 'the codec failed on this request';
      if (!response.headersSent) send(response, status, { error: message }, request.headers.origin === options.uiOrigin ? corsHeaders(options.uiOrigin) : {});
      else response.destroy();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      const { address, port } = server.address() as AddressInfo;
      const host = address.includes(':') ? `[${address}]` : address;
      resolve({
        server,
        url: `http://${host}:${port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}
