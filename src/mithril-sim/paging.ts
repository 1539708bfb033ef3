import { invalid } from './http';

/** Cursor paging as the API does it: `limit`, `sort_dir`, an opaque `next_cursor` in and out. */
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

interface Sortable {
  createdAt: string;
  seq: number;
}

export function paginate<T extends Sortable, R>(rows: T[], query: URLSearchParams, render: (row: T) => R): Page<R> {
  const limitText = query.get('limit');
  const limit = limitText === null ? 100 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw invalid(['query', 'limit'], 'limit must be an integer from 1 to 100');
  const dir = query.get('sort_dir') ?? 'desc';
  if (dir !== 'asc' && dir !== 'desc') throw invalid(['query', 'sort_dir'], "sort_dir must be 'asc' or 'desc'");
  const sortBy = query.get('sort_by') ?? 'created_at';
  if (sortBy !== 'created_at') throw invalid(['query', 'sort_by'], "only sort_by=created_at is supported");
  const sorted = [...rows].sort((a, b) => (dir === 'asc' ? a.seq - b.seq : b.seq - a.seq));
  const offset = decodeCursor(query.get('next_cursor'));
  const slice = sorted.slice(offset, offset + limit);
  const next = offset + limit < sorted.length ? encodeCursor(offset + limit) : null;
  return { data: slice.map(render), next_cursor: next };
}

function encodeCursor(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64url');
}

function decodeCursor(cursor: string | null): number {
  if (cursor === null || cursor === '') return 0;
  const match = /^offset:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw invalid(['query', 'next_cursor'], 'unknown cursor');
  return Number(match[1]);
}
