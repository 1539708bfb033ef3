import type { Client } from '@temporalio/client';
import { reapOrphans } from '../activities/reap-orphans';
import type { ReapReport } from '../domain';
import { createProviderRegistry } from '../providers/registry';
import { leasedHostsFrom } from './host-leases';
import { taskOpenIn } from './open-tasks';
import { DEFAULT_REAPER_GRACE_MS } from './reaper-schedule';

/**
 * At `flow worker` start: the leak reaper for this host's local instances only. The scheduled
 * reaper runs on any one worker, so it would rarely see this host's instances; the ones left by
 * a task whose host's worker was gone at teardown (see HOST_WAIT) are removed here when it returns.
 */
export async function reapThisHost(client: Client, home: string, log: (line: string) => void): Promise<ReapReport> {
  const providers = createProviderRegistry({ home, leasedHosts: leasedHostsFrom(client) });
  const report = await reapOrphans(
    {
      providers,
      providerNames: () => ['local'],
      isTaskOpen: taskOpenIn(client),
      log: (message, fields) => log(`flow worker: ${message} ${JSON.stringify(fields)}`),
    },
    { graceMs: DEFAULT_REAPER_GRACE_MS, dryRun: false },
  );
  return report;
}
