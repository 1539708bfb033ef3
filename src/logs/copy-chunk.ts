import { redactPrefix, secretNeedles } from './redact';

/** A chunk without any newline this big is copied anyway, so one endless line cannot stall a log. */
export const MAX_PARTIAL_LINE_BYTES = 64 * 1024;

const NEWLINE = 0x0a;

/** What copyFrom takes next: `keep` source bytes, stored as `bytes` (secrets masked). */
export interface CopyChunk {
  keep: number;
  bytes: Buffer;
}

/**
 * The next piece of a source from `offset`, as both log stores' copyFrom take it: whole lines (or
 * a newline-free chunk of MAX_PARTIAL_LINE_BYTES), read far enough past the end that a secret cut
 * by the read is still found, then masked. `final`: the source is finished, take everything.
 */
export async function nextCopyChunk(read: (offset: number) => Promise<Buffer>, offset: number, secrets: readonly string[], final: boolean): Promise<CopyChunk> {
  const needles = secretNeedles(secrets);
  const longest = needles.reduce((max, needle) => Math.max(max, needle.length), 0);
  let data = await read(offset);
  let atEnd = false;
  for (;;) {
    const enough = data.length >= 2 * longest;
    if (enough && !final) break;
    const more = await read(offset + data.length);
    if (more.length === 0) {
      atEnd = true;
      break;
    }
    data = Buffer.concat([data, more]);
    if (enough) break; // final: the source goes on, so this chunk is not its end
  }
  const want = final ? data.length : wholeLines(data);
  return redactPrefix(data, needles, want, final && atEnd);
}

/** Whole lines of a freshly read chunk, or all of a newline-free one of MAX_PARTIAL_LINE_BYTES or more. */
function wholeLines(data: Buffer): number {
  if (data.length === 0) return 0;
  const lastNewline = data.lastIndexOf(NEWLINE);
  if (lastNewline !== -1) return lastNewline + 1;
  return data.length >= MAX_PARTIAL_LINE_BYTES ? data.length : 0;
}
