// The body of `flow port-forward`, loaded only when it runs.
import { createConnection, createServer, type Server } from 'node:net';
import { runningNode } from '../../client/task-shell';
import { forwardThrough } from '../../client/ssh-session';
import { ValidationError, type TaskState } from '../../domain';
import type { PortTarget } from '../../domain/provider-contract';
import { openBackend } from '../backend';
import { checkNodeRank, wholeNumber } from '../node-flag';

function portNumber(text: string, field: string, allowZero: boolean): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535 || (port === 0 && !allowZero)) {
    throw new ValidationError(`${field}: '${text}' is not a port number`, { field, suggestions: ['Use LOCAL:REMOTE, e.g. 8080:8000, or one port for both'] });
  }
  return port;
}

/** "8080:8000" → local 8080, remote 8000; "8000" → both 8000. */
export function parsePortPair(text: string): { local: number; remote: number } {
  const parts = text.split(':');
  if (parts.length > 2) throw new ValidationError(`ports: '${text}' must be LOCAL:REMOTE or one port`, { field: 'ports' });
  const remote = portNumber(parts.at(-1)!, 'ports', false);
  return { local: parts.length === 2 ? portNumber(parts[0]!, 'ports', true) : remote, remote };
}

/** A plain TCP relay (local provider: the port already listens on this machine's loopback). */
function relay(target: PortTarget, localPort: number): Promise<{ port: number; close: () => Promise<void> }> {
  const server: Server = createServer((socket) => {
    const upstream = createConnection(target.port, target.host);
    socket.pipe(upstream).pipe(socket);
    const end = () => {
      socket.destroy();
      upstream.destroy();
    };
    socket.on('error', end);
    upstream.on('error', end);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(localPort, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ port, close: () => new Promise<void>((done) => server.close(() => done())) });
    });
  });
}

export async function portForwardAction(task: string, ports: string, flags: { node: string; json?: boolean }): Promise<number> {
  const rank = wholeNumber(flags.node, 'node');
  const { local, remote } = parsePortPair(ports);
  const backend = await openBackend();
  let target: PortTarget;
  let taskId: string;
  try {
    const state: TaskState = await backend.describe(await backend.resolve(task));
    taskId = state.taskId;
    checkNodeRank(state.taskId, state.numInstances, rank);
    target = await backend.providers.run({ op: 'portTarget', instance: runningNode(state, rank), port: remote });
  } finally {
    await backend.close();
  }
  const forward = target.through ? await forwardThrough(target.through, target.port, local) : await relay(target, local);
  const line = { taskId, node: rank, localAddress: `127.0.0.1:${forward.port}`, remotePort: remote, url: `http://127.0.0.1:${forward.port}` };
  process.stdout.write(flags.json ? `${JSON.stringify(line)}\n` : `Forwarding ${line.localAddress} -> ${taskId} node ${rank} port ${remote} (Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await forward.close();
  return 0;
}
