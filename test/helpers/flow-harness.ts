import { Flow } from '../../src/client/flow';
import { stopDaemon } from '../../src/daemon/daemon-control';
import { tempFlowHome, testEnv } from './flow-home';

export interface FlowHarness {
  flow: Flow;
  home: string;
  env: NodeJS.ProcessEnv;
  /** Closes the client, stops the daemon (worker + server) and removes the home. */
  stop(): Promise<void>;
}

/** A real embedded daemon (Temporal dev server + worker) in a fresh FLOW_HOME; extraEnv reaches the worker too. */
export async function startFlow(prefix = 'flow-it-', extraEnv: NodeJS.ProcessEnv = {}): Promise<FlowHarness> {
  const { home, cleanup } = tempFlowHome(prefix);
  const env = testEnv(home, extraEnv);
  try {
    const harness: FlowHarness = {
      flow: await Flow.connect({ env }),
      home,
      env,
      async stop() {
        // Tests may reconnect (harness.flow = ...): close whichever client is current.
        await harness.flow.close().catch(() => undefined);
        await stopDaemon(home);
        // FLOW_TEST_KEEP_HOME=1 keeps logs and daemon files for a post-mortem.
        if (process.env.FLOW_TEST_KEEP_HOME) process.stderr.write(`kept FLOW_HOME ${home}\n`);
        else cleanup();
      },
    };
    return harness;
  } catch (error) {
    await stopDaemon(home);
    cleanup();
    throw error;
  }
}
