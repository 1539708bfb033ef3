import { parseInstanceType, type InstanceSpec, type Offer } from '../../domain';
import type { FleetHost } from '../../ssh/fleet-host';

/** Where fleet offers say they are: a fleet is one place (the task's region does not apply). */
export const FLEET_REGION = 'fleet';

/** The host's instance type as an InstanceSpec; a model our catalog lacks keeps its own name. */
export function fleetHostSpec(instanceType: string): InstanceSpec {
  try {
    return parseInstanceType(instanceType);
  } catch {
    const match = /^(\d+)x(.+)$/.exec(instanceType.trim().toLowerCase());
    if (!match) return { name: instanceType, gpuModel: null, gpuCount: 0, gpuMemoryGb: 0 };
    return { name: instanceType, gpuModel: match[2]!, gpuCount: Number(match[1]), gpuMemoryGb: 0 };
  }
}

/**
 * One offer per shape (instance type and price) of the fleet, listing its free hosts; a shape
 * whose hosts are all leased stays listed with none free, so a task waits for it instead of being
 * told the fleet has no such machine. CPUs and memory are the smallest of the shape's hosts.
 */
export function fleetOffers(hosts: readonly FleetHost[], leased: ReadonlySet<string>): Offer[] {
  const shapes = new Map<string, Offer & { hosts: string[] }>();
  for (const host of hosts) {
    const spec = fleetHostSpec(host.instanceType);
    const key = `${spec.name}@${host.pricePerHour}`;
    let offer = shapes.get(key);
    if (offer === undefined) {
      offer = { instanceType: spec.name, spec, pricePerHour: host.pricePerHour, region: FLEET_REGION, available: 0, cpus: host.cpus, memoryGb: host.memoryGb, hosts: [] };
      shapes.set(key, offer);
    }
    offer.cpus = Math.min(offer.cpus, host.cpus);
    offer.memoryGb = Math.min(offer.memoryGb, host.memoryGb);
    if (!leased.has(host.name)) offer.hosts.push(host.name);
    offer.available = offer.hosts.length;
  }
  return [...shapes.values()].sort((a, b) => a.pricePerHour - b.pricePerHour || a.spec.gpuCount - b.spec.gpuCount);
}
