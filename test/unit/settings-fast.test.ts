// The settings' zod-free path (src/config/settings-fast) must give exactly the schema's result
// for the merged settings it takes — same values, same key order — and decline everything else,
// so the schema still words every error.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { simpleSettings } from '../../src/config/settings-fast';
import { FlowSettingsSchema } from '../../src/config/settings-schema';

/** Merged settings as load-config builds them (env layers give empty nested objects). */
const SIMPLE: Array<Record<string, unknown>> = [
  {},
  { temporal: {}, local: {}, logs: {}, mithril: {} },
  { provider: 'local', temporalBin: '/usr/bin/temporal', temporal: { address: '127.0.0.1:7233', namespace: 'ns' }, local: {}, logs: {}, mithril: {} },
  { provider: 'ssh', temporal: { profile: 'dev', tls: true, apiKey: 'k', tlsCertPath: '/c', tlsKeyPath: '/k', tlsCaPath: '/ca', serverName: 's' } },
  { provider: 'mithril', mithril: { apiKey: 'mk_123', project: 'p', region: 'us-central1-a' }, encryptionKey: 'abc=' },
  { local: { pricePerHour: 2.5, encryptVolumes: true, containerRuntime: 'podman', imagePullPolicy: 'never', noImage: true } },
  { local: { pricePerHour: 0, imagePullPolicy: 'always' }, temporal: { address: '' } },
];

/** Values the schema coerces, trims or refuses, or that the fast path leaves to it, by path. */
const ODD: Array<[path: string[], values: unknown[]]> = [
  [['provider'], ['aws', 'LOCAL', '', 5, null]],
  [['temporal'], ['x', [], null, { nope: 1 }]],
  [['temporal', 'profile'], [' dev', '', 5]],
  [['temporal', 'address'], [5, null, true]],
  [['temporal', 'tls'], ['true', 1]],
  [['encryptionKey'], [' k ', '', 5]],
  [['local', 'pricePerHour'], ['2.5', -1, Number.NaN, Number.POSITIVE_INFINITY, 'x']],
  [['local', 'imagePullPolicy'], ['Missing', 'sometimes', '']],
  [['local', 'containerRuntime'], [' podman', '']],
  [['local', 'noImage'], ['yes', 1]],
  [['mithril', 'apiUrl'], ['https://example.test', 'ftp://x', 'nope']],
  [['mithril', 'sshKeys'], [['k1'], [' k1'], 'k1']],
  [['mithril', 'apiKey'], [' mk', '']],
  [['ssh'], [{ hosts: [] }, { hosts: [{ name: 'gpu1', user: 'u', host: 'h' }] }, { nope: 1 }]],
  [['logs', 'store'], ['postgres://flow@db:5432/logs', 'mysql://x']],
  [['nope'], [1]],
];

function withValue(base: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
  const copy = structuredClone(base);
  let at: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    if (typeof at[key] !== 'object' || at[key] === null) at[key] = {};
    at = at[key] as Record<string, unknown>;
  }
  at[path[path.length - 1]!] = value;
  return copy;
}

describe('simpleSettings: the settings schema without zod for simple settings', () => {
  test('every simple merged settings: the same result as the schema, key order included', () => {
    for (const merged of SIMPLE) {
      const fast = simpleSettings(structuredClone(merged));
      assert.ok(fast !== undefined, `not taken by the fast path: ${JSON.stringify(merged)}`);
      const schema = FlowSettingsSchema.parse(structuredClone(merged));
      assert.deepStrictEqual(fast, schema);
      assert.equal(JSON.stringify(fast), JSON.stringify(schema));
    }
  });

  test('an odd value: declined, or (when taken) equal to what the schema makes of it', () => {
    let declined = 0;
    for (const base of SIMPLE) {
      for (const [path, values] of ODD) {
        for (const value of values) {
          const merged = withValue(base, path, value);
          const fast = simpleSettings(merged);
          if (fast === undefined) {
            declined += 1;
            continue;
          }
          const schema = FlowSettingsSchema.safeParse(merged);
          assert.ok(schema.success, `taken but the schema refuses ${path.join('.')}=${JSON.stringify(value)}`);
          assert.deepStrictEqual(fast, schema.data, `${path.join('.')}=${JSON.stringify(value)}`);
        }
      }
    }
    assert.ok(declined > 200, `only ${declined} odd settings declined`);
  });

  test('anything but a plain object is declined', () => {
    for (const merged of [undefined, null, 'local', [], Object.create(null)]) assert.equal(simpleSettings(merged), undefined);
  });
});
