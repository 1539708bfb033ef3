import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseTaskConfig } from '../../src/domain';
import { preflightTask, workerCouldRefuse } from '../../src/client/preflight';
import type { ProviderOperations } from '../../src/client/provider-ops';

/** Operations that count calls and answer like a passing worker check. */
function countingOperations(): ProviderOperations & { calls: number } {
  const ops = {
    calls: 0,
    async run(request: { volumes?: unknown[] }) {
      ops.calls++;
      return { volumes: request.volumes ?? [] };
    },
  };
  return ops as unknown as ProviderOperations & { calls: number };
}

const target = (operations: ProviderOperations, provider: 'local' | 'ssh' = 'local', settings = {}) => ({ provider, settings, encryptByDefault: false, operations });

describe('preflight: the worker is asked only when it could refuse the task', () => {
  test('a plain local task skips the worker round trip and comes back unchanged', async () => {
    const ops = countingOperations();
    const config = parseTaskConfig({ command: 'true' });
    assert.equal(workerCouldRefuse(config, { provider: 'local', settings: {} }), false);
    assert.deepEqual(await preflightTask(config, target(ops)), config);
    assert.equal(ops.calls, 0);
  });

  test('an instance type, a resource floor, a price cap, a volume, an image, provider settings or another provider: the worker checks', async () => {
    const cases = [
      { config: { command: 'true', instanceType: 'cpu' } },
      { config: { command: 'true', minCpus: 1 } },
      { config: { command: 'true', maxPricePerHour: 1 } },
      { config: { command: 'true', volumes: [{ name: 'data', mountPath: '/data' }] } },
      { config: { command: 'true', image: 'alpine:3' } },
      { config: { command: 'true' }, settings: { pricePerHour: 1 } },
      { config: { command: 'true' }, provider: 'ssh' as const },
    ];
    for (const { config, settings, provider } of cases) {
      const ops = countingOperations();
      await preflightTask(parseTaskConfig(config), target(ops, provider, settings));
      assert.equal(ops.calls, 1, JSON.stringify({ config, settings, provider }));
    }
  });
});
