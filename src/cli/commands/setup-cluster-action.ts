// The body of `flow setup-cluster`, loaded only when it runs (keeps `flow --help` fast).
import { openConnection } from '../../client/connection';
import { loadSettings } from '../../config/load-config';
import { ValidationError } from '../../domain';
import { formatClusterSetup, setUpCluster } from '../cluster-setup';
import { printJson } from '../output';

export async function setupClusterAction(flags: { createNamespace?: boolean; retentionDays?: string; json?: boolean }): Promise<void> {
  const retentionDays = Number(flags.retentionDays ?? '3');
  if (!Number.isInteger(retentionDays) || retentionDays < 1) {
    throw new ValidationError(`--retention-days must be a whole number of days, at least 1 (got '${flags.retentionDays}')`, {
      field: 'retentionDays',
      suggestions: ['flow setup-cluster --create-namespace --retention-days 3'],
    });
  }
  const settings = loadSettings();
  const { address, namespace, profile } = settings.temporal;
  if (!address) {
    throw new ValidationError('flow setup-cluster needs a Temporal cluster: TEMPORAL_ADDRESS, or a profile with an address (the embedded server is set up by Flow itself)', {
      field: 'temporal.address',
      suggestions: ['export TEMPORAL_ADDRESS=host:7233', 'Or choose a profile: TEMPORAL_PROFILE=prod flow setup-cluster'],
    });
  }
  const { connection } = await openConnection(settings);
  try {
    const report = await setUpCluster(connection, { address, namespace, createNamespace: flags.createNamespace, retentionDays });
    if (flags.json) printJson({ ...report, profile: profile ?? null });
    else process.stdout.write(formatClusterSetup(report, profile));
  } finally {
    await connection.close();
  }
}
