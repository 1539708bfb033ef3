import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Flow } from '../../src/client/flow';
import { ValidationError } from '../../src/domain';
import { startFlow, type FlowHarness } from '../helpers/flow-harness';
import { waitFor } from '../helpers/wait-for';

/** A camelCase task file: two local nodes with a port each; it runs until STOP_FILE appears. */
function taskYaml(stopFile: string): string {
  return `name: parity
numInstances: 2
instanceType: cpu
ports: [8080, 8888]
env:
  BATCH_SIZE: "256"
  LEARNING_RATE: "0.001"
command: |
  echo "rank=$FLOW_NODE_RANK batch=$BATCH_SIZE lr=$LEARNING_RATE"
  while [ ! -f ${stopFile} ]; do sleep 0.1; done
`;
}

describe('SDK parity: flow.run(task.yaml), costPerHour, endpoints, shellCommand', { timeout: 180_000 }, () => {
  let h: FlowHarness;
  const dir = mkdtempSync(join(tmpdir(), 'flow-sdk-parity-'));
  const warnings: string[] = [];
  before(async () => {
    // A local price makes costPerHour say something; the worker reads it.
    h = await startFlow('flow-sdk-parity-', { FLOW_LOCAL_PRICE_PER_HOUR: '1.5' });
    await h.flow.close();
    h.flow = await Flow.connect({ env: h.env, onWarning: (message) => warnings.push(message) });
  });
  after(async () => {
    await h?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a task file runs with overrides merged over it; the handle reports cost, endpoints and why there is no shell', async () => {
    const stopFile = join(dir, 'stop');
    const path = join(dir, 'task.yaml');
    writeFileSync(path, taskYaml(stopFile));
    const task = await h.flow.run(path, { env: { LEARNING_RATE: '0.01' } });
    assert.match(task.taskId, /^parity-[0-9a-f]{6}$/);

    await waitFor(async () => (await task.status()) === 'running', { timeoutMs: 60_000, message: 'task running' });
    for (const node of [0, 1]) {
      await waitFor(async () => (await task.logs({ node }).text()).includes('rank='), { timeoutMs: 30_000, message: `rank ${node} logged` });
      // The file's env, with the override winning key by key.
      assert.equal((await task.logs({ node }).text()).trim(), `rank=${node} batch=256 lr=0.01`);
    }

    assert.equal(await task.costPerHour(), 3); // $1.5 per instance-hour × 2 nodes
    assert.deepEqual(await task.endpoints(), [
      { node: 0, port: 8080, address: 'localhost:8080', url: 'http://127.0.0.1:8080' },
      { node: 0, port: 8888, address: 'localhost:8888', url: 'http://127.0.0.1:8888' },
      { node: 1, port: 8080, address: 'localhost:8080', url: 'http://127.0.0.1:8080' },
      { node: 1, port: 8888, address: 'localhost:8888', url: 'http://127.0.0.1:8888' },
    ]);
    const shell = await task.shellCommand();
    assert.equal(shell.command, null);
    assert.match(shell.reason ?? '', /^provider local runs the command on this machine, as you: open a shell here and cd \//);
    assert.match(shell.reason ?? '', new RegExp(`flow logs ${task.taskId} -f`));

    writeFileSync(stopFile, '');
    const outcome = await task.wait();
    assert.equal(outcome.status, 'completed');
    assert.deepEqual(warnings, []);
  });

  test('submit takes a task file too; in host mode its image is ignored on local with a warning', async () => {
    const path = join(dir, 'python.yml');
    writeFileSync(path, 'name: py-style\ninstance_type: cpu\nimage: python:3.11\ncommand: echo from-python-file\n');
    const taskId = await h.flow.submit(path, {}, { settings: { ...h.flow.submissionSettings(), noImage: true } });
    assert.match(taskId, /^py-style-/);
    const task = h.flow.task(taskId);
    await task.wait();
    assert.equal(await task.logs().text(), 'from-python-file');
    assert.equal(await task.costPerHour(), 1.5);
    assert.deepEqual(await task.endpoints(), []);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /^image: 'python:3\.11' ignored: host mode \(--no-image \/ FLOW_NO_IMAGE=1\) runs the command on this machine/);
  });

  test('an invalid task file is refused before anything is submitted, naming its line', async () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'name: bad-file\ncommand: echo\nnum_instances: 0\n');
    await assert.rejects(h.flow.run(path), (error: unknown) => {
      assert.ok(error instanceof ValidationError, String(error));
      assert.match(error.message, new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: num_instances: `));
      assert.equal(error.field, 'numInstances');
      return true;
    });
    // An override fixes it: overrides win over the file.
    const task = await h.flow.run(path, { numInstances: 1, wait: true });
    assert.equal(await task.status(), 'completed');
    // A string that mentions a .yaml file is a command; one that names a missing file is refused.
    const command = await h.flow.run('echo not-a-file.yaml', { wait: true });
    assert.equal(await command.logs().text(), 'not-a-file.yaml');
    await assert.rejects(h.flow.run('missing.yaml'), (error: unknown) => {
      assert.ok(error instanceof ValidationError, String(error));
      assert.equal(error.message, `missing.yaml: no such task file (current directory: ${process.cwd()})`);
      return true;
    });
  });
});
