/**
 * The client's own SSH sessions to a fleet host, for `flow ssh` and port forwards on ssh tasks.
 * The worker says which host and what to run; the connection is made here with the user's own key
 * (the fleet entry's identity file, as the user configured it) and the recorded host key.
 */
import { findFleetHost } from '../config/fleet-config';
import { flowHome } from '../config/flow-home';
import type { ShellTarget, SshHop } from '../domain/provider-contract';
import { knownHostsPath } from '../ssh/known-hosts';
import { openInteractive } from '../ssh/interactive';
import { forwardPort, type PortForward } from '../ssh/port-forward';
import { SshConnections } from '../ssh/ssh-connections';

type SshShellTarget = Extract<ShellTarget, { kind: 'ssh' }>;

function connectionsFor(home: string): SshConnections {
  return new SshConnections({ knownHostsPath: knownHostsPath(home) });
}

/** Runs the target's command on its host with this terminal (a PTY when stdin is one); resolves with its exit code. */
export async function attachSshShell(target: SshShellTarget, home: string = flowHome()): Promise<number> {
  const host = findFleetHost(home, target.fleetHost);
  const connections = connectionsFor(home);
  try {
    const client = await connections.client(host);
    return await openInteractive(client, { command: target.command, pty: true });
  } finally {
    connections.close();
  }
}

/** A local port whose connections reach `remotePort` on the hop's loopback; close() ends it and its connection. */
export async function forwardThrough(hop: SshHop, remotePort: number, localPort: number, home: string = flowHome()): Promise<PortForward> {
  const host = findFleetHost(home, hop.fleetHost);
  const connections = connectionsFor(home);
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
