import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface FollowOptions {
  /** Byte offset to start from; 0 when omitted. */
  fromOffset?: number;
  /** Resolves true once nothing more will be written (the task finished). */
  isDone: () => Promise<boolean>;
  /** Poll interval used as a fallback when no fs.watch event arrives; default 100 ms. */
  pollMs?: number;
  /** Ends the follow early (quietly) when aborted. */
  signal?: AbortSignal;
  /** Settles when the writer has finished; wakes the follower at once instead of at the next poll. */
  until?: Promise<unknown>;
}

export type ReadAt = (offset: number) => Promise<{ data: Buffer; nextOffset: number }>;

/**
 * Starts calling `onChange` whenever the log may have grown; returns how to stop, or undefined
 * when it cannot watch yet. Calls `onLost` if the watch breaks. Either way it is tried again
 * next round, and the poll covers meanwhile.
 */
export type WatchChanges = (onChange: () => void, onLost: () => void) => (() => void) | undefined;

/** fs.watch on the log's directory, which sees the file being created as well as appended to. */
export function watchFileChanges(file: string): WatchChanges {
  const name = basename(file);
  return (onChange, onLost) => {
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(dirname(file), { persistent: false }, (_event, changedName) => {
        if (changedName === null || changedName.toString() === name) onChange();
      });
    } catch {
      return undefined;
    }
    const stop = () => watcher?.close();
    watcher.on('error', () => {
      stop();
      onLost();
    });
    return stop;
  };
}

const NEWLINE = 0x0a;

/**
 * Wakes a follower when the log may have changed: a change watch (fs.watch, or a PostgreSQL
 * NOTIFY), with a timer as the fallback, since a watch can miss events or be unavailable.
 * `changed` latches events that arrive while the follower is busy reading, so none is lost
 * between a drain and the next wait.
 */
class Waker {
  private stop: (() => void) | undefined;
  private changed = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly watchChanges: WatchChanges,
    private readonly pollMs: number,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** (Re)tries to watch; harmless when that is not possible yet. */
  ensureWatching(): void {
    this.stop ??= this.watchChanges(
      () => this.notify(),
      () => {
        this.stop = undefined;
      },
    );
  }

  /** Forget events seen so far: the caller is about to read everything there is. */
  reset(): void {
    this.changed = false;
  }

  /** Resolves on a change event, after pollMs, or on abort, whichever is first. */
  wait(): Promise<void> {
    if (this.changed || this.signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.signal?.removeEventListener('abort', finish);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(finish, this.pollMs);
      this.signal?.addEventListener('abort', finish, { once: true });
      this.wake = finish;
    });
  }

  close(): void {
    this.stop?.();
    this.stop = undefined;
    this.wake?.();
  }

  /** Wake the follower now (e.g. the task just ended). */
  notify(): void {
    this.changed = true;
    this.wake?.();
  }
}

/**
 * Yields the lines of an append-only file (without '\n') from `fromOffset` on, as they are
 * written, until `isDone()` is true and everything written has been yielded. The order is
 * "check done, then drain once more", so bytes written just before the task finished are
 * never lost. A partial last line is held back until its newline arrives, or until done.
 */
export function followLines(file: string, readAt: ReadAt, options: FollowOptions): AsyncGenerator<string> {
  return followChanges(watchFileChanges(file), readAt, options);
}

/** followLines for any log: `watchChanges` says when it may have grown (see WatchChanges). */
export async function* followChanges(watchChanges: WatchChanges, readAt: ReadAt, options: FollowOptions): AsyncGenerator<string> {
  const { isDone, signal } = options;
  const pollMs = Math.max(1, options.pollMs ?? 100);
  let offset = Math.max(0, options.fromOffset ?? 0);
  let pending: Buffer = Buffer.alloc(0);
  const waker = new Waker(watchChanges, pollMs, signal);
  const poke = () => waker.notify();
  options.until?.then(poke, poke);
  try {
    for (;;) {
      if (signal?.aborted) return;
      waker.ensureWatching();
      waker.reset();
      const done = await isDone();
      for (;;) {
        const { data, nextOffset } = await readAt(offset);
        if (data.length === 0) break;
        offset = nextOffset;
        pending = pending.length === 0 ? data : Buffer.concat([pending, data]);
        let newline = pending.indexOf(NEWLINE);
        while (newline !== -1) {
          yield pending.subarray(0, newline).toString('utf8');
          if (signal?.aborted) return;
          pending = pending.subarray(newline + 1);
          newline = pending.indexOf(NEWLINE);
        }
      }
      if (done) {
        if (pending.length > 0) yield pending.toString('utf8');
        return;
      }
      await waker.wait();
    }
  } finally {
    waker.close();
  }
}
