/**
 * What Linux lets exec pass to a new process. A command whose environment breaks these limits never
 * starts (spawn fails with E2BIG), so a task config that would is refused before submission.
 * Pure (no Node imports): task configs are also checked inside workflows.
 */

/** MAX_ARG_STRLEN: one argument or one KEY=VALUE string, its terminating NUL included. */
export const MAX_EXEC_STRING_BYTES = 128 * 1024;

/**
 * What env, secrets and the command may take together. ARG_MAX is a quarter of the stack limit
 * (2 MiB with the usual 8 MiB stack); half of that leaves room for what Flow and the provider add
 * (PATH, FLOW_* variables, volume paths) and for smaller stacks.
 */
export const MAX_EXEC_TOTAL_BYTES = 1024 * 1024;

/** Bytes of `text` in UTF-8, as exec counts them. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      bytes += 4; // a surrogate pair is one 4-byte character
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

/** Bytes one exec string takes: its text plus the NUL that ends it. */
export function execStringBytes(text: string): number {
  return utf8Length(text) + 1;
}

/** "128 KiB", "500.1 KiB", "1.2 MiB". */
export function kibText(bytes: number): string {
  const [value, unit] = bytes >= 1024 * 1024 ? [bytes / (1024 * 1024), 'MiB'] : [bytes / 1024, 'KiB'];
  return `${Number(value.toFixed(1))} ${unit}`;
}
