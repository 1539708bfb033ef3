import { randomUUID } from 'node:crypto';
import { DEFAULT_MITHRIL_API_URL } from '../config/load-config';
import { FlowError, ProviderError, TransientError } from '../domain';
import { flowVersion } from './client-version';
import { nextCursorOf, rowsOf } from './envelope';
import { errorForStatus, rateLimitError } from './http-errors';
import { redactSecret } from './redact';
import { MAX_RETRY_AFTER_MS, backoffMs, isSafeToRepeat, parseRetryAfter } from './retry-policy';

export type QueryValue = string | number | boolean | undefined;

export interface MithrilHttpOptions {
  apiKey: string;
  /** e.g. https://api.mithril.ai (paths carry /v2 themselves). */
  baseUrl?: string;
  /** Per attempt; default 30 s. */
  timeoutMs?: number;
  /** Attempts in all for a retryable failure; default 3. */
  maxAttempts?: number;
  /** Waits between attempts; tests pass one that does not really wait. */
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
}

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  body?: unknown;
  idempotencyKey?: string;
  timeoutMs?: number;
}

export interface PageOptions {
  /** Most pages read before giving up (a runaway cursor); default 20. */
  maxPages?: number;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Why one attempt failed and whether another may follow. */
type AttemptOutcome = { ok: true; body: unknown } | { ok: false; error: FlowError; retry: boolean; waitMs?: number };

/**
 * The Mithril HTTP API: auth, JSON, timeouts, retries and pagination in one place. Every error it
 * throws is a FlowError whose text has passed through redaction, so the API key never leaves here.
 */
export class MithrilHttp {
  private readonly apiKey: string;
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly fetchImpl: typeof fetch;

  constructor(options: MithrilHttpOptions) {
    this.apiKey = options.apiKey;
    this.baseUrl = (options.baseUrl ?? DEFAULT_MITHRIL_API_URL).replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.sleep = options.sleep ?? realSleep;
    this.fetchImpl = options.fetch ?? fetch;
    // Keep the key off enumerable fields, so a logged or serialised client does not carry it.
    Object.defineProperty(this, 'apiKey', { enumerable: false });
  }

  get(path: string, query?: Record<string, QueryValue>): Promise<unknown> {
    return this.request('GET', path, { query });
  }

  post(path: string, body: unknown, idempotencyKey?: string): Promise<unknown> {
    return this.request('POST', path, { body, idempotencyKey });
  }

  patch(path: string, body: unknown): Promise<unknown> {
    return this.request('PATCH', path, { body });
  }

  delete(path: string): Promise<unknown> {
    return this.request('DELETE', path, {});
  }

  /** Every row of a cursor-paged listing. A cursor seen twice, or too many pages, is an error. */
  async getAllPages(path: string, query: Record<string, QueryValue> = {}, options: PageOptions = {}): Promise<unknown[]> {
    const maxPages = options.maxPages ?? 20;
    const rows: unknown[] = [];
    const seen = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const body = await this.get(path, { ...query, next_cursor: cursor });
      rows.push(...rowsOf(body));
      cursor = nextCursorOf(body);
      if (cursor === undefined) return rows;
      if (seen.has(cursor)) throw new ProviderError(`Mithril returned the same page cursor twice for GET ${path}; stopping`, { retryable: false });
      seen.add(cursor);
    }
    throw new ProviderError(`GET ${path} has more than ${maxPages} pages; stopping`, { retryable: false });
  }

  async request(method: string, path: string, options: RequestOptions): Promise<unknown> {
    if (!path.startsWith('/')) throw new Error(`Mithril path must start with '/': ${path}`);
    const url = this.urlFor(path, options.query);
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.attempt(method, path, url, options);
      if (outcome.ok) return outcome.body;
      if (!outcome.retry || attempt + 1 >= this.maxAttempts) throw outcome.error;
      await this.sleep(outcome.waitMs ?? backoffMs(attempt));
    }
  }

  private urlFor(path: string, query: Record<string, QueryValue> | undefined): string {
    const url = new URL(this.baseUrl + path);
    // Sorted, so the same request always reads the same (logs, caches, the simulator's records).
    for (const [key, value] of Object.entries(query ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  private headers(options: RequestOptions): Record<string, string> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.apiKey}`,
      Accept: 'application/json',
      'Content-Type': 'application/json',
      'User-Agent': `flow-sdk/${flowVersion()}`,
      // New on every attempt, so each try can be told apart in the server's logs.
      'X-Client-Request-Id': randomUUID(),
    };
    if (options.idempotencyKey !== undefined) headers['Idempotency-Key'] = options.idempotencyKey;
    return headers;
  }

  private async attempt(method: string, path: string, url: string, options: RequestOptions): Promise<AttemptOutcome> {
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const safe = isSafeToRepeat(method, options.idempotencyKey);
    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers: this.headers(options),
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      return { ok: false, retry: safe || refusedBeforeSending(error), error: this.transportError(method, path, timeoutMs, error) };
    }
    const body = parseBody(text);
    if (response.ok) {
      if (body === undefined) return { ok: false, retry: false, error: new ProviderError(`Mithril answered ${method} ${path} with a body that is not JSON`, { retryable: false }) };
      return { ok: true, body };
    }
    const requestId = response.headers.get('x-request-id') ?? response.headers.get('x-correlation-id') ?? undefined;
    // Redacted before any message is built from it: a server may echo the Authorization header.
    const failure = { method, path, status: response.status, body: this.redactBody(body ?? text), requestId };
    if (response.status === 429) {
      const waitMs = parseRetryAfter(response.headers.get('retry-after'));
      // Any method may be repeated after a 429: the server refused it without acting on it.
      if (waitMs !== undefined && waitMs > MAX_RETRY_AFTER_MS) return { ok: false, retry: false, error: rateLimitError(method, path, waitMs) };
      return { ok: false, retry: true, waitMs, error: rateLimitError(method, path, waitMs) };
    }
    // A 504 may have reached the backend, and a gateway that timed out once tends to again.
    if (response.status === 504) return { ok: false, retry: false, error: errorForStatus(failure) };
    return { ok: false, retry: response.status >= 500 && safe, error: errorForStatus(failure) };
  }

  private transportError(method: string, path: string, timeoutMs: number, error: unknown): FlowError {
    const name = (error as { name?: unknown } | null)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new TransientError(`Mithril did not answer ${method} ${path} within ${timeoutMs} ms`, {
        suggestions: ['Check the connection to the Mithril API (mithril.apiUrl / MITHRIL_API_URL)'],
      });
    }
    const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
    const reason = typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
    // The raw error is not attached as a cause: it can hold the request, headers included.
    return new ProviderError(redactSecret(`Cannot reach Mithril at ${this.baseUrl} (${method} ${path}): ${reason}`, this.apiKey), {
      suggestions: ['Check the network and mithril.apiUrl / MITHRIL_API_URL'],
    });
  }

  private redactBody(body: unknown): unknown {
    const text = JSON.stringify(body);
    if (text === undefined || !text.includes(this.apiKey)) return body;
    return JSON.parse(redactSecret(text, this.apiKey)) as unknown;
  }

}

function parseBody(text: string): unknown {
  // DELETE answers 204 with no body; treat it as an empty document.
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A connection that was refused never reached the server, so even a POST may be sent again. */
function refusedBeforeSending(error: unknown): boolean {
  return (error as { cause?: { code?: unknown } } | null)?.cause?.code === 'ECONNREFUSED';
}
