/** Reads rows and the next cursor out of the API's response shapes (a bare list, `data`, or a named wrapper). */

/** Wrapper keys some endpoints use instead of `data`. */
export const ROW_KEYS = ['data', 'volumes', 'instance_types', 'auctions', 'availability', 'projects', 'ssh_keys', 'keys', 'items', 'results'] as const;

/** The rows of a listing; a body with no recognised list yields none. */
export function rowsOf(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  if (body === null || typeof body !== 'object') return [];
  const record = body as Record<string, unknown>;
  for (const key of ROW_KEYS) {
    if (Array.isArray(record[key])) return record[key];
  }
  return [];
}

/** The cursor of the next page, or undefined on the last one (a bare list has no next page). */
export function nextCursorOf(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const cursor = (body as Record<string, unknown>).next_cursor;
  if (typeof cursor === 'string' && cursor !== '') return cursor;
  if (typeof cursor === 'number') return String(cursor);
  return undefined;
}

/** A single document: its `data` envelope when it has one, else the body itself. */
export function documentOf(body: unknown): unknown {
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const data = (body as Record<string, unknown>).data;
    if (data !== null && typeof data === 'object' && !Array.isArray(data)) return data;
  }
  return body;
}
