import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Connection } from '@temporalio/client';
import { parse } from 'yaml';
import { startDevServer, waitForServer } from '../../src/daemon/dev-server';
import { freePort } from '../../src/daemon/free-port';
import { resolveTemporalBinary } from '../../src/daemon/temporal-binary';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/definitions';
import { stopChild } from '../helpers/stop-child';

// temporal-compose.yml's one-shot `temporal-setup`, run for real with the temporal CLI against a
// dev server: it creates a namespace and registers Flow's search attributes, and a rerun is a no-op.
const COMPOSE_FILE = join(__dirname, '..', '..', '..', 'temporal-compose.yml');
const dir = mkdtempSync(join(tmpdir(), 'flow-compose-setup-'));
let server: ChildProcess | undefined;
let address: string;

before(async () => {
  const port = await freePort();
  let uiPort = await freePort();
  while (uiPort === port) uiPort = await freePort();
  address = `127.0.0.1:${port}`;
  const binary = resolveTemporalBinary(process.env);
  // The script calls `temporal` by name, as in the admin-tools image.
  symlinkSync(binary, join(dir, 'temporal'));
  server = startDevServer({ binary, port, uiPort, logFile: join(dir, 'temporal.log') });
  const running = server;
  await waitForServer(address, 'default', 60_000, () => running.exitCode === null && running.signalCode === null);
});

after(async () => {
  await stopChild(server);
  rmSync(dir, { recursive: true, force: true });
});

test('the temporal-setup one-shot creates the namespace and registers every search attribute as Keyword, idempotently', async () => {
  const setup = (parse(readFileSync(COMPOSE_FILE, 'utf8')) as { services: Record<string, { entrypoint: string[]; command: string[]; environment: Record<string, string> }> }).services['temporal-setup']!;
  assert.deepEqual(setup.entrypoint, ['/bin/sh', '-ec']);
  // Compose turns `$$` into `$` before the shell sees the script.
  const script = setup.command[0]!.replaceAll('$$', '$');
  const namespace = 'flow-compose-setup';
  const env = { PATH: `${dir}:${process.env.PATH}`, HOME: dir, TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace, TEMPORAL_RETENTION: '24h', FLOW_SEARCH_ATTRIBUTES: setup.environment.FLOW_SEARCH_ATTRIBUTES! };
  for (const run of ['first', 'second']) {
    const result = spawnSync('/bin/sh', ['-ec', script], { env, encoding: 'utf8', timeout: 120_000 });
    assert.equal(result.status, 0, `${run} run failed: ${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, new RegExp(`namespace ${namespace} ready`));
  }
  const connection = await Connection.connect({ address });
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    for (const name of SEARCH_ATTRIBUTES) {
      // IndexedValueType 2 is KEYWORD.
      assert.equal(customAttributes?.[name], 2, `${name} is registered as Keyword in ${namespace}: ${JSON.stringify(customAttributes)}`);
    }
  } finally {
    await connection.close();
  }
});
