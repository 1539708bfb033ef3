import { performance } from 'node:perf_hooks';
import type { Flow } from '../src/client/flow';

const POLL_MS = 10;

/**
 * Submits a gang of `ranks` sleepers and times submit → running (the task turns `running` only
 * once every rank runs its command), polled every 10 ms; then stops it (untimed).
 */
export async function submitToAllRunning(flow: Flow, ranks: number): Promise<number> {
  const start = performance.now();
  const taskId = await flow.submit({ command: 'sleep 60', numInstances: ranks });
  const task = flow.task(taskId);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = await task.status();
    if (status === 'running') break;
    if (status !== 'pending' && status !== 'provisioning') throw new Error(`gang of ${ranks} ended ${status} before running`);
    if (Date.now() > deadline) throw new Error(`gang of ${ranks} not running within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  const ms = performance.now() - start;
  await task.stop();
  return ms;
}
