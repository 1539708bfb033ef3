import { createProviderOperation } from '../../src/activities/provider-operation';
import type { ProviderOperations } from '../../src/client/provider-ops';
import type { ProviderOperationResult } from '../../src/domain';
import { createProviderRegistry } from '../../src/providers/registry';

/** The worker's provider operations called in this process (no Temporal): for unit tests of their dispatch. */
export function inProcessProviderOps(home: string): ProviderOperations {
  const run = createProviderOperation({ providers: createProviderRegistry({ home }), home });
  return { run: async (request) => (await run(request)) as ProviderOperationResult<typeof request.op> as never };
}
