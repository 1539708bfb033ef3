/** Secrets shorter than this many bytes are ignored: masking "a" or "123" would mangle ordinary output. */
export const MIN_SECRET_BYTES = 4;

/**
 * Replaces every occurrence of each secret value with '*' repeated the same byte length.
 * Length-preserving on purpose: a log's size then equals the number of source bytes consumed,
 * which is what lets LogStore.copyFrom resume exactly. Never mutates `text`.
 */
export function redactSecrets(text: Buffer, secrets: readonly string[]): Buffer {
  const needles = [...new Set(secrets)]
    .map((secret) => Buffer.from(secret, 'utf8'))
    .filter((needle) => needle.length >= MIN_SECRET_BYTES)
    // Longest first, so a secret that contains another is masked whole.
    .sort((a, b) => b.length - a.length);
  let out: Buffer | undefined;
  for (const needle of needles) {
    const haystack: Buffer = out ?? text;
    let at = haystack.indexOf(needle);
    while (at !== -1) {
      out ??= Buffer.from(text);
      out.fill(0x2a /* '*' */, at, at + needle.length);
      at = out.indexOf(needle, at + needle.length);
    }
  }
  return out ?? text;
}
