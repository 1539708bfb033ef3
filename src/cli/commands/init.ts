import type { Command } from 'commander';
import { action } from '../exit-codes';
import type { InitFlags } from './init-action';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function configureInitCommand(program: Command): void {
  program
    .command('init')
    .description('Set up Flow: choose a provider and save its settings in $FLOW_HOME/config.yaml (mode 600)')
    .option('--provider <name>', 'local, ssh or mithril (default: the current one, else mithril with --api-key, else local)')
    .option('--api-key <key>', 'Mithril API key (never printed; MITHRIL_API_KEY in the environment also works, without init)')
    .option('--project <name>', 'Mithril project')
    .option('--region <name>', 'Mithril region')
    .option('--api-url <url>', 'Mithril API URL (default https://api.mithril.ai)')
    .option('--ssh-key <id>', 'Mithril SSH key id to add to instances (repeatable)', collect)
    .option('--non-interactive', 'never prompt: use only the flags (the default when stdin is not a terminal)')
    .option('--json', 'print the file written and the resulting settings as JSON (keys masked)')
    .addHelpText('after', `
On a terminal, flow init asks for what the flags do not give; Enter keeps the current value.
Other keys already in config.yaml are kept.

Examples:
  flow init
  flow init --provider local --non-interactive
  flow init --provider mithril --api-key "$MITHRIL_API_KEY" --project my-project --region us-central1-b --non-interactive`)
    .action(action(async (flags: InitFlags) => (await import('./init-action')).initAction(flags)));
}
