import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { stopDaemon } from '../../src/daemon/daemon-control';
import { runCli, type CliResult } from '../helpers/cli';
import { tempFlowHome, testEnv } from '../helpers/flow-home';
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

  test('a failing step: exit with its code, the dependants skipped, the step named', async () => {
    const path = file('fail.yaml', 'pipeline:\n  steps:\n    - {name: a, command: "exit 4"}\n    - {name: b, command: "echo never"}\n');
    const result = await flow('run', path);
    assert.equal(result.code, 4, result.stderr);
    assert.match(result.stderr, /● b skipped \('a' failed\)/);
    assert.match(result.stderr, /pipeline failed: step 'a' failed: command exited with code 4; skipped: b/);
    assert.doesNotMatch(result.stdout, /never/);
  });

  test('invalid pipelines exit 2 naming the field; task flags are refused', async () => {
    const cycle = file('cycle.yaml', 'pipeline:\n  steps:\n    - {name: a, command: "true", depends_on: b}\n    - {name: b, command: "true", depends_on: a}\n');
    const result = await flow('run', cycle);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /cycle\.yaml:2: pipeline\.steps: depends_on forms a cycle: a → b → a/);
    const ok = file('ok.yaml', 'pipeline:\n  steps:\n    - {name: a, command: "true"}\n');
    const flagged = await flow('run', ok, '-i', 'a100');
    assert.equal(flagged.code, 2);
    assert.match(flagged.stderr, /instanceType: task flags do not apply to a pipeline file/);
    const detached = await flow('run', ok, '-d');
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
