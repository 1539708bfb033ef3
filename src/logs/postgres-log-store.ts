import { Client, Pool, type PoolClient } from 'pg';
import { TransientError, ValidationError } from '../domain/errors';
import { followChanges, type FollowOptions } from './follow';
import { withLock } from './mutex';
import { nextCopyChunk } from './copy-chunk';
import { DEFAULT_READ_BYTES, TAIL_CHUNK_BYTES, type LogStoreOptions } from './log-store';
import { redactUrlPassword } from './log-store-url';
import { LOG_CHANNEL, PostgresNotifier, channelKey } from './postgres-notifier';
import { redactSecrets } from './redact';
import { tailLines } from './tail-lines';
import type { AppendTime, CopyOptions, CopyResult, TaskLogStore } from './task-log-store';

/** Connections per store: the worker's appends are short statements, the CLI's reads few. */
const POOL_MAX = 4;
/** Tries of an append that lost the race for its offset to another writer before giving up. */
const MAX_APPEND_TRIES = 200;
const UNIQUE_VIOLATION = '23505';

/**
 * One row per append, keyed by its log offset: the log is the chain of chunks, each starting
 * where the last ended. source_end is copyFrom's resume point, stored with the bytes.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS flow_log_chunks (
  task_id text NOT NULL,
  rank integer NOT NULL,
  log_start bigint NOT NULL,
  log_end bigint NOT NULL,
  source_end bigint NOT NULL,
  at_ms bigint NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (task_id, rank, log_start)
);
CREATE TABLE IF NOT EXISTS flow_log_runs (
  task_id text PRIMARY KEY,
  run_key text NOT NULL
);`;
/** Any constant: two processes creating the schema at once would collide in the catalog. */
const SCHEMA_LOCK = 0x666c6f77;

interface Head {
  logSize: number;
  consumed: number;
}

/**
 * Task logs in PostgreSQL, so workers and clients on many machines share them. Byte offsets
 * are the read and follow cursor exactly as with files. An append inserts the chunk at the
 * log's current end, with the source offset consumed, in one statement: a writer that lost the
 * race for that offset (the primary key) reads the new end and tries again, so appends to one
 * rank are serialized across processes and a retried copy on another worker repeats nothing.
 * Within a process they queue on the in-process mutex, so they do not race each other.
 * Follow wakes on LISTEN/NOTIFY, with the usual poll as the fallback.
 */
export class PostgresLogStore implements TaskLogStore {
  private readonly pool: Pool;
  private readonly notifier: PostgresNotifier;
  private readonly secrets: readonly string[];
  private readonly tailChunkBytes: number;
  private schema: Promise<void> | undefined;
  private closed: Promise<void> | undefined;
  /** For errors: the URL without its password. */
  readonly displayUrl: string;

  constructor(url: string, options: LogStoreOptions = {}) {
    this.displayUrl = redactUrlPassword(url);
    this.secrets = options.secrets ?? [];
    this.tailChunkBytes = Math.max(1, options.tailChunkBytes ?? TAIL_CHUNK_BYTES);
    this.pool = new Pool({ connectionString: url, max: POOL_MAX, idleTimeoutMillis: 10_000, allowExitOnIdle: true });
    // An idle connection that breaks is dropped by the pool; the next query opens another.
    this.pool.on('error', () => undefined);
    this.notifier = new PostgresNotifier(() => new Client({ connectionString: url }), () => undefined);
  }

  async size(taskId: string, rank: number): Promise<number> {
    return (await this.head(taskId, rank)).logSize;
  }

  /** As LogStore.copyFrom (same reads, cuts and masks); the chunk and its source offset land in one row. */
  async copyFrom(taskId: string, rank: number, read: (offset: number) => Promise<Buffer>, options: CopyOptions = {}): Promise<CopyResult> {
    checkRank(rank);
    return withLock(this.lockKey(taskId, rank), () => this.copyLocked(taskId, rank, read, options));
  }

  private async copyLocked(taskId: string, rank: number, read: (offset: number) => Promise<Buffer>, options: CopyOptions): Promise<CopyResult> {
    const secrets = [...this.secrets, ...(options.secrets ?? [])];
    for (let tries = 0; tries < MAX_APPEND_TRIES; tries += 1) {
      const { consumed: offset, logSize } = await this.head(taskId, rank);
      const { keep, bytes } = await nextCopyChunk(read, offset, secrets, options.final === true);
      if (keep === 0) return { offset, appended: 0 };
      if (await this.insert(taskId, rank, logSize, bytes, offset + keep)) return { offset: offset + keep, appended: keep };
    }
    throw this.raced(taskId, rank);
  }

  async consumed(taskId: string, rank: number): Promise<number> {
    return (await this.head(taskId, rank)).consumed;
  }

  async append(taskId: string, rank: number, data: string | Buffer, secrets: string[] = []): Promise<void> {
    checkRank(rank);
    const raw = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (raw.length === 0) return;
    const bytes = redactSecrets(raw, [...this.secrets, ...secrets]);
    await withLock(this.lockKey(taskId, rank), async () => {
      for (let tries = 0; tries < MAX_APPEND_TRIES; tries += 1) {
        const { consumed, logSize } = await this.head(taskId, rank);
        if (await this.insert(taskId, rank, logSize, bytes, consumed + raw.length)) return;
      }
      throw this.raced(taskId, rank);
    });
  }

  /**
   * Appends of one process to one rank queue up in the process (in call order, as with files),
   * so only writers in other processes race for an offset.
   */
  private lockKey(taskId: string, rank: number): string {
    return `postgres ${this.displayUrl} ${taskId} ${rank}`;
  }

  async read(taskId: string, rank: number, offset = 0, maxBytes = DEFAULT_READ_BYTES): Promise<{ data: Buffer; nextOffset: number }> {
    checkRank(rank);
    const start = Math.max(0, Math.floor(offset));
    const limit = Math.max(0, Math.min(Math.floor(maxBytes), DEFAULT_READ_BYTES * 64));
    if (limit === 0) return { data: Buffer.alloc(0), nextOffset: start };
    const end = start + limit;
    // Only the overlapping part of each chunk travels; the first chunk is found through the key.
    const rows = await this.query<{ part: Buffer }>(
      `SELECT substring(data FROM (greatest($3::bigint - log_start, 0) + 1)::int FOR (least(log_end, $4::bigint) - greatest(log_start, $3::bigint))::int) AS part
         FROM flow_log_chunks
        WHERE task_id = $1 AND rank = $2 AND log_end > $3 AND log_start < $4
          AND log_start >= coalesce((SELECT max(log_start) FROM flow_log_chunks WHERE task_id = $1 AND rank = $2 AND log_start <= $3), 0)
        ORDER BY log_start`,
      [taskId, rank, start, end],
    );
    const data = Buffer.concat(rows.map((row) => row.part));
    return { data, nextOffset: start + data.length };
  }

  async tail(taskId: string, rank: number, lines: number, upTo?: number): Promise<string[]> {
    if (!(lines > 0)) return [];
    const size = Math.min(await this.size(taskId, rank), upTo ?? Infinity);
    const readRange = async (position: number, length: number) => (await this.read(taskId, rank, position, length)).data;
    return tailLines(size, readRange, lines, this.tailChunkBytes);
  }

  async ranks(taskId: string): Promise<number[]> {
    const rows = await this.query<{ rank: number }>('SELECT DISTINCT rank FROM flow_log_chunks WHERE task_id = $1 ORDER BY rank', [taskId]);
    return rows.map((row) => row.rank);
  }

  follow(taskId: string, rank: number, options: FollowOptions): AsyncGenerator<string> {
    checkRank(rank);
    return followChanges(this.notifier.watch(taskId, rank), (offset) => this.read(taskId, rank, offset, DEFAULT_READ_BYTES), options);
  }

  async offsetSince(taskId: string, rank: number, sinceMs: number): Promise<number> {
    const rows = await this.query<{ log_start: string }>(
      'SELECT log_start FROM flow_log_chunks WHERE task_id = $1 AND rank = $2 AND at_ms >= $3 ORDER BY log_start LIMIT 1',
      [taskId, rank, Math.floor(sinceMs)],
    );
    return rows[0] ? Number(rows[0].log_start) : this.size(taskId, rank);
  }

  /** The cursor is a log offset: entries of the chunks starting at or after it. */
  async appendTimes(taskId: string, rank: number, fromByte = 0): Promise<{ entries: AppendTime[]; nextByte: number }> {
    const rows = await this.query<{ at_ms: string; log_start: string; log_end: string }>(
      'SELECT at_ms, log_start, log_end FROM flow_log_chunks WHERE task_id = $1 AND rank = $2 AND log_start >= $3 ORDER BY log_start',
      [taskId, rank, fromByte],
    );
    const entries = rows.map((row) => ({ atMs: Number(row.at_ms), offset: Number(row.log_start) }));
    const last = rows[rows.length - 1];
    return { entries, nextByte: last ? Number(last.log_end) : fromByte };
  }

  /** As with files (claimLogRun): another run's logs are renamed to `<taskId>.run-<key>-<time>`. */
  async claimRun(taskId: string, runKey: string): Promise<void> {
    await this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`flow-run ${taskId}`]);
      const current = (await client.query<{ run_key: string }>('SELECT run_key FROM flow_log_runs WHERE task_id = $1', [taskId])).rows[0]?.run_key;
      if (current === runKey) return;
      if (current !== undefined || (await client.query('SELECT 1 FROM flow_log_chunks WHERE task_id = $1 LIMIT 1', [taskId])).rowCount) {
        await client.query('UPDATE flow_log_chunks SET task_id = $2 WHERE task_id = $1', [taskId, `${taskId}.run-${current ?? 'unknown'}-${Date.now()}`]);
      }
      await client.query('INSERT INTO flow_log_runs (task_id, run_key) VALUES ($1, $2) ON CONFLICT (task_id) DO UPDATE SET run_key = $2', [taskId, runKey]);
    });
  }

  /** Idempotent. */
  close(): Promise<void> {
    this.notifier.close();
    this.closed ??= this.pool.end();
    return this.closed;
  }

  private async head(taskId: string, rank: number): Promise<Head> {
    checkRank(rank);
    const rows = await this.query<{ log_end: string; source_end: string }>(
      'SELECT log_end, source_end FROM flow_log_chunks WHERE task_id = $1 AND rank = $2 ORDER BY log_start DESC LIMIT 1',
      [taskId, rank],
    );
    const row = rows[0];
    return row ? { logSize: Number(row.log_end), consumed: Number(row.source_end) } : { logSize: 0, consumed: 0 };
  }

  /**
   * The chunk at `logStart`, and its NOTIFY (sent on commit), in one statement; false when
   * another writer took that offset first.
   */
  private async insert(taskId: string, rank: number, logStart: number, bytes: Buffer, sourceEnd: number): Promise<boolean> {
    try {
      await this.query(
        `WITH chunk AS (
           INSERT INTO flow_log_chunks (task_id, rank, log_start, log_end, source_end, at_ms, data)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING 1)
         SELECT pg_notify('${LOG_CHANNEL}', $8) FROM chunk`,
        [taskId, rank, logStart, logStart + bytes.length, sourceEnd, Date.now(), bytes, channelKey(taskId, rank)],
      );
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === UNIQUE_VIOLATION) return false;
      throw error;
    }
  }

  private async query<Row extends object>(text: string, values: unknown[]): Promise<Row[]> {
    await this.ensureSchema();
    try {
      return (await this.pool.query<Row & Record<string, unknown>>(text, values)).rows;
    } catch (error) {
      throw this.wrap(error);
    }
  }

  private async transaction(fn: (client: PoolClient) => Promise<void>): Promise<void> {
    await this.ensureSchema();
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw this.wrap(error);
    }
    try {
      await client.query('BEGIN');
      await fn(client);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw this.wrap(error);
    } finally {
      client.release();
    }
  }

  /** CREATE TABLE IF NOT EXISTS, once per store; tried again after a failure. */
  private ensureSchema(): Promise<void> {
    this.schema ??= (async () => {
      let client: PoolClient | undefined;
      try {
        client = await this.pool.connect();
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
        await client.query(SCHEMA);
        await client.query('COMMIT');
      } catch (error) {
        await client?.query('ROLLBACK').catch(() => undefined);
        this.schema = undefined;
        throw this.wrap(error);
      } finally {
        client?.release();
      }
    })();
    return this.schema;
  }

  /** pg's errors, with the store they came from (never its password); unique violations pass through. */
  private wrap(error: unknown): unknown {
    if (error instanceof TransientError || (error as { code?: string }).code === UNIQUE_VIOLATION) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new TransientError(`PostgreSQL log store ${this.displayUrl}: ${message}`, {
      suggestions: ['Check that the database in FLOW_LOG_STORE (or logs.store in config.yaml) is reachable and the user may create tables'],
    });
  }

  private raced(taskId: string, rank: number): Error {
    return new TransientError(`PostgreSQL log store: ${MAX_APPEND_TRIES} appends to ${taskId} rank ${rank} in a row lost the race to other writers`);
  }
}

function checkRank(rank: number): void {
  if (!Number.isSafeInteger(rank) || rank < 0 || rank > 0x7fffffff) {
    throw new ValidationError(`Invalid rank ${rank}; ranks are whole numbers from 0`, { field: 'rank' });
  }
}
