// The body of `flow instances`, loaded only when it runs (keeps `flow --help` fast).
import { loadSettings, taskProviderSettings, type FlowSettingsInput } from '../../config/load-config';
import { assertProviderAvailable, type Offer } from '../../domain';
import { openBackend } from '../backend';
import { colors, printJson, table } from '../output';


/** "1x 80 GB" for GPU instances, "-" for cpu. */
export function gpuMemoryText(offer: Offer): string {
  return offer.spec.gpuCount === 0 ? '-' : `${offer.spec.gpuCount}x ${offer.spec.gpuMemoryGb} GB`;
}

/** "free" for machines you own, else "$2.50". */
export function priceText(pricePerHour: number): string {
  return pricePerHour === 0 ? 'free' : `$${pricePerHour.toFixed(2)}`;
}

export async function instancesAction(flags: { provider?: string; json?: boolean }): Promise<void> {
  // Validates the name (exit 2 with "did you mean" for a typo) through the settings schema.
  const settings = loadSettings({ overrides: { provider: flags.provider as FlowSettingsInput['provider'] } });
  // Throws a ValidationError (exit 2) for a provider not supported yet, before any daemon starts.
  assertProviderAvailable(settings.provider);
  // The same settings a task submitted now would carry, so the prices shown are the prices it
  // sees; the worker (which holds the provider) answers.
  const providerSettings = taskProviderSettings(settings);
  const backend = await openBackend();
  let answer;
  try {
    answer = await backend.providers.run({ op: 'offers', provider: settings.provider, ...(Object.keys(providerSettings).length > 0 ? { providerSettings } : {}) });
  } finally {
    await backend.close();
  }
  const { offers, defaultInstanceType: defaultType } = answer;
  const provider = { name: settings.provider };
  if (flags.json) {
    printJson(offers.map((offer) => ({ ...offer, default: offer.instanceType === defaultType })));
    return;
  }
  if (offers.length === 0) {
    process.stdout.write(`Provider ${provider.name} offers no instances right now.\n`);
    return;
  }
  const c = colors(process.stdout);
  const rows = offers.map((offer) => [
    offer.instanceType === defaultType ? `${offer.instanceType} (default)` : offer.instanceType,
    String(offer.spec.gpuCount),
    gpuMemoryText(offer),
    priceText(offer.pricePerHour),
    offer.region,
    String(offer.available),
  ]);
  const text = table(['INSTANCE TYPE', 'GPUS', 'GPU MEMORY', 'PRICE/H', 'REGION', 'AVAILABLE'], rows, (cell, column) =>
    column === 0 && cell.endsWith(' (default)') ? c.bold(cell) : cell,
  );
  process.stdout.write(`${text}\n${c.dim(`Provider ${provider.name}. Without -i, tasks use ${defaultType}. ${availableNote(provider.name)}`)}\n`);
}

/** What the AVAILABLE column counts (a local task with -n 3 runs 3 ranks of an offer that says 1). */
function availableNote(provider: string): string {
  return provider === 'local'
    ? 'AVAILABLE counts machines: provider local is this one, and it runs every rank of a task (-n N) on it.'
    : 'AVAILABLE: how many instances of each type the provider can start now.';
}
