import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ResourceNotFoundError, parseInstanceType, type Offer } from '../../src/domain';
import { chooseOffer, matchingOffers } from '../../src/providers/offer-choice';
import type { Provider } from '../../src/providers/provider';

function offer(instanceType: string, pricePerHour: number, extra: Partial<Offer> = {}): Offer {
  return { instanceType, spec: parseInstanceType(instanceType), pricePerHour, region: 'us-east', available: 1, cpus: 8, memoryGb: 32, ...extra };
}

/** A provider that only lists offers (all that offer choice asks of it). */
function providerWith(offers: Offer[], regions = true, defaultType = 'cpu'): Provider {
  return {
    name: 'ssh',
    capabilities: { multiNode: true, volumes: false, shell: false, images: false, regions },
    listOffers: async () => offers,
    defaultInstanceType: async () => defaultType,
  } as unknown as Provider;
}

const fleet = [
  offer('cpu', 0.5),
  offer('1xa100', 2, { cpus: 16, memoryGb: 128 }),
  offer('1xa100', 1.5, { region: 'eu-west', cpus: 16, memoryGb: 128 }),
  offer('8xh100', 20, { cpus: 96, memoryGb: 1024 }),
];

describe('offer choice', () => {
  test('alternatives are tried in order: the first one offered wins, not the cheapest', async () => {
    const choice = await chooseOffer(providerWith(fleet), { instanceType: ['8xh100', 'a100'] });
    assert.ok('offer' in choice);
    assert.equal(choice.offer.instanceType, '8xh100');
    const skipped = await chooseOffer(providerWith(fleet), { instanceType: ['4xl40s', 'a100'] });
    assert.ok('offer' in skipped);
    assert.equal(skipped.offer.instanceType, '1xa100');
    assert.equal(skipped.offer.pricePerHour, 1.5, 'the cheapest offer of that alternative');
  });

  test('an alternative above the price cap gives way to the next one under it', async () => {
    const choice = await chooseOffer(providerWith(fleet), { instanceType: ['8xh100', 'a100'], maxPricePerHour: 3 });
    assert.ok('offer' in choice);
    assert.equal(choice.offer.instanceType, '1xa100');
  });

  test('all alternatives above the cap: the task waits, naming them and the cheapest price', async () => {
    const choice = await chooseOffer(providerWith(fleet), { instanceType: ['8xh100', 'a100'], maxPricePerHour: 1 });
    assert.ok('waiting' in choice);
    assert.equal(choice.waiting, 'no 8xh100 or 1xa100 under $1.00/h (cheapest now $1.50/h)');
  });

  test('none of the alternatives offered: not found, listing what is', async () => {
    await assert.rejects(matchingOffers(providerWith(fleet), { instanceType: ['4xl40s', '2xh200'] }), (error: unknown) => {
      assert.ok(error instanceof ResourceNotFoundError);
      assert.match(error.message, /no instance with 4xl40s, nor 2xh200/);
      assert.match(error.suggestions[0]!, /Available here: cpu/);
      return true;
    });
  });

  test('minCpus and minMemoryGb filter offers; alone they pick any shape that meets them', async () => {
    const bigHost = await chooseOffer(providerWith(fleet), { minCpus: 12, minMemoryGb: 100 });
    assert.ok('offer' in bigHost);
    assert.equal(bigHost.offer.instanceType, '1xa100');
    const typed = await chooseOffer(providerWith(fleet), { instanceType: 'cpu', minCpus: 4 });
    assert.ok('offer' in typed);
    assert.equal(typed.offer.instanceType, 'cpu');
    await assert.rejects(matchingOffers(providerWith(fleet), { instanceType: 'cpu', minCpus: 64 }), /no instance with cpu with at least 64 CPUs/);
    await assert.rejects(matchingOffers(providerWith(fleet), { minMemoryGb: 4096 }), /at least 4096 GB of memory/);
  });

  test('region narrows offers where the provider has regions, and is ignored where it has none', async () => {
    const eu = await chooseOffer(providerWith(fleet), { instanceType: 'a100', region: 'eu-west', maxPricePerHour: 10 });
    assert.ok('offer' in eu);
    assert.equal(eu.offer.region, 'eu-west');
    await assert.rejects(matchingOffers(providerWith(fleet), { instanceType: '8xh100', region: 'eu-west' }), /8xh100 in eu-west/);
    const oneplace = await chooseOffer(providerWith(fleet, false), { instanceType: '8xh100', region: 'eu-west' });
    assert.ok('offer' in oneplace);
  });

  test('no instance type: the provider default', async () => {
    const choice = await chooseOffer(providerWith(fleet, true, '8xh100'), {});
    assert.ok('offer' in choice);
    assert.equal(choice.offer.instanceType, '8xh100');
  });
});
