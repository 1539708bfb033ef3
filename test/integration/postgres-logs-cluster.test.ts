import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { daemonStatus, stopDaemon } from '../../src/daemon/daemon-control';
import { runCli, spawnCli } from '../helpers/cli';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { tempFlowHome, testEnv } from '../helpers/flow-home';
import { startPostgres, type TestPostgres } from '../helpers/postgres';
import { waitFor } from '../helpers/wait-for';

const LINES = 40;
const expected = Array.from({ length: LINES }, (_, i) => `pg-line-${i + 1}`);

// The worker writes task logs to PostgreSQL (FLOW_LOG_STORE); a CLI on "another machine" (its own,
// empty FLOW_HOME, TEMPORAL_ADDRESS of the same server) reads and follows them from there.
describe('task logs in PostgreSQL, read by a CLI with another FLOW_HOME', { timeout: 240_000 }, () => {
  let pg: TestPostgres;
  let harness: FlowHarness;
  const cliHome = tempFlowHome('flow-pglogs-cli-');
  let cliEnv: NodeJS.ProcessEnv;

  before(async () => {
    pg = await startPostgres();
    // A configured payload key, so the second client can read what the first one wrote.
    const shared = { FLOW_LOG_STORE: pg.url, FLOW_ENCRYPTION_KEY: randomBytes(32).toString('base64') };
    harness = await startFlow('flow-pglogs-worker-', shared);
    const address = daemonStatus(harness.home).state?.address;
    assert.ok(address, 'the harness daemon has an address');
    // testEnv drops TEMPORAL_ADDRESS (tests default to their own daemon): set it after.
    cliEnv = { ...testEnv(cliHome.home, shared), TEMPORAL_ADDRESS: address };
  });
  after(async () => {
    await harness?.stop();
    await pg?.stop();
    // Only there if the CLI wrongly started a daemon of its own.
    await stopDaemon(cliHome.home);
    cliHome.cleanup();
  });

  test('flow logs and flow logs -f get every line once, in order, while the task runs and after', async () => {
    const task = await harness.flow.run(`for i in $(seq 1 ${LINES}); do echo pg-line-$i; sleep 0.05; done`, { uploadCode: false });
    // Follow from the start, while the task still prints.
    const follower = spawnCli(['logs', '-f', task.taskId], { env: cliEnv });
    let followed = '';
    let followErr = '';
    follower.stdout.on('data', (chunk) => (followed += chunk));
    follower.stderr.on('data', (chunk) => (followErr += chunk));
    const followExit = new Promise<number | null>((resolve) => follower.on('exit', resolve));
    await task.wait();
    await waitFor(() => follower.exitCode !== null || follower.signalCode !== null, { timeoutMs: 60_000, intervalMs: 50, message: 'flow logs -f to exit after the task ended' });
    const code = await followExit;
    assert.equal(code, 0, `flow logs -f exited ${code}: ${followErr}`);
    assert.deepEqual(followed.trimEnd().split('\n'), expected);

    const logs = await runCli(['logs', task.taskId], { env: cliEnv, timeoutMs: 60_000 });
    assert.equal(logs.code, 0, logs.stderr);
    assert.deepEqual(logs.stdout.trimEnd().split('\n'), expected);
    // Nothing came from files: neither home has this task's log folder.
    assert.equal(existsSync(join(harness.home, 'logs', task.taskId)), false);
    assert.equal(existsSync(join(cliHome.home, 'logs', task.taskId)), false);
    assert.equal(existsSync(join(cliHome.home, 'daemon')), false, 'the CLI used TEMPORAL_ADDRESS, not a daemon of its own');
  });
});
