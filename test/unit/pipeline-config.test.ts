import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isPipelineFile, readPipelineFile } from '../../src/config/pipeline-file';
import { ValidationError, parsePipelineConfig } from '../../src/domain';
import { catchValidation } from '../helpers/validation-error';

const errorOf = (input: unknown): ValidationError => catchValidation(() => parsePipelineConfig(input));

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

describe('pipeline files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flow-pipeline-file-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, lines: string[]) => {
    const path = join(dir, name);
    writeFileSync(path, `${lines.join('\n')}\n`);
    return path;
  };
  const body = [
    'name: llm',
    'volumes:',
    '  - name: data',
    '    size_gb: 5',
    'steps:',
    '  - name: prepare',
    '    command: python prep.py',
    '    env: {SPLIT: train}',
    '  - name: train',
    '    depends_on: prepare',
    '    command: python train.py',
  ];

  test('the shape of flow.pipeline({...}) (name, volumes, steps at the top) reads like the pipeline: wrapper', () => {
    const flat = file('flat.yaml', body);
    const wrapped = file('wrapped.yaml', ['pipeline:', ...body.map((line) => `  ${line}`)]);
    assert.ok(isPipelineFile(flat), 'a top-level steps list makes a pipeline file');
    assert.ok(isPipelineFile(wrapped));
    const fromFlat = readPipelineFile(flat);
    assert.deepEqual(fromFlat.config, readPipelineFile(wrapped).config);
    assert.equal(fromFlat.config.name, 'llm');
    assert.deepEqual(fromFlat.config.steps.map((step) => [step.name, step.dependsOn]), [['prepare', []], ['train', ['prepare']]]);
    assert.deepEqual(fromFlat.config.steps[1]!.config.volumes, [{ name: 'data', sizeGb: 5 }]);
    assert.deepEqual(fromFlat.config.steps[0]!.config.env, { SPLIT: 'train' });
    assert.deepEqual(parsePipelineConfig(fromFlat.raw), fromFlat.config, 'raw is what the daemon API takes');
  });

  test('errors name the file, the line and the field as the file spells it, in both shapes', () => {
    const unknownStep = body.map((line) => line.replace('depends_on: prepare', 'depends_on: prep'));
    const flat = catchValidation(() => readPipelineFile(file('dep.yaml', unknownStep)));
    assert.equal(flat.message, `${join(dir, 'dep.yaml')}:10: steps[1].depends_on: unknown step 'prep'`);
    assert.equal(flat.field, 'steps.train.dependsOn');
    const wrapped = catchValidation(() => readPipelineFile(file('dep-wrapped.yaml', ['pipeline:', ...unknownStep.map((line) => `  ${line}`)])));
    assert.equal(wrapped.message, `${join(dir, 'dep-wrapped.yaml')}:11: pipeline.steps[1].depends_on: unknown step 'prep'`);

    const typo = catchValidation(() => readPipelineFile(file('typo.yaml', [...body, '    instance_typ: a100'])));
    assert.equal(typo.message, `${join(dir, 'typo.yaml')}:12: steps[1].instance_typ: unknown field`);
    assert.ok(typo.suggestions.includes("Did you mean 'instance_type' instead of 'instance_typ'?"), typo.suggestions.join('; '));

    const volume = catchValidation(() => readPipelineFile(file('volume.yaml', body.map((line) => line.replace('size_gb: 5', 'size_gb: 0')))));
    assert.ok(volume.message.startsWith(`${join(dir, 'volume.yaml')}:4: volumes[0].size_gb: `), volume.message);

    const camel = catchValidation(() => readPipelineFile(file('camel.yaml', ['steps:', '  - {name: a, command: "true", dependsOn: b}'])));
    assert.equal(camel.message, `${join(dir, 'camel.yaml')}:2: steps[0].dependsOn: unknown step 'b'`);

    const extra = catchValidation(() => readPipelineFile(file('extra.yaml', ['pipeline:', '  steps: [{name: a, command: "true"}]', 'steps: []'])));
    assert.ok(extra.message.startsWith(`${join(dir, 'extra.yaml')}:3: steps: unknown top-level field next to 'pipeline'`), extra.message);
  });
});
