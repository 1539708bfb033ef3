/** Edit distance, used to suggest the nearest valid name for a typo. */
export function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return previous[b.length]!;
}

/**
 * Whether `name` is close enough to `input` to be worth suggesting: a few edits for short names,
 * about one edit per three letters for longer ones, and never more edits than the shorter word
 * has letters (so "runtime_files" suggests nothing rather than "max_run_time_hours").
 */
function isClose(input: string, name: string, distance: number): boolean {
  return distance <= Math.max(2, Math.floor(name.length / 3)) && distance < Math.min(input.length, name.length);
}

/** The candidates nearest to `input`, best first; only close ones. */
export function closestNames(input: string, candidates: readonly string[], limit = 3): string[] {
  const needle = input.toLowerCase();
  // Callers often pass overlapping lists (e.g. well-known names plus table keys): suggest each name once.
  return [...new Set(candidates)]
    // The distance is at least the difference in length: skip names that cannot be close, so a
    // 10 MB typo costs nothing instead of minutes of edit-distance work.
    .filter((name) => Math.abs(needle.length - name.length) <= Math.max(2, Math.floor(name.length / 3)))
    .map((name) => ({ name, distance: editDistance(needle, name.toLowerCase()) }))
    .filter(({ name, distance }) => isClose(needle, name, distance))
    .sort((x, y) => x.distance - y.distance || x.name.localeCompare(y.name))
    .slice(0, limit)
    .map(({ name }) => name);
}

/** `text` cut to `max` characters (with a count of the rest), for quoting user input in a message. */
export function shortText(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}
