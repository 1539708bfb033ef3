import { nodeEnvironment, type InstanceRef, type NodeSpec, type Offer } from '../domain';
import type { Provider } from '../providers/provider';
import type { CommandEnd } from './follow-command';

/** What the workflow passes to launch a single local rank in one step. */
export interface LaunchLocalInput {
  spec: NodeSpec;
  offer: Offer;
  /** For the FLOW_* variables: a single rank is its own main node, at its own address. */
  name: string;
  numNodes: 1;
}

/**
 * How far the launch got. `instance` is set whenever provisioning succeeded, so teardown knows it
 * even when a later step failed; `launched` false then means "continue with the separate steps"
 * (readiness, start), which are idempotent and report their errors exactly as they always did.
 */
export interface LaunchLocalResult {
  instance: InstanceRef;
  launched: boolean;
  /** The command already ended by itself and the instance was released (see selectLaunchLocal's quickEndMs). */
  ended?: CommandEnd;
}

/**
 * Provision, one readiness look, start: one local activity instead of three round trips. Throws
 * only when provisioning itself fails (nothing exists yet; the workflow takes the separate steps).
 * Idempotent: the instance id is deterministic and the command is launched at most once.
 */
export async function launchLocalNode(
  provider: Provider,
  record: (instance: InstanceRef) => InstanceRef,
  input: LaunchLocalInput,
): Promise<LaunchLocalResult> {
  const instance = record(await provider.provision(input.spec, input.offer));
  try {
    if (!(await provider.isReady(instance))) return { instance, launched: false };
    const env = {
      ...nodeEnvironment({
        taskId: input.spec.taskId,
        name: input.name,
        rank: input.spec.rank,
        numNodes: input.numNodes,
        mainIp: instance.address,
        nodeIps: [instance.address],
        gpusPerNode: input.offer.spec.gpuCount,
      }),
      ...input.spec.env,
    };
    await provider.startCommand(instance, { ...input.spec, env });
    return { instance, launched: true };
  } catch {
    // No error text into history: the separate start step fails the same way and reports it.
    return { instance, launched: false };
  }
}
