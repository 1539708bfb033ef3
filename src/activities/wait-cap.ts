/**
 * A variable that shortens each wait of a heartbeating wait activity (tests and benchmarks: hours
 * of waiting, each ending in a few history events, played in seconds). Unset: no cap beyond the
 * workflow's own.
 */
export function waitCapMs(variable: string): number {
  const raw = process.env[variable]?.trim();
  if (!raw) return Infinity;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${variable} must be a number of milliseconds >= 0, got '${raw}'`);
  return value;
}
