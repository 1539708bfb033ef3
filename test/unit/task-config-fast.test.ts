// The CLI's zod-free path for simple configs (src/domain/task-config-fast) must give exactly
// parseTaskConfig's result — same values, same key order — and decline everything else, so the
// schema still words every error.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseTaskConfig, ValidationError } from '../../src/domain';
import { simpleTaskConfig } from '../../src/domain/task-config-fast';

/** Configs as `flow run` builds them from a command and plain flags. */
const SIMPLE: Array<Record<string, unknown>> = [
  { command: 'echo hi' },
  { command: '  echo hi  ', uploadCode: true, uniqueName: true },
  { command: 'echo hi', instanceType: ' cpu ', numInstances: 2, name: 'smoke.test_1-a', uniqueName: false, uploadCode: false },
  { command: 'python train.py', instanceType: '4xa100', env: { BATCH: '32', _X: '', PATH_2: 'a=b' }, provider: 'local', priority: 'high' },
  { command: 'x', maxRunTimeHours: 0, maxPricePerHour: 2.5, region: 'us-east-1', workingDir: '/tmp', pool: 'gpu-a100' },
  { command: 'x', maxRunTimeHours: 168, idempotencyKey: 'k:1.a_b-c', image: 'python:3.11', provider: 'ssh', priority: 'low' },
  { command: 'x', maxRunTimeHours: 0.025, numInstances: 100, name: 'a'.repeat(48), instanceType: '8xh100' },
];

/** Values the schema refuses or that lie outside the fast path, per field. */
const ODD: Record<string, unknown[]> = {
  command: ['', '   ', 'a\0b', ['echo', 'hi'], 5, null, undefined, 'x'.repeat(200 * 1024)],
  name: ['', '-x', 'a b', 'a'.repeat(49), 5, null],
  instanceType: ['', ' ', 'nope', 'a100x', ['cpu'], 'c\0pu'],
  numInstances: [0, 101, 1.5, '2', Number.NaN, Number.POSITIVE_INFINITY, -1],
  env: [{ 'BAD-KEY': 'v' }, { '1X': 'v' }, { A: 5 }, { A: true }, { A: 'a\0' }, [], null, 'A=1', JSON.parse('{"__proto__":"x"}'), { A: 'v'.repeat(130 * 1024) }],
  maxRunTimeHours: [-1, 169, '2', Number.NaN],
  maxPricePerHour: [0, -1, Number.POSITIVE_INFINITY, '1'],
  priority: ['medium', 'HIGH', ''],
  provider: ['aws', 'LOCAL', ''],
  pool: ['Gpu', '-x', ''],
  workingDir: ['tmp', '', '/a\0'],
  image: ['-x', 'a b', ''],
  idempotencyKey: ['', '-k', 'a b'],
  uploadCode: ['yes', 1],
  uniqueName: ['no', 0],
  region: ['', 'a\0'],
  secrets: [{ TOKEN: 'abcdef' }],
  volumes: [[{ name: 'data' }]],
  ports: [[8080]],
  sshKeys: [['k']],
  instance_type: ['cpu'],
  nope: [1],
};

/** parseTaskConfig's result, or its error as message, field and suggestions. */
function viaSchema(input: unknown): { value: unknown } | { error: { message: string; field?: string; suggestions: string[] } } {
  try {
    return { value: parseTaskConfig(input) };
  } catch (error) {
    assert.ok(error instanceof ValidationError, String(error));
    return { error: { message: error.message, field: error.field, suggestions: error.suggestions } };
  }
}

/** What run-action does: the fast path, else the schema. */
function viaCli(input: unknown): ReturnType<typeof viaSchema> {
  const fast = simpleTaskConfig(input);
  return fast === undefined ? viaSchema(input) : { value: fast };
}

describe('simpleTaskConfig: parseTaskConfig without zod for simple configs', () => {
  test('every simple config: the same result as parseTaskConfig, key order included', () => {
    for (const input of SIMPLE) {
      const fast = simpleTaskConfig(structuredClone(input));
      assert.ok(fast !== undefined, `not taken by the fast path: ${JSON.stringify(input)}`);
      const schema = parseTaskConfig(structuredClone(input));
      assert.deepStrictEqual(fast, schema);
      assert.equal(JSON.stringify(fast), JSON.stringify(schema));
    }
  });

  test('a field with an odd value: declined, or (when taken) equal to the schema; errors are the schema\'s', () => {
    let declined = 0;
    for (const base of SIMPLE) {
      for (const [field, values] of Object.entries(ODD)) {
        for (const value of values) {
          const input = { ...structuredClone(base), [field]: value };
          const fast = simpleTaskConfig(input);
          const schema = viaSchema(input);
          if (fast === undefined) declined += 1;
          else assert.deepStrictEqual({ value: fast }, schema, `${field}=${JSON.stringify(value)}`);
          assert.deepStrictEqual(viaCli(input), schema, `${field}=${JSON.stringify(value)}`);
        }
      }
    }
    assert.ok(declined > 100, `only ${declined} odd configs declined`);
  });

  test('anything but a plain object is declined', () => {
    for (const input of [undefined, null, 'echo hi', ['echo'], new Map(), Object.create(null)]) {
      assert.equal(simpleTaskConfig(input), undefined, Object.prototype.toString.call(input));
    }
  });

  test('an unknown instance type is left to the schema, with its error and hints', () => {
    const input = { command: 'x', instanceType: 'a1000' };
    assert.equal(simpleTaskConfig(input), undefined);
    const result = viaCli(input);
    assert.ok('error' in result && result.error.field === 'instanceType', JSON.stringify(result));
  });
});
