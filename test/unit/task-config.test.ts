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

  test('an unknown field far from every field gets no suggestion; a nested one is matched against its own fields', () => {
    // runtime_files (Python Flow) once suggested max_run_time_hours: only close names are suggested now.
    const far = catchValidation(() => parseTaskConfig({ command: 'x', runtime_files: { 'a.txt': 'x' } }));
    assert.equal(far.field, 'runtimeFiles');
    assert.deepEqual(far.suggestions, []);
    const volume = catchValidation(() => parseTaskConfig({ command: 'x', volumes: [{ name: 'data', mountPth: '/data' }] }));
    assert.equal(volume.field, 'volumes.0.mountPth');
    assert.deepEqual(volume.suggestions, ["Did you mean 'mountPath' instead of 'mountPth'?"]);
    const retries = catchValidation(() => parseTaskConfig({ command: 'x', retries: { maxRetry: 2 } }));
    assert.deepEqual(retries.suggestions, ["Did you mean 'maxRetries' instead of 'maxRetry'?"]);
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

  test('a volume mount path over a system folder is refused naming volumes.N.mountPath, suggesting /volumes/<name> or /data', () => {
    const refused = ['/', '/etc', '/etc/', '/usr', '/bin', '/sbin', '/lib', '/lib64', '/boot', '/var', '/run', '/tmp', '/root', '/home', '/proc', '/proc/1', '/sys/fs', '/dev', '/dev/shm', '/data/../etc', '//usr'];
    for (const mountPath of refused) {
      const error = catchValidation(() => parseTaskConfig({ command: 'x', volumes: [{ name: 'ok-vol' }, { name: 'data', mountPath }] }));
      assert.equal(error.field, 'volumes.1.mountPath', mountPath);
      assert.match(error.message, /volumes\.1\.mountPath: /, mountPath);
      assert.ok(error.suggestions.some((s) => s.includes('/volumes/data') && s.includes('/data')), `${mountPath}: ${JSON.stringify(error.suggestions)}`);
    }
    // The same rule for a Python-style task file (mount_path) and for a folder below an ordinary one.
    assert.equal(catchValidation(() => parseTaskConfig({ command: 'x', volumes: [{ name: 'data', mount_path: '/proc/self' }] })).field, 'volumes.0.mountPath');
    for (const mountPath of ['/data', '/volumes/data', '/checkpoints', '/mnt/data', '/home/me/data', '/tmp/flow-x/data', '/workspace', '/devices', '/etcetera']) {
      assert.equal(parseTaskConfig({ command: 'x', volumes: [{ name: 'data', mountPath }] }).volumes[0]?.mountPath, mountPath);
    }
  });

  test('an environment too big for exec is refused before submission, naming the field and the limit, never the value', () => {
    const secret = `s3cr3t-${'x'.repeat(200 * 1024)}`;
    const big = catchValidation(() => parseTaskConfig({ command: 'x', env: { SMALL: 'a', BIG: 'v'.repeat(500 * 1024) } }));
    assert.equal(big.field, 'env.BIG');
    assert.match(big.message, /env\.BIG: .*128 KiB/);
    assert.ok(big.message.length < 1000, 'the value is not printed');

    const hidden = catchValidation(() => parseTaskConfig({ command: 'x', secrets: { TOKEN: secret } }));
    assert.equal(hidden.field, 'secrets.TOKEN');
    assert.ok(!hidden.message.includes('s3cr3t') && !hidden.suggestions.join(' ').includes('s3cr3t'), 'a secret value never appears');

    // Each variable under the per-string limit, but together over the stated total.
    const many = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`PART_${i}`, 'p'.repeat(100 * 1024)]));
    const total = catchValidation(() => parseTaskConfig({ command: 'x', env: many }));
    assert.equal(total.field, 'env');
    assert.match(total.message, /1 MiB/);

    // The command is an exec argument too.
    assert.equal(catchValidation(() => parseTaskConfig({ command: `echo ${'c'.repeat(200 * 1024)}` })).field, 'command');
    assert.equal(catchValidation(() => parseTaskConfig({ command: ['echo', 'c'.repeat(200 * 1024)] })).field, 'command.1');

    // Exactly at the limits is fine: KEY=VALUE plus its NUL is 128 KiB at most.
    const atLimit = 'v'.repeat(128 * 1024 - 'OK='.length - 1);
    assert.equal(parseTaskConfig({ command: 'x', env: { OK: atLimit } }).env.OK, atLimit);
    assert.equal(catchValidation(() => parseTaskConfig({ command: 'x', env: { OK: `${atLimit}v` } })).field, 'env.OK');
  });

  test('a secret that is also in env is rejected', () => {
    const error = catchValidation(() => parseTaskConfig({ command: 'x', env: { TOKEN: 'a' }, secrets: { TOKEN: 'bbbb' } }));
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

describe('secret hygiene at validation', () => {
  test('a NUL byte in an env or secret value is refused, naming the key and never the value', () => {
    for (const field of ['env', 'secrets'] as const) {
      const error = catchValidation(() => parseTaskConfig({ command: 'x', [field]: { TOKEN: 'top\0secret-value' } }));
      assert.equal(error.field, `${field}.TOKEN`);
      assert.match(error.message, /NUL/);
      assert.ok(!error.message.includes('secret-value') && !error.suggestions.join(' ').includes('secret-value'), 'the value is not echoed');
    }
  });

  test('a secret shorter than 4 bytes is refused with how to pass it instead; 4 bytes is fine', () => {
    const error = catchValidation(() => parseTaskConfig({ command: 'x', secrets: { PIN: 'xyz' } }));
    assert.equal(error.field, 'secrets.PIN');
    assert.match(error.message, /at least 4 bytes/);
    assert.ok(!error.message.includes('xyz'));
    assert.equal(parseTaskConfig({ command: 'x', secrets: { PIN: 'wxyz' } }).secrets.PIN, 'wxyz');
    assert.equal(parseTaskConfig({ command: 'x', env: { N: 'a' } }).env.N, 'a');
  });
});
