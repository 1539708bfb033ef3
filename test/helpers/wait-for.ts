/**
 * Polls `check` until it returns something other than undefined/false, or fails after timeoutMs
 * with `message` (and the last value seen). Use instead of sleeping and hoping.
 */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: { timeoutMs?: number; intervalMs?: number; message?: string } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const value = await check();
    last = value;
    if (value !== undefined && value !== false) return value;
    if (Date.now() >= deadline) {
      throw new Error(`${options.message ?? 'condition'} not met within ${timeoutMs} ms (last value: ${JSON.stringify(last)})`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
