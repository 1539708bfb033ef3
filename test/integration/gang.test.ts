import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TaskFailedError } from '../../src/domain/errors';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { commandProcessGroup, instanceRecord } from '../helpers/instances';
import { localMachine } from '../helpers/local-gpus';
import { liveGroupMembers, processesMatching } from '../helpers/processes';
import { untilFileExists } from '../helpers/release-file';
import { waitFor } from '../helpers/wait-for';
import { rejectionOf } from '../helpers/rejection';

const PRINT_VARS =
  'echo "rank=$FLOW_NODE_RANK nodes=$FLOW_NUM_NODES main=$FLOW_MAIN_IP ips=$FLOW_NODE_IPS master=$MASTER_ADDR:$MASTER_PORT node_rank=$NODE_RANK world=$WORLD_SIZE gpus=$FLOW_GPUS_PER_NODE"';

describe('multi-node gangs on the local provider', { timeout: 240_000 }, () => {
  let h: FlowHarness;
  let scratch: string;
  before(async () => {
    h = await startFlow('flow-gang-');
    scratch = mkdtempSync(join(tmpdir(), 'flow-gang-scratch-'));
  });
  after(async () => {
    await h?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('4 ranks start together, each with its own rank and the same main IP', async () => {
    // Without -i every rank gets the machine's default: all its GPUs, or cpu (0) without any.
    const { defaultGpuCount } = await localMachine(h.env);
    const task = await h.flow.run(PRINT_VARS, { numInstances: 4 });
    const outcome = await task.wait();
    assert.equal(outcome.status, 'completed');
    const lines = await Promise.all([0, 1, 2, 3].map(async (node) => (await task.logs({ node }).text()).trim()));
    for (const [rank, line] of lines.entries()) {
      assert.equal(line, `rank=${rank} nodes=4 main=127.0.0.1 ips=127.0.0.1,127.0.0.1,127.0.0.1,127.0.0.1 master=127.0.0.1:29500 node_rank=${rank} world=4 gpus=${defaultGpuCount}`);
    }
    const state = await task.describe();
    assert.deepEqual(state.nodes.map((node) => [node.rank, node.phase, node.exitCode]), [0, 1, 2, 3].map((rank) => [rank, 'terminated', 0]));
    assert.equal(new Set(state.nodes.map((node) => node.instanceId)).size, 4, 'one instance per rank');
  });

  test('rank 2 exits 3: the task fails naming rank 2 and code 3, every other rank is stopped', async () => {
    const marker = `gang-fail-${process.pid}`;
    const up = (rank: number | string) => join(scratch, `up-${rank}`);
    // Rank 2 fails only once every other rank runs, so each of them has something to stop.
    const command =
      `if [ "$FLOW_NODE_RANK" = 2 ]; then ${[0, 1, 3].map((rank) => untilFileExists(up(rank))).join('; ')}; exit 3; fi; ` +
      `touch ${up('$FLOW_NODE_RANK')}; exec sh -c 'sleep 300' ${marker}`;
    const task = await h.flow.run(command, { numInstances: 4 });
    const error = await rejectionOf(task.wait(), 'the task');
    assert.ok(error instanceof TaskFailedError, String(error));
    assert.match(error.message, /rank 2 exited with code 3/);
    assert.equal(error.exitCode, 3);
    const state = await task.describe();
    assert.equal(state.status, 'failed');
    for (const node of state.nodes) {
      assert.equal(node.phase, 'terminated', `rank ${node.rank}`);
      assert.deepEqual(liveGroupMembers(commandProcessGroup(h.home, node.instanceId!)), [], `rank ${node.rank} left processes`);
    }
    assert.deepEqual(processesMatching(marker), []);
  });

  test('cancel of a running gang cancels every rank', async () => {
    const task = await h.flow.run('echo up; sleep 300', { numInstances: 3 });
    await waitFor(async () => (await task.status()) === 'running', { timeoutMs: 30_000, message: 'gang running' });
    const outcome = await task.stop();
    assert.equal(outcome.status, 'cancelled');
    const state = await task.describe();
    assert.deepEqual(state.nodes.map((node) => node.phase), ['terminated', 'terminated', 'terminated']);
    for (const node of state.nodes) {
      assert.deepEqual(liveGroupMembers(commandProcessGroup(h.home, node.instanceId!)), [], `rank ${node.rank} left processes`);
    }
  });
});

describe('a gang held at its barrier', { timeout: 120_000 }, () => {
  let h: FlowHarness;
  before(async () => {
    // Rank r boots r × 10 min after provisioning: rank 0 waits at the barrier for the others
    // far longer than this test can take, however loaded the machine is.
    h = await startFlow('flow-gang-barrier-', { FLOW_LOCAL_BOOT_DELAY_MS: '600000' });
  });
  after(async () => {
    await h?.stop();
  });

  test('cancel during the barrier: nothing started, every instance released', async () => {
    const task = await h.flow.run('echo must-not-run', { numInstances: 3 });
    await waitFor(async () => (await task.describe()).nodes[0]?.phase === 'ready', { timeoutMs: 30_000, message: 'rank 0 at the barrier' });
    const before = await task.describe();
    // The others are still booting (their updates may lag while a local activity runs).
    for (const node of before.nodes.slice(1)) assert.ok(['pending', 'provisioning'].includes(node.phase), `rank ${node.rank}: ${node.phase}`);
    const outcome = await task.stop();
    assert.equal(outcome.status, 'cancelled');
    const state = await task.describe();
    for (const node of state.nodes) {
      assert.equal(node.phase, 'terminated', `rank ${node.rank}`);
      assert.equal(instanceRecord(h.home, node.instanceId!).terminated, true, `rank ${node.rank} instance released`);
    }
    assert.equal(await task.logs({ node: 0 }).text(), '', 'the command never ran');
  });
});
