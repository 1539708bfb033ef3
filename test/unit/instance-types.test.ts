import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CPU_INSTANCE,
  instanceMatches,
  parseInstanceType,
  totalGpuMemoryGb,
  type InstanceSpec,
} from '../../src/domain/instance-types';
import { closestNames } from '../../src/domain/closest';
import type { ValidationError } from '../../src/domain/errors';
import { catchValidation } from '../helpers/validation-error';

/** The "Did you mean: ...?" suggestion of an error; fails the test when there is none. */
function didYouMeanOf(error: ValidationError): string {
  const didYouMean = error.suggestions.find((s) => s.startsWith('Did you mean'));
  assert.ok(didYouMean, `no "did you mean" in ${JSON.stringify(error.suggestions)}`);
  return didYouMean;
}

describe('parseInstanceType', () => {
  const cases: Array<[string, Partial<InstanceSpec>]> = [
    ['a100', { name: '1xa100', gpuModel: 'a100', gpuCount: 1, gpuMemoryGb: 80 }],
    ['4xa100', { name: '4xa100', gpuModel: 'a100', gpuCount: 4, gpuMemoryGb: 80 }],
    ['8xa100', { name: '8xa100', gpuModel: 'a100', gpuCount: 8, gpuMemoryGb: 80 }],
    ['h100', { name: '8xh100', gpuModel: 'h100', gpuCount: 8, gpuMemoryGb: 80 }],
    ['8xh100', { name: '8xh100', gpuModel: 'h100', gpuCount: 8, gpuMemoryGb: 80 }],
    ['1xh100', { name: '1xh100', gpuModel: 'h100', gpuCount: 1, gpuMemoryGb: 80 }],
    ['a100-80gb.sxm.1x', { name: '1xa100', gpuModel: 'a100', gpuCount: 1, gpuMemoryGb: 80, interconnect: 'sxm' }],
    ['a100-80gb.pcie.2x', { name: '2xa100', gpuModel: 'a100', gpuCount: 2, gpuMemoryGb: 80, interconnect: 'pcie' }],
    ['a100-40gb', { name: '1xa100-40gb', gpuModel: 'a100', gpuCount: 1, gpuMemoryGb: 40 }],
    ['4xa100-40gb', { name: '4xa100-40gb', gpuModel: 'a100', gpuCount: 4, gpuMemoryGb: 40 }],
    ['a100x4', { name: '4xa100', gpuModel: 'a100', gpuCount: 4, gpuMemoryGb: 80 }],
    ['a100:4', { name: '4xa100', gpuModel: 'a100', gpuCount: 4, gpuMemoryGb: 80 }],
    ['a100-40gb:2', { name: '2xa100-40gb', gpuModel: 'a100', gpuCount: 2, gpuMemoryGb: 40 }],
    ['8x NVIDIA H100 80GB SXM5', { name: '8xh100', gpuModel: 'h100', gpuCount: 8, gpuMemoryGb: 80 }],
    ['2x NVIDIA A100 40GB', { name: '2xa100-40gb', gpuModel: 'a100', gpuCount: 2, gpuMemoryGb: 40 }],
    ['h200', { name: '8xh200', gpuModel: 'h200', gpuCount: 8, gpuMemoryGb: 141 }],
    ['l40s:4', { name: '4xl40s', gpuModel: 'l40s', gpuCount: 4, gpuMemoryGb: 48 }],
  ];
  for (const [input, expected] of cases) {
    test(`parses ${JSON.stringify(input)}`, () => {
      const spec = parseInstanceType(input);
      for (const [key, value] of Object.entries(expected)) {
        assert.deepEqual(spec[key as keyof InstanceSpec], value, `${input}: ${key}`);
      }
      if (expected.interconnect === undefined) assert.equal(spec.interconnect, undefined, `${input}: interconnect`);
    });
  }

  test('"cpu" is the CPU-only instance', () => {
    assert.deepEqual(parseInstanceType('cpu'), CPU_INSTANCE);
    assert.deepEqual(parseInstanceType(' CPU '), { name: 'cpu', gpuModel: null, gpuCount: 0, gpuMemoryGb: 0 });
  });

  test('is case-insensitive and ignores surrounding spaces', () => {
    assert.deepEqual(parseInstanceType('A100'), parseInstanceType('a100'));
    assert.deepEqual(parseInstanceType('4XA100'), parseInstanceType('4xa100'));
    assert.deepEqual(parseInstanceType('  H100 '), parseInstanceType('h100'));
    assert.deepEqual(parseInstanceType('A100-80GB.SXM.1X'), parseInstanceType('a100-80gb.sxm.1x'));
    assert.deepEqual(parseInstanceType('8x nvidia h100 80gb sxm5'), parseInstanceType('8x NVIDIA H100 80GB SXM5'));
  });

  test('every spelling of the same machine has the same canonical name', () => {
    const names = ['4xa100', 'a100x4', 'a100:4', '4xa100-80gb', '4x NVIDIA A100 80GB'].map((s) => parseInstanceType(s).name);
    assert.deepEqual(new Set(names), new Set(['4xa100']));
  });

  test('an unknown type is a ValidationError on instanceType that suggests the nearest name', () => {
    const error = catchValidation(() => parseInstanceType('a1000'));
    assert.equal(error.field, 'instanceType');
    assert.equal(error.code, 'VALIDATION');
    assert.match(error.message, /a1000/);
    assert.match(didYouMeanOf(error), /\ba100\b/);
  });

  test('suggestions name each candidate once', () => {
    const error = catchValidation(() => parseInstanceType('a1000'));
    const didYouMean = didYouMeanOf(error);
    const names = didYouMean.replace(/^Did you mean: /, '').replace(/\?$/, '').split(', ');
    assert.ok(names.length >= 2 && names.every((name) => /^\S+$/.test(name)), didYouMean);
    assert.equal(new Set(names).size, names.length, didYouMean);
  });

  test('rejects GPU counts outside 1..16', () => {
    for (const input of ['0xa100', '32xa100', '17xa100', 'a100x0', 'a100:32', 'a100-80gb.sxm.0x']) {
      const error = catchValidation(() => parseInstanceType(input));
      assert.equal(error.field, 'instanceType', input);
      assert.match(error.message, /1 to 16/, input);
    }
    assert.equal(parseInstanceType('16xa100').gpuCount, 16);
  });

  test('rejects empty and malformed input', () => {
    for (const input of ['', '   ', 'xa100', '4x', 'a100 x4', 'nvidia', 'a100-4gb']) {
      assert.equal(catchValidation(() => parseInstanceType(input)).field, 'instanceType', JSON.stringify(input));
    }
  });
});

describe('instanceMatches', () => {
  test('matches on model, count and memory, not on spelling or interconnect', () => {
    assert.ok(instanceMatches(parseInstanceType('a100x4'), parseInstanceType('4xa100')));
    assert.ok(instanceMatches(parseInstanceType('a100'), parseInstanceType('a100-80gb.sxm.1x')));
    assert.ok(instanceMatches(parseInstanceType('h100'), parseInstanceType('8x NVIDIA H100 80GB SXM5')));
    assert.ok(instanceMatches(parseInstanceType('cpu'), CPU_INSTANCE));
  });

  test('differs on count, memory or model', () => {
    assert.ok(!instanceMatches(parseInstanceType('4xa100'), parseInstanceType('8xa100')));
    assert.ok(!instanceMatches(parseInstanceType('a100'), parseInstanceType('a100-40gb')));
    assert.ok(!instanceMatches(parseInstanceType('8xa100'), parseInstanceType('8xh100')));
    assert.ok(!instanceMatches(parseInstanceType('cpu'), parseInstanceType('a100')));
  });
});

describe('totalGpuMemoryGb', () => {
  test('is count times per-GPU memory', () => {
    assert.equal(totalGpuMemoryGb(parseInstanceType('a100')), 80);
    assert.equal(totalGpuMemoryGb(parseInstanceType('4xa100-40gb')), 160);
    assert.equal(totalGpuMemoryGb(parseInstanceType('h100')), 640);
    assert.equal(totalGpuMemoryGb(parseInstanceType('h200')), 8 * 141);
    assert.equal(totalGpuMemoryGb(CPU_INSTANCE), 0);
  });
});

describe('closestNames', () => {
  test('returns near names best first, each once, and nothing for far input', () => {
    assert.deepEqual(closestNames('a1000', ['a100', 'a100', 'h100', 'cpu']), ['a100', 'h100']);
    assert.deepEqual(closestNames('zzzzzzzz', ['a100', 'cpu']), []);
    assert.deepEqual(closestNames('instanceTyp', ['instanceType', 'image'])[0], 'instanceType');
  });
});
