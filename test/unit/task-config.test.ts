import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  TASK_CONFIG_FIELDS,
  defaultTaskName,
  normalizeConfigKeys,
  parseTaskConfig,
  volumeMountPath,
} from '../../src/domain/task-config';
import { catchValidation } from '../helpers/validation-error';

describe('parseTaskConfig', () => {
  test('a minimal config gets defaults', () => {
    const config = parseTaskConfig({ command: 'python train.py' });
    assert.equal(config.command, 'python train.py');
    assert.equal(config.numInstances, 1);
    assert.deepEqual(config.env, {});
    assert.deepEqual(config.secrets, {});
    assert.deepEqual(config.volumes, []);
    assert.deepEqual(config.ports, []);
    assert.equal(config.uploadCode, true);
    assert.equal(config.instanceType, undefined);
    assert.equal(config.name, undefined);
  });

  test('accepts a command as an argv array', () => {
    assert.deepEqual(parseTaskConfig({ command: ['python', 'train.py'] }).command, ['python', 'train.py']);
  });

  test('an unknown field is rejected with a suggestion for the nearest field', () => {
    const error = catchValidation(() => parseTaskConfig({ command: 'x', instance_typ: 'a100' }));
    assert.match(error.message, /unknown field/);
    assert.ok(
      error.suggestions.some((s) => s.includes('instanceType')),
      `suggestions should mention instanceType: ${JSON.stringify(error.suggestions)}`,
    );
    const camel = catchValidation(() => parseTaskConfig({ command: 'x', instanceTyp: 'a100' }));
    assert.equal(camel.field, 'instanceTyp');
    assert.ok(camel.suggestions.some((s) => s.includes('instanceType')));
  });

  test('numInstances: 0 names numInstances', () => {
    const error = catchValidation(() => parseTaskConfig({ command: 'x', numInstances: 0 }));
    assert.equal(error.field, 'numInstances');
    assert.match(error.message, /numInstances/);
    assert.equal(catchValidation(() => parseTaskConfig({ command: 'x', num_instances: 0 })).field, 'numInstances');
    assert.equal(catchValidation(() => parseTaskConfig({ command: 'x', numInstances: 1.5 })).field, 'numInstances');
  });

  test('an empty name is rejected naming name', () => {
    const error = catchValidation(() => parseTaskConfig({ command: 'x', name: '' }));
    assert.equal(error.field, 'name');
    assert.match(error.message, /name/);
    assert.equal(catchValidation(() => parseTaskConfig({ command: 'x', name: '-leading-dash' })).field, 'name');
  });

  test('a missing or empty command names command', () => {
    assert.equal(catchValidation(() => parseTaskConfig({})).field, 'command');
    assert.equal(catchValidation(() => parseTaskConfig({ command: '   ' })).field, 'command');
    assert.equal(catchValidation(() => parseTaskConfig({ command: [] })).field, 'command');
  });

  test('input that is not a mapping is a ValidationError', () => {
    for (const input of [null, undefined, 'python train.py', ['x'], 42]) {
      catchValidation(() => parseTaskConfig(input));
    }
  });

  test('snake_case keys (as written for the Python SDK) parse to camelCase; env keys stay verbatim', () => {
    const config = parseTaskConfig({
      command: 'python train.py',
      instance_type: '4xa100',
      num_instances: 2,
      max_run_time_hours: 3,
      upload_code: false,
      volumes: [{ name: 'datasets', size_gb: 100, mount_path: '/data' }],
      env: { MY_var: '1', lower_case: 'x' },
      secrets: { HF_TOKEN: 'hf_abcdef', my_secret: 'zzzz' },
      retry: { on_error: true, max_restarts: 2 },
    });
    assert.equal(config.instanceType, '4xa100');
    assert.equal(config.numInstances, 2);
    assert.equal(config.maxRunTimeHours, 3);
    assert.equal(config.uploadCode, false);
    assert.deepEqual(config.volumes, [{ name: 'datasets', sizeGb: 100, mountPath: '/data' }]);
    assert.deepEqual(config.env, { MY_var: '1', lower_case: 'x' });
    assert.deepEqual(config.secrets, { HF_TOKEN: 'hf_abcdef', my_secret: 'zzzz' });
    assert.deepEqual(config.retry, { onPreemption: true, onNoCapacity: true, onError: true, maxRestarts: 2, backoff: 10 });
  });

  test('`environment` is accepted for env, and normalizeConfigKeys does not mutate its input', () => {
    assert.deepEqual(parseTaskConfig({ command: 'x', environment: { A_b: '1' } }).env, { A_b: '1' });
    const input = { num_instances: 2, env: { my_var: 'x' } };
    assert.deepEqual(normalizeConfigKeys(input), { numInstances: 2, env: { my_var: 'x' } });
    assert.deepEqual(input, { num_instances: 2, env: { my_var: 'x' } });
  });

  test('instanceType and minGpuMemoryGb together are rejected', () => {
    const error = catchValidation(() => parseTaskConfig({ command: 'x', instanceType: 'a100', minGpuMemoryGb: 40 }));
    assert.equal(error.field, 'minGpuMemoryGb');
    assert.match(error.message, /instanceType/);
    assert.equal(parseTaskConfig({ command: 'x', minGpuMemoryGb: 40 }).minGpuMemoryGb, 40);
  });

  test('an env key that is not a shell variable name is rejected', () => {
    for (const key of ['1BAD', 'MY-VAR', 'has space', '']) {
      const error = catchValidation(() => parseTaskConfig({ command: 'x', env: { [key]: 'v' } }));
      assert.ok(error.field?.startsWith('env'), `${JSON.stringify(key)} -> ${error.field}`);
    }
    assert.ok(catchValidation(() => parseTaskConfig({ command: 'x', secrets: { 'A-B': 'secret' } })).field?.startsWith('secrets'));
  });

  test('env numbers and booleans become strings; objects are rejected', () => {
    assert.deepEqual(parseTaskConfig({ command: 'x', env: { BATCH: 32, DEBUG: true } }).env, { BATCH: '32', DEBUG: 'true' });
    assert.ok(catchValidation(() => parseTaskConfig({ command: 'x', env: { BATCH: { n: 1 } } })).field?.startsWith('env'));
  });

  test('duplicate volume names are rejected naming the second one', () => {
    const error = catchValidation(() => parseTaskConfig({ command: 'x', volumes: [{ name: 'data' }, { name: 'other' }, { name: 'data' }] }));
    assert.equal(error.field, 'volumes.2.name');
    assert.match(error.message, /twice/);
  });

  test('volume names and mount paths are validated', () => {
    assert.equal(catchValidation(() => parseTaskConfig({ command: 'x', volumes: [{ name: 'Data' }] })).field, 'volumes.0.name');
    assert.equal(catchValidation(() => parseTaskConfig({ command: 'x', volumes: [{ name: 'data', mountPath: 'rel' }] })).field, 'volumes.0.mountPath');
    assert.equal(parseTaskConfig({ command: 'x', volumes: [{ name: 'data' }] }).volumes[0]?.sizeGb, 1);
  });

  test('a secret that is also in env is rejected', () => {
    const error = catchValidation(() => parseTaskConfig({ command: 'x', env: { TOKEN: 'a' }, secrets: { TOKEN: 'b' } }));
    assert.equal(error.field, 'secrets.TOKEN');
    assert.match(error.message, /both env and secrets/);
  });

  test('maxRunTimeHours 0 means no limit (undefined)', () => {
    const config = parseTaskConfig({ command: 'x', maxRunTimeHours: 0 });
    assert.equal(config.maxRunTimeHours, undefined);
    assert.ok(!('maxRunTimeHours' in config));
    assert.equal(parseTaskConfig({ command: 'x', max_run_time_hours: 0 }).maxRunTimeHours, undefined);
    assert.equal(parseTaskConfig({ command: 'x', maxRunTimeHours: 1.5 }).maxRunTimeHours, 1.5);
    assert.equal(catchValidation(() => parseTaskConfig({ command: 'x', maxRunTimeHours: -1 })).field, 'maxRunTimeHours');
    assert.equal(catchValidation(() => parseTaskConfig({ command: 'x', maxRunTimeHours: 169 })).field, 'maxRunTimeHours');
  });

  test('an unknown instance type fails at parse time', () => {
    const error = catchValidation(() => parseTaskConfig({ command: 'x', instanceType: 'a1000' }));
    assert.equal(error.field, 'instanceType');
    assert.ok(error.suggestions.some((s) => /\ba100\b/.test(s)));
    assert.equal(catchValidation(() => parseTaskConfig({ command: 'x', instance_type: '32xa100' })).field, 'instanceType');
  });

  test('several problems are reported together, the first one as the field', () => {
    const error = catchValidation(() => parseTaskConfig({ command: 'x', numInstances: 0, provider: 'aws' }));
    assert.equal(error.field, 'numInstances');
    assert.match(error.message, /numInstances/);
    assert.match(error.message, /provider/);
  });

  test('TASK_CONFIG_FIELDS lists the camelCase fields', () => {
    for (const field of ['command', 'instanceType', 'numInstances', 'env', 'secrets', 'volumes', 'maxRunTimeHours']) {
      assert.ok(TASK_CONFIG_FIELDS.includes(field), field);
    }
  });
});

describe('defaultTaskName', () => {
  test('is the program name of the command', () => {
    assert.equal(defaultTaskName('python train.py'), 'python');
    assert.equal(defaultTaskName('  python   train.py '), 'python');
    assert.equal(defaultTaskName(['/usr/bin/env', 'x']), 'env');
    assert.equal(defaultTaskName('./scripts/run.sh --fast'), 'run.sh');
  });

  test('falls back to "task" for input with nothing usable', () => {
    for (const input of ['!!!', '', '   ', '/', [], [''], ['$$$', 'x']]) {
      assert.equal(defaultTaskName(input), 'task', JSON.stringify(input));
    }
  });

  test('is always a valid task name, at most 32 characters', () => {
    const name = defaultTaskName('a'.repeat(100));
    assert.equal(name.length, 32);
    for (const input of ['python train.py', '-rf', '__init__', 'héllo wörld', 'a'.repeat(100)]) {
      const config = parseTaskConfig({ command: 'x', name: defaultTaskName(input) });
      assert.ok(config.name);
    }
  });
});

describe('volumeMountPath', () => {
  test('defaults to /volumes/<name>, else the configured mountPath', () => {
    assert.equal(volumeMountPath({ name: 'datasets', sizeGb: 1 }), '/volumes/datasets');
    assert.equal(volumeMountPath({ name: 'datasets', sizeGb: 1, mountPath: '/data' }), '/data');
    const [parsed] = parseTaskConfig({ command: 'x', volumes: [{ name: 'ckpt' }] }).volumes;
    assert.ok(parsed);
    assert.equal(volumeMountPath(parsed), '/volumes/ckpt');
  });
});
