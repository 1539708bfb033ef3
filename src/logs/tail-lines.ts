const NEWLINE = 0x0a;

/** Reads `length` bytes at `position` (fewer only at the end of the log). */
export type ReadRange = (position: number, length: number) => Promise<Buffer>;

/**
 * The last `lines` lines (without '\n') of the first `size` bytes of a log, reading backwards in
 * chunks of `chunkBytes` so a big log is not read whole. Shared by every TaskLogStore backend.
 */
export async function tailLines(size: number, readRange: ReadRange, lines: number, chunkBytes: number): Promise<string[]> {
  if (!(lines > 0) || !(size > 0)) return [];
  const chunks: Buffer[] = [];
  let position = size;
  let newlines = 0;
  let endsWithNewline: boolean | undefined;
  // Stop once `lines` newlines precede the end: then the last `lines` lines are all whole.
  while (position > 0 && newlines < lines) {
    const length = Math.min(chunkBytes, position);
    position -= length;
    const chunk = await readRange(position, length);
    endsWithNewline ??= chunk[chunk.length - 1] === NEWLINE;
    chunks.unshift(chunk);
    newlines += countNewlines(chunk);
    // A newline that ends the log terminates the last line; it does not start a new one.
    if (endsWithNewline && chunks.length === 1) newlines -= 1;
  }
  const all = Buffer.concat(chunks);
  const body = endsWithNewline ? all.subarray(0, all.length - 1) : all;
  const result: string[] = [];
  let end = body.length;
  while (result.length < lines) {
    const start = end === 0 ? -1 : body.lastIndexOf(NEWLINE, end - 1);
    if (start === -1 && position > 0) break; // the rest is the tail end of a line we did not read whole
    result.push(body.subarray(start + 1, end).toString('utf8'));
    if (start === -1) break;
    end = start;
  }
  return result.reverse();
}

function countNewlines(chunk: Buffer): number {
  let count = 0;
  let at = chunk.indexOf(NEWLINE);
  while (at !== -1) {
    count += 1;
    at = chunk.indexOf(NEWLINE, at + 1);
  }
  return count;
}
