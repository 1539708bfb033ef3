import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { waitUntilOf } from '../../src/cli/commands/run-action';
import { hoursText } from '../../src/cli/plan-output';
import { configFromFlags, runTarget, type RunFlags } from '../../src/cli/task-flags';
import { catchValidation } from '../helpers/validation-error';

const NO_FLAGS: RunFlags = { env: [], secret: [], volume: [], mount: [], port: [], sshKeys: [] };
const flags = (given: Partial<RunFlags>): RunFlags => ({ ...NO_FLAGS, ...given });

describe('flow run positionals and flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flow-run-flags-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a first word ending in .yaml is a task file; otherwise the words are the command', () => {
    assert.deepEqual(runTarget('python', ['train.py', '--epochs', '3']), { command: 'python train.py --epochs 3' });
    assert.deepEqual(runTarget('task.yaml', []), { file: 'task.yaml', command: undefined });
    assert.deepEqual(runTarget('task.yml', ['echo', 'other']), { file: 'task.yml', command: 'echo other' });
    // A sentence that ends in .yaml and names no file is a command.
    assert.deepEqual(runTarget('cat my notes.yaml', []), { command: 'cat my notes.yaml' });
    assert.match(catchValidation(() => runTarget(undefined, [])).message, /flow run needs something to run/);
  });

  test('--image runs the command in it on local (no warning); --no-image drops a file\'s image, with a warning', () => {
    const previous = { provider: process.env.FLOW_PROVIDER, noImage: process.env.FLOW_NO_IMAGE };
    process.env.FLOW_PROVIDER = 'local';
    delete process.env.FLOW_NO_IMAGE;
    try {
      const warnings: string[] = [];
      assert.equal(configFromFlags({ command: 'true' }, flags({ image: 'python:3.11' }), (w) => warnings.push(w)).image, 'python:3.11');
      assert.equal(warnings.length, 0, warnings.join('\n'));
      const file = join(dir, 'imaged.yaml');
      writeFileSync(file, 'command: echo hi\nimage: pytorch/pytorch:2.4.0\n');
      const hostMode = configFromFlags({ file }, flags({ image: false }), (w) => warnings.push(w));
      assert.equal(hostMode.image, undefined);
      assert.deepEqual(warnings, ["image: 'pytorch/pytorch:2.4.0' ignored: host mode (--no-image / FLOW_NO_IMAGE=1) runs the command on this machine, not in its image"]);
    } finally {
      if (previous.provider === undefined) delete process.env.FLOW_PROVIDER;
      else process.env.FLOW_PROVIDER = previous.provider;
      if (previous.noImage !== undefined) process.env.FLOW_NO_IMAGE = previous.noImage;
    }
  });

  test('--encrypted marks the -v/--mount volumes encrypted; without any it is refused, naming volumes', () => {
    const config = configFromFlags({ command: 'true' }, flags({ volume: ['vault', 'data:/data'], mount: ['/keys=keys'], encrypted: true }));
    assert.deepEqual(config.volumes, [
      { name: 'vault', encrypted: true },
      { name: 'data', mountPath: '/data', encrypted: true },
      { name: 'keys', mountPath: '/keys', encrypted: true },
    ]);
    assert.deepEqual(configFromFlags({ command: 'true' }, flags({ volume: ['vault'] })).volumes, [{ name: 'vault' }]);
    const error = catchValidation(() => configFromFlags({ command: 'true' }, flags({ encrypted: true })));
    assert.equal(error.field, 'volumes');
    assert.match(error.message, /--encrypted applies to the volumes given with -v\/--mount/);
  });

  test('3.28 flags for Python-only fields get the task file\'s verdicts, naming the flag', () => {
    const warnings: string[] = [];
    const config = configFromFlags({ command: 'echo hi' }, flags({ placement: 'auto', uploadStrategy: 'none', uploadMode: 'scp-before-start', uploadTimeout: '900', distributedMode: 'auto' }), (w) => warnings.push(w));
    assert.equal(config.uploadCode, false, '--upload-strategy none = --no-upload-code');
    assert.deepEqual(warnings, [
      '--placement: ignored: Flow runs on the provider you choose (--provider or config.yaml)',
      '--upload-timeout: ignored: Flow puts the code in place before the command starts, with no upload time limit',
    ]);
    assert.match(catchValidation(() => configFromFlags({ command: 'true' }, flags({ k8s: 'prod' }), () => undefined)).message, /^--k8s: Flow does not run tasks on Kubernetes clusters/);
    assert.match(catchValidation(() => configFromFlags({ command: 'true' }, flags({ slurm: true }), () => undefined)).message, /^--slurm: Slurm scripts are not supported/);
    assert.match(catchValidation(() => configFromFlags({ command: 'true' }, flags({ placement: 'moon' }), () => undefined)).message, /^--placement: must be one of mithril, auto/);
  });

  test('-i replaces the file\'s whole instance choice; flags win, env merges, volumes of the same name take the flag\'s path', () => {
    const file = join(dir, 'task.yaml');
    writeFileSync(file, ['command: echo hi', 'instance_type: [a100, h100]', 'min_cpus: 4', 'env: {A: file, B: kept}', 'ports: [8080]', 'volumes:', '  - {name: data, size_gb: 5}', ''].join('\n'));
    const config = configFromFlags(
      { file },
      flags({ instanceType: 'cpu', env: ['A=flag'], port: ['8080', '9000'], volume: ['data:/mnt/data'], mount: ['/scratch=scratch'], nodes: '2', maxPrice: '3' }),
    );
    assert.equal(config.instanceType, 'cpu');
    assert.equal(config.minCpus, undefined);
    assert.deepEqual(config.env, { A: 'flag', B: 'kept' });
    assert.deepEqual(config.ports, [8080, 9000]);
    assert.deepEqual(config.volumes, [{ name: 'data', sizeGb: 5, mountPath: '/mnt/data' }, { name: 'scratch', mountPath: '/scratch' }]);
    assert.deepEqual([config.numInstances, config.maxPricePerHour], [2, 3]);
  });

  test('bad values name their flag', () => {
    assert.match(catchValidation(() => configFromFlags({ command: 'true' }, flags({ port: ['80'] }))).message, /'--port 80'/);
    assert.match(catchValidation(() => configFromFlags({ command: 'true' }, flags({ mount: ['data=/x'] }))).message, /'--mount data=\/x'/);
    assert.match(catchValidation(() => waitUntilOf({ waitUntil: 'done' })).message, /--wait-until: 'done' is not one of submitted, running, completed/);
    assert.equal(waitUntilOf({ waitUntil: 'terminal' }), 'completed');
    assert.equal(waitUntilOf({ detach: true }), 'submitted');
    assert.equal(waitUntilOf({}), 'completed');
  });

  test('durations in the plan read as a person writes them', () => {
    assert.deepEqual([0.5, 2, 1.25, 90 / 3600].map(hoursText), ['30m', '2h', '1.25h', '90s']);
  });
});
