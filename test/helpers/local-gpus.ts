import { detectGpus } from '../../src/providers/local/gpu-discovery';
import { localDefaultInstanceType, localOffers } from '../../src/providers/local/offers';
import type { Offer } from '../../src/domain';

/**
 * What the local provider offers on this machine, found the way its worker finds it (nvidia-smi
 * on the PATH of `env`), so expectations follow the machine instead of assuming no GPU.
 */
export async function localMachine(env: NodeJS.ProcessEnv): Promise<{ offers: Offer[]; defaultInstanceType: string; defaultGpuCount: number }> {
  const gpus = await detectGpus({ env });
  const offers = localOffers(gpus);
  const defaultInstanceType = localDefaultInstanceType(gpus);
  const offer = offers.find((candidate) => candidate.instanceType === defaultInstanceType);
  if (!offer) throw new Error(`the local default instance type ${defaultInstanceType} is not among the offers`);
  return { offers, defaultInstanceType, defaultGpuCount: offer.spec.gpuCount };
}
