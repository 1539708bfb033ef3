import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { flowPaths } from '../../src/config/flow-home';
import { readDaemonState } from '../../src/daemon/daemon-state';
import { stopDaemon } from '../../src/daemon/daemon-control';
import { encryptionKeysPath, readKeyFile } from '../../src/security/encryption-keys';
import { KEY_ID_METADATA } from '../../src/security/payload-codec';
import { runCli } from '../helpers/cli';
import { tempFlowHome, testEnv } from '../helpers/flow-home';

/** The key id on the input of a task's first history event, read without the codec. */
async function inputKeyId(home: string, taskId: string): Promise<string> {
  const connection = await Connection.connect({ address: readDaemonState(flowPaths(home).daemonState)!.address });
  try {
    const history = await new Client({ connection }).workflow.getHandle(taskId).fetchHistory();
    const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    return Buffer.from(input.metadata![KEY_ID_METADATA]!).toString();
  } finally {
    await connection.close();
  }
}

/** The id of the task with this name, from `flow status --json`. */
async function taskNamed(env: NodeJS.ProcessEnv, name: string): Promise<string> {
  const listed = await runCli(['status', '--json'], { env });
  assert.equal(listed.code, 0, listed.stderr);
  const tasks = JSON.parse(listed.stdout) as Array<{ taskId: string; name: string }>;
  const task = tasks.find((entry) => entry.name === name);
  assert.ok(task, `a task named ${name} in ${listed.stdout}`);
  return task.taskId;
}

describe('flow daemon rotate-key: the new key encrypts, tasks sealed with the old one stay readable', { timeout: 240_000 }, () => {
  const { home, cleanup } = tempFlowHome('flow-rotate-');
  const env = testEnv(home);
  after(async () => {
    await stopDaemon(home);
    cleanup();
  });

  test('rotate, restart, run: old and new tasks both read back', async () => {
    const first = await runCli(['run', '--name', 'before', 'echo one'], { env, timeoutMs: 120_000 });
    assert.equal(first.code, 0, first.stderr);
    const oldTask = await taskNamed(env, 'before');
    const [oldKey] = readKeyFile(encryptionKeysPath(home))!;
    assert.equal(await inputKeyId(home, oldTask), oldKey!.id);

    const refused = await runCli(['daemon', 'rotate-key'], { env });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /flow daemon stop && flow daemon rotate-key/);
    assert.equal((await runCli(['daemon', 'stop'], { env })).code, 0);
    const rotated = await runCli(['daemon', 'rotate-key'], { env });
    assert.equal(rotated.code, 0, rotated.stderr);
    const keys = readKeyFile(encryptionKeysPath(home))!;
    assert.equal(keys.length, 2);
    assert.match(rotated.stdout, new RegExp(`New encryption key ${keys[0]!.id}`));

    const second = await runCli(['run', '--name', 'after', 'echo two'], { env, timeoutMs: 120_000 });
    assert.equal(second.code, 0, second.stderr);
    const newTask = await taskNamed(env, 'after');
    assert.equal(await inputKeyId(home, newTask), keys[0]!.id, 'the new task is sealed with the new key');
    const old = await runCli(['status', oldTask, '--json'], { env });
    assert.equal(old.code, 0, old.stderr);
    assert.equal((JSON.parse(old.stdout) as { status: string }).status, 'completed', 'the old task still reads back');
  });
});
