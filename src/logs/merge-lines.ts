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

/**
 * Interleaves streams that keep arriving (a pipeline's steps as they start) as their items
 * arrive, until the source of streams and every stream have ended.
 */
export async function* mergeArriving<T>(streams: AsyncIterable<AsyncIterable<T>>): AsyncGenerator<T> {
  type Next = { stream: AsyncIterator<T>; result: IteratorResult<T> } | { arrived: IteratorResult<AsyncIterable<T>> };
  const source = streams[Symbol.asyncIterator]();
  const nextArrival = (): Promise<Next> => source.next().then((arrived) => ({ arrived }));
  const nextItem = (stream: AsyncIterator<T>): Promise<Next> => stream.next().then((result) => ({ stream, result }));
  const pending = new Map<AsyncIterator<unknown>, Promise<Next>>([[source, nextArrival()]]);
  try {
    while (pending.size > 0) {
      const next = await Promise.race(pending.values());
      if ('arrived' in next) {
        if (next.arrived.done) pending.delete(source);
        else {
          const stream = next.arrived.value[Symbol.asyncIterator]();
          pending.set(stream, nextItem(stream));
          pending.set(source, nextArrival());
        }
      } else if (next.result.done) pending.delete(next.stream);
      else {
        pending.set(next.stream, nextItem(next.stream));
        yield next.result.value;
      }
    }
  } finally {
    await Promise.all([...pending.keys()].map((iterator) => iterator.return?.(undefined)));
  }
}
