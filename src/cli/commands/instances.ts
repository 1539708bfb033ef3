import type { Command } from 'commander';
import { action } from '../exit-codes';
import type { instancesAction } from './instances-action';

export function configureInstancesCommand(program: Command): void {
  program
    .command('instances')
    .description('List the instance types the provider offers now, with prices')
    .option('--provider <name>', 'local | ssh | mithril (default: the configured provider)')
    .option('--json', 'print machine-readable output')
    .addHelpText('after', `
Examples:
  flow instances
  flow instances --json | jq '.[] | select(.spec.gpuCount >= 8)'`)
    .action(action(async (...args: Parameters<typeof instancesAction>) => (await import('./instances-action')).instancesAction(...args)));
}
