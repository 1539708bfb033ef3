/**
 * Secrets shorter than this many bytes are refused at validation (see task-config), and ignored
 * here for values that come from elsewhere: masking "a" or "123" everywhere would mangle output.
 */
export const MIN_SECRET_BYTES = 4;

/** What every masked span becomes: a fixed length, so the mask tells nothing about the secret. */
export const MASK = '******';
const MASK_BYTES = Buffer.from(MASK, 'utf8');
const NEWLINE = 0x0a;

/** The secrets worth searching for, as bytes, without duplicates or too-short values. */
export function secretNeedles(secrets: readonly string[]): Buffer[] {
  return [...new Set(secrets)].map((secret) => Buffer.from(secret, 'utf8')).filter((needle) => needle.length >= MIN_SECRET_BYTES);
}

/** Every span of `data` covered by some secret, overlapping or touching spans merged, ascending. */
export function matchIntervals(data: Buffer, needles: readonly Buffer[]): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (const needle of needles) {
    // Step by one byte, not by the needle: overlapping occurrences ("abab" in "ababab") all count.
    for (let at = data.indexOf(needle); at !== -1; at = data.indexOf(needle, at + 1)) spans.push([at, at + needle.length]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const [start, end] of spans) {
    const last = merged[merged.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

/** `data` with each span replaced by one MASK. Never mutates `data`. */
export function maskIntervals(data: Buffer, spans: ReadonlyArray<readonly [number, number]>): Buffer {
  if (spans.length === 0) return data;
  const parts: Buffer[] = [];
  let from = 0;
  for (const [start, end] of spans) {
    parts.push(data.subarray(from, start), MASK_BYTES);
    from = end;
  }
  parts.push(data.subarray(from));
  return Buffer.concat(parts);
}

/** Replaces every secret in a whole buffer with MASK; overlapping secrets become one mask. */
export function redactSecrets(text: Buffer, secrets: readonly string[]): Buffer {
  const needles = secretNeedles(secrets);
  return needles.length === 0 ? text : maskIntervals(text, matchIntervals(text, needles));
}

/** The same for text, e.g. an error message that may quote a command's output. */
export function redactText(text: string, secrets: readonly string[]): string {
  return redactSecrets(Buffer.from(text, 'utf8'), secrets).toString('utf8');
}

/**
 * Where a stream's chunk may be cut so no secret is split across the cut, and that part masked.
 * `want` is where the caller would like to cut (e.g. after the last newline). Unless `atEnd`
 * (the source has no more bytes), the last (longest secret − 1) bytes are held back: a secret
 * starting there may continue in bytes not read yet. Not needed when the cut follows a newline
 * and no secret holds one: then no secret can run across it. Every match starting before the cut then
 * lies wholly in `data`; the cut never falls inside a masked span (it moves to the span's start,
 * or past its end when the span starts the chunk, so the stream always moves on).
 */
export function redactPrefix(data: Buffer, needles: readonly Buffer[], want: number, atEnd: boolean): { keep: number; bytes: Buffer } {
  const longest = needles.reduce((max, needle) => Math.max(max, needle.length), 0);
  const lineSafe = want > 0 && data[want - 1] === NEWLINE && !needles.some((needle) => needle.includes(NEWLINE));
  const limit = atEnd || lineSafe ? data.length : Math.max(0, data.length - Math.max(0, longest - 1));
  let keep = Math.min(want, limit);
  const spans = matchIntervals(data, needles);
  const cutting = spans.find(([start, end]) => start < keep && keep < end);
  if (cutting) keep = cutting[0] > 0 ? cutting[0] : cutting[1];
  const inside = spans.filter(([, end]) => end <= keep);
  return { keep, bytes: maskIntervals(data.subarray(0, keep), inside) };
}
