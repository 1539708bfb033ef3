import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AuthenticationError, ResourceNotFoundError, ValidationError } from '../../src/domain/errors';
import { startMithrilSim, type MithrilSim } from '../../src/mithril-sim';
import {
  cancelBid,
  createBid,
  createSshKey,
  createVolume,
  deleteVolume,
  findKeyByPublicKey,
  getBid,
  getCurrentSpotPrice,
  getMe,
  listBids,
  listInstanceTypes,
  listInstancesOfBids,
  listSpotAvailability,
  listSshKeys,
  listVolumes,
  MithrilHttp,
  offersFromMarket,
  resolveInstanceType,
  resolveProject,
  setBidPaused,
} from '../../src/mithril-api';
import { rejectionOf } from '../helpers/rejection';
import { waitFor } from '../helpers/wait-for';

const API_KEY = 'mk_contract_key_51f0';
const PUBLIC_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl contract';

/** The adapter against the simulator, endpoint by endpoint: both must agree on paths, bodies and shapes. */
describe('Mithril adapter ↔ flow-mithril-sim contract', { timeout: 120_000 }, () => {
  let sim: MithrilSim;
  let http: MithrilHttp;
  let project: string;
  before(async () => {
    // Instances are not needed here: a long provisioning delay keeps bids from starting any.
    sim = await startMithrilSim({ apiKey: API_KEY, provisionDelayMs: 600_000 });
    http = new MithrilHttp({ apiKey: API_KEY, baseUrl: sim.url, sleep: async () => undefined });
    project = (await resolveProject(http, undefined)).fid;
  });
  after(async () => {
    await sim?.stop();
  });

  test('me, projects, catalog, availability and the current price parse, and make offers', async () => {
    assert.ok((await getMe(http)).fid);
    const catalog = await listInstanceTypes(http);
    assert.ok(catalog.length >= 3);
    const a100 = resolveInstanceType(catalog, '1xa100');
    assert.match(a100.fid, /^it_[A-Za-z0-9]+$/);
    const market = await listSpotAvailability(http, project);
    const offers = offersFromMarket(catalog, market);
    const offer = offers.find((o) => o.instanceTypeFid === a100.fid && o.region === 'us-central1-b');
    assert.ok(offer, JSON.stringify(offers));
    assert.equal(offer.pricePerHour, 1);
    assert.ok(offer.available > 0);
    assert.equal(await getCurrentSpotPrice(http, a100.fid, 'us-central1-b'), 1);
  });

  test('bids: create is idempotent by key; get, list by name, pause, resume, cancel (twice)', async () => {
    const catalog = await listInstanceTypes(http);
    const input = {
      project,
      region: 'us-central1-b',
      name: 'contract-bid',
      instanceTypeFid: resolveInstanceType(catalog, '1xa100').fid,
      instanceQuantity: 1,
      limitPricePerHour: 2,
      sshKeyIds: [],
      startupScript: '#!/bin/bash\necho hi\n',
      volumeIds: [],
      idempotencyKey: 'flow-contract-bid-1',
    };
    const first = await createBid(http, input);
    assert.equal(await createBid(http, input), first, 'the same key gives the same bid');
    const bid = await getBid(http, first);
    assert.equal(bid.name, 'contract-bid');
    assert.equal(bid.instanceQuantity, 1);
    assert.equal(bid.limitPricePerHour, 2);
    assert.deepEqual((await listBids(http, { project, name: 'contract-bid' })).map((b) => b.fid), [first]);
    await setBidPaused(http, first, true);
    assert.equal((await getBid(http, first)).status, 'Paused');
    await setBidPaused(http, first, false);
    assert.notEqual((await getBid(http, first)).status, 'Paused');
    // Pausing ended the first allocation; resumed, the bid holds a new instance (the old one is listed as terminated).
    const live = await waitFor(async () => (await listInstancesOfBids(http, project, [first])).find((row) => row.status !== 'terminated'), {
      timeoutMs: 30_000,
      message: 'the resumed bid lists a live instance',
    });
    assert.equal(live.bidFid, first);
    assert.equal(live.status, 'new', 'still provisioning (no address yet)');
    assert.equal(live.sshHost, undefined);
    await cancelBid(http, first);
    await cancelBid(http, first);
    assert.equal((await getBid(http, first)).status, 'Terminated');
  });

  test('volumes and ssh keys: create, list, find, delete', async () => {
    const volume = await createVolume(http, { project, name: 'contract-vol', sizeGb: 5, interface: 'file', region: 'us-central1-b', idempotencyKey: 'flow-contract-vol-1' });
    assert.equal(volume.interface, 'file');
    assert.equal(volume.sizeGb, 5);
    assert.deepEqual((await listVolumes(http, project)).map((v) => v.name), ['contract-vol']);
    await deleteVolume(http, volume.fid);
    assert.deepEqual(await listVolumes(http, project), []);
    const key = await createSshKey(http, { project, name: 'contract', publicKey: PUBLIC_KEY });
    assert.equal(findKeyByPublicKey(await listSshKeys(http, project), PUBLIC_KEY)?.fid, key.fid);
  });

  test('errors: 404 names the id, 422 lists the fields, 401 says how to fix the key (and never shows it)', async () => {
    const missing = await rejectionOf(getBid(http, 'bid_doesnotexist'), '404');
    assert.ok(missing instanceof ResourceNotFoundError, String(missing));
    assert.match(missing.message, /bid_doesnotexist/);
    const invalid = await rejectionOf(createVolume(http, { project, name: 'bad', sizeGb: 0, interface: 'file', region: 'us-central1-b', idempotencyKey: 'flow-contract-vol-2' }), '422');
    assert.ok(invalid instanceof ValidationError, String(invalid));
    assert.match(invalid.message, /size_gb/);
    const wrong = new MithrilHttp({ apiKey: 'mk_wrong_contract_key', baseUrl: sim.url, sleep: async () => undefined });
    const denied = await rejectionOf(getMe(wrong), '401');
    assert.ok(denied instanceof AuthenticationError, String(denied));
    assert.ok(!JSON.stringify({ message: denied.message, suggestions: denied.suggestions }).includes('mk_wrong_contract_key'));
  });
});
