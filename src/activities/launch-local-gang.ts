import { rankEnvironment, type InstanceRef, type RankIdentity } from '../domain';
import type { Provider } from '../providers/provider';

/** A local gang's ranks, in rank order, on their first attempt. */
export interface LaunchLocalGangInput {
  ranks: RankIdentity[];
}

/**
 * How far each rank got, by rank. `instance` is set whenever provisioning succeeded (teardown must
 * know it); `launched` false means the workflow goes on with that rank's separate steps, which are
 * idempotent and report their errors exactly as they always did.
 */
export interface LaunchLocalGangResult {
  ranks: Array<{ instance?: InstanceRef; launched: boolean }>;
}

/**
 * A local gang's provision, readiness look and start of every rank in one local activity, instead
 * of three per rank: a 16-rank gang's first workflow task otherwise spends most of its time
 * handing 48 local activities to the workflow and back. Never throws; no error text goes into
 * history (the separate steps fail the same way and report it). As the gang's barrier demands,
 * the ranks start only once all are provisioned and ready (each one's environment names every
 * rank's address); otherwise none starts here.
 */
export async function launchLocalGang(
  provider: Provider,
  record: (instance: InstanceRef) => InstanceRef,
  input: LaunchLocalGangInput,
): Promise<LaunchLocalGangResult> {
  const instances: Array<InstanceRef | undefined> = [];
  for (const rank of input.ranks) {
    try {
      instances.push(record(await provider.provision(rank.spec, rank.offer)));
    } catch {
      instances.push(undefined);
    }
  }
  const launched = input.ranks.map(() => false);
  // The gang's barrier: no rank starts until every one is provisioned and ready.
  if (instances.every((instance) => instance !== undefined) && (await allReady(provider, instances))) {
    const addresses = instances.map((instance) => instance!.address);
    const gang = { mainIp: addresses[0]!, nodeIps: addresses };
    for (const [index, rank] of input.ranks.entries()) {
      try {
        await provider.startCommand(instances[index]!, { ...rank.spec, env: rankEnvironment(rank, gang) });
        launched[index] = true;
      } catch {
        // Left to the rank's separate start step.
      }
    }
  }
  return { ranks: input.ranks.map((_, index) => ({ ...(instances[index] ? { instance: instances[index] } : {}), launched: launched[index]! })) };
}

/** One look at each instance; false when any is not ready yet or cannot say (the separate steps wait). */
async function allReady(provider: Provider, instances: Array<InstanceRef | undefined>): Promise<boolean> {
  for (const instance of instances) {
    try {
      if (!(await provider.isReady(instance!))) return false;
    } catch {
      return false;
    }
  }
  return true;
}
