import type { Command } from 'commander';
import { action } from '../exit-codes';
import type { showAction } from './config-action';

export function configureConfigCommand(program: Command): void {
  const config = program.command('config').description('Inspect Flow settings');
  config
    .command('show')
    .description('Show every setting, its value and where it came from (API keys masked)')
    .option('--json', 'print machine-readable output')
    .addHelpText('after', `
Examples:
  flow config show
  MITHRIL_REGION=us-east-1 flow config show     # see the variable win over config.yaml
  flow config show --json | jq '.settings.provider'`)
    .action(action(async (...args: Parameters<typeof showAction>) => (await import('./config-action')).showAction(...args)));
}
