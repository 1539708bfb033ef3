import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProviderError, ResourceNotFoundError, ValidationError } from '../../src/domain';
import {
  aliasesOf,
  bidRequestBody,
  bidState,
  bidStatusFilter,
  chooseProject,
  createdBidId,
  detailText,
  idempotencyKeyFor,
  IDEMPOTENCY_KEY_PATTERN,
  nextCursorOf,
  normalizeStatus,
  normalizeTypeName,
  offersFromMarket,
  parseAvailabilityRow,
  parseBid,
  parseCatalogRow,
  parseInstance,
  parseProject,
  parseRetryAfter,
  parseSshKey,
  parseVolume,
  representativeInstance,
  resolveInstanceType,
  rowsOf,
  specOfRow,
  stateOfStatus,
  type CatalogRow,
  type MithrilTaskState,
} from '../../src/mithril-api';
import { MITHRIL_CAPABILITIES } from '../../src/providers/mithril/mithril-provider';
import { chooseOffer, fixedOffers, type SelectOfferInput } from '../../src/domain/offer-choice';

const AT = '2026-05-01T10:00:00Z';

const catalogRows = [
  { fid: 'it_RrgkIZz6c9BZu5gi', name: 'a100-80gb.sxm.1x', num_gpus: 1, gpu_type: 'A100', gpu_memory_gb: 80, num_cpus: 30, ram_gb: 225 },
  { fid: 'it_TiAPxzKNi4xO0IAr', name: 'a100-80gb.sxm.2x', num_gpus: 2, gpu_type: 'A100', gpu_memory_gb: 80 },
  { fid: 'it_4TugeYWOov5FllEf', name: 'a100-80gb.sxm.4x', num_gpus: 4, gpu_type: 'A100', gpu_memory_gb: 80 },
  { fid: 'it_Sg1nDx1I8NFep60J', name: 'a100-80gb.sxm.8x', num_gpus: 8, gpu_type: 'A100', gpu_memory_gb: 80 },
  { fid: 'it_A40gbOne0000000', name: 'a100-40gb.sxm.1x', num_gpus: 1, gpu_type: 'A100', gpu_memory_gb: 40 },
  // The legacy form lists its GPUs instead of num_gpus/gpu_type.
  { fid: 'it_5ECSoHQjLBzrp5YM', name: 'h100-80gb.sxm.8x', gpus: [{ name: 'H100', count: 8 }], gpu_memory_gb: 80, num_cpus: 208, ram: 1800 },
  { fid: 'it_XqgKWbhZ5gznAYsG', name: 'h100-80gb.sxm.8x', num_gpus: 8, gpu_type: 'H100', gpu_memory_gb: 80 },
  { fid: 'it_7RHoQUztab9lU9Ne', name: 'h200.8x', num_gpus: 8, gpu_type: 'H200', gpu_memory_gb: 141 },
  { fid: 'it_cpuLarge0000000', name: 'cpu.large', num_gpus: 0, gpu_type: null, num_cpus: 32, ram_gb: 128 },
];
const catalog: CatalogRow[] = catalogRows.map(parseCatalogRow);

describe('Mithril catalog', () => {
  test('rows parse in both the current and the legacy gpus:[{name,count}] form', () => {
    const legacy = catalog.find((row) => row.fid === 'it_5ECSoHQjLBzrp5YM')!;
    assert.equal(legacy.gpuType, 'h100');
    assert.equal(legacy.numGpus, 8);
    assert.equal(legacy.ramGb, 1800, 'ram is read where ram_gb is absent');
    assert.equal(specOfRow(legacy).name, '8xh100');
    assert.equal(specOfRow(catalog[4]!).name, '1xa100-40gb');
    assert.equal(specOfRow(catalog.at(-1)!).name, '32xcpu');
    assert.throws(() => parseCatalogRow({ fid: 'bad', name: 'x', num_gpus: 1, gpu_type: 'A100' }), /it_ id/);
  });

  test('aliases: the lower-cased name, <num_gpus>x<gpu_type> and our catalog name', () => {
    assert.deepEqual(aliasesOf(catalog[0]!).sort(), ['1xa100', 'a100-80gb.sxm.1x']);
    assert.ok(aliasesOf(catalog.at(-1)!).includes('32xcpu'));
  });

  test('names normalize: h100:8 and h100x8 are 8xh100; rtx4090 stays a family; a count twice is refused', () => {
    assert.equal(normalizeTypeName('H100:8'), '8xh100');
    assert.equal(normalizeTypeName('h100x8'), '8xh100');
    assert.equal(normalizeTypeName('8xH100'), '8xh100');
    assert.equal(normalizeTypeName('rtx4090'), 'rtx4090');
    assert.throws(() => normalizeTypeName('8xh100:8'), ValidationError);
  });

  test('resolution: aliases, it_ ids, whole-node bare names, ambiguity listed, unknown names refused', () => {
    for (const name of ['8xh100', 'h100:8', 'h100x8', 'H100-80GB.SXM.8X', 'h100']) {
      const resolved = resolveInstanceType(catalog, name);
      assert.equal(resolved.fid, 'it_5ECSoHQjLBzrp5YM', name);
      assert.deepEqual(resolved.candidates, ['it_5ECSoHQjLBzrp5YM', 'it_XqgKWbhZ5gznAYsG'], `${name}: both H100 SKUs may serve it`);
      assert.equal(resolved.name, '8xh100');
    }
    assert.equal(resolveInstanceType(catalog, '1xa100').fid, 'it_RrgkIZz6c9BZu5gi', 'our 1xa100 is the 80 GB one');
    assert.equal(resolveInstanceType(catalog, 'a100-40gb').fid, 'it_A40gbOne0000000', 'a family sold in one count resolves');
    assert.equal(resolveInstanceType(catalog, 'h200').fid, 'it_7RHoQUztab9lU9Ne');
    assert.equal(resolveInstanceType(catalog, 'it_UnknownButPassed').fid, 'it_UnknownButPassed', 'it_ ids pass through, case kept');
    assert.equal(resolveInstanceType(catalog, '32xcpu').fid, 'it_cpuLarge0000000');
    assert.throws(
      () => resolveInstanceType(catalog, 'a100'),
      (error: unknown) => error instanceof ValidationError && /ambiguous/.test(error.message) && ['1xa100', '2xa100', '4xa100', '8xa100'].every((c) => error.message.includes(c)),
    );
    assert.throws(() => resolveInstanceType(catalog, '3xl4'), (error: unknown) => error instanceof ValidationError && error.suggestions.join(' ').includes('8xh100'));
  });
});

describe('Mithril market', () => {
  test('availability rows in both spellings: last_instance_price|price ("$1.23" or a number), capacity|available_gpus', () => {
    const a = parseAvailabilityRow({ fid: 'auc_1', instance_type: 'it_5ECSoHQjLBzrp5YM', region: 'us-central1-a', last_instance_price: '$12.50', capacity: 3 });
    const b = parseAvailabilityRow({ id: 'auc_2', instance_type: 'it_5ECSoHQjLBzrp5YM', region: 'eu-central1-a', price: 11.25, available_gpus: '2', internode_interconnect: 'InfiniBand' });
    assert.deepEqual([a.pricePerHour, a.capacity], [12.5, 3]);
    assert.deepEqual([b.pricePerHour, b.capacity, b.internodeInterconnect], [11.25, 2, 'InfiniBand']);
    assert.equal(parseAvailabilityRow({ instance_type: 'it_x', region: 'r', price: '1,234.50', capacity: 1 }).pricePerHour, 1234.5);
    assert.throws(() => parseAvailabilityRow({ instance_type: 'it_x', region: 'r', price: 'cheap', capacity: 1 }), ProviderError);
    assert.throws(() => parseAvailabilityRow({ instance_type: 'it_x', region: 'r', price: 1, capacity: 1, available_gpus: 2 }), /different values/);
  });

  test('offers: one per (type, region) priced per instance-hour, with the it_ id kept', async () => {
    const market = [
      { instance_type: 'it_5ECSoHQjLBzrp5YM', region: 'us-central1-a', last_instance_price: '$20.00', capacity: 4 },
      { instance_type: 'it_5ECSoHQjLBzrp5YM', region: 'eu-central1-a', price: '$18.00', capacity: 1 },
      { instance_type: 'it_RrgkIZz6c9BZu5gi', region: 'us-central1-a', price: 1.8, capacity: 10 },
      { instance_type: 'it_NotInCatalog000', region: 'us-central1-a', price: 1, capacity: 10 },
    ].map(parseAvailabilityRow);
    const offers = offersFromMarket(catalog, market);
    assert.deepEqual(
      offers.map((o) => [o.instanceType, o.region, o.pricePerHour, o.available, o.instanceTypeFid]),
      [
        ['1xa100', 'us-central1-a', 1.8, 10, 'it_RrgkIZz6c9BZu5gi'],
        ['8xh100', 'eu-central1-a', 18, 1, 'it_5ECSoHQjLBzrp5YM'],
        ['8xh100', 'us-central1-a', 20, 4, 'it_5ECSoHQjLBzrp5YM'],
      ],
    );
    assert.equal(offers[0]!.cpus, 30);
    assert.equal(offers[0]!.memoryGb, 225);
    assert.equal(offers[0]!.spec.gpuMemoryGb, 80);

    // Choosing among them is the generic chooseOffer, with the market's capacity and region preference.
    const source = fixedOffers('mithril', { offers, defaultInstanceType: '8xh100', capabilities: MITHRIL_CAPABILITIES });
    const regionOf = async (input: SelectOfferInput) => {
      const choice = await chooseOffer(source, { instanceType: '8xh100', ...input });
      assert.ok('offer' in choice, JSON.stringify(choice));
      return choice.offer.region;
    };
    assert.equal(await regionOf({}), 'eu-central1-a', 'cheapest first');
    assert.equal(await regionOf({ preferRegion: 'us-central1-a' }), 'us-central1-a', 'the preferred region first');
    assert.equal(await regionOf({ preferRegion: 'us-central1-a', maxPricePerHour: 19 }), 'eu-central1-a', 'unless it is above the cap');
    assert.equal(await regionOf({ numInstances: 2 }), 'us-central1-a', 'only regions with room for the gang');
    assert.equal(await regionOf({ region: 'us-central1-a' }), 'us-central1-a', 'a task region narrows the offers');
    const waiting = await chooseOffer(source, { instanceType: '8xh100', maxPricePerHour: 10 });
    assert.ok('waiting' in waiting);
    assert.match(waiting.waiting, /under \$10\.00\/h \(cheapest now \$18\.00\/h\)/);
    const full = await chooseOffer(source, { instanceType: '8xh100', numInstances: 9 });
    assert.ok('waiting' in full);
    assert.match(full.waiting, /^no region has 9 free 8xh100 \(most: \d+ in us-central1-a\)/);
    assert.match(full.suggestions[0]!, /flow instances --provider mithril/);
  });
});

describe('Mithril documents', () => {
  test('projects: fid|id|project_id and name|display_name|project_name; choice by fid, name, then case', () => {
    const projects = [
      parseProject({ fid: 'proj_a', name: 'Research', created_at: AT }),
      parseProject({ project_id: 'proj_b', display_name: 'prod', created_at: '2026-05-01T10:00:00+02:00' }),
    ];
    assert.equal(projects[1]!.createdAt, '2026-05-01T08:00:00.000Z');
    assert.equal(chooseProject(projects, 'proj_b').name, 'prod');
    assert.equal(chooseProject(projects, 'research').fid, 'proj_a');
    assert.throws(() => chooseProject(projects, undefined), (e: unknown) => e instanceof ValidationError && e.message.includes('Research (proj_a)'));
    assert.throws(() => chooseProject(projects, 'nope'), ResourceNotFoundError);
    assert.equal(chooseProject(projects.slice(0, 1), undefined).fid, 'proj_a');
  });

  test('timestamps must carry a timezone', () => {
    for (const naive of ['2026-05-01T10:00:00', '2026-05-01 10:00:00Z', 'yesterday']) {
      assert.throws(() => parseProject({ fid: 'p', name: 'n', created_at: naive }), /timezone/, naive);
    }
    assert.throws(() => parseInstance({ fid: 'inst_1', bid: 'bid_1', status: 'running', created_at: '2026-05-01T10:00:00.123' }), /timezone/);
  });

  test('bids: fid|bid_id, instance_quantity|num_instances, instances as ids or objects', () => {
    const bid = parseBid({
      fid: 'bid_1', name: 'train', status: 'Allocated', created_at: AT, instance_type: 'it_5ECSoHQjLBzrp5YM', instance_quantity: 2,
      region: 'us-central1-a', limit_price: '$25.00', instances: ['inst_1', { fid: 'inst_2' }],
    });
    assert.deepEqual([bid.fid, bid.instanceQuantity, bid.limitPricePerHour, bid.instances], ['bid_1', 2, 25, ['inst_1', 'inst_2']]);
    const legacy = parseBid({ bid_id: 'bid_abcdefghij', status: 'Open', created_at: AT, num_instances: 1 });
    assert.equal(legacy.name, 'task-bid_abcd', 'a bid without a name gets one from its id');
    assert.throws(() => parseBid({ fid: 'bid_2', status: 'Open', created_at: AT, instance_quantity: 0 }), ProviderError);
    assert.equal(createdBidId({ fid: 'bid_9' }), 'bid_9');
    assert.equal(createdBidId({ bid_id: 'bid_9' }), 'bid_9');
    assert.equal(createdBidId({ bid: { fid: 'bid_9' } }), 'bid_9');
    assert.equal(createdBidId({ data: { bid: { bid_id: 'bid_9' } } }), 'bid_9');
    assert.throws(() => createdBidId({}), ProviderError);
  });

  test('the bid body has exactly the keys of the API', () => {
    const body = bidRequestBody({
      project: 'proj_a', region: 'us-central1-a', name: 'train', instanceTypeFid: 'it_5ECSoHQjLBzrp5YM', instanceQuantity: 2,
      limitPricePerHour: 12.345, sshKeyIds: ['sshkey_1'], startupScript: '#!/bin/bash\necho hi\n', volumeIds: ['vol_1'], idempotencyKey: 'k',
    });
    assert.deepEqual(body, {
      project: 'proj_a', region: 'us-central1-a', name: 'train', instance_quantity: 2, limit_price: '$12.35',
      launch_specification: { ssh_keys: ['sshkey_1'], startup_script: '#!/bin/bash\necho hi\n', volumes: ['vol_1'] },
      instance_type: 'it_5ECSoHQjLBzrp5YM',
    });
    const base = { project: 'p', region: 'r', name: 'n', instanceTypeFid: 'it_x', sshKeyIds: [], volumeIds: [], idempotencyKey: 'k', startupScript: '' };
    assert.throws(() => bidRequestBody({ ...base, instanceQuantity: 0, limitPricePerHour: 1 }), ValidationError);
    assert.throws(() => bidRequestBody({ ...base, instanceQuantity: 1, limitPricePerHour: 0 }), ValidationError);
    assert.throws(() => bidRequestBody({ ...base, instanceQuantity: 1, limitPricePerHour: 1, startupScript: 'x'.repeat(10_001) }), /at most 10000/);
  });

  test('instances: fid|id, bid|bid_id (must agree), normalized status, ssh destination with or without a port', () => {
    const a = parseInstance({ fid: 'inst_1', bid: 'bid_1', status: 'STATUS_RUNNING', created_at: AT, ssh_destination: '203.0.113.5', ssh_port: 2222, public_ip: '203.0.113.5', private_ip: '10.0.0.5' });
    assert.deepEqual([a.status, a.sshHost, a.sshPort, a.publicIp, a.privateIp], ['running', '203.0.113.5', 2222, '203.0.113.5', '10.0.0.5']);
    const b = parseInstance({ id: 'inst_2', bid_id: 'bid_1', bid: 'bid_1', status: 'Preempting', created_at: AT, ssh_destination: 'node.example:2201' });
    assert.deepEqual([b.fid, b.bidFid, b.status, b.sshHost, b.sshPort], ['inst_2', 'bid_1', 'preempting', 'node.example', 2201]);
    const c = parseInstance({ fid: 'inst_3', bid: 'bid_1', status: 'STATUS_NEW', created_at: AT });
    assert.deepEqual([c.sshHost, c.sshPort], [undefined, 22]);
    assert.throws(() => parseInstance({ fid: 'inst_4', bid: 'bid_1', bid_id: 'bid_2', status: 'running', created_at: AT }), /different values/);
  });

  test('volumes: capacity_gb|size_gb and interface|disk_interface (Block/File)', () => {
    const a = parseVolume({ fid: 'vol_1', name: 'data', region: 'us-central1-a', capacity_gb: 100, created_at: AT, interface: 'Block', attached_to: ['inst_1'] });
    const b = parseVolume({ fid: 'vol_2', name: 'ckpt', region: 'us-central1-a', size_gb: 50, created_at: AT, disk_interface: 'File', bids: [{ fid: 'bid_1' }], mount_path: '/volumes/ckpt' });
    assert.deepEqual([a.sizeGb, a.interface, a.attachedTo], [100, 'block', ['inst_1']]);
    assert.deepEqual([b.sizeGb, b.interface, b.bids, b.mountPath], [50, 'file', ['bid_1'], '/volumes/ckpt']);
    assert.throws(() => parseVolume({ fid: 'vol_3', name: 'x', region: 'r', size_gb: 1, created_at: AT, interface: 'Tape' }), ProviderError);
  });

  test('ssh keys: required|is_required', () => {
    assert.equal(parseSshKey({ fid: 'sshkey_1', name: 'a', is_required: true }).required, true);
    assert.equal(parseSshKey({ fid: 'sshkey_2', name: 'b', public_key: 'ssh-ed25519 AAAA x' }).required, false);
  });

  test('envelopes: data, named wrappers and bare lists; next_cursor', () => {
    assert.deepEqual(rowsOf([1, 2]), [1, 2]);
    assert.deepEqual(rowsOf({ data: [1], next_cursor: 'c' }), [1]);
    for (const key of ['volumes', 'instance_types', 'auctions', 'availability', 'projects', 'ssh_keys', 'keys', 'items']) {
      assert.deepEqual(rowsOf({ [key]: [key] }), [key], key);
    }
    assert.equal(nextCursorOf({ data: [], next_cursor: 'abc' }), 'abc');
    assert.equal(nextCursorOf({ data: [], next_cursor: null }), undefined);
    assert.equal(nextCursorOf([1]), undefined);
  });

  test('error details: strings, and 422 field lists without the body/query prefix', () => {
    assert.equal(detailText({ detail: 'no access' }), 'no access');
    assert.equal(detailText({ detail: [{ loc: ['body', 'limit_price'], msg: 'too low' }, { loc: ['query', 'project'], msg: 'required' }] }), 'limit_price: too low; project: required');
  });

  test('Retry-After: seconds or an HTTP date', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter(new Date(61_000).toUTCString(), 1_000), 60_000);
    assert.equal(parseRetryAfter(null), undefined);
    assert.equal(parseRetryAfter('soon'), undefined);
  });
});

describe('Mithril idempotency keys', () => {
  test('a given key is used as is; otherwise one is derived from the task id, the same every time', () => {
    assert.equal(idempotencyKeyFor({ idempotencyKey: 'my-run.1', taskId: 't', purpose: 'bid' }), 'my-run.1');
    const derived = idempotencyKeyFor({ taskId: 'train-3f2a1b', purpose: 'bid' });
    assert.equal(derived, idempotencyKeyFor({ taskId: 'train-3f2a1b', purpose: 'bid' }));
    assert.match(derived, IDEMPOTENCY_KEY_PATTERN);
    assert.notEqual(derived, idempotencyKeyFor({ taskId: 'train-3f2a1b', purpose: 'bid', round: 1 }), 'a re-bid after a preemption is a new bid');
    assert.notEqual(derived, idempotencyKeyFor({ taskId: 'train-3f2a1b', purpose: 'volume:data' }));
    assert.match(idempotencyKeyFor({ idempotencyKey: 'my-run', taskId: 't', purpose: 'bid', round: 2 }), IDEMPOTENCY_KEY_PATTERN);
    assert.throws(() => idempotencyKeyFor({ idempotencyKey: '-bad key', taskId: 't', purpose: 'bid' }), ValidationError);
  });
});

describe('Mithril status mapping', () => {
  test('every raw status maps as the facts table says; unknown ones are refused', () => {
    const table: Record<MithrilTaskState, string[]> = {
      pending: ['Open'],
      provisioning: ['Allocated', 'pending', 'provisioning', 'scheduled', 'STATUS_NEW', 'STATUS_CONFIRMED', 'STATUS_INITIALIZING', 'STATUS_STARTING'],
      running: ['STATUS_RUNNING', 'running'],
      preempting: ['Preempting', 'STATUS_PREEMPTING', 'STATUS_RELOCATING', 'terminating'],
      paused: ['Paused', 'STATUS_PAUSED'],
      cancelled: ['Terminated', 'Replaced', 'STATUS_PREEMPTED', 'STATUS_STOPPING', 'stopped', 'completed', 'cancelled', 'canceled', 'STATUS_TERMINATED', 'STATUS_REPLACED'],
      failed: ['failed', 'STATUS_ERROR'],
    };
    for (const [state, raws] of Object.entries(table)) {
      for (const raw of raws) assert.equal(stateOfStatus(raw), state, raw);
    }
    assert.equal(normalizeStatus(' STATUS_Running '), 'running');
    assert.throws(() => stateOfStatus('STATUS_EXPLODED'), ProviderError);
  });

  test('an Open bid is pending whatever its last instance says; otherwise the instance decides', () => {
    assert.equal(bidState('Open', 'STATUS_PREEMPTED'), 'pending');
    assert.equal(bidState('Open', 'STATUS_RUNNING'), 'pending');
    assert.equal(bidState('Allocated', 'STATUS_RUNNING'), 'running');
    assert.equal(bidState('Allocated', 'STATUS_STARTING'), 'provisioning');
    assert.equal(bidState('Allocated'), 'provisioning');
    assert.equal(bidState('Preempting', 'STATUS_PREEMPTING'), 'preempting');
    assert.equal(bidState('Terminated'), 'cancelled', 'a terminated spot bid never reads completed');
    assert.equal(bidState('Paused'), 'paused');
  });

  test('the instance that speaks for a bid is the running one, else the newest', () => {
    const older = { status: 'preempted', createdAt: '2026-05-01T09:00:00Z' };
    const newer = { status: 'starting', createdAt: '2026-05-01T10:00:00Z' };
    const running = { status: 'running', createdAt: '2026-05-01T08:00:00Z' };
    assert.equal(representativeInstance([older, newer]), newer);
    assert.equal(representativeInstance([older, newer, running]), running);
    assert.equal(representativeInstance([]), undefined);
    assert.equal(bidStatusFilter('running'), 'Allocated');
    assert.equal(bidStatusFilter('completed'), 'Terminated');
  });
});
