import type { NodeSpec, Offer } from '../domain';
import type { OfferChoice } from '../providers/offer-choice';
import { launchLocalNode, type LaunchLocalResult } from './launch-local-node';

/** A new single local task's first step: the offer request and the rank's spec (its instance type comes from the offer). */
export interface SelectLaunchLocalInput<Request> {
  request: Request;
  spec: Omit<NodeSpec, 'instanceType'>;
  /** For the FLOW_* variables (see launch-local-node). */
  name: string;
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
): Promise<SelectLaunchLocalResult> {
  const choice = await select(input.request);
  if (!('offer' in choice) || choice.offer.hosts !== undefined) return { choice };
  const offer: Offer = choice.offer;
  try {
    return { choice, launch: await launch({ spec: { ...input.spec, instanceType: offer.instanceType }, offer, name: input.name, numNodes: 1 }) };
  } catch {
    // No error text into history: the separate provision step fails the same way and reports it.
    return { choice };
  }
}
