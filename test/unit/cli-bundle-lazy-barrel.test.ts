// The CLI bundle's domain/index (scripts/build-cli-bundle lazyBarrelSource): the same names as
// tsc's barrel, each part loaded only when one of its names is read — so a command that uses
// ValidationError does not load task-config, zod and every schema.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { lazyBarrelSource } from '../../scripts/build-cli-bundle';

const BARREL = resolve(__dirname, '..', '..', 'src', 'domain', 'index.js');

/** Evaluates the lazy barrel with a require that records which parts it loads. */
function loadLazyBarrel(): { exports: Record<string, unknown>; loaded: string[] } {
  const loaded: string[] = [];
  const source = lazyBarrelSource(BARREL, readFileSync(BARREL, 'utf8'));
  const exports: Record<string, unknown> = {};
  const requirePart = (specifier: string) => {
    loaded.push(specifier);
    return require(join(dirname(BARREL), specifier));
  };
  new Function('exports', 'require', source)(exports, requirePart);
  return { exports, loaded };
}

describe('the CLI bundle\'s lazy domain barrel', () => {
  test('exports the same names and values as tsc\'s barrel', () => {
    const eager = require(BARREL) as Record<string, unknown>;
    const { exports } = loadLazyBarrel();
    assert.deepEqual(Object.keys(exports).sort(), Object.keys(eager).sort());
    for (const name of Object.keys(eager)) assert.equal(exports[name], eager[name], name);
  });

  test('loads nothing until a name is read, then only that name\'s part', () => {
    const { exports, loaded } = loadLazyBarrel();
    assert.deepEqual(loaded, []);
    assert.equal(typeof exports.ValidationError, 'function');
    assert.deepEqual(loaded, ['./errors']);
    assert.equal(typeof exports.isTerminal, 'function');
    assert.deepEqual(loaded, ['./errors', './task-status']);
    assert.equal(typeof exports.parseTaskConfig, 'function');
    assert.deepEqual(loaded, ['./errors', './task-status', './task-config']);
  });
});
