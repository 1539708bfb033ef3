import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { stopDaemon } from '../../src/daemon/daemon-control';
import { runCli } from '../helpers/cli';
import { tempFlowHome, testEnv } from '../helpers/flow-home';
import { waitFor } from '../helpers/wait-for';

/** Whether something answers HTTP on 127.0.0.1:port. */
async function serves(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

describe('the embedded daemon\'s Web UI is off unless asked for (flow daemon start --ui)', { timeout: 240_000 }, () => {
  const { home, cleanup } = tempFlowHome('flow-ui-');
  const env = testEnv(home);
  after(async () => {
    await stopDaemon(home);
    cleanup();
  });

  test('a plain start is headless: status says off and nothing serves the UI port', async () => {
    const start = await runCli(['daemon', 'start'], { env, timeoutMs: 120_000 });
    assert.equal(start.code, 0, start.stderr);
    assert.match(start.stdout, /UI off \(flow daemon start --ui\)/);
    const status = await runCli(['daemon', 'status', '--json'], { env });
    const state = JSON.parse(status.stdout) as { ui: boolean; uiPort: number };
    assert.equal(state.ui, false);
    assert.equal(await serves(state.uiPort), false, 'no Web UI on its port');
    const text = await runCli(['daemon', 'status'], { env });
    assert.match(text.stdout, /ui\s+off/);
    const again = await runCli(['daemon', 'start', '--ui'], { env });
    assert.match(again.stderr, /already running without the Web UI; restart it with: flow daemon stop && flow daemon start --ui/);
  });

  test('--ui serves it, says who can reach it, and status shows its URL', async () => {
    assert.equal((await runCli(['daemon', 'stop'], { env })).code, 0);
    const start = await runCli(['daemon', 'start', '--ui'], { env, timeoutMs: 120_000 });
    assert.equal(start.code, 0, start.stderr);
    assert.match(start.stderr, /anyone on this machine can open the Web UI/);
    const state = JSON.parse((await runCli(['daemon', 'status', '--json'], { env })).stdout) as { ui: boolean; uiPort: number };
    assert.equal(state.ui, true);
    assert.match(start.stdout, new RegExp(`UI http://127\\.0\\.0\\.1:${state.uiPort}`));
    await waitFor(() => serves(state.uiPort), { timeoutMs: 30_000, message: 'the Web UI answers' });
    assert.match((await runCli(['daemon', 'status'], { env })).stdout, new RegExp(`ui\\s+http://127\\.0\\.0\\.1:${state.uiPort}`));
  });
});
