/**
 * Python Flow (flow-compute 3.28) task files: every key its TaskConfig.to_yaml() writes is read
 * (honoured, accepted with one stable warning, or refused by name), and
 * TaskConfig.toYaml(config, { style: 'snake' }) writes only keys 3.28 has, in its order and shapes.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { providerWarnings } from '../../src/config/provider-notes';
import { TaskConfig } from '../../src/config/task-config-api';
import { parseTaskFile, parseTaskFileConfig } from '../../src/config/task-file';
import { TASK_CONFIG_FIELDS } from '../../src/domain/task-config';
import {
  CORPUS_DIR,
  FACTS_FILE,
  PYTHON_REFUSALS,
  PYTHON_WARNINGS,
  REFUSED,
  RUNNABLE,
  corpusText,
  located,
  lineOf,
  localProviderWarning,
} from '../helpers/python-corpus';
import { catchValidation } from '../helpers/validation-error';

interface KeyDefault {
  key: string;
  default: unknown;
}
const FIXTURE = JSON.parse(readFileSync(join(CORPUS_DIR, 'to-yaml-keys.json'), 'utf8')) as {
  keys: KeyDefault[];
  volume_keys: KeyDefault[];
  retries_keys: KeyDefault[];
};
const KEYS = FIXTURE.keys.map((entry) => entry.key);
const EXAMPLE = 'example-6.1.yaml';

/** Parses and validates a task file given as text. */
function check(text: string, path = 'task.yaml') {
  const file = parseTaskFile(text, path);
  return { warnings: file.warnings, config: parseTaskFileConfig(file) };
}

/** The §6.1 file with `extra` lines added before its last line (web_endpoint). */
function exampleWith(...extra: string[]): string {
  const lines = corpusText(EXAMPLE).trimEnd().split('\n');
  return [...lines.slice(0, -1), ...extra, lines.at(-1)!, ''].join('\n');
}

/** The §6.1 file with one field set to `line`: its own line replaced, or added before the last one. */
function exampleSetting(line: string): string {
  const key = line.slice(0, line.indexOf(':'));
  const text = corpusText(EXAMPLE);
  return new RegExp(`^${key}:`, 'm').test(text) ? text.replace(new RegExp(`^${key}:.*$`, 'm'), line) : exampleWith(line);
}

/** A Python literal of the facts table's default column: "flow-task", True, None, {}, 600. */
function pythonLiteral(text: string): unknown {
  const value = text.trim().replace(/^`|`$/g, '');
  if (value === 'None') return null;
  if (value === 'True' || value === 'False') return value === 'True';
  if (value === '{}') return {};
  if (value === '[]') return [];
  if (/^".*"$/.test(value)) return value.slice(1, -1);
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  throw new Error(`not a Python literal: ${text}`);
}

describe('the 3.28 key list (test/fixtures/python-3.28/to-yaml-keys.json)', () => {
  test('is well formed: 49 fields in order, name first, code_root last, each once', () => {
    assert.equal(KEYS.length, 49);
    assert.equal(new Set(KEYS).size, KEYS.length);
    assert.equal(KEYS[0], 'name');
    assert.equal(KEYS.at(-1), 'code_root');
    assert.ok(KEYS.every((key) => /^[a-z][a-z0-9_]*$/.test(key)), KEYS.join(', '));
    assert.deepEqual(FIXTURE.volume_keys.map((entry) => entry.key), ['name', 'volume_id', 'size_gb', 'mount_path', 'interface', 'iops', 'throughput_mb_s', 'create_if_missing']);
    assert.deepEqual(FIXTURE.retries_keys, [
      { key: 'max_retries', default: 3 },
      { key: 'backoff_coefficient', default: 2 },
      { key: 'initial_delay', default: 1 },
      { key: 'max_delay', default: null },
    ]);
  });

  test('the §6.1 corpus file writes exactly the fields with a default, plus instance_type and command, in the list\'s order', () => {
    const written = Object.keys(parseYaml(corpusText(EXAMPLE)) as object);
    const expected = KEYS.filter((key) => FIXTURE.keys.find((entry) => entry.key === key)!.default !== null || key === 'instance_type' || key === 'command');
    assert.deepEqual(written, expected);
  });

  test('matches the facts (field table, what to_yaml always writes, the §6.1 example) where the facts file exists', () => {
    if (!existsSync(FACTS_FILE)) {
      // Outside this workplace: the fixture alone is the reference; it still has what to_yaml always writes.
      assert.ok(['name', 'unique_name', 'command', 'env', 'web_endpoint'].every((key) => KEYS.includes(key)));
      return;
    }
    const facts = readFileSync(FACTS_FILE, 'utf8');
    const table = facts.slice(facts.indexOf('| field (declaration = YAML order)'));
    const rows = table.split('\n').slice(2).filter((line, index, all) => all.slice(0, index + 1).every((l) => l.startsWith('|')));
    const fromFacts: KeyDefault[] = rows.flatMap((row) => {
      const [, fields, , defaults] = row.split(/(?<!\\)\|/);
      return fields!.split(/[,/]/).map((field) => ({ key: field.trim(), default: pythonLiteral(defaults!) }));
    });
    assert.deepEqual(FIXTURE.keys, fromFacts);

    const always = /So it \*\*always\*\* writes: ([^.]+)\./.exec(facts)?.[1];
    assert.ok(always, 'the facts say what to_yaml always writes');
    const alwaysKeys = always.split(',').map((item) => item.trim().split(/\s/)[0]);
    assert.deepEqual(alwaysKeys, KEYS.filter((key) => FIXTURE.keys.find((entry) => entry.key === key)!.default !== null || key === 'command'));

    const example = facts.slice(facts.indexOf('### 6.1 to_yaml example'), facts.indexOf('## 7.'));
    const lines = [...example.matchAll(/`([a-z_]+: [^`]*)`/g)].map((match) => match[1]);
    assert.deepEqual(lines, corpusText(EXAMPLE).trimEnd().split('\n'));
  });

  test('every key is read: its default silently; a set value honoured, warned about or refused by name, never "unknown field"', () => {
    /** A value that is not the default, and what Flow makes of it. */
    const samples: Record<string, [string, 'ok' | 'warn' | 'refuse']> = {
      idempotency_key: ['idempotency_key: run-1', 'ok'],
      min_gpu_memory_gb: ['min_gpu_memory_gb: 40', 'refuse'], // 3.28 refuses it beside instance_type too
      min_cpus: ['min_cpus: 4', 'ok'],
      min_memory_gb: ['min_memory_gb: 16', 'ok'],
      k8s: ['k8s: cluster-a', 'refuse'],
      image: ['image: ubuntu:24.04', 'ok'],
      working_dir: ['working_dir: /srv/app', 'ok'],
      retries: ['retries: {max_retries: 5}', 'ok'],
      max_price_per_hour: ['max_price_per_hour: 4.5', 'ok'],
      max_run_time_hours: ['max_run_time_hours: 1.5', 'ok'],
      min_run_time_hours: ['min_run_time_hours: 1.0', 'warn'],
      deadline_hours: ['deadline_hours: 3.0', 'warn'],
      placement: ['placement: mithril', 'warn'],
      reservation_id: ['reservation_id: res_1', 'refuse'],
      scheduled_start_time: ["scheduled_start_time: '2030-01-01T00:00:00Z'", 'refuse'],
      reserved_duration_hours: ['reserved_duration_hours: 24', 'refuse'],
      region: ['region: us-central1-b', 'ok'],
      distributed_mode: ['distributed_mode: manual', 'warn'],
      internode_interconnect: ['internode_interconnect: InfiniBand', 'warn'],
      intranode_interconnect: ['intranode_interconnect: NVLink', 'warn'],
      constraints: ['constraints: {max_price_per_hour: 3.0}', 'ok'],
      dev_vm: ['dev_vm: true', 'warn'],
      min_containers: ['min_containers: 1', 'warn'],
      max_containers: ['max_containers: 3', 'warn'],
      scaledown_window: ['scaledown_window: 30', 'warn'],
      concurrency: ['concurrency: 2', 'warn'],
      schedule: ['schedule: {cron: 0 3 * * *}', 'refuse'],
      code_root: ['code_root: ~/src/app', 'ok'],
    };
    const base = parseYaml(corpusText(EXAMPLE)) as Record<string, unknown>;
    for (const { key, default: value } of FIXTURE.keys) {
      if (value !== null) {
        // Every to_yaml file has it (the §6.1 one too); written alone at its default it adds nothing.
        const text = exampleSetting(`${key}: ${JSON.stringify(value)}`);
        assert.deepEqual(check(text).warnings, [], key);
        continue;
      }
      if (key in base) continue; // instance_type and command: set in the §6.1 file
      const sample = samples[key];
      assert.ok(sample, `a sample value for ${key}`);
      const text = exampleSetting(sample[0]);
      if (sample[1] === 'refuse') {
        const error = catchValidation(() => check(text));
        assert.doesNotMatch(error.message, /unknown field/, key);
        assert.match(error.message, new RegExp(`task\\.yaml:\\d+: ${key}: `), key);
        continue;
      }
      const { warnings } = check(text);
      assert.equal(warnings.length, sample[1] === 'warn' ? 1 : 0, `${key}: ${warnings.join('; ')}`);
      if (sample[1] === 'warn') assert.match(warnings[0]!, new RegExp(`^task\\.yaml:${text.split('\n').findIndex((line) => line.startsWith(`${key}:`)) + 1}: ${key}: ignored: `));
    }
  });

  test('every Flow TaskConfig field is a 3.28 key or one of the Flow-only fields toYaml lists in its comment', () => {
    const flowOnly = ['secrets', 'maxTotalCostUsd', 'maxPendingHours', 'retry', 'provider', 'pool'];
    const snake = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
    for (const field of TASK_CONFIG_FIELDS) {
      assert.ok(flowOnly.includes(field) !== KEYS.includes(snake(field)), `${field}: in 3.28 (${KEYS.includes(snake(field))}) xor Flow-only`);
    }
  });
});

describe('the corpus: files as 3.28 to_yaml writes them', () => {
  for (const item of RUNNABLE) {
    test(`${item.file}: the config and the exact warnings`, () => {
      const { config, warnings } = check(corpusText(item.file), item.file);
      assert.deepEqual(config, item.config);
      assert.deepEqual(warnings, item.warnings.map(([key, message]) => located(item.file, key, message)));
      assert.deepEqual(providerWarnings(config, 'local', { noImage: true }), item.providerWarnings);
    });
  }

  for (const item of REFUSED) {
    test(`${item.file}: refused naming ${item.spelled} and its line`, () => {
      const error = catchValidation(() => parseTaskFile(corpusText(item.file), item.file));
      assert.equal(error.message, `${item.file}:${lineOf(item.file, item.key)}: ${item.spelled}: ${item.message}`);
      assert.equal(error.field, item.field);
      assert.ok(error.suggestions.length > 0, 'a refusal suggests what to do instead');
    });
  }

  test('every corpus file is in the table above', () => {
    const files = readdirSync(CORPUS_DIR).filter((name) => name.endsWith('.yaml')).sort();
    assert.deepEqual(files, [...RUNNABLE.map((item) => item.file), ...REFUSED.map((item) => item.file)].sort());
  });
});

describe('Python-only values, one by one', () => {
  test('refusals: each names the key and its line and says why', () => {
    const cases: [string, string, string, string][] = [
      ['gpu: a100', 'gpu', 'gpu', PYTHON_REFUSALS.retiredInstanceType],
      ['gpu_count: 4', 'gpu_count', 'gpuCount', PYTHON_REFUSALS.retiredInstanceType],
      ['gpu_memory_gb: 40', 'gpu_memory_gb', 'gpuMemoryGb', PYTHON_REFUSALS.retiredGpuMemory],
      ['timeout: 3600', 'timeout', 'timeout', PYTHON_REFUSALS.retiredTimeout],
      ['mounts: [s3://bucket/data]', 'mounts', 'mounts', PYTHON_REFUSALS.retiredMounts],
      ['retries: 3', 'retries', 'retries', PYTHON_REFUSALS.retriesNumber],
      ['reservation_id: res_abc', 'reservation_id', 'reservationId', PYTHON_REFUSALS.reservations],
      ["scheduled_start_time: '2030-01-01T00:00:00Z'", 'scheduled_start_time', 'scheduledStartTime', PYTHON_REFUSALS.reservations],
      ['reserved_duration_hours: 24', 'reserved_duration_hours', 'reservedDurationHours', PYTHON_REFUSALS.reservations],
      ['k8s: team', 'k8s', 'k8s', PYTHON_REFUSALS.k8s],
      ['placement: everywhere', 'placement', 'placement', 'must be one of mithril, auto'],
      ['workload_type: web', 'workload_type', 'workloadType', 'must be one of batch, tinker, interactive'],
      ['upload_timeout: soon', 'upload_timeout', 'uploadTimeout', 'must be a whole number of seconds'],
      ['constraints: cheap', 'constraints', 'constraints', 'must be a mapping such as {max_price_per_hour: 10.0}'],
    ];
    for (const [setting, key, field, message] of cases) {
      const text = exampleSetting(setting);
      const error = catchValidation(() => check(text));
      const line = text.split('\n').findIndex((l) => l.startsWith(`${key}:`)) + 1;
      assert.equal(error.message, `task.yaml:${line}: ${key}: ${message}`, key);
      assert.equal(error.field, field, key);
    }
    const gpu = catchValidation(() => check(exampleWith('gpu_count: 4')));
    assert.deepEqual(gpu.suggestions, ['Replace gpu_count with instance_type, e.g. instance_type: 4xa100 for four A100s']);
    const retries = catchValidation(() => check(exampleWith('retries: 5')));
    assert.equal(retries.message, 'task.yaml:21: retries: must be a mapping such as {max_retries: 5}; flow-compute 3.28 refuses a bare number too');
    assert.deepEqual(retries.suggestions, ['Write it as retries: {max_retries: 5}']);
    const price = catchValidation(() => check(exampleWith('constraints:', '  max_price_per_hour: -1')));
    assert.equal(price.message, 'task.yaml:22: constraints.max_price_per_hour: must be a number above 0 (USD per instance-hour)');
  });

  test('ports: numeric strings are numbers and repeats are dropped, as in 3.28', () => {
    const { config } = check('command: echo\nports: ["8080", 8080, 8888, "8888", 9000]\n');
    assert.deepEqual(config.ports, [8080, 8888, 9000]);
    const error = catchValidation(() => check('command: echo\nports: ["http"]\n'));
    assert.match(error.message, /^task\.yaml:2: ports\[0\]: /);
  });

  test('retries: unknown keys are ignored with one warning each; nulls are unset', () => {
    const { config, warnings } = check('command: echo\nretries:\n  max_retries: 2\n  jitter: 0.5\n  max_delay: null\n');
    assert.deepEqual(config.retries, { maxRetries: 2, backoffCoefficient: 2, initialDelay: 1 });
    assert.deepEqual(warnings, [`task.yaml:4: retries.jitter: ${PYTHON_WARNINGS.retriesKey}`]);
  });

  test('constraints: max_price_per_hour fills in max_price_per_hour only when that is unset; other keys warn', () => {
    const filled = check('command: echo\nconstraints:\n  max_price_per_hour: 3.5\n  regions: [us-central1-b]\n');
    assert.equal(filled.config.maxPricePerHour, 3.5);
    assert.deepEqual(filled.warnings, [`task.yaml:4: constraints.regions: ${PYTHON_WARNINGS.constraints}`]);
    const kept = check('command: echo\nmax_price_per_hour: 8.0\nconstraints: {max_price_per_hour: 3.5}\n');
    assert.equal(kept.config.maxPricePerHour, 8);
    assert.deepEqual(kept.warnings, []);
  });

  test('upload_strategy none means upload_code false; auto, upload_mode and terminate_on_exit values add nothing', () => {
    assert.equal(check(exampleSetting('upload_strategy: none')).config.uploadCode, false);
    for (const line of ['upload_mode: scp-before-start', 'terminate_on_exit: true', 'preemptible_ok: false', 'allocation_mode: auto', 'distributed_mode: auto', 'dev_vm: false']) {
      assert.deepEqual(check(exampleSetting(line)).warnings, [], line);
    }
  });

  test('volumes: iops and throughput warn; target is mount_path; create_if_missing and interface are kept', () => {
    const text = ['command: echo', 'volumes:', '- name: data', '  target: /data', '  iops: 3000', '  throughput_mb_s: 250', '  interface: file', '  create_if_missing: false', ''].join('\n');
    const { config, warnings } = check(text);
    assert.deepEqual(config.volumes, [{ name: 'data', sizeGb: 1, mountPath: '/data', interface: 'file', createIfMissing: false }]);
    assert.deepEqual(warnings, [`task.yaml:5: volumes[0].iops: ${PYTHON_WARNINGS.iops}`, `task.yaml:6: volumes[0].throughput_mb_s: ${PYTHON_WARNINGS.throughput}`]);
  });

  test('fields Flow now honours add no warning: unique_name false, priority, code_root, idempotency_key', () => {
    const { config, warnings } = check('name: train\ncommand: echo\nunique_name: false\npriority: high\ncode_root: ~/src\nidempotency_key: k-1\n');
    assert.deepEqual(warnings, []);
    assert.equal(config.uniqueName, false);
    assert.equal(config.priority, 'high');
    assert.equal(config.codeRoot, '~/src');
    assert.equal(config.idempotencyKey, 'k-1');
  });

  test('a named file without unique_name keeps Flow\'s default (unique: the id is name-<6 hex>), unlike 3.28', () => {
    assert.equal(check('name: train\ncommand: echo\ninstance_type: cpu\n').config.uniqueName, true);
  });

  test('unknown keys are refused; a suggestion only when a field is close', () => {
    const far = catchValidation(() => check('command: echo\nfancy_option: 1\n'));
    assert.equal(far.message, 'task.yaml:2: fancy_option: unknown field');
    assert.deepEqual(far.suggestions, []);
    const near = catchValidation(() => check('command: echo\nmax_run_time_hour: 1\n'));
    assert.deepEqual(near.suggestions, ["Did you mean 'max_run_time_hours' instead of 'max_run_time_hour'?"]);
    const volume = catchValidation(() => check('command: echo\nvolumes:\n- name: data\n  size_gbb: 5\n'));
    assert.equal(volume.message, 'task.yaml:4: volumes[0].size_gbb: unknown field');
    assert.deepEqual(volume.suggestions, ["Did you mean 'size_gb' instead of 'size_gbb'?"]);
  });

  test('the local provider notes an image and a region once each; region "local" is its own', () => {
    assert.deepEqual(providerWarnings({ region: 'us-central1-b' }, 'local'), [localProviderWarning.region('us-central1-b')]);
    assert.deepEqual(providerWarnings({ region: 'local' }, 'local'), []);
    assert.deepEqual(providerWarnings({ region: 'us-central1-b', image: 'python:3.11' }, 'mithril'), []);
  });
});

describe('TaskConfig.toYaml(config, { style: "snake" }): a file for flow-compute 3.28', () => {
  const full = TaskConfig.parse({
    name: 'train-llama',
    uniqueName: true,
    idempotencyKey: 'train-1',
    instanceType: ['8xh100', '4xa100'],
    minCpus: 8,
    minMemoryGb: 64,
    command: 'echo "step 1"\npython train.py --epochs 3',
    image: 'pytorch/pytorch:2.4.0',
    env: { BATCH_SIZE: '64', lower_case: 'kept' },
    secrets: { HF_TOKEN: 'hf_secret_value' },
    volumes: [{ name: 'datasets', sizeGb: 50, mountPath: '/data' }, { name: 'ckpt', interface: 'block', createIfMissing: false }],
    ports: [8080, 8888],
    workingDir: '/srv/app',
    uploadCode: true,
    region: 'us-central1-b',
    sshKeys: ['my-key'],
    maxPricePerHour: 12,
    maxRunTimeHours: 2,
    maxTotalCostUsd: 50,
    maxPendingHours: 1,
    retry: { onError: true, maxRestarts: 2 },
    retries: { maxRetries: 5, maxDelay: 30 },
    priority: 'high',
    codeRoot: '~/src/llama',
    numInstances: 1,
    provider: 'local',
  });
  const text = TaskConfig.toYaml(full, { style: 'snake' });
  const written = parseYaml(text) as Record<string, unknown>;

  test('only 3.28 keys, in 3.28 order; volumes and retries in 3.28 shapes', () => {
    const keys = Object.keys(written);
    assert.ok(keys.every((key) => KEYS.includes(key)), keys.filter((key) => !KEYS.includes(key)).join(', '));
    assert.deepEqual(keys, KEYS.filter((key) => keys.includes(key)), 'declaration order');
    assert.deepEqual(written.volumes, [
      { name: 'datasets', size_gb: 50, mount_path: '/data', interface: 'block', create_if_missing: true },
      { name: 'ckpt', size_gb: 1, mount_path: '/volumes/ckpt', interface: 'block', create_if_missing: false },
    ]);
    const volumeKeys = FIXTURE.volume_keys.map((entry) => entry.key);
    assert.ok((written.volumes as object[]).every((volume) => Object.keys(volume).every((key) => volumeKeys.includes(key))));
    assert.deepEqual(written.retries, { max_retries: 5, backoff_coefficient: 2, initial_delay: 1, max_delay: 30 });
    assert.match(text, /^ {2}backoff_coefficient: 2\.0$/m, 'floats as 3.28 writes them');
    assert.match(text, /^max_run_time_hours: 2\.0$/m);
    assert.match(text, /^max_price_per_hour: 12\.0$/m);
    assert.match(text, /^instance_type:\n- 8xh100\n- 4xa100$/m);
    assert.equal(written.terminate_on_exit, true, 'Flow ends the task when the command exits');
    assert.deepEqual(written.env, { BATCH_SIZE: '64', lower_case: 'kept' });
  });

  test('Flow-only settings are a comment at the top: secret names, never their values', () => {
    const header = text.slice(0, text.indexOf('\nname:'));
    assert.equal(
      header,
      [
        '# Flow settings that flow-compute 3.28 has no field for (not written as keys):',
        '#   secrets: HF_TOKEN (names only; pass the values with --secret)',
        '#   max_total_cost_usd: 50',
        '#   max_pending_hours: 1',
        '#   retry: {on_preemption: true, on_no_capacity: true, on_error: true, max_restarts: 2, backoff: 10}',
        '#   provider: local',
        '',
      ].join('\n'),
    );
    assert.ok(!text.includes('hf_secret_value'));
  });

  test('Flow reads it back: the 3.28 fields unchanged, no warnings', () => {
    const { config, warnings } = check(text, 'py.yaml');
    assert.deepEqual(warnings, []);
    const { secrets, maxTotalCostUsd, maxPendingHours, retry, provider, ...shared } = full;
    void [secrets, maxTotalCostUsd, maxPendingHours, retry, provider];
    const volumes = shared.volumes.map((volume) => ({ interface: 'block', createIfMissing: true, mountPath: `/volumes/${volume.name}`, ...volume }));
    assert.deepEqual(config, { ...shared, volumes, secrets: {} });
  });

  test('the §6.1 config gives the §6.1 file, except terminate_on_exit: true', () => {
    const example = TaskConfig.toYaml({ name: 'demo-f1b199', command: 'python train.py', instanceType: '8xh100' }, { style: 'snake' });
    assert.equal(example, corpusText(EXAMPLE).replace('terminate_on_exit: false', 'terminate_on_exit: true'));
  });

  test('several instances: volumes default to interface file (3.28 refuses block volumes there); notes for what 3.28 would refuse', () => {
    const multi = TaskConfig.toYaml({ name: 'Gang', command: 'echo', numInstances: 2, volumes: [{ name: 'shared' }] }, { style: 'snake' });
    assert.match(multi, /^ {2}interface: file$/m);
    assert.match(multi, /^# flow-compute 3\.28 allows only lower-case letters, digits, "\.", "_" and "-" in name \('Gang'\)$/m);
    assert.match(multi, /^# flow-compute 3\.28 needs instance_type, min_gpu_memory_gb, min_cpus or min_memory_gb; Flow lets the provider choose$/m);
  });

  test('the default style (camel) round-trips every Flow field', () => {
    const camel = TaskConfig.toYaml(full);
    assert.match(camel, /^maxTotalCostUsd: 50$/m);
    assert.deepEqual(check(camel, 'camel.yaml').config, full);
  });
});

describe('README.md documents every warning and refusal word for word', () => {
  const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Coming from Python Flow (flow-compute 3.28)'));
  test('the section exists, with the CLI flags and exit codes headings', () => {
    assert.ok(readme.includes('## Coming from Python Flow (flow-compute 3.28)'));
    assert.match(section, /^### CLI flags$/m);
    assert.match(section, /^### Exit codes$/m);
  });
  for (const [name, message] of [...Object.entries(PYTHON_WARNINGS), ...Object.entries(PYTHON_REFUSALS)]) {
    test(name, () => assert.ok(section.includes(message.replace('{max_retries: 3}', '{max_retries: N}')), message));
  }
});
