import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { hostLeaseWorkflowId } from '../workflows/host-lease';

/** Which of `hosts` are leased now (their lease workflow runs). */
export type LeasedHosts = (provider: string, hosts: readonly string[]) => Promise<Set<string>>;

/**
 * Reads the leases from Temporal: a describe per host is strongly consistent, unlike a visibility
 * listing, so a host released a moment ago is offered at once.
 */
export function leasedHostsFrom(client: Client): LeasedHosts {
  return async (provider, hosts) => {
    const held = new Set<string>();
    await Promise.all(
      hosts.map(async (host) => {
        try {
          const described = await client.workflow.getHandle(hostLeaseWorkflowId(provider, host)).describe();
          if (described.status.name === 'RUNNING') held.add(host);
        } catch (error) {
          if (!(error instanceof WorkflowNotFoundError)) throw error;
        }
      }),
    );
    return held;
  };
}
