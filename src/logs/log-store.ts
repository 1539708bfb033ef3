import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../domain/errors';
import { followLines, type FollowOptions } from './follow';
import { withLock } from './mutex';
import { nextCopyChunk } from './copy-chunk';
import { redactSecrets } from './redact';
import { claimLogRun } from './run-claim';
import { tailLines } from './tail-lines';
import type { CopyOptions, CopyResult, TaskLogStore } from './task-log-store';

export type { CopyOptions, CopyResult } from './task-log-store';

export { MAX_PARTIAL_LINE_BYTES } from './copy-chunk';
/** How much tail() reads per step while walking backwards from the end of a file. */
export const TAIL_CHUNK_BYTES = 64 * 1024;
/** Default and cap for one read(). */
export const DEFAULT_READ_BYTES = 1024 * 1024;

const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
const NEWLINE = 0x0a;
const TASK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export interface LogStoreOptions {
  /** Chunk size for tail()'s backwards reads; mainly for tests. */
  tailChunkBytes?: number;
  /** Masked in every task's log besides each task's own secrets (the worker's API keys). */
  secrets?: readonly string[];
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

/**
 * File-backed task logs: `<logsDir>/<taskId>/<rank>.log`, one append-only file per rank.
 * Appends to one file are serialized by an in-process mutex, so their order is kept.
 */
export class LogStore implements TaskLogStore {
  private readonly tailChunkBytes: number;
  private readonly secrets: readonly string[];

  constructor(
    readonly logsDir: string,
    options: LogStoreOptions = {},
  ) {
    this.tailChunkBytes = Math.max(1, options.tailChunkBytes ?? TAIL_CHUNK_BYTES);
    this.secrets = options.secrets ?? [];
  }

  taskDir(taskId: string): string {
    if (!TASK_ID_PATTERN.test(taskId) || taskId === '.' || taskId === '..') {
      throw new ValidationError(`Invalid task id '${taskId}' for a log path`, { field: 'taskId' });
    }
    return join(this.logsDir, taskId);
  }

  path(taskId: string, rank: number): string {
    if (!Number.isSafeInteger(rank) || rank < 0) {
      throw new ValidationError(`Invalid rank ${rank}; ranks are whole numbers from 0`, { field: 'rank' });
    }
    return join(this.taskDir(taskId), `${rank}.log`);
  }

  /** Size of the rank's log in bytes; 0 when it does not exist yet. */
  async size(taskId: string, rank: number): Promise<number> {
    return sizeOf(this.path(taskId, rank));
  }

  /**
   * Copies bytes from a source into the rank's log, resuming exactly where the last copy stopped.
   * Under the file's mutex: offset = consumed(); data = read(offset) (read on while a chunk is too
   * short to hold a secret, and when `final`, until the source ends); keep whole lines only (up
   * to and including the last '\n') unless `final`, or the chunk has no newline and is at least
   * 64 KiB; redact (see redactPrefix: no secret is split by a cut); append. Masks have a fixed
   * length, so the log's size differs from the source bytes consumed: each append records both
   * in the time index, so calling it again after a crash never duplicates or loses a line. Not
   * safe against a second *process* copying the same rank at the same time.
   */
  async copyFrom(
    taskId: string,
    rank: number,
    read: (offset: number) => Promise<Buffer>,
    options: CopyOptions = {},
  ): Promise<CopyResult> {
    const file = this.path(taskId, rank);
    return withLock(file, async () => {
      const { consumed: offset, logSize } = await this.resumePoint(taskId, rank, file);
      const { keep, bytes } = await nextCopyChunk(read, offset, [...this.secrets, ...(options.secrets ?? [])], options.final === true);
      if (keep === 0) return { offset, appended: 0 };
      await this.appendRaw(taskId, rank, file, bytes, logSize, offset, offset + keep);
      return { offset: offset + keep, appended: keep };
    });
  }

  /**
   * Source bytes consumed so far on this rank (copyFrom's resume point; append counts its own
   * bytes): where a restarted attempt's output begins in copyFrom's offsets.
   */
  async consumed(taskId: string, rank: number): Promise<number> {
    const file = this.path(taskId, rank);
    return withLock(file, async () => (await this.resumePoint(taskId, rank, file)).consumed);
  }

  /** Appends as-is (after redaction). Do not mix with copyFrom on the same rank: it moves copyFrom's resume point. */
  async append(taskId: string, rank: number, data: string | Buffer, secrets: string[] = []): Promise<void> {
    const file = this.path(taskId, rank);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (bytes.length === 0) return;
    await withLock(file, async () => {
      const { consumed, logSize } = await this.resumePoint(taskId, rank, file);
      await this.appendRaw(taskId, rank, file, redactSecrets(bytes, [...this.secrets, ...secrets]), logSize, consumed, consumed + bytes.length);
    });
  }

  /** Up to maxBytes (default 1 MiB) from offset; an empty buffer at or past the end, or when there is no log. */
  async read(taskId: string, rank: number, offset = 0, maxBytes = DEFAULT_READ_BYTES): Promise<{ data: Buffer; nextOffset: number }> {
    return readAt(this.path(taskId, rank), offset, maxBytes);
  }

  /**
   * The last `lines` lines (without '\n') before offset `upTo` (default: the end of the file), reading
   * backwards in chunks so big logs are not read whole.
   */
  async tail(taskId: string, rank: number, lines: number, upTo?: number): Promise<string[]> {
    const file = this.path(taskId, rank);
    if (!(lines > 0)) return [];
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(file, 'r');
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    try {
      const size = Math.min((await handle.stat()).size, upTo ?? Infinity);
      const readRange = async (position: number, length: number) => {
        const chunk = Buffer.alloc(length);
        await readFully(handle, chunk, position);
        return chunk;
      };
      return await tailLines(size, readRange, lines, this.tailChunkBytes);
    } finally {
      await handle.close();
    }
  }

  /** Ranks that have a log file, ascending. */
  async ranks(taskId: string): Promise<number[]> {
    let names: string[];
    try {
      names = await fsp.readdir(this.taskDir(taskId));
    } catch (error) {
      if (isNotFound(error)) return [];
      throw error;
    }
    return names
      .map((name) => /^(\d+)\.log$/.exec(name)?.[1])
      .filter((rank): rank is string => rank !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  /**
   * Yields lines (without '\n') from `fromOffset` as they are appended, until `isDone()` is true
   * and everything written has been yielded. Wakes on fs.watch plus a poll fallback (pollMs,
   * default 100). A partial last line is held back until its newline arrives, or until done.
   */
  follow(taskId: string, rank: number, options: FollowOptions): AsyncGenerator<string> {
    const file = this.path(taskId, rank);
    return followLines(file, (offset) => readAt(file, offset, DEFAULT_READ_BYTES), options);
  }

  /**
   * The offset of the first bytes appended at or after `sinceMs` (epoch ms), from the rank's time
   * index; the log's size when nothing was appended since; 0 for a log without an index.
   */
  async offsetSince(taskId: string, rank: number, sinceMs: number): Promise<number> {
    let text: string;
    try {
      text = await fsp.readFile(this.timesPath(taskId, rank), 'utf8');
    } catch (error) {
      if (isNotFound(error)) return 0;
      throw error;
    }
    for (const line of text.split('\n')) {
      const [at, offset] = line.split(' ').map(Number);
      if (at !== undefined && offset !== undefined && Number.isFinite(at) && Number.isFinite(offset) && at >= sinceMs) return offset;
    }
    return this.size(taskId, rank);
  }

  /**
   * The rank's time index from byte `fromByte` of it on: when each append landed, in order
   * (`logs --json` gives each line its time from it), and where to read on next time. Whole
   * index lines only; none for a log written without an index.
   */
  async appendTimes(taskId: string, rank: number, fromByte = 0): Promise<{ entries: Array<{ atMs: number; offset: number }>; nextByte: number }> {
    const file = this.timesPath(taskId, rank);
    const entries: Array<{ atMs: number; offset: number }> = [];
    let position = fromByte;
    for (;;) {
      const { data } = await readAt(file, position, DEFAULT_READ_BYTES);
      const whole = data.lastIndexOf(NEWLINE) + 1;
      if (whole === 0) return { entries, nextByte: position };
      for (const line of data.subarray(0, whole).toString('utf8').split('\n')) {
        const [atMs, offset] = line.split(' ').map(Number);
        if (atMs !== undefined && offset !== undefined && Number.isFinite(atMs) && Number.isFinite(offset)) entries.push({ atMs, offset });
      }
      position += whole;
    }
  }

  /** The task's folder becomes run `runKey`'s (see claimLogRun). */
  async claimRun(taskId: string, runKey: string): Promise<void> {
    await claimLogRun(this.taskDir(taskId), runKey);
  }

  async close(): Promise<void> {}

  /** `<rank>.times`: one "epochMs offset" line per append, so `logs --since` can find where to start. */
  private timesPath(taskId: string, rank: number): string {
    return join(this.taskDir(taskId), `${rank}.times`);
  }

  /**
   * The last append's record, "epochMs logStart logEnd sourceStart sourceEnd", tells where to go on.
   * A log cut short by a crash mid-append is truncated back to logStart and that append redone.
   * Logs written before masks had a fixed length have "epochMs offset" lines: there the log's
   * size is the source bytes consumed.
   */
  private async resumePoint(taskId: string, rank: number, file: string): Promise<{ consumed: number; logSize: number }> {
    const logSize = await sizeOf(file);
    const last = await lastLine(this.timesPath(taskId, rank));
    const fields = last?.split(' ').map(Number) ?? [];
    if (fields.length < 5 || !fields.every(Number.isSafeInteger)) return { consumed: logSize, logSize };
    const [, logStart, logEnd, sourceStart, sourceEnd] = fields as [number, number, number, number, number];
    if (logSize >= logEnd) return { consumed: sourceEnd, logSize };
    await fsp.truncate(file, logStart);
    return { consumed: sourceStart, logSize: logStart };
  }

  private async appendRaw(taskId: string, rank: number, file: string, bytes: Buffer, offset: number, sourceStart: number, sourceEnd: number): Promise<void> {
    await fsp.mkdir(this.taskDir(taskId), { recursive: true, mode: DIR_MODE });
    // The time entry goes first: after a crash between the two writes, resumePoint sees a log
    // shorter than the entry says and redoes this append from sourceStart.
    const entry = `${Date.now()} ${offset} ${offset + bytes.length} ${sourceStart} ${sourceEnd}\n`;
    await fsp.appendFile(this.timesPath(taskId, rank), entry, { mode: FILE_MODE });
    const handle = await fsp.open(file, 'a', FILE_MODE);
    try {
      let written = 0;
      while (written < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, written, bytes.length - written);
        written += bytesWritten;
      }
    } finally {
      await handle.close();
    }
  }
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await fsp.stat(file)).size;
  } catch (error) {
    if (isNotFound(error)) return 0;
    throw error;
  }
}

async function readAt(file: string, offset: number, maxBytes: number): Promise<{ data: Buffer; nextOffset: number }> {
  const start = Math.max(0, Math.floor(offset));
  const limit = Math.max(0, Math.min(Math.floor(maxBytes), DEFAULT_READ_BYTES * 64));
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, 'r');
  } catch (error) {
    if (isNotFound(error)) return { data: Buffer.alloc(0), nextOffset: start };
    throw error;
  }
  try {
    const size = (await handle.stat()).size;
    const length = Math.min(limit, Math.max(0, size - start));
    if (length === 0) return { data: Buffer.alloc(0), nextOffset: start };
    // Not zero-filled first: only the bytes read are returned (a large log is copied in big chunks).
    const buffer = Buffer.allocUnsafe(length);
    const got = await readFully(handle, buffer, start);
    return { data: got === length ? buffer : buffer.subarray(0, got), nextOffset: start + got };
  } finally {
    await handle.close();
  }
}

/** Reads until `buffer` is full or the file ends; returns the bytes read. */
async function readFully(handle: fsp.FileHandle, buffer: Buffer, position: number): Promise<number> {
  let total = 0;
  while (total < buffer.length) {
    const { bytesRead } = await handle.read(buffer, total, buffer.length - total, position + total);
    if (bytesRead === 0) break;
    total += bytesRead;
  }
  return total;
}

/** The last whole line of a small-lined file (its last 4 KiB are enough), or undefined. */
async function lastLine(file: string): Promise<string | undefined> {
  const size = await sizeOf(file);
  if (size === 0) return undefined;
  const start = Math.max(0, size - 4096);
  const { data } = await readAt(file, start, size - start);
  const end = data.lastIndexOf(NEWLINE);
  if (end === -1) return undefined;
  return data.subarray(data.lastIndexOf(NEWLINE, end - 1) + 1, end).toString('utf8');
}
