import { Option, type Command } from 'commander';
import { action } from '../exit-codes';
import type { SetupFlags } from './setup-action';

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `flow setup`: provider and account settings (3.28's flags; `flow init` writes a task template). */
export function configureSetupCommand(program: Command): void {
  program
    .command('setup')
    .description('Configure credentials and provider settings in $FLOW_HOME/config.yaml (mode 600)')
    .option('--provider <name>', 'local, ssh or mithril (default: the current one, else mithril with --api-key, else local)')
    .option('--api-key <key>', 'Mithril API key (never printed; MITHRIL_API_KEY in the environment also works, without setup)')
    .option('--project <name>', 'Mithril project')
    .option('--region <name>', 'Mithril region')
    .option('--api-url <url>', 'Mithril API URL (default https://api.mithril.ai)')
    .option('--ssh-key <key>', 'SSH key to add to instances: a Mithril key id or name, or a public key file to upload (repeatable)', collect)
    .option('--no-verify', 'save the Mithril settings without checking them against the API')
    .option('--dry-run', 'print the config.yaml that would be written (keys masked); save nothing')
    .option('--output <file>', 'with --dry-run: also write that preview to FILE')
    .option('--show', 'print the current configuration (keys masked) and exit')
    .option('--reset', 'remove config.yaml first (asks on a terminal; pass --yes in scripts)')
    .option('-y, --yes', 'never prompt: use only the flags, and confirm --reset')
    .option('--json', 'print the file written and the resulting settings as JSON (keys masked)')
    // Before 3.28's names, `flow init` took --non-interactive; scripts that pass it keep working.
    .addOption(new Option('--non-interactive', 'same as --yes').hideHelp())
    .addHelpText('after', `
On a terminal, flow setup asks for what the flags do not give; Enter keeps the current value.
--api-key, --project, --region, --api-url, --ssh-key, --yes or --dry-run (or no terminal) mean
no questions. Other keys already in config.yaml are kept. Mithril settings are checked against
the API before they are saved (the key, the project, each SSH key, a key file uploaded once):
a bad key or project saves nothing. An API out of reach saves them with a note.

Examples:
  flow setup
  flow setup --show
  flow setup --provider local --yes
  flow setup --provider mithril --api-key "$MITHRIL_API_KEY" --project my-project --region us-central1-b
  flow setup --api-key "$MITHRIL_API_KEY" --ssh-key ~/.ssh/id_ed25519.pub
  flow setup --api-key "$MITHRIL_API_KEY" --dry-run --output preview.yaml
  flow setup --reset --yes`)
    .action(action(async (flags: SetupFlags) => (await import('./setup-action')).setupAction(flags)));
}
