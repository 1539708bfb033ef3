import type { InstanceRef, NodeSpec, Offer } from '../domain';
import type { CommandEnd } from './follow-command';
import type { OfferChoice } from '../providers/offer-choice';
import { launchLocalNode, type LaunchLocalResult } from './launch-local-node';

/** A new single local task's first step: the offer request and the rank's spec (its instance type comes from the offer). */
export interface SelectLaunchLocalInput<Request> {
  request: Request;
  spec: Omit<NodeSpec, 'instanceType'>;
  /** For the FLOW_* variables (see launch-local-node). */
  name: string;
  /**
   * After a launch, how long to wait for the command to end by itself: one that does is finished
   * here (see quickEnd), and the workflow needs no follow step. Absent in older tasks.
   */
  quickEndMs?: number;
}

/**
 * The offer choice; `launch` only when the offer was taken and a launch was tried (see
 * launch-local-node): none when there is no offer now, the offer is on fleet hosts (leased first),
 * or provisioning failed (nothing exists: the workflow goes on with its separate steps).
 */
export interface SelectLaunchLocalResult {
  choice: OfferChoice;
  launch?: LaunchLocalResult;
}

/**
 * Selects the offer and launches the single local rank on it in one local activity (one round
 * trip instead of two). Throws only when selecting does (the workflow then selects as before).
 * Idempotent like launchLocalNode: the instance id comes from the spec, the command starts once.
 */
export async function selectLaunchLocal<Request>(
  select: (request: Request) => Promise<OfferChoice>,
  launch: (input: Parameters<typeof launchLocalNode>[2]) => Promise<LaunchLocalResult>,
  input: SelectLaunchLocalInput<Request>,
  endQuickly?: (instance: InstanceRef, withinMs: number) => Promise<CommandEnd | undefined>,
): Promise<SelectLaunchLocalResult> {
  const choice = await select(input.request);
  if (!('offer' in choice) || choice.offer.hosts !== undefined) return { choice };
  const offer: Offer = choice.offer;
  let launched: LaunchLocalResult;
  try {
    launched = await launch({ spec: { ...input.spec, instanceType: offer.instanceType }, offer, name: input.name, numNodes: 1 });
  } catch {
    // No error text into history: the separate provision step fails the same way and reports it.
    return { choice };
  }
  if (!launched.launched || input.quickEndMs === undefined || endQuickly === undefined) return { choice, launch: launched };
  try {
    const ended = await endQuickly(launched.instance, input.quickEndMs);
    return { choice, launch: ended === undefined ? launched : { ...launched, ended } };
  } catch {
    // The follow step looks again, and reports what it finds.
    return { choice, launch: launched };
  }
}
