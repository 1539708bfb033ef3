// What `flow setup` will write, from flags (scripts) or from prompts (a person at a terminal).
import type { ConfigUpdate } from '../../config/write-config';
import { closestNames, PROVIDER_NAMES, ValidationError, type ProviderName } from '../../domain';
import type { Prompter } from '../prompter';

export interface SetupFlags {
  provider?: string;
  apiKey?: string;
  project?: string;
  region?: string;
  apiUrl?: string;
  sshKey?: string[];
  /** Never prompt (3.28's -y/--yes); `--non-interactive` is a hidden alias. */
  yes?: boolean;
  nonInteractive?: boolean;
  dryRun?: boolean;
  output?: string;
  show?: boolean;
  reset?: boolean;
  json?: boolean;
  /** false with --no-verify: Mithril settings saved without asking the API. */
  verify?: boolean;
}

/** Settings config.yaml sets now (secrets already masked), by dotted key. */
export type CurrentValues = ReadonlyMap<string, unknown>;

export const API_KEYS_PAGE = 'https://app.mithril.ai/account/apikeys';

export function parseProvider(text: string): ProviderName {
  const name = text.trim().toLowerCase();
  if ((PROVIDER_NAMES as readonly string[]).includes(name)) return name as ProviderName;
  const near = closestNames(name, PROVIDER_NAMES);
  return invalid('provider', `Unknown provider '${text.trim()}'`, [
    ...(near.length > 0 ? [`Did you mean '${near[0]}'?`] : []),
    `Choose one of: ${PROVIDER_NAMES.join(', ')}`,
  ]);
}

function invalid(field: string, message: string, suggestions: string[]): never {
  throw new ValidationError(message, { field, suggestions });
}

/** A flag value with its spaces trimmed; an empty one is an error, not "unset". */
function flagText(value: string | undefined, field: string, flag: string): string | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  return text.length > 0 ? text : invalid(field, `${flag} must not be empty`, [`Leave out ${flag} to keep the current value`]);
}

/** Provider when no flag names one: what config.yaml has, else mithril when a key is given, else local. */
function defaultProvider(current: CurrentValues, apiKeyGiven: boolean): ProviderName {
  const configured = current.get('provider');
  if (typeof configured === 'string') return configured as ProviderName;
  return apiKeyGiven ? 'mithril' : 'local';
}

/** The flag values only (checked); also what answers the matching prompts in interactive mode. */
function fromFlags(flags: SetupFlags): ConfigUpdate {
  const sshKeys = flags.sshKey?.map((key) => flagText(key, 'mithril.sshKeys', '--ssh-key')!);
  return {
    provider: flags.provider === undefined ? undefined : parseProvider(flags.provider),
    mithril: {
      apiKey: flagText(flags.apiKey, 'mithril.apiKey', '--api-key'),
      project: flagText(flags.project, 'mithril.project', '--project'),
      region: flagText(flags.region, 'mithril.region', '--region'),
      apiUrl: flagText(flags.apiUrl, 'mithril.apiUrl', '--api-url'),
      sshKeys,
    },
  };
}

export function answersFromFlags(flags: SetupFlags, current: CurrentValues): ConfigUpdate {
  const update = fromFlags(flags);
  return { ...update, provider: update.provider ?? defaultProvider(current, update.mithril?.apiKey !== undefined) };
}

/** Asks until `parse` accepts the answer; a ValidationError is shown and the question asked again. */
async function askUntilValid<T>(ask: () => Promise<string>, parse: (answer: string) => T, screen: NodeJS.WriteStream): Promise<T> {
  for (;;) {
    try {
      return parse((await ask()).trim());
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      screen.write(`  ${error.message}\n${error.suggestions.map((suggestion) => `    → ${suggestion}\n`).join('')}`);
    }
  }
}

function shown(value: unknown): string {
  return typeof value === 'string' && value.length > 0 ? ` [${value}]` : '';
}

/** Prompts for what no flag gave; Enter keeps the value shown in brackets. */
export async function askAnswers(flags: SetupFlags, current: CurrentValues, prompter: Prompter, env: NodeJS.ProcessEnv, screen: NodeJS.WriteStream): Promise<ConfigUpdate> {
  const given = fromFlags(flags);
  const provider =
    given.provider ??
    (await askUntilValid(
      () => prompter.ask(`Provider (${PROVIDER_NAMES.join(', ')})${shown(defaultProvider(current, false))}: `),
      (answer) => parseProvider(answer || defaultProvider(current, false)),
      screen,
    ));
  if (provider !== 'mithril') return { provider, mithril: given.mithril };

  const mithril = { ...given.mithril };
  if (mithril.apiKey === undefined) {
    const existing = current.get('mithril.apiKey'); // masked
    const fromEnv = Boolean(env.MITHRIL_API_KEY?.trim());
    const keep = typeof existing === 'string' ? ` [${existing}, Enter keeps it]` : fromEnv ? ' [Enter uses MITHRIL_API_KEY from the environment]' : '';
    screen.write(`Create an API key at ${API_KEYS_PAGE} (typing is not shown)\n`);
    mithril.apiKey = await askUntilValid(
      () => prompter.askHidden(`Mithril API key${keep}: `),
      (answer) => (answer.length > 0 || keep !== '' ? answer || undefined : invalid('mithril.apiKey', 'An API key is needed for provider mithril', [`Paste the key from ${API_KEYS_PAGE}`])),
      screen,
    );
  }
  mithril.project ??= (await prompter.ask(`Project${shown(current.get('mithril.project'))}: `)).trim() || undefined;
  mithril.region ??= (await prompter.ask(`Region${shown(current.get('mithril.region'))}: `)).trim() || undefined;
  return { provider, mithril };
}
