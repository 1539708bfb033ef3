/**
 * What `task.logs()` returns: the output as lines, read when iterated.
 * `for await (const line of task.logs({ follow: true }))`, or `await task.logs({ tail: 20 }).text()`.
 */
export class LogLines implements AsyncIterable<string> {
  constructor(private readonly open: () => AsyncIterator<string>) {}

  /** Each iteration reads afresh (with `follow`, until the task ends). */
  [Symbol.asyncIterator](): AsyncIterator<string> {
    return this.open();
  }

  /** All the lines, joined with '\n' (no newline after the last); with `follow`, once the task ended. */
  async text(): Promise<string> {
    const lines: string[] = [];
    for await (const line of this) lines.push(line);
    return lines.join('\n');
  }
}
