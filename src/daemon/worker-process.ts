/**
 * How the supervisor starts the daemon's worker process: Node flags and an allocator setting that
 * keep its memory small (bench figure workerRssUnderLoad, ≤ 300 MB with 500 tasks in flight).
 *
 * The worker holds two V8 heaps (its main thread and the SDK's workflow thread) and the Temporal
 * core's native memory. Measured with the full bench (`BENCH_RUNS=3 node dist/bench/run-all.js`):
 * with Node's defaults each heap's young generation grew to 32 MB and the old generations up to
 * 4x their live size before a full GC, so the worker idled at ~300 MB after the other figures and
 * peaked at ~330 MB; with these settings it idled at ~175 MB and peaked at ~205 MB, at the same
 * throughput. A smaller young generation alone moved objects into the old one and raised the peak;
 * it pays off only with the old generation's growth bounded too.
 *
 *   FLOW_WORKER_NODE_FLAGS   replaces WORKER_NODE_FLAGS (space-separated; blank for Node's defaults)
 *   MALLOC_ARENA_MAX         left as set; else 2 (glibc's default of 8 per core kept freed memory in one arena per thread)
 */

/** A 4 MB semi-space (Node's default is 16 MB, i.e. a 32 MB young generation) and an old generation that grows by half, not up to 4x. */
export const WORKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4', '--heap-growing-percent=50'];

const MALLOC_ARENA_MAX = '2';

export class WorkerProcessError extends Error {
  constructor(message: string) {
    super(`FLOW_WORKER_NODE_FLAGS: ${message}`);
    this.name = 'WorkerProcessError';
  }
}

/** The Node flags the worker starts with: the supervisor's own, then WORKER_NODE_FLAGS or FLOW_WORKER_NODE_FLAGS. */
export function workerExecArgv(env: NodeJS.ProcessEnv, inherited: readonly string[] = []): string[] {
  const raw = env.FLOW_WORKER_NODE_FLAGS;
  if (raw === undefined) return [...inherited, ...WORKER_NODE_FLAGS];
  const flags = raw.split(/\s+/).filter((flag) => flag !== '');
  const bad = flags.find((flag) => !/^--[a-z0-9][a-z0-9_-]*(=\S+)?$/i.test(flag));
  if (bad !== undefined) throw new WorkerProcessError(`'${bad}' is not a Node flag (e.g. --max-semi-space-size=8); set it to blank to use Node's defaults`);
  return [...inherited, ...flags];
}

/** The worker's environment: `base` plus MALLOC_ARENA_MAX unless it is set already. */
export function workerEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return base.MALLOC_ARENA_MAX === undefined ? { ...base, MALLOC_ARENA_MAX } : { ...base };
}
