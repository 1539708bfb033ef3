import type { FollowOptions } from './follow';

export interface CopyOptions {
  /** Values to mask (see redact.ts) before they are stored. */
  secrets?: string[];
  /** The source is finished: copy a trailing partial line too. */
  final?: boolean;
}

export interface CopyResult {
  /** The number of source bytes consumed so far (not the log's size: masks have a fixed length). */
  offset: number;
  /** Source bytes consumed by this call. */
  appended: number;
}

/** One append's entry in a rank's time index: when it landed and the log offset it starts at. */
export interface AppendTime {
  atMs: number;
  offset: number;
}

/**
 * Task logs: per (task, rank), an append-only byte stream whose byte offsets are the cursor of
 * every read and follow. The worker writes (copyFrom, append); the CLI and SDK read. Backends:
 * files in FLOW_HOME (LogStore, the default) and PostgreSQL (PostgresLogStore, shared by machines).
 */
export interface TaskLogStore {
  /** Size of the rank's log in bytes; 0 when it does not exist yet. */
  size(taskId: string, rank: number): Promise<number>;
  /**
   * Copies bytes from a source into the rank's log, resuming exactly where the last copy stopped
   * (the consumed source offset is stored with the bytes), whole lines only unless `final`.
   */
  copyFrom(taskId: string, rank: number, read: (offset: number) => Promise<Buffer>, options?: CopyOptions): Promise<CopyResult>;
  /** Source bytes consumed so far on this rank (copyFrom's resume point). */
  consumed(taskId: string, rank: number): Promise<number>;
  /** Appends as-is (after redaction). */
  append(taskId: string, rank: number, data: string | Buffer, secrets?: string[]): Promise<void>;
  /** Up to maxBytes from offset; an empty buffer at or past the end, or when there is no log. */
  read(taskId: string, rank: number, offset?: number, maxBytes?: number): Promise<{ data: Buffer; nextOffset: number }>;
  /** The last `lines` lines (without '\n') before offset `upTo` (default: the end). */
  tail(taskId: string, rank: number, lines: number, upTo?: number): Promise<string[]>;
  /** Ranks that have a log, ascending. */
  ranks(taskId: string): Promise<number[]>;
  /** Lines from `fromOffset` as they are appended, until `isDone()` and everything is yielded. */
  follow(taskId: string, rank: number, options: FollowOptions): AsyncGenerator<string>;
  /** The offset of the first bytes appended at or after `sinceMs`; the size when none; 0 without an index. */
  offsetSince(taskId: string, rank: number, sinceMs: number): Promise<number>;
  /** The time index from cursor `fromByte` on, and the cursor to read on from next time. */
  appendTimes(taskId: string, rank: number, fromByte?: number): Promise<{ entries: AppendTime[]; nextByte: number }>;
  /**
   * Makes the task's logs those of workflow run `runKey`: another run's logs under the same task
   * id are moved aside, so the new run neither resumes from nor shows them. Idempotent.
   */
  claimRun(taskId: string, runKey: string): Promise<void>;
  /** Releases connections (no-op for files). */
  close(): Promise<void>;
  /** The file holding the rank's bytes as they are, where the store keeps one (files do): `flow logs` copies it straight to stdout. */
  path?(taskId: string, rank: number): string;
}
