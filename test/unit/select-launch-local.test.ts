import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { InstanceRef, NodeSpec, Offer } from '../../src/domain';
import { localOffers } from '../../src/providers/local';
import type { OfferChoice } from '../../src/providers/offer-choice';
import type { LaunchLocalInput, LaunchLocalResult } from '../../src/activities/launch-local-node';
import { selectLaunchLocal } from '../../src/activities/select-launch-local';

/*
 * A new single local task's first step: it launches only on an offer it may use at once, and
 * whatever stops it short returns what the workflow needs to go on with today's steps.
 */

const OFFER: Offer = localOffers([])[0]!;
const SPEC: Omit<NodeSpec, 'instanceType'> = { taskId: 'select-launch', rank: 0, attempt: 0, command: 'true', env: {}, secrets: { TOKEN: 'hidden-value' }, volumes: [] };
const INSTANCE: InstanceRef = { provider: 'local', instanceId: 'local-select-launch-r0-a0', address: '127.0.0.1' };

/** Runs the step with a fixed offer choice; records what it tried to launch. */
async function run(choice: OfferChoice, launch: (input: LaunchLocalInput) => Promise<LaunchLocalResult>) {
  const launches: LaunchLocalInput[] = [];
  const result = await selectLaunchLocal(
    async (request: { provider: string }) => {
      assert.equal(request.provider, 'local');
      return choice;
    },
    async (input) => {
      launches.push(input);
      return launch(input);
    },
    { request: { provider: 'local' }, spec: SPEC, name: 'select-test' },
  );
  return { result, launches };
}

const launchedOk = async (): Promise<LaunchLocalResult> => ({ instance: INSTANCE, launched: true });

describe('selectLaunchLocal', () => {
  test('an offer now: launches the rank on it, with the offer\'s instance type in the spec', async () => {
    const { result, launches } = await run({ offer: OFFER }, launchedOk);
    assert.deepEqual(result, { choice: { offer: OFFER }, launch: { instance: INSTANCE, launched: true } });
    assert.equal(launches.length, 1);
    assert.equal(launches[0]!.spec.instanceType, OFFER.instanceType);
    assert.equal(launches[0]!.spec.taskId, SPEC.taskId);
    assert.equal(launches[0]!.numNodes, 1);
    assert.equal(launches[0]!.name, 'select-test');
  });

  test('no offer now: returns why, launches nothing (the workflow waits as before)', async () => {
    const waiting: OfferChoice = { waiting: 'no local offer under maxPricePerHour', suggestions: ['raise it'] };
    const { result, launches } = await run(waiting, launchedOk);
    assert.deepEqual(result, { choice: waiting });
    assert.equal(launches.length, 0);
  });

  test('an offer on fleet hosts: returns it without launching (its host is leased first)', async () => {
    const fleet: Offer = { ...OFFER, hosts: ['host-a'] };
    const { result, launches } = await run({ offer: fleet }, launchedOk);
    assert.deepEqual(result, { choice: { offer: fleet } });
    assert.equal(launches.length, 0);
  });

  test('provisioning fails: returns the offer only, and no error text (the separate steps report it)', async () => {
    const { result, launches } = await run({ offer: OFFER }, async () => {
      throw new Error('disk full while provisioning hidden-value');
    });
    assert.deepEqual(result, { choice: { offer: OFFER } });
    assert.equal(launches.length, 1);
    assert.ok(!JSON.stringify(result).includes('hidden-value'));
  });

  test('a launch that got an instance but could not start is passed on as is (teardown knows it)', async () => {
    const { result } = await run({ offer: OFFER }, async () => ({ instance: INSTANCE, launched: false }));
    assert.deepEqual(result.launch, { instance: INSTANCE, launched: false });
  });

  test('selecting fails: the error reaches the workflow (it then selects as before)', async () => {
    await assert.rejects(
      selectLaunchLocal(async () => { throw new Error('offers unreadable'); }, launchedOk, { request: {}, spec: SPEC, name: 'x' }),
      /offers unreadable/,
    );
  });

  describe('quick end', () => {
    const ENDED = { exitCode: 0, stopped: false, tornDown: true };
    const quick = (launch: (input: LaunchLocalInput) => Promise<LaunchLocalResult>, endQuickly: (instance: InstanceRef, withinMs: number) => Promise<typeof ENDED | undefined>) =>
      selectLaunchLocal(async () => ({ offer: OFFER }) as OfferChoice, launch, { request: { provider: 'local' }, spec: SPEC, name: 'select-test', quickEndMs: 100 }, endQuickly);

    test('a command that ended within the window comes back with its end', async () => {
      const asked: [string, number][] = [];
      const result = await quick(launchedOk, async (instance, withinMs) => {
        asked.push([instance.instanceId, withinMs]);
        return ENDED;
      });
      assert.deepEqual(asked, [[INSTANCE.instanceId, 100]]);
      assert.deepEqual(result.launch, { instance: INSTANCE, launched: true, ended: ENDED });
    });

    test('one still running, or a look that failed, comes back launched only: the follow step goes on', async () => {
      assert.deepEqual((await quick(launchedOk, async () => undefined)).launch, { instance: INSTANCE, launched: true });
      assert.deepEqual((await quick(launchedOk, async () => { throw new Error('no look'); })).launch, { instance: INSTANCE, launched: true });
    });

    test('nothing launched: no wait at all', async () => {
      let waited = false;
      const result = await quick(async () => ({ instance: INSTANCE, launched: false }), async () => {
        waited = true;
        return ENDED;
      });
      assert.equal(waited, false);
      assert.deepEqual(result.launch, { instance: INSTANCE, launched: false });
    });
  });
});
