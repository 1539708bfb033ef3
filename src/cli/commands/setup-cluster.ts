import type { Command } from 'commander';
import { action } from '../exit-codes';

export function configureSetupClusterCommand(program: Command): void {
  program
    .command('setup-cluster')
    .description('Make the configured Temporal cluster ready for Flow: check the namespace, register the search attributes (idempotent)')
    .option('--create-namespace', 'create the namespace when it does not exist')
    .option('--retention-days <days>', 'retention of a namespace created here, in days', '3')
    .option('--json', 'print machine-readable output')
    .addHelpText('after', `
Connects as every command does: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
TEMPORAL_TLS*, or the profile TEMPORAL_PROFILE (or temporal.profile in config.yaml) names.

Examples:
  TEMPORAL_PROFILE=prod flow setup-cluster
  flow setup-cluster --create-namespace --retention-days 7
  flow setup-cluster --json | jq '.changed'
Exit codes: 4 the namespace does not exist (without --create-namespace), 3 an attribute of
another type or bad settings, 5 refused by the server, 6 the server could not be reached.`)
    .action(action(async (...args: Parameters<typeof import('./setup-cluster-action').setupClusterAction>) => (await import('./setup-cluster-action')).setupClusterAction(...args)));
}
