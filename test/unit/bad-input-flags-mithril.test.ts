import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { parseSince } from '../../src/cli/since';
import { secretsFromFlags } from '../../src/cli/secret-flags';
import { configFromFlags, parseDurationHours, parsePairs, runTarget, type RunFlags } from '../../src/cli/task-flags';
import { FlowError, parseTaskConfig } from '../../src/domain';
import {
  MithrilHttp,
  createdBidId,
  detailText,
  documentOf,
  nextCursorOf,
  parseAvailabilityRow,
  parseBid,
  parseCatalogRow,
  parseInstance,
  parseProject,
  parseSshKey,
  parseVolume,
  rowsOf,
} from '../../src/mithril-api';
import { NASTY_STRINGS, ODD_VALUES, assertRefused, asyncOutcomeOf, badInputCaseCount, outcomeOf } from '../helpers/bad-input';

const NO_FLAGS: RunFlags = { env: [], secret: [], volume: [], mount: [], port: [], sshKeys: [] };
/** Flags as the CLI would build them, validated as `flow run` does before submitting. */
const run = (given: Partial<RunFlags>, command = 'echo hi') => () => parseTaskConfig(configFromFlags({ command }, { ...NO_FLAGS, ...given }, () => undefined));

after(() => console.log(`# bad-input cases (flags and Mithril): ${badInputCaseCount()}`));

describe('bad input: CLI flags', () => {

  test('flag values of the wrong form are refused naming the field', () => {
    const rows: Array<[string, Partial<RunFlags>, string]> = [
      ['-e without =', { env: ['BATCH'] }, 'env'],
      ['-e with an empty key', { env: ['=1'] }, 'env'],
      ['-e with a metacharacter key', { env: ['A;touch /tmp/x=1'] }, 'env'],
      ['-e with a NUL value', { env: ['A=a\0b'] }, 'env.A'],
      ['--port text', { port: ['http'] }, 'ports'],
      ['--port 80', { port: ['80'] }, 'ports'],
      ['--port 1e308', { port: ['1e308'] }, 'ports'],
      ['--num-instances 1e308', { numInstances: '1e308' }, 'numInstances'],
      ['--num-instances text', { numInstances: 'many' }, 'numInstances'],
      ['--max-price-per-hour NaN', { maxPricePerHour: 'NaN' }, 'maxPricePerHour'],
      ['--max-price-per-hour Infinity', { maxPricePerHour: 'Infinity' }, 'maxPricePerHour'],
      ['--max-run-time forever', { maxRunTime: 'forever' }, 'maxRunTimeHours'],
      ['--max-run-time of 400 digits', { maxRunTime: `${'9'.repeat(400)}h` }, 'maxRunTimeHours'],
      ['--name $()', { name: '$(touch /tmp/x)' }, 'name'],
      ['--image --privileged', { image: '--privileged' }, 'image'],
      ['--workdir relative', { workdir: '../x' }, 'workingDir'],
      ['-v ../etc', { volume: ['../etc'] }, 'volumes.0.name'],
      ['-v data:relative', { volume: ['data:relative'] }, 'volumes.0.mountPath'],
      ['-v data:/etc', { volume: ['data:/etc'] }, 'volumes.0.mountPath'],
      ['--mount relative=data', { mount: ['relative=data'] }, 'volumes'],
      ['--priority urgent', { priority: 'urgent' }, 'priority'],
      ['--provider aws', { provider: 'aws' }, 'provider'],
      ['--idempotency-key with spaces', { idempotencyKey: 'a b' }, 'idempotencyKey'],
      ['-i $()', { instanceType: '$(touch /tmp/x)' }, 'instanceType'],
    ];
    for (const [label, flags, field] of rows) assertRefused(label, outcomeOf(label, run(flags)), { field });
    assertRefused('no command', outcomeOf('no command', () => runTarget(undefined, [])), { field: 'command' });
    assertRefused('a NUL in the command', outcomeOf('NUL command', run({}, 'echo \0')), { field: 'command' });
  });

  test('metacharacters in -e values and the command are kept byte-exact', () => {
    for (const text of NASTY_STRINGS) {
      if (text.includes('\0')) continue;
      const outcome = outcomeOf('-e value', run({ env: [`A=${text}`] }));
      assert.ok(outcome.ok, `-e A=${JSON.stringify(text)}: ${outcome.ok ? '' : outcome.error.message}`);
      assert.equal((outcome.value as { env: Record<string, string> }).env.A, text);
      assert.deepEqual(parsePairs([`K=${text}=${text}`], '-e', 'env'), { K: `${text}=${text}` }, 'only the first = splits');
      if (text.trim() !== '') assert.deepEqual(runTarget('echo', [text]), { command: `echo ${text}` });
    }
  });

  test('secrets from flags: a bad one is refused naming the key, never the value', () => {
    const value = 'Zq9-value-that-must-not-show';
    const rows: Array<[string, string[], NodeJS.ProcessEnv]> = [
      ['an unset variable', ['MISSING_TOKEN'], {}],
      ['a metacharacter name', [`$(touch /tmp/x)`], {}],
      ['an empty name', [`=${value}`], {}],
    ];
    for (const [label, items, env] of rows) assertRefused(label, outcomeOf(label, () => secretsFromFlags(items, [], env)), { field: 'secrets', notIn: value });
    assertRefused('a short secret', outcomeOf('short secret', run({ secret: ['TOKEN'] })), {});
    assertRefused('a pair without =', outcomeOf('secret pair', () => parsePairs([value], '--secret', 'secrets')), { field: 'secrets', notIn: value });
  });

  test('durations and times: odd text is refused, huge numbers do not crash', () => {
    for (const text of [...NASTY_STRINGS, '1e308h', '-5h', '5w', '', `${'9'.repeat(400)}d`]) {
      const label = `duration ${JSON.stringify(text).slice(0, 40)}`;
      const outcome = outcomeOf(label, () => parseDurationHours(text, 'maxRunTimeHours'));
      if (outcome.ok) assert.equal(typeof outcome.value, 'number');
      else assertRefused(label, outcome, { field: 'maxRunTimeHours' });
      const since = outcomeOf(`since ${label}`, () => parseSince(text, Date.now()));
      if (since.ok) assert.equal(typeof since.value, 'number');
      else assertRefused(`since ${label}`, since, { field: 'since' });
    }
  });
});

describe('bad input: Mithril responses', () => {
  test('every response parser takes malformed, missing and huge rows and ends in a ProviderError or a value', () => {
    const parsers: Array<[string, (row: unknown) => unknown]> = [
      ['parseProject', parseProject],
      ['parseCatalogRow', parseCatalogRow],
      ['parseAvailabilityRow', parseAvailabilityRow],
      ['parseBid', parseBid],
      ['parseInstance', parseInstance],
      ['parseVolume', parseVolume],
      ['parseSshKey', parseSshKey],
      ['createdBidId', createdBidId],
      ['rowsOf', rowsOf],
      ['nextCursorOf', nextCursorOf],
      ['documentOf', documentOf],
      ['detailText', detailText],
    ];
    let deep: Record<string, unknown> = {};
    const deepRoot = deep;
    for (let i = 0; i < 10_000; i++) deep = (deep.data = {}) as Record<string, unknown>;
    const rows: unknown[] = [
      ...ODD_VALUES,
      deepRoot,
      'x'.repeat(10 * 1024 * 1024),
      { data: null },
      { data: 'x' },
      { fid: 5 },
      { fid: {} },
      { fid: 'bid_1', status: 7 },
      { fid: 'bid_1', status: 'Running', instances: 'x' },
      { fid: 'bid_1', instances: [null] },
      { name: null, num_gpus: 'lots' },
      { price: '$-1' },
      { fid: 'x', created_at: 'not a time' },
      { fid: 'x', created_at: '2026-13-45T99:99:99Z' },
      { data: [], next_cursor: {} },
      JSON.parse('{"__proto__": {"fid": "x"}}'),
    ];
    for (const [name, parse] of parsers) {
      for (const row of rows) {
        const label = `${name}(${row === deepRoot ? '10,000 nested data' : (JSON.stringify(row)?.slice(0, 60) ?? String(row))})`;
        const outcome = outcomeOf(label, () => parse(row));
        if (!outcome.ok) assert.equal(outcome.error.name, 'ProviderError', `${label}: ${outcome.error.message}`);
        else if (name === 'detailText') assert.ok((outcome.value as string).length <= 2000, `${label}: a detail of ${(outcome.value as string).length} characters`);
      }
    }
  });

  describe('a server answering garbage: a typed error naming the endpoint, never a crash or a hang', () => {
    let server: Server;
    let baseUrl: string;
    const pending = new Set<import('node:http').ServerResponse>();
    before(async () => {
      server = createServer((request, response) => {
        const kind = new URL(request.url ?? '/', 'http://x').pathname.split('/').pop();
        const send = (status: number, body: string, headers: Record<string, string> = {}) => {
          response.writeHead(status, { 'content-type': 'application/json', ...headers });
          response.end(body);
        };
        if (kind === 'html') return send(200, '<html>maintenance</html>');
        if (kind === 'truncated') return send(200, '{"data": [{"fid": "bid_');
        if (kind === 'huge-detail') return send(500, JSON.stringify({ detail: 'e'.repeat(5 * 1024 * 1024) }));
        if (kind === 'html-500') return send(500, '<html>oops</html>');
        if (kind === 'teapot') return send(418, '\0\0\0');
        if (kind === 'rate') return send(429, '{}', { 'retry-after': 'soon' });
        if (kind === 'same-cursor') return send(200, JSON.stringify({ data: [1], next_cursor: 'again' }));
        if (kind === 'reset') return request.socket.destroy();
        if (kind === 'hang') return void pending.add(response);
        return send(200, JSON.stringify({ data: [] }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      for (const response of pending) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    test('non-JSON, truncated, huge, reset, rate-limited, looping and silent answers', async () => {
      const http = new MithrilHttp({ apiKey: 'mk-test-key-123456', baseUrl, timeoutMs: 1000, maxAttempts: 2, sleep: async () => undefined });
      const cases: Array<[string, () => Promise<unknown>, RegExp]> = [
        ['html', () => http.get('/v2/html'), /GET \/v2\/html/],
        ['truncated', () => http.get('/v2/truncated'), /GET \/v2\/truncated/],
        ['huge-detail', () => http.get('/v2/huge-detail'), /GET \/v2\/huge-detail/],
        ['html-500', () => http.get('/v2/html-500'), /GET \/v2\/html-500/],
        ['teapot', () => http.post('/v2/teapot', { a: 1 }), /POST \/v2\/teapot/],
        ['rate', () => http.get('/v2/rate'), /GET \/v2\/rate/],
        ['same-cursor', () => http.getAllPages('/v2/same-cursor'), /GET \/v2\/same-cursor/],
        ['reset', () => http.get('/v2/reset'), /GET \/v2\/reset/],
        ['hang', () => http.get('/v2/hang'), /GET \/v2\/hang/],
      ];
      for (const [label, call, endpoint] of cases) {
        const outcome = await asyncOutcomeOf(label, call, 15_000);
        assert.ok(!outcome.ok, `${label}: a garbage answer was accepted`);
        assert.ok(outcome.error instanceof FlowError);
        assert.match(outcome.error.message, endpoint, `${label}: the error names the endpoint: ${outcome.error.message.slice(0, 300)}`);
        assert.ok(outcome.error.message.length < 3000, `${label}: the message is ${outcome.error.message.length} characters`);
        assert.ok(!outcome.error.message.includes('mk-test-key-123456'), `${label}: the API key is in the message`);
      }
    });
  });
});
