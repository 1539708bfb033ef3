import { startMithrilSim, type MithrilSim } from '../../src/mithril-sim';
import { startFlow, type FlowHarness } from './flow-harness';
import { SimClient } from './mithril-sim-client';

/** The Mithril simulator, a client of its API, and Flow pointed at it; stop() ends all three. */
export interface FlowOnSim {
  sim: MithrilSim;
  client: SimClient;
  h: FlowHarness;
  stop(): Promise<void>;
}

/**
 * Starts a simulator that runs its instances (as root, as in CI: a suite that needs them fails
 * here, naming why, rather than skipping) and Flow with the Mithril provider on it, as root over SSH.
 */
export async function startFlowOnSim(prefix: string, apiKey: string, env: Record<string, string> = {}): Promise<FlowOnSim> {
  // The simulator's own account (allocations, instances that failed to start) in the test's output.
  const sim = await startMithrilSim({ apiKey, provisionDelayMs: 200, log: (line) => process.stderr.write(`flow-mithril-sim: ${line}\n`) });
  const client = new SimClient(sim.url, apiKey);
  const stopSim = async () => {
    await sim.stop();
    client.dispose();
  };
  try {
    if (sim.instancesUnavailable) {
      throw new Error(`flow-mithril-sim cannot run instances here (${sim.instancesUnavailable}); these tests run as root`);
    }
    const h = await startFlow(prefix, { MITHRIL_API_URL: sim.url, MITHRIL_API_KEY: apiKey, MITHRIL_SSH_USER: 'root', ...env });
    return {
      sim,
      client,
      h,
      async stop() {
        await h.stop();
        await stopSim();
      },
    };
  } catch (error) {
    await stopSim();
    throw error;
  }
}
