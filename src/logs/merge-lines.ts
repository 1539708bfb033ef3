/**
 * Interleaves several line streams as lines arrive, tagging each with its source index.
 * Used to follow every rank of a gang at once.
 */
export async function* mergeLines(sources: AsyncIterable<string>[]): AsyncGenerator<{ source: number; line: string }> {
  const iterators = sources.map((source) => source[Symbol.asyncIterator]());
  const next = (source: number) => iterators[source]!.next().then((result) => ({ source, result }));
  const pending = new Map(iterators.map((_, source) => [source, next(source)]));
  try {
    while (pending.size > 0) {
      const { source, result } = await Promise.race(pending.values());
      if (result.done) {
        pending.delete(source);
        continue;
      }
      pending.set(source, next(source));
      yield { source, line: result.value };
    }
  } finally {
    await Promise.all([...pending.keys()].map((source) => iterators[source]!.return?.(undefined)));
  }
}
