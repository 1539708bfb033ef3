import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { InstanceRef, NodeSpec, Offer } from '../../src/domain';
import { launchLocalNode } from '../../src/activities/launch-local-node';
import { followCommand, type CommandEnd } from '../../src/activities/follow-command';
import { LocalProvider, localOffers } from '../../src/providers/local';
import { instancePaths, readInstanceRecord } from '../../src/providers/local/instance-files';
import { flowPaths } from '../../src/config/flow-home';
import { LogStore } from '../../src/logs/log-store';
import { waitFor } from '../helpers/wait-for';

/*
 * The one-step launch of a single local rank and the follower's own teardown: whatever stops
 * them short, the instance is known (to teardown) and nothing runs twice.
 */

const homes: string[] = [];
const launched: Array<{ provider: LocalProvider; instance: InstanceRef }> = [];
after(async () => {
  for (const { provider, instance } of launched) await provider.terminate(instance).catch(() => undefined);
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

const OFFER: Offer = localOffers([])[0]!;
let counter = 0;

function setup(): { home: string; provider: LocalProvider } {
  const home = mkdtempSync(join(tmpdir(), 'flow-launch-'));
  homes.push(home);
  return { home, provider: new LocalProvider({ home, gpus: [], bubblewrap: 'off', containment: 'session' }) };
}

function spec(overrides: Partial<NodeSpec> = {}): NodeSpec {
  counter += 1;
  return { taskId: `launch${process.pid}x${counter}`, rank: 0, attempt: 0, command: 'true', env: {}, secrets: {}, volumes: [], instanceType: OFFER.instanceType, ...overrides };
}

async function launch(provider: LocalProvider, nodeSpec: NodeSpec) {
  const result = await launchLocalNode(provider, (instance) => ({ ...instance, hostQueue: 'flow-host-test' }), { spec: nodeSpec, offer: OFFER, name: 'launch-test', numNodes: 1 });
  launched.push({ provider, instance: result.instance });
  return result;
}

async function exited(provider: LocalProvider, instance: InstanceRef) {
  return waitFor(async () => {
    const state = await provider.commandState(instance);
    return state.state === 'exited' ? state : undefined;
  }, { message: `${instance.instanceId} to exit` });
}

describe('launchLocalNode', () => {
  test('provisions, starts with the FLOW_* variables of a single node, and records the host queue', async () => {
    const { provider } = setup();
    const result = await launch(provider, spec({ command: 'echo "$FLOW_MAIN_IP $FLOW_NUM_NODES $FLOW_TASK_NAME $OWN"', env: { OWN: 'mine' } }));
    assert.equal(result.launched, true);
    assert.equal(result.instance.hostQueue, 'flow-host-test');
    const state = await exited(provider, result.instance);
    assert.equal(state.exitCode, 0);
    assert.equal((await provider.readOutput(result.instance, 0, 4096)).toString(), '127.0.0.1 1 launch-test mine\n');
  });

  test('run again (a retried or replayed attempt), it finds the same instance and launches nothing twice', async () => {
    const { provider } = setup();
    const nodeSpec = spec({ command: 'echo once' });
    const first = await launch(provider, nodeSpec);
    await exited(provider, first.instance);
    const second = await launch(provider, nodeSpec);
    assert.deepEqual(second, first);
    assert.equal((await provider.readOutput(first.instance, 0, 4096)).toString(), 'once\n');
  });

  test('a start that fails (no such working directory) still returns the instance, not launched, for teardown', async () => {
    const { home, provider } = setup();
    const result = await launch(provider, spec({ workingDir: '/nonexistent/flow-launch-test' }));
    assert.equal(result.launched, false);
    const paths = instancePaths(home, result.instance.instanceId);
    assert.equal(readInstanceRecord(paths)?.terminated, false, 'the instance exists until teardown');
    assert.equal(existsSync(paths.launchMarker), false, 'nothing was launched');
    // The separate start step then fails with the clear error, and teardown releases the instance.
    await assert.rejects(provider.startCommand(result.instance, spec({ workingDir: '/nonexistent/flow-launch-test' })), /Working directory \/nonexistent\/flow-launch-test does not exist/);
    await provider.terminate(result.instance);
    assert.equal(readInstanceRecord(paths)?.terminated, true);
  });

  test('an instance that is not ready yet is returned, not launched (the readiness wait goes on)', async () => {
    const home = mkdtempSync(join(tmpdir(), 'flow-launch-'));
    homes.push(home);
    const slow = new LocalProvider({ home, gpus: [], bubblewrap: 'off', containment: 'session', bootDelayPerRankMs: 60_000 });
    const result = await launch(slow, spec({ rank: 1 }));
    assert.equal(result.launched, false);
    assert.equal(existsSync(instancePaths(home, result.instance.instanceId).launchMarker), false);
  });

  test('a provision that fails throws: nothing exists for teardown to know', async () => {
    const { provider } = setup();
    await assert.rejects(
      launchLocalNode(provider, (instance) => instance, { spec: spec({ taskId: '../escape' }), offer: OFFER, name: 'x', numNodes: 1 }),
      /Invalid local instance id/,
    );
  });
});

describe('followCommand with teardownOnEnd', () => {
  const follow = (home: string, provider: LocalProvider, instance: InstanceRef, taskId: string, teardownOnEnd: boolean): Promise<CommandEnd> =>
    new MockActivityEnvironment().run(followCommand, provider, new LogStore(flowPaths(home).logs), { instance, taskId, rank: 0, secrets: ['s3cret'], teardownOnEnd });

  test('a command that ends by itself: its whole output is copied (masked), then the instance is released', async () => {
    const { home, provider } = setup();
    const nodeSpec = spec({ command: 'seq 1 2000; printf "s3cret last"' });
    const { instance } = await launch(provider, nodeSpec);
    const end = await follow(home, provider, instance, nodeSpec.taskId, true);
    assert.deepEqual(end, { exitCode: 0, stopped: false, tornDown: true });
    const paths = instancePaths(home, instance.instanceId);
    assert.equal(readInstanceRecord(paths)?.terminated, true);
    assert.equal(existsSync(paths.output), false, 'the raw output (it may hold secrets) is gone');
    const { data } = await new LogStore(flowPaths(home).logs).read(nodeSpec.taskId, 0, 0, 1 << 20);
    const text = data.toString();
    assert.ok(text.startsWith('1\n2\n'), text.slice(0, 20));
    assert.ok(text.includes('\n2000\n'));
    assert.ok(text.endsWith('last'), text.slice(-40));
    assert.ok(!text.includes('s3cret'));
    // Teardown after it (a retried workflow step) finds nothing left to do and fails nothing.
    await provider.terminate(instance);
  });

  test('a stopped command is not released by its follower: the workflow tears it down as before', async () => {
    const { home, provider } = setup();
    const nodeSpec = spec({ command: 'sleep 30' });
    const { instance } = await launch(provider, nodeSpec);
    const following = follow(home, provider, instance, nodeSpec.taskId, true);
    await waitFor(async () => (await provider.commandState(instance)).state === 'running' && existsSync(instancePaths(home, instance.instanceId).pid), { message: 'the command to run' });
    await provider.stopCommand(instance, 2000);
    const end = await following;
    assert.equal(end.stopped, true);
    assert.equal(end.tornDown, undefined);
    assert.equal(readInstanceRecord(instancePaths(home, instance.instanceId))?.terminated, false);
  });

  test('without teardownOnEnd (older workflows) the follower leaves the instance alone', async () => {
    const { home, provider } = setup();
    const nodeSpec = spec({ command: 'echo hi' });
    const { instance } = await launch(provider, nodeSpec);
    const end = await follow(home, provider, instance, nodeSpec.taskId, false);
    assert.deepEqual(end, { exitCode: 0, stopped: false });
    assert.equal(readInstanceRecord(instancePaths(home, instance.instanceId))?.terminated, false);
  });
});
