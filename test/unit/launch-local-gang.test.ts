import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { InstanceRef, NodeSpec, Offer, RankIdentity } from '../../src/domain';
import { launchLocalGang } from '../../src/activities/launch-local-gang';
import { LocalProvider, localOffers } from '../../src/providers/local';
import { instancePaths } from '../../src/providers/local/instance-files';
import { SupervisorEnds } from '../../src/providers/local/supervisor-ends';
import { waitFor } from '../helpers/wait-for';

/*
 * A local gang's one-step launch: every rank with its place in the gang, or, whatever stops it
 * short, every instance it made known (for teardown) and nothing launched twice.
 */

const homes: string[] = [];
const held: Array<{ provider: LocalProvider; instance: InstanceRef }> = [];
after(async () => {
  for (const { provider, instance } of held) await provider.terminate(instance).catch(() => undefined);
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

const OFFER: Offer = localOffers([])[0]!;
let counter = 0;

function setup(options: { bootDelayPerRankMs?: number } = {}): { home: string; provider: LocalProvider } {
  const home = mkdtempSync(join(tmpdir(), 'flow-gang-launch-'));
  homes.push(home);
  return { home, provider: new LocalProvider({ home, gpus: [], bubblewrap: 'off', containment: 'session', ...options }) };
}

function ranks(count: number, overrides: (rank: number) => Partial<NodeSpec> = () => ({})): RankIdentity[] {
  counter += 1;
  const taskId = `gang${process.pid}x${counter}`;
  return Array.from({ length: count }, (_, rank) => ({
    taskId,
    name: 'gang-test',
    rank,
    numNodes: count,
    offer: OFFER,
    spec: { taskId, rank, attempt: 0, command: 'echo "$FLOW_NODE_RANK/$WORLD_SIZE $FLOW_NODE_IPS $OWN"', env: { OWN: `own${rank}` }, secrets: {}, volumes: [], instanceType: OFFER.instanceType, ...overrides(rank) },
  }));
}

async function launch(provider: LocalProvider, gang: RankIdentity[]) {
  const result = await launchLocalGang(provider, (instance) => ({ ...instance, hostQueue: 'flow-host-test' }), { ranks: gang });
  for (const rank of result.ranks) if (rank.instance) held.push({ provider, instance: rank.instance });
  return result;
}

async function output(provider: LocalProvider, instance: InstanceRef): Promise<string> {
  await waitFor(async () => (await provider.commandState(instance)).state === 'exited', { message: `${instance.instanceId} to exit` });
  return (await provider.readOutput(instance, 0, 4096)).toString();
}

describe('launchLocalGang', () => {
  test('provisions every rank, then starts each with the gang\'s addresses and its own env; records the host queue', async () => {
    const { provider } = setup();
    const result = await launch(provider, ranks(3));
    assert.deepEqual(result.ranks.map((rank) => [rank.launched, rank.instance?.hostQueue]), [[true, 'flow-host-test'], [true, 'flow-host-test'], [true, 'flow-host-test']]);
    for (const [rank, { instance }] of result.ranks.entries()) {
      assert.equal(await output(provider, instance!), `${rank}/3 127.0.0.1,127.0.0.1,127.0.0.1 own${rank}\n`);
    }
  });

  test('run again (a retried or replayed step), it finds the same instances and launches nothing twice', async () => {
    const { provider } = setup();
    const gang = ranks(2);
    const first = await launch(provider, gang);
    for (const { instance } of first.ranks) await output(provider, instance!);
    const second = await launch(provider, gang);
    assert.deepEqual(second, first);
    for (const [rank, { instance }] of first.ranks.entries()) assert.equal(await output(provider, instance!), `${rank}/2 127.0.0.1,127.0.0.1 own${rank}\n`);
  });

  test('a rank that fails to provision: none starts, and every instance made is returned for teardown', async () => {
    const { home, provider } = setup();
    const gang = ranks(3);
    gang[1] = { ...gang[1]!, spec: { ...gang[1]!.spec, taskId: '../escape' } };
    const result = await launch(provider, gang);
    assert.deepEqual(result.ranks.map((rank) => [rank.instance !== undefined, rank.launched]), [[true, false], [false, false], [true, false]]);
    for (const index of [0, 2]) assert.equal(existsSync(instancePaths(home, result.ranks[index]!.instance!.instanceId).launchMarker), false, `rank ${index} not launched`);
  });

  test('a rank not ready yet: the barrier holds, none starts here (the separate steps wait for it)', async () => {
    const { home, provider } = setup({ bootDelayPerRankMs: 60_000 });
    // Rank 0 boots at once; rank 1 is a minute away.
    const result = await launch(provider, ranks(2));
    assert.deepEqual(result.ranks.map((rank) => [rank.instance !== undefined, rank.launched]), [[true, false], [true, false]]);
    for (const { instance } of result.ranks) assert.equal(existsSync(instancePaths(home, instance!.instanceId).launchMarker), false, `${instance!.instanceId} not launched`);
  });

  test('a rank that cannot start is left to its own start step; the others run', async () => {
    const { home, provider } = setup();
    const result = await launch(provider, ranks(3, (rank) => (rank === 2 ? { workingDir: '/nonexistent/flow-gang-launch' } : {})));
    assert.deepEqual(result.ranks.map((rank) => [rank.instance !== undefined, rank.launched]), [[true, true], [true, true], [true, false]]);
    assert.match(await output(provider, result.ranks[0]!.instance!), /^0\/3 /);
    assert.equal(existsSync(instancePaths(home, result.ranks[2]!.instance!.instanceId).launchMarker), false, 'rank 2 not launched');
  });
});

describe('SupervisorEnds', () => {
  test('wakes a watcher once when the supervisor ends; then never again; unknown or ended ones are not watched', async () => {
    const ends = new SupervisorEnds();
    let end!: () => void;
    ends.watch('/i/a', new Promise<void>((resolve) => (end = resolve)));
    assert.equal(ends.watchFor('/i/b'), undefined);
    const watch = ends.watchFor('/i/a')!;
    let woke = 0;
    const first = watch.next().then(() => (woke += 1));
    end();
    await first;
    assert.equal(woke, 1);
    const again = await Promise.race([watch.next().then(() => 'woke'), new Promise((resolve) => setImmediate(() => resolve('waits')))]);
    assert.equal(again, 'waits', 'a second wait is left to the poll');
    assert.equal(ends.watchFor('/i/a'), undefined, 'an ended supervisor is no longer watched');
  });
});
