/** Prices travel as "$12.34" strings (or plain numbers of dollars); the simulator keeps whole cents. */

export function parsePrice(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value * 100) : undefined;
  const match = /^\$?(\d+(?:\.\d{1,2})?)$/.exec(value.trim());
  return match ? Math.round(Number(match[1]) * 100) : undefined;
}

export function formatPrice(cents: number): string {
  return `$${(cents / 100).toFixed(2)}`;
}
