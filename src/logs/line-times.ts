import type { TaskLogStore } from './task-log-store';

/**
 * When the bytes at an offset of a rank's log were stored, from the log's time index (one entry
 * per append: the worker stores a command's output within a quarter second of it being written).
 * Reads the index once, and on from where it stopped only when asked about bytes newer than that.
 */
export class LineClock {
  private readonly entries: Array<{ atMs: number; offset: number }> = [];
  private nextByte = 0;
  /** Bytes below this have their index entry loaded already. */
  private covered = 0;

  constructor(
    private readonly logs: TaskLogStore,
    private readonly taskId: string,
    private readonly rank: number,
  ) {}

  /** Epoch ms of the append that wrote the byte at `offset`; undefined for a log without an index. */
  async timeAt(offset: number): Promise<number | undefined> {
    if (offset >= this.covered) await this.load();
    // The last entry at or before the offset (of two for one offset, the later: a retried append).
    let low = 0;
    let high = this.entries.length - 1;
    let found: number | undefined;
    while (low <= high) {
      const middle = (low + high) >> 1;
      if (this.entries[middle]!.offset <= offset) {
        found = middle;
        low = middle + 1;
      } else high = middle - 1;
    }
    return found === undefined ? undefined : this.entries[found]!.atMs;
  }

  private async load(): Promise<void> {
    // The size first: an append writes its index entry before its bytes, so every byte below
    // this size has its entry in the index read next.
    const size = await this.logs.size(this.taskId, this.rank);
    const { entries, nextByte } = await this.logs.appendTimes(this.taskId, this.rank, this.nextByte);
    this.entries.push(...entries);
    this.nextByte = nextByte;
    this.covered = size;
  }
}
