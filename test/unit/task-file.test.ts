import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { providerWarnings } from '../../src/config/provider-notes';
import { TaskConfig } from '../../src/config/task-config-api';
import { looksLikeTaskFile, mergeOverrides, parseTaskFile, parseTaskFileConfig, readTaskFile } from '../../src/config/task-file';
import { PYTHON_README_SAMPLE, pythonTaskYaml } from '../helpers/python-task-yaml';
import { catchValidation } from '../helpers/validation-error';

/** Parses and validates a task file given as text. */
function check(text: string, path = 'task.yaml') {
  const file = parseTaskFile(text, path);
  return { file, config: parseTaskFileConfig(file) };
}

describe('task files: errors name the file, line and field', () => {
  test('snake_case: the line of instance_type and its own spelling', () => {
    const text = ['# training job', 'name: train', 'command: python train.py', 'env:', '  BATCH: 32', '', 'instance_type: a1000', 'max_price_per_hour: 10', ''].join('\n');
    const error = catchValidation(() => check(text));
    assert.equal(error.message, "task.yaml:7: instance_type: unknown instance type 'a1000'");
    assert.equal(error.field, 'instanceType');
    assert.ok(error.suggestions.some((s) => s.includes('a100')), error.suggestions.join('; '));
  });

  test('camelCase: the line of instanceType, spelled as written', () => {
    const text = ['name: train', 'command: python train.py', 'instanceType: a1000', ''].join('\n');
    const error = catchValidation(() => check(text, 'jobs/camel.yml'));
    assert.equal(error.message, "jobs/camel.yml:3: instanceType: unknown instance type 'a1000'");
    assert.equal(error.field, 'instanceType');
  });

  test('a nested volume field points at its own line', () => {
    const text = [
      'name: train',
      'command: python train.py',
      'volumes:',
      '  - name: datasets',
      '    size_gb: 10',
      '  - name: checkpoints',
      '    mount_path: /ckpt',
      '    size_gb: 0',
      '',
    ].join('\n');
    const error = catchValidation(() => check(text));
    assert.match(error.message, /^task\.yaml:8: volumes\[1\]\.size_gb: /);
    assert.equal(error.field, 'volumes.1.sizeGb');
  });

  test('a missing field inside a volume entry points at the entry', () => {
    const text = ['command: echo', 'volumes:', '  - mount_path: /data', '    size_gb: 5', ''].join('\n');
    const error = catchValidation(() => check(text));
    assert.match(error.message, /^task\.yaml:3: volumes\[0\]\.name: /);
    assert.equal(error.field, 'volumes.0.name');
  });

  test('a missing required field names the file and the field', () => {
    const error = catchValidation(() => check('name: train\ninstance_type: cpu\n'));
    assert.match(error.message, /^task\.yaml: command: /);
    assert.equal(error.field, 'command');
  });

  test('an unknown key: its line, and the nearest field in the file\'s spelling', () => {
    const error = catchValidation(() => check('name: train\ncommand: echo\ninstance_tpe: a100\n'));
    assert.equal(error.message, 'task.yaml:3: instance_tpe: unknown field');
    assert.equal(error.field, 'instanceTpe');
    assert.deepEqual(error.suggestions, ["Did you mean 'instance_type' instead of 'instance_tpe'?"]);
  });

  test('several problems: one located line each', () => {
    const error = catchValidation(() => check('command: echo\nnum_instances: 0\nports: [80]\n'));
    assert.match(error.message, /^Invalid task config:\n {2}task\.yaml:2: num_instances: .*\n {2}task\.yaml:3: ports\[0\]: /);
  });

  test('a YAML syntax error reports line and column', () => {
    const error = catchValidation(() => parseTaskFile('name: train\ncommand: echo\nenv:\n  A: 1\n   B: 2\n', 'bad.yaml'));
    assert.match(error.message, /^bad\.yaml:\d+:\d+: not valid YAML: /);
    const [, line] = /^bad\.yaml:(\d+):/.exec(error.message)!;
    assert.ok(Number(line) >= 4 && Number(line) <= 5, error.message);
    const duplicate = catchValidation(() => parseTaskFile('name: a\ncommand: echo\nname: b\n', 'dup.yaml'));
    assert.match(duplicate.message, /^dup\.yaml:3:1: not valid YAML: Map keys must be unique/);
  });

  test('a file that is not a mapping is refused', () => {
    const error = catchValidation(() => parseTaskFile('- echo hi\n', 'list.yaml'));
    assert.match(error.message, /^list\.yaml: a task file must be a YAML mapping/);
  });

  test('values changed by overrides are not blamed on the file', () => {
    const file = parseTaskFile('command: echo\ninstance_type: cpu\n', 'task.yaml');
    const error = catchValidation(() => parseTaskFileConfig(file, mergeOverrides(file.config, { instanceType: 'a1000' })));
    assert.equal(error.message, "Unknown instance type 'a1000'");
    assert.equal(error.field, 'instanceType');
  });
});

describe('task files: which arguments name one', () => {
  test('a single word ending in .yaml or .yml names a task file, existing or not', () => {
    assert.equal(looksLikeTaskFile('missing.yaml'), true);
    assert.equal(looksLikeTaskFile('jobs/missing.YML'), true);
    assert.equal(looksLikeTaskFile('echo not-a-file.yaml'), false, 'a command that mentions a file stays a command');
    assert.equal(looksLikeTaskFile('python train.py'), false);
  });

  test('a task file that does not exist: the error names it and the current directory', () => {
    const error = catchValidation(() => readTaskFile('missing.yaml'));
    assert.equal(error.message, `missing.yaml: no such task file (current directory: ${process.cwd()})`);
    assert.match(error.suggestions.join('; '), /relative path starts at the current directory/);
  });
});

describe('task files: Python SDK compatibility', () => {
  test('the Python-style sample parses, every field mapped', () => {
    const { file, config } = check(pythonTaskYaml('/tmp/flow-data'));
    assert.equal(config.name, 'model-training');
    assert.equal(config.instanceType, 'cpu');
    assert.equal(config.minGpuMemoryGb, undefined);
    assert.equal(config.numInstances, 1);
    assert.equal(config.region, 'us-central1-b');
    assert.equal(config.image, 'nvidia/cuda:12.1.0-runtime-ubuntu22.04');
    assert.equal(config.uploadCode, true);
    assert.match(String(config.command), /^echo "training: batch=\$BATCH_SIZE lr=\$LEARNING_RATE"\n/);
    assert.deepEqual(config.env, { BATCH_SIZE: '256', LEARNING_RATE: '0.001' });
    assert.deepEqual(config.ports, [8080]);
    assert.deepEqual(config.volumes, [{ name: 'training-data', sizeGb: 5, interface: 'block', mountPath: '/tmp/flow-data' }]);
    assert.equal(config.maxPricePerHour, 20);
    assert.equal(config.maxRunTimeHours, 72);
    assert.deepEqual(config.sshKeys, ['my-ssh-key']);
    // Python's default working_dir is its upload folder; Flow runs the code in place.
    assert.equal(config.workingDir, undefined);
    assert.equal(file.warnings.length, 1);
    assert.match(file.warnings[0]!, /^task\.yaml:10: working_dir: \/workspace is where the Python SDK puts uploaded code/);
  });

  test('the README sample parses verbatim', () => {
    const { file, config } = check(PYTHON_README_SAMPLE, 'config.yaml');
    assert.equal(config.instanceType, '4xa100');
    assert.equal(config.command, 'python train.py --epochs 100');
    assert.deepEqual(config.volumes, [{ sizeGb: 500, mountPath: '/data', name: 'training-data' }]);
    assert.deepEqual(file.warnings, []);
  });

  test('Python-only fields set away from their defaults are ignored with a located warning; native ones are not', () => {
    const text = ['command: echo', 'priority: high', 'unique_name: false', 'placement: auto', 'retries:', '  max_retries: 3', '  jitter: 1', 'volumes:', '  - name: data', '    iops: 3000', ''].join('\n');
    const { file, config } = check(text);
    assert.equal(file.warnings.length, 3, file.warnings.join('\n'));
    assert.match(file.warnings[0]!, /^task\.yaml:4: placement: ignored: /);
    assert.match(file.warnings[1]!, /^task\.yaml:7: retries\.jitter: ignored: /);
    assert.match(file.warnings[2]!, /^task\.yaml:10: volumes\[0\]\.iops: ignored: /);
    assert.equal(config.priority, 'high');
    assert.equal(config.uniqueName, false);
    assert.deepEqual(config.retries, { maxRetries: 3, backoffCoefficient: 2, initialDelay: 1 });
  });

  test('Python-only fields that would change the task are refused, naming field and line', () => {
    const mounts = catchValidation(() => parseTaskFile('command: echo\ndata_mounts:\n  - source: s3://bucket/data\n    target: /data\n', 'task.yaml'));
    assert.match(mounts.message, /^task\.yaml:2: data_mounts: data mounts .* are not supported/);
    assert.equal(mounts.field, 'dataMounts');
    const byId = catchValidation(() => parseTaskFile('command: echo\nvolumes:\n  - volume_id: vol_abc123\n', 'task.yaml'));
    assert.match(byId.message, /^task\.yaml:3: volumes\[0\]\.volume_id: Flow attaches volumes by name/);
    assert.equal(byId.field, 'volumes.0.volumeId');
    const reserved = catchValidation(() => parseTaskFile('command: echo\nallocation_mode: reserved\n', 'task.yaml'));
    assert.match(reserved.message, /^task\.yaml:2: allocation_mode: reservations are not supported/);
    const badPlacement = catchValidation(() => parseTaskFile('command: echo\nplacement: everywhere\n', 'task.yaml'));
    assert.match(badPlacement.message, /^task\.yaml:2: placement: must be one of mithril, auto/);
    const badPriority = catchValidation(() => check('command: echo\npriority: urgent\n'));
    assert.match(badPriority.message, /^task\.yaml:2: priority: /);
    assert.equal(badPriority.field, 'priority');
  });

  test('a volume `target` is read as mount_path; `environment` as env', () => {
    const { config } = check('command: echo\nenvironment:\n  A: "1"\nvolumes:\n  - name: data\n    target: /mnt/data\n');
    assert.deepEqual(config.volumes, [{ name: 'data', sizeGb: 1, mountPath: '/mnt/data' }]);
    assert.deepEqual(config.env, { A: '1' });
    const error = catchValidation(() => check('command: echo\nvolumes:\n  - name: data\n    target: data\n'));
    assert.match(error.message, /^task\.yaml:4: volumes\[0\]\.target: must be an absolute path/);
  });

  test('an image is ignored, with a warning, on the local provider in host mode only', () => {
    assert.match(providerWarnings({ image: 'pytorch/pytorch:2.0.0' }, 'local', { noImage: true })[0]!, /^image: 'pytorch\/pytorch:2\.0\.0' ignored: host mode \(--no-image \/ FLOW_NO_IMAGE=1\) runs the command on this machine/);
    assert.deepEqual(providerWarnings({ image: 'pytorch/pytorch:2.0.0' }, 'local'), [], 'without host mode the image runs in a container');
    assert.deepEqual(providerWarnings({ image: 'pytorch/pytorch:2.0.0' }, 'mithril'), []);
    assert.deepEqual(providerWarnings({}, 'local'), []);
  });
});

describe('TaskConfig.fromYaml / toYaml', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flow-task-file-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const original = TaskConfig.parse({
    name: 'train-llama',
    command: 'echo "step 1"\npython train.py --epochs 3',
    instanceType: '4xa100',
    numInstances: 2,
    env: { BATCH_SIZE: '64', lower_case: 'kept' },
    secrets: { HF_TOKEN: 'hf_x' },
    volumes: [{ name: 'datasets', sizeGb: 50, mountPath: '/data' }, { name: 'ckpt' }],
    ports: [8080, 8888],
    maxPricePerHour: 12.5,
    maxRunTimeHours: 2,
    retry: { onError: true, maxRestarts: 2 },
  });

  /** Writes `text` and reads it back with fromYaml; any warning fails the test. */
  function readBack(text: string, name: string) {
    const path = join(dir, name);
    writeFileSync(path, text);
    return TaskConfig.parse(TaskConfig.fromYaml(path, { onWarning: (message) => assert.fail(`unexpected warning: ${message}`) }));
  }

  test('round trip in camel style (the default): every field', () => {
    const text = TaskConfig.toYaml(original);
    assert.equal(text, TaskConfig.toYaml(original, { style: 'camel' }));
    assert.match(text, /^instanceType: 4xa100$/m);
    assert.match(text, /^ {4}sizeGb: 50$/m);
    assert.match(text, /^ {2}HF_TOKEN: hf_x$/m);
    assert.deepEqual(readBack(text, 'task-camel.yaml'), original);
  });

  test('snake style: the fields 3.28 has round-trip, volumes written whole; Flow-only ones are a comment', () => {
    const text = TaskConfig.toYaml(original, { style: 'snake' });
    assert.match(text, /^instance_type: 4xa100$/m);
    assert.match(text, /^ {2}size_gb: 50$/m);
    assert.match(text, /^ {2}lower_case: kept$/m); // env keys are data, never renamed
    assert.match(text, /^command: \|/m);
    assert.match(text, /^# {3}secrets: HF_TOKEN \(names only/m);
    assert.ok(!text.includes('hf_x'), 'a secret value is never written');
    const { secrets, retry, ...shared } = original;
    void [secrets, retry];
    assert.deepEqual(readBack(text, 'task-snake.yaml'), {
      ...shared,
      secrets: {},
      // Several instances: 3.28 allows only file volumes there.
      volumes: [
        { name: 'datasets', sizeGb: 50, mountPath: '/data', interface: 'file', createIfMissing: true },
        { name: 'ckpt', sizeGb: 1, mountPath: '/volumes/ckpt', interface: 'file', createIfMissing: true },
      ],
    });
  });

  test('fromYaml validates and names the line; parse accepts snake_case keys', () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'name: x\ncommand: echo\nnum_instances: 500\n');
    const error = catchValidation(() => TaskConfig.fromYaml(path));
    assert.match(error.message, new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: num_instances: `));
    assert.equal(TaskConfig.parse({ command: 'echo', max_price_per_hour: 3 }).maxPricePerHour, 3);
  });

  test('fromYaml reports ignored fields through onWarning', () => {
    const path = join(dir, 'warn.yaml');
    writeFileSync(path, 'command: echo\nplacement: auto\n');
    const warnings: string[] = [];
    TaskConfig.fromYaml(path, { onWarning: (message) => warnings.push(message) });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /:2: placement: ignored: /);
  });

  test('overrides merge over a file: env key by key, other fields replaced', () => {
    const merged = mergeOverrides({ command: 'echo', env: { A: '1', B: '2' }, instanceType: 'cpu' }, { env: { B: 'x' }, instance_type: 'a100' } as never);
    assert.deepEqual(merged, { command: 'echo', env: { A: '1', B: 'x' }, instanceType: 'a100' });
  });
});
