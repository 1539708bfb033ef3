import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { inspect } from 'node:util';
import {
  AuthenticationError,
  AuthorizationError,
  FlowError,
  ProviderError,
  ResourceNotFoundError,
  TransientError,
  ValidationError,
} from '../../src/domain';
import {
  MithrilHttp,
  cancelBid,
  createBid,
  createSshKey,
  createVolume,
  deleteVolume,
  getBid,
  getCurrentSpotPrice,
  getMe,
  listBids,
  listInstancesOfBids,
  listSpotAvailability,
  listSshKeys,
  listVolumes,
  mithrilHttpFromSettings,
  resolveProject,
  setBidPaused,
  type MithrilHttpOptions,
} from '../../src/mithril-api';

const API_KEY = 'mk_live_SECRET_6f1d2c9a8b7e';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** What the test server answers to one request; `hang` holds the response open (a server that never answers). */
type Reply = { status: number; body?: unknown; headers?: Record<string, string>; raw?: string } | 'hang';

let server: Server;
let baseUrl: string;
let seen: Seen[] = [];
let replies: Reply[] = [];
let fallback: (request: Seen) => Reply = () => ({ status: 200, body: {} });
const held: ServerResponse[] = [];

function answer(response: ServerResponse, reply: Reply): void {
  if (reply === 'hang') {
    held.push(response);
    return;
  }
  const text = reply.raw ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
  response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
  response.end(text);
}

before(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const entry = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body };
      seen.push(entry);
      answer(response, replies.shift() ?? fallback(entry));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  for (const response of held) response.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

let delays: number[] = [];

beforeEach(() => {
  seen = [];
  replies = [];
  delays = [];
  fallback = () => ({ status: 200, body: {} });
});

/** A client of the test server whose waits are recorded, not slept. */
function client(options: Partial<MithrilHttpOptions> = {}): MithrilHttp {
  return new MithrilHttp({ apiKey: API_KEY, baseUrl: `${baseUrl}/`, timeoutMs: 2_000, sleep: async (ms) => void delays.push(ms), ...options });
}

/** Every error these tests provoke, checked at the end for the key. */
const errors: unknown[] = [];

async function failure(promise: Promise<unknown>): Promise<FlowError> {
  try {
    await promise;
  } catch (error) {
    errors.push(error);
    assert.ok(error instanceof FlowError, `expected a FlowError, got ${inspect(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

function keyNowhereIn(value: unknown): void {
  for (const text of [inspect(value, { depth: 20, showHidden: true }), JSON.stringify(value) ?? '', String(value), (value as Error).stack ?? '']) {
    assert.ok(!text.includes(API_KEY), `the API key leaked into: ${text.slice(0, 300)}`);
    assert.ok(!text.includes('SECRET_6f1d'), 'no piece of the key either');
  }
}

describe('Mithril HTTP client', () => {
  test('sends the key as a Bearer token, JSON, a User-Agent and a fresh request id, under /v2', async () => {
    replies.push({ status: 200, body: { data: { fid: 'user_1' } } });
    assert.deepEqual(await getMe(client()), { fid: 'user_1' });
    const [request] = seen;
    assert.equal(request!.method, 'GET');
    assert.equal(request!.url, '/v2/me');
    assert.equal(request!.headers.authorization, `Bearer ${API_KEY}`);
    assert.equal(request!.headers['content-type'], 'application/json');
    assert.match(String(request!.headers['user-agent']), /^flow-sdk\/\d+\.\d+\.\d+/);
    assert.match(String(request!.headers['x-client-request-id']), /^[0-9a-f-]{36}$/);
    assert.equal(request!.headers['idempotency-key'], undefined);
  });

  test('a POST with an Idempotency-Key is retried after a 5xx with the same key and a new request id', async () => {
    replies.push({ status: 503, body: { detail: 'busy' } }, { status: 201, body: { fid: 'bid_1', status: 'Open' } });
    const id = await createBid(client(), {
      project: 'proj_a', region: 'us-central1-a', name: 'train', instanceTypeFid: 'it_5ECSoHQjLBzrp5YM', instanceQuantity: 2,
      limitPricePerHour: 30, sshKeyIds: ['sshkey_1'], startupScript: '#!/bin/bash\n', volumeIds: [], idempotencyKey: 'flow-bid-abc',
    });
    assert.equal(id, 'bid_1');
    assert.equal(seen.length, 2);
    assert.deepEqual(seen.map((s) => [s.method, s.url, s.headers['idempotency-key']]), [
      ['POST', '/v2/spot/bids', 'flow-bid-abc'],
      ['POST', '/v2/spot/bids', 'flow-bid-abc'],
    ]);
    assert.notEqual(seen[0]!.headers['x-client-request-id'], seen[1]!.headers['x-client-request-id']);
    assert.equal(JSON.parse(seen[0]!.body).instance_quantity, 2);
    assert.equal(JSON.parse(seen[0]!.body).limit_price, '$30.00');
    assert.equal(delays.length, 1);
    assert.ok(delays[0]! >= 1000 && delays[0]! < 1250, `backoff of about a second, got ${delays[0]}`);
  });

  test('401: AuthenticationError that says how to fix the key', async () => {
    replies.push({ status: 401, body: { detail: 'Invalid API key' } });
    const error = await failure(client().get('/v2/projects'));
    assert.ok(error instanceof AuthenticationError);
    assert.match(error.message, /401/);
    assert.match(error.describe(), /MITHRIL_API_KEY/);
    assert.match(error.describe(), /flow setup/);
    assert.equal(seen.length, 1, 'not retried');
  });

  test('403: AuthorizationError "Access denied: <detail>"', async () => {
    replies.push({ status: 403, body: { detail: 'not a member of proj_x' } });
    const error = await failure(client().get('/v2/spot/bids', { project: 'proj_x' }));
    assert.ok(error instanceof AuthorizationError);
    assert.equal(error.message, 'Access denied: not a member of proj_x');
  });

  test('404: ResourceNotFoundError naming the id', async () => {
    replies.push({ status: 404, body: { detail: 'Not Found' } });
    const error = await failure(client().get('/v2/spot/bids/bid_missing'));
    assert.ok(error instanceof ResourceNotFoundError);
    assert.match(error.message, /'bid_missing' not found/);
    replies.push({ status: 404, body: { detail: 'Not Found' } });
    assert.match((await failure(client().get('/v2/nothing-here'))).message, /Endpoint not found: GET \/v2\/nothing-here/);
  });

  test('422: ValidationError listing the field messages', async () => {
    replies.push({ status: 422, body: { detail: [{ loc: ['body', 'limit_price'], msg: 'must be at least $1.00', type: 'value_error' }, { loc: ['body', 'region'], msg: 'unknown region' }] } });
    const error = await failure(client().post('/v2/spot/bids', { limit_price: '$0.10' }, 'k-1'));
    assert.ok(error instanceof ValidationError);
    assert.match(error.message, /limit_price: must be at least \$1\.00/);
    assert.match(error.message, /region: unknown region/);
    assert.equal(error.field, 'limit_price');
    assert.equal(seen.length, 1);
  });

  test('429 waits the Retry-After the API asks for, on any method, then succeeds', async () => {
    replies.push({ status: 429, headers: { 'retry-after': '7' } }, { status: 200, body: { fid: 'sshkey_1', name: 'me' } });
    const body = await client().post('/v2/ssh-keys', { name: 'me', project: 'p', public_key: 'ssh-ed25519 AAAA' });
    assert.deepEqual(body, { fid: 'sshkey_1', name: 'me' });
    assert.deepEqual(delays, [7000], 'the server’s 7 s, not the backoff');
    assert.equal(seen.length, 2, 'a POST without a key is repeated after a 429: the server did not act on it');
  });

  test('429 with a Retry-After over 60 s fails at once with a rate-limit error', async () => {
    replies.push({ status: 429, headers: { 'retry-after': '120' } });
    const error = await failure(client().get('/v2/instance-types'));
    assert.ok(error instanceof TransientError);
    assert.match(error.message, /rate limit.*retry after 120 s/i);
    assert.equal(seen.length, 1);
    assert.deepEqual(delays, []);
  });

  test('5xx: a GET is retried a bounded number of times with growing delays', async () => {
    fallback = () => ({ status: 502, body: { detail: 'bad gateway' } });
    const error = await failure(client({ maxAttempts: 3 }).get('/v2/instance-types'));
    assert.ok(error instanceof ProviderError);
    assert.ok(error.retryable);
    assert.match(error.message, /server error 502: bad gateway/);
    assert.equal(seen.length, 3);
    assert.equal(delays.length, 2);
    assert.ok(delays[1]! > delays[0]!, `backoff grows: ${delays.join(', ')}`);
  });

  test('5xx: a POST without an Idempotency-Key is not repeated (it might have been done)', async () => {
    fallback = () => ({ status: 500, body: { detail: 'oops' } });
    const error = await failure(client().post('/v2/ssh-keys', { name: 'k', project: 'p', public_key: 'ssh-ed25519 AAAA' }));
    assert.ok(error instanceof ProviderError);
    assert.equal(seen.length, 1);
  });

  test('504 is never retried and reads as a timeout', async () => {
    fallback = () => ({ status: 504, raw: '<html>gateway timeout</html>' });
    const error = await failure(client().get('/v2/spot/availability'));
    assert.ok(error instanceof TransientError);
    assert.match(error.message, /Gateway timeout/);
    assert.equal(seen.length, 1);
  });

  test('pagination follows next_cursor across pages and envelopes', async () => {
    replies.push(
      { status: 200, body: { data: [{ n: 1 }, { n: 2 }], next_cursor: 'c1' } },
      { status: 200, body: { instance_types: [{ n: 3 }], next_cursor: 'c2' } },
      { status: 200, body: { data: [{ n: 4 }], next_cursor: null } },
    );
    const rows = await client().getAllPages('/v2/instance-types', { project: 'p' });
    assert.deepEqual(rows, [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
    assert.deepEqual(seen.map((s) => s.url), ['/v2/instance-types?project=p', '/v2/instance-types?next_cursor=c1&project=p', '/v2/instance-types?next_cursor=c2&project=p']);
  });

  test('a repeated cursor, or too many pages, is an error instead of a loop', async () => {
    fallback = () => ({ status: 200, body: { data: [{}], next_cursor: 'same' } });
    const repeated = await failure(client().getAllPages('/v2/spot/bids', { project: 'p' }));
    assert.match(repeated.message, /same page cursor twice/);
    assert.equal(seen.length, 2);
    seen = [];
    let page = 0;
    fallback = () => ({ status: 200, body: { data: [{}], next_cursor: `c${page++}` } });
    const runaway = await failure(client().getAllPages('/v2/spot/bids', { project: 'p' }, { maxPages: 4 }));
    assert.match(runaway.message, /more than 4 pages/);
    assert.equal(seen.length, 4);
  });

  test('a server that does not answer times out; a GET is tried again within the bound', async () => {
    fallback = () => 'hang';
    const started = Date.now();
    const error = await failure(client({ timeoutMs: 150, maxAttempts: 2 }).get('/v2/me'));
    assert.ok(error instanceof TransientError);
    assert.match(error.message, /did not answer GET \/v2\/me within 150 ms/);
    assert.equal(seen.length, 2);
    assert.ok(Date.now() - started < 5_000);
  });

  test('a refused connection is a retryable ProviderError naming the URL', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await failure(client({ baseUrl: `http://127.0.0.1:${port}`, maxAttempts: 2 }).post('/v2/ssh-keys', {}));
    assert.ok(error instanceof ProviderError);
    assert.ok(error.retryable);
    assert.match(error.message, new RegExp(`Cannot reach Mithril at http://127.0.0.1:${port}.*ECONNREFUSED`));
    assert.equal(delays.length, 1, 'refused before sending: safe to repeat even a POST');
  });

  test('a server that echoes the Authorization header does not put the key into the error', async () => {
    fallback = (request) => ({ status: 401, body: { detail: `bad token ${request.headers.authorization}` } });
    const unauthorized = await failure(client().get('/v2/me'));
    assert.match(unauthorized.message, /bad token Bearer \[redacted\]/);
    fallback = (request) => ({ status: 500, raw: `upstream said: ${request.headers.authorization}` });
    const server500 = await failure(client({ maxAttempts: 1 }).get('/v2/me'));
    assert.match(server500.message, /\[redacted\]/);
    fallback = (request) => ({ status: 422, body: { detail: [{ loc: ['header', 'authorization'], msg: String(request.headers.authorization) }] } });
    await failure(client().get('/v2/me'));
  });

  test('bid cancel: 204 with no body and 404 (already gone) both succeed; pause is checked', async () => {
    replies.push({ status: 204 }, { status: 404, body: { detail: 'Not Found' } });
    await cancelBid(client(), 'bid_1');
    await cancelBid(client(), 'bid_1');
    assert.deepEqual(seen.map((s) => `${s.method} ${s.url}`), ['DELETE /v2/spot/bids/bid_1', 'DELETE /v2/spot/bids/bid_1']);
    replies.push({ status: 200, body: { fid: 'bid_1', paused: true } }, { status: 200, body: { fid: 'bid_2', paused: true } });
    await setBidPaused(client(), 'bid_1', true);
    assert.equal(seen[2]!.method, 'PATCH');
    assert.deepEqual(JSON.parse(seen[2]!.body), { paused: true });
    await failure(setBidPaused(client(), 'bid_1', true));
  });

  test('instances are asked for at most 50 bids per request, with the project', async () => {
    const bids = Array.from({ length: 120 }, (_, i) => `bid_${i}`);
    fallback = () => ({ status: 200, body: { data: [] } });
    await listInstancesOfBids(client(), 'proj_a', bids);
    assert.equal(seen.length, 3);
    const asked = seen.map((s) => new URL(s.url, baseUrl).searchParams);
    assert.deepEqual(asked.map((q) => q.get('bid_fid_in')!.split(',').length), [50, 50, 20]);
    assert.ok(asked.every((q) => q.get('project') === 'proj_a'));
    assert.deepEqual(asked.flatMap((q) => q.get('bid_fid_in')!.split(',')), bids);
  });

  test('bids: get one, list with filters across pages', async () => {
    const bid = (fid: string) => ({ fid, name: 'train', status: 'Open', created_at: '2026-05-01T10:00:00Z', instance_quantity: 1, limit_price: '$3.00' });
    replies.push(
      { status: 200, body: bid('bid_1') },
      { status: 200, body: { data: [bid('bid_2')], next_cursor: 'n1' } },
      { status: 200, body: { data: [bid('bid_3')] } },
    );
    assert.equal((await getBid(client(), 'bid_1')).limitPricePerHour, 3);
    const bids = await listBids(client(), { project: 'proj_a', status: 'Open', name: 'train' });
    assert.deepEqual(bids.map((b) => b.fid), ['bid_2', 'bid_3']);
    const query = new URL(seen[1]!.url, baseUrl).searchParams;
    assert.deepEqual(Object.fromEntries(query), { limit: '100', name: 'train', project: 'proj_a', sort_by: 'created_at', sort_dir: 'desc', status: 'Open' });
    assert.equal(new URL(seen[2]!.url, baseUrl).searchParams.get('next_cursor'), 'n1');

    seen = [];
    replies.push(
      { status: 422, body: { detail: [{ loc: ['query', 'sort_by'], msg: 'unexpected' }] } },
      { status: 200, body: { data: [bid('bid_4'), { ...bid('bid_5'), status: 'Terminated' }, { ...bid('bid_6'), name: 'other' }] } },
    );
    const filteredHere = await listBids(client(), { project: 'proj_a', status: 'Open', name: 'train' });
    assert.deepEqual(filteredHere.map((b) => b.fid), ['bid_4'], 'filtered here when the server refuses the filters');
    assert.deepEqual(Object.fromEntries(new URL(seen[1]!.url, baseUrl).searchParams), { limit: '100', project: 'proj_a' });
  });

  test('market: availability with the project overlay, and the current price in cents', async () => {
    replies.push(
      { status: 200, body: { data: [
        { instance_type: 'it_a', region: 'r1', price: '$10.00', capacity: 1 },
        { instance_type: 'it_a', region: 'r2', price: '$12.00', capacity: 1 },
      ] } },
      { status: 200, body: [{ instance_type: 'it_a', region: 'r2', last_instance_price: 9.5, available_gpus: 4 }] },
      { status: 200, body: { spot_price_cents: 1234, minimum_price_cents: 100 } },
      { status: 404, body: { detail: 'no market' } },
    );
    const rows = await listSpotAvailability(client(), 'proj_a');
    assert.deepEqual(rows.map((r) => [r.region, r.pricePerHour, r.capacity]), [['r1', 10, 1], ['r2', 9.5, 4]], 'the project row replaces the global one');
    assert.equal(new URL(seen[1]!.url, baseUrl).searchParams.get('project'), 'proj_a');
    assert.equal(await getCurrentSpotPrice(client(), 'it_a', 'r1'), 12.34);
    assert.equal(new URL(seen[2]!.url, baseUrl).search, '?instance_type=it_a&region=r1');
    assert.equal(await getCurrentSpotPrice(client(), 'it_a', 'r9'), undefined, 'a 404 means no market there');
  });

  test('volumes: create with Block/File and an Idempotency-Key, list, delete', async () => {
    replies.push(
      { status: 201, body: { fid: 'vol_1', name: 'data', region: 'r1', size_gb: 100, created_at: '2026-05-01T10:00:00Z', disk_interface: 'Block' } },
      { status: 200, body: { volumes: [{ fid: 'vol_1', name: 'data', region: 'r1', capacity_gb: 100, created_at: '2026-05-01T10:00:00Z', interface: 'Block' }] } },
      { status: 204 },
    );
    const created = await createVolume(client(), { project: 'proj_a', name: 'data', sizeGb: 100, interface: 'block', region: 'r1', idempotencyKey: 'flow-volume-1' });
    assert.deepEqual([created.fid, created.interface, created.sizeGb], ['vol_1', 'block', 100]);
    assert.deepEqual(JSON.parse(seen[0]!.body), { size_gb: 100, name: 'data', project: 'proj_a', disk_interface: 'Block', region: 'r1' });
    assert.equal(seen[0]!.headers['idempotency-key'], 'flow-volume-1');
    assert.equal((await listVolumes(client(), 'proj_a'))[0]!.name, 'data');
    await deleteVolume(client(), 'vol_1');
    assert.equal(`${seen[2]!.method} ${seen[2]!.url}`, 'DELETE /v2/volumes/vol_1');
  });

  test('ssh keys and projects', async () => {
    replies.push(
      { status: 200, body: { data: [{ fid: 'sshkey_1', name: 'laptop', public_key: 'ssh-ed25519 AAAA laptop', required: false }] } },
      { status: 201, body: { fid: 'sshkey_2' } },
      { status: 200, body: { data: [{ fid: 'proj_a', name: 'Research', created_at: '2026-05-01T10:00:00Z' }] } },
    );
    assert.equal((await listSshKeys(client(), 'proj_a'))[0]!.publicKey, 'ssh-ed25519 AAAA laptop');
    const key = await createSshKey(client(), { project: 'proj_a', name: 'flow', publicKey: 'ssh-ed25519 BBBB flow' });
    assert.deepEqual([key.fid, key.name, key.publicKey], ['sshkey_2', 'flow', 'ssh-ed25519 BBBB flow']);
    assert.deepEqual(JSON.parse(seen[1]!.body), { name: 'flow', project: 'proj_a', public_key: 'ssh-ed25519 BBBB flow' });
    assert.equal((await resolveProject(client(), 'research')).fid, 'proj_a');
  });

  test('the client from settings: the configured URL, and no key (or the placeholder) says how to set one', async () => {
    replies.push({ status: 200, body: { fid: 'user_1' } });
    const http = mithrilHttpFromSettings({ apiKey: API_KEY, apiUrl: baseUrl, sshKeys: [] });
    assert.equal((await getMe(http)).fid, 'user_1');
    for (const apiKey of [undefined, 'YOUR_MITHRIL_API_KEY']) {
      assert.throws(
        () => mithrilHttpFromSettings({ apiKey, apiUrl: baseUrl, sshKeys: [] }),
        (error: unknown) => error instanceof AuthenticationError && /MITHRIL_API_KEY/.test(error.describe()),
      );
    }
  });

  test('the API key appears in no error, and not in the client object either', () => {
    assert.ok(errors.length >= 15, `errors collected: ${errors.length}`);
    for (const error of errors) keyNowhereIn(error);
    const http = client();
    assert.ok(!inspect(http).includes(API_KEY));
    assert.ok(!JSON.stringify(http).includes(API_KEY));
  });
});
