import {
  AuthenticationError,
  AuthorizationError,
  FlowError,
  ProviderError,
  ResourceNotFoundError,
  TransientError,
  ValidationError,
} from '../domain';

/** What the error mapping needs to know about a failed response. */
export interface FailedResponse {
  method: string;
  /** Path without the query, e.g. /v2/spot/bids/bid_123. */
  path: string;
  status: number;
  /** The body parsed as JSON where it was JSON, else its text. */
  body: unknown;
  requestId?: string;
}

/** The API's `detail` (string, or a list of {loc,msg}) or `message`, as one line. */
export function detailText(body: unknown): string {
  if (typeof body === 'string') return body.trim().slice(0, 500);
  if (body === null || typeof body !== 'object') return '';
  const record = body as Record<string, unknown>;
  const detail = record.detail ?? record.message ?? record.error;
  // Cut short: a server may send megabytes, and the message is printed whole.
  if (typeof detail === 'string') return detail.slice(0, 500);
  if (Array.isArray(detail)) return fieldMessages(detail.slice(0, 20)).join('; ').slice(0, 2000);
  if (detail !== undefined) return JSON.stringify(detail).slice(0, 500);
  return '';
}

/** 422 details: `[{loc: ["body","limit_price"], msg: "..."}]` → "limit_price: ...". */
function fieldMessages(detail: unknown[]): string[] {
  return detail.map((item) => {
    if (item === null || typeof item !== 'object') return String(item);
    const { loc, msg } = item as { loc?: unknown; msg?: unknown };
    // FastAPI puts where the field sits ("body", "query") first; the user needs only the field.
    const parts = Array.isArray(loc) ? loc.map(String).filter((p, i) => !(i === 0 && ['body', 'query', 'path', 'header'].includes(p))) : [];
    const field = parts.join('.');
    const message = typeof msg === 'string' ? msg : JSON.stringify(msg);
    return field === '' ? message : `${field}: ${message}`;
  });
}

function firstField(body: unknown): string | undefined {
  const detail = body !== null && typeof body === 'object' ? (body as { detail?: unknown }).detail : undefined;
  if (!Array.isArray(detail)) return undefined;
  const loc = (detail[0] as { loc?: unknown } | undefined)?.loc;
  if (!Array.isArray(loc)) return undefined;
  const parts = loc.map(String).filter((p, i) => !(i === 0 && ['body', 'query', 'path', 'header'].includes(p)));
  return parts.length === 0 ? undefined : parts.join('.');
}

const KEY_FIXES = [
  'Set a valid key in MITHRIL_API_KEY, or store one with: flow setup',
  'Create or copy a key in the Mithril console (API keys) if this one was revoked',
];

/** The last path segment when it looks like an id (bid_…, vol_…, it_…), else undefined. */
function idInPath(path: string): string | undefined {
  const last = path.split('/').filter(Boolean).pop();
  if (last === undefined) return undefined;
  return /^[A-Za-z]+_[A-Za-z0-9]+$/.test(last) || /\d/.test(last) ? last : undefined;
}

/** The FlowError for an HTTP error status that is not retried (or is no longer). */
export function errorForStatus(failure: FailedResponse): FlowError {
  const { method, path, status, body } = failure;
  const detail = detailText(body);
  const suffix = failure.requestId === undefined ? '' : ` (request id ${failure.requestId})`;
  switch (status) {
    case 401:
      return new AuthenticationError(`Mithril rejected the API key (401)${detail ? `: ${detail}` : ''}`, KEY_FIXES);
    case 403:
      return new AuthorizationError(`Access denied: ${detail || `${method} ${path}`}`, [
        'Check that this key belongs to a member of the project (mithril.project / MITHRIL_PROJECT)',
        'Choose another project with: flow setup',
      ]);
    case 404: {
      const id = idInPath(path);
      return new ResourceNotFoundError(id !== undefined ? `Mithril resource '${id}' not found` : `Endpoint not found: ${method} ${path}`, [
        'Check the id; it may belong to another project or have been deleted',
      ]);
    }
    case 422: {
      const lines = Array.isArray((body as { detail?: unknown } | null)?.detail)
        ? fieldMessages((body as { detail: unknown[] }).detail)
        : [detail || 'the request was refused'];
      return new ValidationError(`Mithril refused the request (${method} ${path}):\n${lines.map((l) => `  - ${l}`).join('\n')}`, {
        field: firstField(body),
      });
    }
    case 504:
      return new TransientError(`Gateway timeout from Mithril: ${method} ${path}${suffix}`, {
        suggestions: ['The request may still have taken effect; check before repeating a create (flow status)'],
      });
    default:
      // The endpoint is named always: a detail alone ("internal error") does not say which call failed.
      if (status >= 500) return new ProviderError(`Mithril server error ${status}: ${detail ? `${detail} (${method} ${path})` : `${method} ${path}`}${suffix}`);
      return new ProviderError(`Mithril refused ${method} ${path} (${status})${detail ? `: ${detail}` : ''}${suffix}`, { retryable: false });
  }
}

/** 429 that is not waited out: the time the API asked for is too long, or the attempts are spent. */
export function rateLimitError(method: string, path: string, retryAfterMs: number | undefined): TransientError {
  const wait = retryAfterMs === undefined ? 'a while' : `${Math.ceil(retryAfterMs / 1000)} s`;
  return new TransientError(`Mithril rate limit: ${method} ${path} was refused (429); retry after ${wait}`, {
    suggestions: ['Wait and repeat the command; many parallel commands share one rate limit'],
  });
}
