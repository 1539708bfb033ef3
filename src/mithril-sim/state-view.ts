import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tail } from './hosts/instance-hosts';
import { nodeHostname } from './hosts/hosts-file';
import { formatPrice } from './money';
import type { SimCore } from './sim';
import { bidView, instanceView, volumeView } from './views';

/** GET /_sim/state: the whole simulated world, with what the API does not show (charged prices, logs, namespaces). */
export function simState(core: SimCore): Record<string, unknown> {
  return {
    project: core.project,
    provision_delay_ms: core.provisionDelayMs,
    instances_unavailable: core.hostsUnavailable ?? null,
    network: core.network(),
    markets: core.markets.map((m) => ({
      instance_type: m.instanceType,
      region: m.region,
      price: formatPrice(m.priceCents),
      capacity: m.capacity,
      used: core.usedCapacity(m.instanceType, m.region),
    })),
    faults: core.faults.list(),
    bids: [...core.bids.values()].map((bid) => ({
      ...bidView(bid),
      charged_price: bid.chargedPriceCents === undefined ? null : formatPrice(bid.chargedPriceCents),
      history: bid.history,
    })),
    instances: [...core.instances.values()].map((instance) => ({
      ...instanceView(instance),
      address: instance.address,
      index: instance.index,
      hostname: nodeHostname(core.bids.get(instance.bid)?.name ?? instance.name, instance.index),
      charged_price: formatPrice(instance.chargedPriceCents),
      namespace: core.namespaceOf(instance.fid),
      dir: instance.dir,
      startup_log: instance.startupLog,
      startup_log_tail: tail(instance.startupLog),
      startup_exit_code: readExitCode(instance.dir),
      message: instance.message ?? null,
      history: instance.history,
    })),
    volumes: [...core.volumes.values()].map((volume) => {
      const use = core.volumeUse(volume.fid);
      return { ...volumeView(volume, use.attached, use.bids), dir: volume.dir };
    }),
  };
}

/** The startup script's exit code, once it has ended. */
function readExitCode(dir: string): number | null {
  try {
    return Number(readFileSync(join(dir, 'run', 'flow-sim', 'startup.exit'), 'utf8').trim());
  } catch {
    return null;
  }
}
