import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { stopDaemon } from '../../src/daemon/daemon-control';
import { runCli, spawnCli, type CliResult } from '../helpers/cli';
import { tempFlowHome, testEnv } from '../helpers/flow-home';
import { untilFileExists } from '../helpers/release-file';
import { waitFor } from '../helpers/wait-for';

describe('flow run pipeline.yaml', { timeout: 240_000 }, () => {
  const { home, cleanup } = tempFlowHome('flow-pipeline-cli-');
  const env = testEnv(home);
  const flow = (...args: string[]): Promise<CliResult> => runCli(args, { env, timeoutMs: 90_000 });
  const file = (name: string, yaml: string) => {
    const path = join(home, name);
    writeFileSync(path, yaml);
    return path;
  };
  after(async () => {
    await stopDaemon(home);
    cleanup();
  });

  test('a DAG from YAML runs each step once its dependencies completed; output tagged by step', async () => {
    const path = file(
      'dag.yaml',
      `pipeline:
  name: cli-dag
  volumes: [{name: cli-dag-data}]
  steps:
    - name: prepare
      command: echo rows-42 > /volumes/cli-dag-data/data.txt
    - name: train
      depends_on: prepare
      command: echo "trained on $(cat /volumes/cli-dag-data/data.txt)"
    - name: eval
      depends_on: [train]
      command: echo evaluated
`,
    );
    const result = await flow('run', path);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^\[train\] trained on rows-42$/m);
    assert.match(result.stdout, /^\[eval\] evaluated$/m);
    assert.match(result.stderr, /● eval completed/);
    assert.match(result.stderr, /● pipeline completed/);
  });

  test('a file in the shape of flow.pipeline({...}) (name, volumes, steps at the top) runs as a pipeline', async () => {
    const path = file(
      'flat.yaml',
      `name: cli-flat
volumes:
  - name: cli-flat-data
steps:
  - name: prepare
    command: echo "$GREETING rows" > /volumes/cli-flat-data/data.txt
    env: {GREETING: hello}
  - name: train
    depends_on: prepare
    command: cat /volumes/cli-flat-data/data.txt
`,
    );
    const result = await flow('run', path);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^\[train\] hello rows$/m);
    assert.match(result.stderr, /● pipeline completed/);
  });

  test('flow logs on a pipeline: every step, lines prefixed [step]; -f follows steps that start later; --tail, --grep per step; --node refused', async () => {
    const release = join(home, 'release-logs');
    const path = file(
      'logs.yaml',
      `name: cli-logs
steps:
  - name: first
    command: "echo one; echo err-1; ${untilFileExists(release)}; echo two"
  - name: second
    command: "echo err-2; echo three"
`,
    );
    const detached = await flow('run', path, '--detach');
    assert.equal(detached.code, 0, detached.stderr);
    const id = detached.stdout.trim();
    let follower: ReturnType<typeof spawnCli> | undefined;
    try {
      await waitFor(async () => (await flow('logs', id)).stdout === '[first] one\n[first] err-1\n', { timeoutMs: 30_000, message: 'the first step logged' });
      follower = spawnCli(['logs', id, '-f'], { env });
      let followed = '';
      follower.stdout.on('data', (chunk) => (followed += chunk));
      const exited = new Promise((resolve) => follower!.on('close', resolve));
      await waitFor(() => followed.includes('[first] err-1\n'), { timeoutMs: 30_000, message: 'flow logs -f attached' });
      writeFileSync(release, '');
      assert.equal(await exited, 0);
      const all = '[first] one\n[first] err-1\n[first] two\n[second] err-2\n[second] three\n';
      assert.equal(followed, all);
      assert.equal((await flow('logs', id)).stdout, all);
    } finally {
      writeFileSync(release, ''); // never leave the step waiting, even when the test fails
      follower?.kill();
    }
    assert.equal((await flow('logs', id, '--tail', '1')).stdout, '[first] two\n[second] three\n');
    assert.equal((await flow('logs', id, '--grep', '^err-')).stdout, '[first] err-1\n[second] err-2\n');
    const node = await flow('logs', id, '--node', '0');
    assert.equal(node.code, 3, node.stderr);
    assert.match(node.stderr, /is a pipeline; --node picks a rank of one task/);
    assert.match(node.stderr, new RegExp(`flow logs ${id}-first --node 0`));
  });

  test('a failing step: exit with its code, the dependants skipped, the step named', async () => {
    const path = file('fail.yaml', 'pipeline:\n  steps:\n    - {name: a, command: "exit 4"}\n    - {name: b, command: "echo never"}\n');
    const result = await flow('run', path);
    assert.equal(result.code, 4, result.stderr);
    assert.match(result.stderr, /● b skipped \('a' failed\)/);
    assert.match(result.stderr, /pipeline failed: step 'a' failed: command exited with code 4; skipped: b/);
    assert.doesNotMatch(result.stdout, /never/);
  });

  test('invalid pipelines exit 3 naming the field; task flags are refused', async () => {
    const cycle = file('cycle.yaml', 'pipeline:\n  steps:\n    - {name: a, command: "true", depends_on: b}\n    - {name: b, command: "true", depends_on: a}\n');
    const result = await flow('run', cycle);
    assert.equal(result.code, 3);
    assert.match(result.stderr, /cycle\.yaml:2: pipeline\.steps: depends_on forms a cycle: a → b → a/);
    const ok = file('ok.yaml', 'pipeline:\n  steps:\n    - {name: a, command: "true"}\n');
    const flagged = await flow('run', ok, '-i', 'a100');
    assert.equal(flagged.code, 3);
    assert.match(flagged.stderr, /instanceType: task flags do not apply to a pipeline file/);
    const detached = await flow('run', ok, '--detach');
    assert.equal(detached.code, 0, detached.stderr);
    const pipelineId = detached.stdout.trim();
    assert.match(pipelineId, /^pipeline-[0-9a-f]{6}$/);
    await waitFor(async () => JSON.parse((await flow('status', pipelineId, '--json')).stdout).status === 'completed', {
      timeoutMs: 30_000,
      message: 'detached pipeline completed',
    });
    const shown = await flow('status', pipelineId.slice(0, -2));
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`step a\\s+completed\\s+${pipelineId}-a`));
  });
});
