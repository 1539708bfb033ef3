import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { parseKeySpec } from '../../src/security/encryption-keys';
import { AesGcmPayloadCodec } from '../../src/security/payload-codec';
import { runCli, spawnCli } from '../helpers/cli';
import { waitFor } from '../helpers/wait-for';

// `flow codec-server` started for real, against a temp FLOW_HOME whose key arrives as a file.
const UI_ORIGIN = 'http://localhost:8233';
const KEY = Buffer.alloc(32, 42).toString('base64');
const codec = new AesGcmPayloadCodec([parseKeySpec(KEY)]);
const b64 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('base64');

let home: string;
let child: ChildProcess;
let exited = false;
let url: string;
let stderr = '';

function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}${path}`, { method: 'POST', body, headers: { 'Content-Type': 'application/json', 'X-Namespace': 'flow-test', ...headers } });
}

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'flow-codec-'));
  writeFileSync(join(home, 'key'), `${KEY}\n`, { mode: 0o600 });
  const env: NodeJS.ProcessEnv = { ...process.env, FLOW_HOME: home, FLOW_ENCRYPTION_KEY_FILE: join(home, 'key') };
  delete env.FLOW_ENCRYPTION_KEY;
  child = spawnCli(['codec-server', '--port', '0', '--ui-origin', UI_ORIGIN, '--namespace', 'flow-test'], { env });
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  child.on('exit', () => (exited = true));
  url = await waitFor(() => {
    if (exited) throw new Error(`flow codec-server exited: ${stderr}`);
    return /listening on (http:\/\/\S+)/.exec(stderr)?.[1];
  }, { timeoutMs: 30_000, message: 'flow codec-server to print its address' });
});

after(() => {
  if (!exited) child.kill('SIGINT');
  rmSync(home, { recursive: true, force: true });
});

describe('flow codec-server', () => {
  test('POST /decode returns the clear payload the project codec sealed; a plain payload passes unchanged', async () => {
    const clear = defaultPayloadConverter.toPayload({ command: 'python train.py', env: { TOKEN: 'hunter2' } });
    const [sealed] = await codec.encode([clear]);
    assert.doesNotMatch(Buffer.from(sealed!.data!).toString('latin1'), /hunter2/);
    const plain = defaultPayloadConverter.toPayload('plain');
    const body = JSON.stringify({ payloads: [sealed, plain].map((p) => ({ metadata: Object.fromEntries(Object.entries(p!.metadata!).map(([k, v]) => [k, b64(v)])), data: b64(p!.data) })) });
    const response = await post('/decode', body);
    assert.equal(response.status, 200);
    const { payloads } = (await response.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
    assert.equal(Buffer.from(payloads[0]!.metadata.encoding!, 'base64').toString(), 'json/plain');
    assert.deepEqual(JSON.parse(Buffer.from(payloads[0]!.data, 'base64').toString()), { command: 'python train.py', env: { TOKEN: 'hunter2' } });
    assert.equal(Buffer.from(payloads[1]!.data, 'base64').toString(), '"plain"');
  });

  test('POST /encode seals with the same key: the project codec opens it', async () => {
    const clear = defaultPayloadConverter.toPayload({ hello: 'world' });
    const response = await post('/encode', JSON.stringify({ payloads: [{ metadata: { encoding: b64(clear.metadata!.encoding) }, data: b64(clear.data) }] }));
    assert.equal(response.status, 200);
    const { payloads } = (await response.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> };
    const sealed = { metadata: Object.fromEntries(Object.entries(payloads[0]!.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])), data: Buffer.from(payloads[0]!.data, 'base64') };
    assert.equal(sealed.metadata.encoding!.toString(), 'binary/encrypted');
    const [opened] = await codec.decode([sealed]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(opened!), { hello: 'world' });
  });

  test("CORS headers answer the UI's origin (preflight included) and no other", async () => {
    const preflight = await fetch(`${url}/decode`, { method: 'OPTIONS', headers: { Origin: UI_ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace' } });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), UI_ORIGIN);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /X-Namespace/);
    const fromUi = await post('/decode', '{"payloads":[]}', { Origin: UI_ORIGIN });
    assert.equal(fromUi.status, 200);
    assert.equal(fromUi.headers.get('access-control-allow-origin'), UI_ORIGIN);
    for (const method of ['OPTIONS', 'POST']) {
      const other = await fetch(`${url}/decode`, { method, body: method === 'POST' ? '{"payloads":[]}' : undefined, headers: { Origin: 'http://evil.example', 'X-Namespace': 'flow-test' } });
      assert.equal(other.status, 403, `${method} from another origin`);
      assert.equal(other.headers.get('access-control-allow-origin'), null);
      assert.match(await other.text(), /origin http:\/\/evil\.example is not allowed/);
    }
  });

  test('malformed bodies get a 400 naming the problem, and the server keeps serving', async () => {
    const cases: Array<[string, RegExp]> = [
      ['not json', /body is not JSON/],
      ['{"nope":1}', /"payloads" array/],
      ['{"payloads":[42]}', /payloads\[0\] must be an object/],
      ['{"payloads":[{"metadata":{"encoding":"%%%"}}]}', /payloads\[0\]\.metadata\.encoding must be a base64 string/],
      ['{"payloads":[{"metadata":{},"data":7}]}', /payloads\[0\]\.data must be a base64 string/],
    ];
    for (const [body, message] of cases) {
      const response = await post('/decode', body);
      assert.equal(response.status, 400, body);
      assert.match(((await response.json()) as { error: string }).error, message);
    }
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.equal(exited, false);
  });

  test('the namespace check refuses another or a missing X-Namespace', async () => {
    const wrong = await post('/decode', '{"payloads":[]}', { 'X-Namespace': 'other' });
    assert.equal(wrong.status, 403);
    assert.match(((await wrong.json()) as { error: string }).error, /serves namespace flow-test; X-Namespace is "other"/);
    const missing = await fetch(`${url}/decode`, { method: 'POST', body: '{"payloads":[]}' });
    assert.equal(missing.status, 403);
  });

  test('without any key it exits with a validation error naming the settings', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'flow-codec-nokey-'));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, FLOW_HOME: empty };
      delete env.FLOW_ENCRYPTION_KEY;
      delete env.FLOW_ENCRYPTION_KEY_FILE;
      const result = await runCli(['codec-server', '--port', '0'], { env, timeoutMs: 30_000 });
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stderr, /no payload key to decode with/);
      assert.match(result.stderr, /FLOW_ENCRYPTION_KEY_FILE/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
