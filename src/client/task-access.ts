/**
 * How to reach a task's nodes, from its describe() state: addresses and URLs for its ports, and the shell
 * command where its provider has one. Pure, so the CLI can say the same things.
 */
import type { TaskState } from '../domain';

/** The local provider's nodes all listen on this machine. */
const LOCAL_HOST = '127.0.0.1';

export interface Endpoint {
  node: number;
  port: number;
  /** `host:port` as people read it: `localhost:8080` on local (as the Python CLI shows it). */
  address: string;
  /** `http://<host>:<port>`; on local 127.0.0.1, which a server bound to IPv4 answers on every system. */
  url: string;
}

/** Every port of the config on every node with an address. */
export function endpointsOf(state: TaskState): Endpoint[] {
  const endpoints: Endpoint[] = [];
  for (const node of state.nodes) {
    const host = state.provider === 'local' ? LOCAL_HOST : node.address;
    if (!host) continue; // not provisioned yet
    const literal = host.includes(':') ? `[${host}]` : host; // IPv6 literal
    const named = state.provider === 'local' ? 'localhost' : literal;
    for (const port of state.ports ?? []) endpoints.push({ node: node.rank, port, address: `${named}:${port}`, url: `http://${literal}:${port}` });
  }
  return endpoints;
}

export interface ShellCommand {
  /** The command to run for a shell on the node, or null where there is none. */
  command: string | null;
  /** Why there is no command, and what to do instead. */
  reason?: string;
}

/**
 * `ssh <address>` for providers with a shell; for local, null and why (it runs here, as you).
 * `workDir`: where a local node's command works, when known (the worker says, see Task.shellCommand).
 */
export function shellCommandOf(state: TaskState, rank: number, workDir?: string): ShellCommand {
  const node = state.nodes[rank];
  if (node === undefined) {
    return { command: null, reason: `task ${state.taskId} has no node ${rank} (it has ${state.numInstances})` };
  }
  if (state.provider === 'local') {
    return {
      command: null,
      reason: `provider local runs the command on this machine, as you: open a shell here${workDir ? ` and cd ${workDir}` : ''} (or with its env and volumes: flow ssh ${state.taskId}); follow its output with: flow logs ${state.taskId} -f`,
    };
  }
  if (!node.address) return { command: null, reason: `node ${rank} has no address yet (task is ${state.status})` };
  return { command: `ssh ${node.address}` };
}
