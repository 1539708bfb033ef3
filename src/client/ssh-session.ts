/**
 * The client's own SSH sessions to a fleet host or a Mithril node, for `flow ssh` and port forwards.
 * The worker says which host and what to run; the connection is made here with the user's own key
 * (the fleet entry's identity file, as the user configured it; for Mithril, the worker's key of
 * this home) and the recorded host key.
 */
import { findFleetHost } from '../config/fleet-config';
import { flowHome } from '../config/flow-home';
import type { SshHop } from '../domain/provider-contract';
import { existsSync } from 'node:fs';
import { ValidationError } from '../domain/errors';
import type { FleetHost } from '../ssh/fleet-host';
import { knownHostsPath } from '../ssh/known-hosts';
import { mithrilKeyPath, mithrilKnownHostsPath } from '../ssh/mithril-paths';
import { openInteractive } from '../ssh/interactive';
import { forwardPort, type PortForward } from '../ssh/port-forward';
import { SshConnections } from '../ssh/ssh-connections';

type SshShellTarget = import('../domain/provider-contract').SshShellTarget;

function connectionsFor(home: string): SshConnections {
  return new SshConnections({ knownHostsPath: knownHostsPath(home) });
}

/** Runs the target's command on its host with this terminal (a PTY when stdin is one); resolves with its exit code. */
export async function attachSshShell(target: SshShellTarget, home: string = flowHome()): Promise<number> {
  const host = target.login === 'mithril' ? mithrilHost(target, home) : findFleetHost(home, target.fleetHost);
  const connections = target.login === 'mithril' ? new SshConnections({ knownHostsPath: mithrilKnownHostsPath(home, target.instanceId) }) : connectionsFor(home);
  try {
    const client = await connections.client(host);
    return await openInteractive(client, { command: target.command, pty: true });
  } finally {
    connections.close();
  }
}

/** A Mithril node as a host to connect to: the worker's key of this home (the worker shares it when it runs here). */
function mithrilHost(target: { instanceId: string; user: string; host: string; port: number }, home: string): FleetHost {
  const identityFile = mithrilKeyPath(home);
  if (!existsSync(identityFile)) {
    throw new ValidationError(`Reaching a Mithril node needs the worker's key, ${identityFile}, which this machine does not have`, {
      field: 'FLOW_HOME',
      suggestions: ["Run flow ssh where the worker runs (same FLOW_HOME), or run a command through the worker: task.shell('CMD')"],
    });
  }
  return { name: target.instanceId, user: target.user, host: target.host, port: target.port, identityFile, instanceType: '', cpus: 0, memoryGb: 0, pricePerHour: 0, labels: {} };
}

/** A local port whose connections reach `remotePort` on the hop's loopback; close() ends it and its connection. */
export async function forwardThrough(hop: SshHop, remotePort: number, localPort: number, home: string = flowHome()): Promise<PortForward> {
  const mithril = hop.login === 'mithril' ? { ...hop, instanceId: hop.instanceId ?? hop.host } : undefined;
  const host = mithril ? mithrilHost(mithril, home) : findFleetHost(home, hop.fleetHost);
  const connections = mithril ? new SshConnections({ knownHostsPath: mithrilKnownHostsPath(home, mithril.instanceId) }) : connectionsFor(home);
  try {
    const forward = await forwardPort(await connections.client(host), { localPort, remotePort });
    return {
      port: forward.port,
      close: async () => {
        await forward.close();
        connections.close();
      },
    };
  } catch (error) {
    connections.close();
    throw error;
  }
}
