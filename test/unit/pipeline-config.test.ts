import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ValidationError, parsePipelineConfig } from '../../src/domain';

function errorOf(input: unknown): ValidationError {
  try {
    parsePipelineConfig(input);
  } catch (error) {
    assert.ok(error instanceof ValidationError, String(error));
    return error;
  }
  assert.fail('expected a ValidationError');
}

describe('parsePipelineConfig', () => {
  test('without depends_on the steps run in order; snake_case and shared volumes are accepted', () => {
    const config = parsePipelineConfig({
      name: 'p',
      volumes: [{ name: 'shared', size_gb: 5 }],
      steps: [
        { name: 'a', command: 'true', max_run_time_hours: 1 },
        { name: 'b', command: 'true', volumes: [{ name: 'extra' }] },
      ],
    });
    assert.deepEqual(config.steps.map((step) => [step.name, step.dependsOn]), [['a', []], ['b', ['a']]]);
    assert.equal(config.steps[0]!.config.maxRunTimeHours, 1);
    assert.deepEqual(config.steps[1]!.config.volumes.map((volume) => volume.name), ['shared', 'extra']);
    assert.equal(config.steps[0]!.config.name, 'p-a');
  });

  test('with depends_on it is a DAG: steps without it start at once', () => {
    const config = parsePipelineConfig({ steps: [{ name: 'x', command: 'true' }, { name: 'y', command: 'true' }, { name: 'z', command: 'true', depends_on: ['x', 'y'] }] });
    assert.deepEqual(config.steps.map((step) => step.dependsOn), [[], [], ['x', 'y']]);
  });

  test('errors name the step and the field', () => {
    assert.equal(errorOf({ steps: [{ name: 'a', command: 'true', depends_on: 'nope' }] }).field, 'steps.a.dependsOn');
    assert.match(errorOf({ steps: [{ name: 'a', command: 'true' }, { name: 'a', command: 'true' }] }).message, /step 'a' appears twice/);
    assert.match(
      errorOf({ steps: [{ name: 'a', command: 'true', depends_on: 'b' }, { name: 'b', command: 'true', depends_on: 'a' }] }).message,
      /cycle: a → b → a/,
    );
    const bad = errorOf({ steps: [{ name: 'train', command: 'true', instance_typ: 'a100' }] });
    assert.match(bad.message, /^Step 'train': .*instanceTyp: unknown field/);
    assert.equal(errorOf({ steps: [] }).field, 'steps');
    assert.equal(errorOf({ steps: [{ name: 'Bad Name', command: 'true' }] }).field, 'steps.0.name');
    assert.equal(errorOf({ name: 'p', stepz: [] }).field, 'stepz');
  });
});
