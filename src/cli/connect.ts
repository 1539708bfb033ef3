import type { Flow } from '../client/flow';
import { colors } from './output';

/** Connects for a CLI command; says so on stderr when the daemon has to start. Loaded lazily. */
export async function connectForCli(): Promise<Flow> {
  const c = colors(process.stderr);
  const { Flow } = await import('../client/flow');
  return Flow.connect({ onProgress: (message) => process.stderr.write(`${c.dim(message)}\n`) });
}
